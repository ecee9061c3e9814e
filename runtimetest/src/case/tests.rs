use super::*;

const HEAD: &str =
    "id = \"t.case\"\nsummary = \"s\"\nrequirements = [\"runtime.create.apply-config\"]\n";

fn load(body: &str) -> Result<Case, CaseError> {
    parse("cases/t.case.toml", &format!("{HEAD}{body}"))
}

/// The load error of `body`, which must not load.
fn error(body: &str) -> CaseError {
    match load(body) {
        Ok(c) => panic!("loaded although it should not: {c:?}"),
        Err(e) => e,
    }
}

#[test]
fn embedded_cases_load_and_name_catalog_ids() {
    let cases = embedded().expect("cases load"); // ok: test code
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    let catalog = ocicheck_catalog::Catalog::embedded().expect("catalog"); // ok: test code
    for c in &cases {
        assert!(c.file.starts_with("cases/") && c.file.ends_with(".toml"));
        for id in &c.requirements {
            assert!(
                catalog.get(id).is_some(),
                "{}: unknown requirement {id}",
                c.id
            );
        }
    }
}

#[test]
fn a_file_without_steps_gets_the_default_lifecycle() {
    let c = load("").expect("loads");
    let kinds: Vec<&str> = c.steps.iter().map(Step::kind).collect();
    assert_eq!(kinds, ["create", "start", "wait", "probe", "delete"]);
    assert_eq!(c.then, Then::Exit);
}

#[test]
fn steps_load_into_their_variants() {
    let c = load(
        "then = \"exit:3\"\nneeds = [\"cgroup-v2\"]\n\
         [[step]]\nrun = \"create\"\nconsole = true\n\
         [[step]]\nrun = \"state\"\nid = \"unknown\"\nexpect = \"error\"\n\
         [[step]]\nrun = \"kill\"\n\
         [[step]]\nrun = \"wait\"\n\
         [[step]]\nrun = \"hooks\"\norder = [\"prestart\", \"poststop-2\"]\n",
    )
    .expect("loads");
    assert_eq!(c.then, Then::ExitWith(3));
    assert_eq!(c.needs, [Need::CgroupV2]);
    assert_eq!(
        c.steps,
        [
            Step::Create {
                expect: Expect::Ok,
                id: Target::Own,
                console: true,
                seccomp_agent: false
            },
            Step::State {
                expect: Expect::Error,
                id: Target::Unknown,
                status: None,
                annotations: None
            },
            Step::Kill {
                expect: Expect::Ok,
                id: Target::Own,
                signal: "TERM".into()
            },
            Step::Wait {
                status: Status::Stopped
            },
            Step::Hooks {
                order: vec![
                    HookLabel {
                        hook: Hook::Prestart,
                        nth: None
                    },
                    HookLabel {
                        hook: Hook::Poststop,
                        nth: Some(2)
                    }
                ]
            },
        ]
    );
}

#[test]
fn a_misspelt_step_field_names_file_line_and_choices() {
    let e = error("\n[[step]]\nrun = \"create\"\n\n[[step]]\nrun = \"delete\"\nfroce = true\n");
    assert_eq!(e.file, "cases/t.case.toml");
    assert_eq!(e.line, Some(10), "the misspelt line: {e}");
    assert!(e.message.contains("froce"), "{e}");
    assert!(e.message.contains("force"), "names the valid fields: {e}");
    assert!(e.to_string().starts_with("cases/t.case.toml:10: "), "{e}");
}

#[test]
fn a_field_of_another_step_kind_is_refused() {
    // `status` belongs to state and wait, not to start.
    let e = error("[[step]]\nrun = \"start\"\nstatus = \"running\"\n");
    assert_eq!(e.line, Some(6), "{e}");
    assert!(e.message.contains("status"), "{e}");
}

#[test]
fn an_unknown_step_kind_names_the_kinds() {
    let e = error("[[step]]\nrun = \"crate\"\n");
    assert_eq!(e.line, Some(5), "{e}");
    assert!(e.message.contains("crate"), "{e}");
    for kind in ["create", "edit-config", "seccomp-agent", "hooks"] {
        assert!(e.message.contains(kind), "{kind} missing from: {e}");
    }
}

#[test]
fn unknown_values_of_closed_sets_are_refused() {
    for (body, line, choice) in [
        ("needs = [\"cgroup-v3\"]\n", 4, "cgroup-v2"),
        ("then = \"linger\"\n", 4, "await-signal"),
        ("then = \"exit:300\"\n", 4, "exit:N"),
        ("[[step]]\nrun = \"create\"\nexpect = \"maybe\"\n", 6, "any"),
        (
            "[[step]]\nrun = \"state\"\nstatus = \"paused\"\n",
            6,
            "stopped",
        ),
        ("[[step]]\nrun = \"kill\"\nid = \"other\"\n", 6, "unknown"),
        (
            "[[step]]\nrun = \"hooks\"\norder = [\"prestart\", \"poststrat\"]\n",
            6,
            "poststop",
        ),
        (
            "[[expect]]\ncheck = \"hostnam\"\nvalue = \"x\"\n",
            5,
            "hostname",
        ),
        (
            "[[expect]]\ncheck = \"hostname\"\nvalu = \"x\"\n",
            6,
            "value",
        ),
    ] {
        let e = error(body);
        assert_eq!(e.line, Some(line), "{body:?}: {e}");
        assert!(
            e.message.contains(choice),
            "{body:?}: {choice} missing from {e}"
        );
    }
}

#[test]
fn unknown_top_level_fields_are_refused() {
    let e = error("keep_running = true\n");
    assert_eq!(e.line, Some(4), "{e}");
    assert!(e.message.contains("then"), "names the valid fields: {e}");
}

#[test]
fn field_combinations_are_checked() {
    let e = error("\n[[step]]\nrun = \"cgroup\"\ncontroller = \"pids\"\nfile = \"pids.max\"\n");
    assert_eq!(e.line, Some(5), "{e}");
    assert!(e.message.contains("`value` or `owner`"), "{e}");
    let e =
        error("[[step]]\nrun = \"cgroup\"\ncontroller = \"pids\"\nfile = \"\"\nowner = \"root\"\n");
    assert!(e.message.contains("uid:gid"), "{e}");
}

#[test]
fn missing_requirements_and_duplicate_ids_are_refused() {
    let e = parse(
        "cases/x.toml",
        "id = \"x\"\nsummary = \"s\"\nrequirements = []\n",
    )
    .expect_err("no requirements"); // ok: test code
    assert_eq!(e.line, Some(1));
    let files = vec![
        ("a.toml".to_string(), format!("{HEAD}")),
        ("b.toml".to_string(), format!("{HEAD}")),
    ];
    let e = Suite::from_files(files).expect_err("duplicate"); // ok: test code
    assert!(e.message.contains("duplicate case id t.case"), "{e}");
}

#[test]
fn cases_from_a_directory_join_the_suite() {
    let dir = tempfile::tempdir().expect("tmp"); // ok: test code
    std::fs::write(dir.path().join("mine.toml"), HEAD).expect("write"); // ok: test code
    std::fs::write(dir.path().join("notes.txt"), "not a case").expect("write"); // ok: test code
    let suite = Suite::with_dirs(&[dir.path().to_path_buf()]).expect("loads"); // ok: test code
    let embedded = Suite::embedded().expect("loads"); // ok: test code
    assert_eq!(suite.cases.len(), embedded.cases.len() + 1);
    assert_ne!(suite.digest, embedded.digest);
    assert_eq!(embedded.digest, embedded_digest());
    let mine = suite
        .cases
        .iter()
        .find(|c| c.id == "t.case")
        .expect("added"); // ok: test code
    assert_eq!(
        mine.file,
        dir.path().join("mine.toml").display().to_string()
    );

    std::fs::write(
        dir.path().join("bad.toml"),
        format!("{HEAD}then = \"nap\"\n"),
    )
    .expect("write"); // ok: test code
    let e = Suite::with_dirs(&[dir.path().to_path_buf()]).expect_err("bad case"); // ok: test code
    assert_eq!(e.file, dir.path().join("bad.toml").display().to_string());
    assert_eq!(e.line, Some(4));

    let empty = tempfile::tempdir().expect("tmp"); // ok: test code
    let e = Suite::with_dirs(&[empty.path().to_path_buf()]).expect_err("empty dir"); // ok: test code
    assert!(e.message.contains("no case files"), "{e}");
}

#[test]
fn then_round_trips_through_its_text() {
    for t in [
        Then::Exit,
        Then::ExitWith(7),
        Then::Sleep,
        Then::AwaitSignal,
    ] {
        assert_eq!(t.to_string().parse::<Then>(), Ok(t));
    }
}

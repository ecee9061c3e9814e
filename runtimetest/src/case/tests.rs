use super::*;

/// Three lines, as the error tests count them.
const HEAD: &str = "id = \"t.case\"\nsummary = \"s\"\n# the body follows\n";

/// A case that decides a requirement, as a suite requires.
const NAMED: &str = "id = \"t.case\"\nsummary = \"s\"\n[[expect]]\ncheck = \"cwd\"\nvalue = \"/\"\nrequirements = [\"runtime.start.run-process\"]\n";

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
    let cases = Suite::embedded().expect("cases load").cases; // ok: test code
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
    let kinds: Vec<&str> = c.steps.iter().map(|s| s.step.kind()).collect();
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
         [[step]]\nrun = \"hook-order\"\norder = [\"prestart\", \"poststop-2\"]\n\
         [[step]]\nrun = \"hook-ran\"\nhook = \"createContainer\"\n\
         [[step]]\nrun = \"torn-down\"\n\
         [[step]]\nrun = \"freeze-cgroup\"\n\
         [[step]]\nrun = \"cgroup-place\"\n",
    )
    .expect("loads");
    assert_eq!(c.then, Then::ExitWith(3));
    assert_eq!(c.needs, [Need::CgroupV2]);
    assert_eq!(
        c.steps.into_iter().map(|s| s.step).collect::<Vec<_>>(),
        [
            Step::Create {
                expect: Expect::Ok,
                id: Target::Own,
                console: true,
                seccomp_agent: false,
                oom_score_adj: None,
                trace_mounts: false
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
            Step::HookOrder {
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
            Step::HookRan {
                hook: HookLabel {
                    hook: Hook::CreateContainer,
                    nth: None
                }
            },
            Step::TornDown {},
            Step::FreezeCgroup {},
            Step::CgroupPlace {},
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
    for kind in [
        "create",
        "edit-config",
        "seccomp-agent",
        "hook-state",
        "torn-down",
    ] {
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
            "[[step]]\nrun = \"hook-ran\"\nhook = \"poststrat\"\n",
            6,
            "poststop",
        ),
        (
            "[[step]]\nrun = \"hook-order\"\norder = [\"prestart\", \"poststrat\"]\n",
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
fn a_requirement_the_catalog_lacks_is_refused() {
    let e = error(
        "[[step]]\nrun = \"create\"\nrequirements = [\n  \"runtime.create.apply-config\",\n  \"runtime.create.aply-config\",\n]\n",
    );
    assert_eq!(e.line, Some(8), "{e}");
    assert!(
        e.message
            .contains("`runtime.create.aply-config` is not a requirement id"),
        "{e}"
    );
    // The top level no longer names requirements: each assertion names its own.
    let e = parse(
        "cases/x.toml",
        "id = \"x\"\nsummary = \"s\"\nrequirements = [\"runtime.create.apply-config\"]\n",
    )
    .expect_err("top-level requirements"); // ok: test code
    assert_eq!(e.line, Some(3), "{e}");
    assert!(
        e.message
            .contains("`requirements` goes on the assertions that decide them"),
        "{e}"
    );
}

#[test]
fn a_suite_refuses_cases_that_decide_nothing_and_duplicate_ids() {
    let nothing = vec![("a.toml".to_string(), HEAD.to_string())];
    let e = Suite::from_files(nothing).expect_err("decides nothing"); // ok: test code
    assert!(e.message.contains("decides no requirement"), "{e}");
    let unnamed = vec![(
        "a.toml".to_string(),
        format!("{NAMED}[[expect]]\ncheck = \"hostname\"\nvalue = \"h\"\n"),
    )];
    let e = Suite::from_files(unnamed).expect_err("unnamed expectation"); // ok: test code
    assert!(
        e.message
            .contains("expect 2 (hostname) names no requirements"),
        "{e}"
    );
    let files = vec![
        ("a.toml".to_string(), NAMED.to_string()),
        ("b.toml".to_string(), NAMED.to_string()),
    ];
    let e = Suite::from_files(files).expect_err("duplicate"); // ok: test code
    assert!(e.message.contains("duplicate case id t.case"), "{e}");
}

#[test]
fn requirements_go_on_the_assertions_that_decide_them() {
    let c = load(
        "[[step]]\nrun = \"create\"\nrequirements = [\"runtime.create.new-container\"]\n\
         [[step]]\nrun = \"start\"\n\
         [[step]]\nrun = \"probe\"\n\
         [[expect]]\ncheck = \"cwd\"\nvalue = \"/\"\nrequirements = [\"runtime.start.run-process\", \"runtime.create.new-container\"]\n",
    )
    .expect("loads");
    assert_eq!(
        c.requirements,
        ["runtime.create.new-container", "runtime.start.run-process"]
    );
    let labels: Vec<String> = c
        .assertions()
        .into_iter()
        .map(|(a, reqs)| format!("{}: {}", c.label(a), reqs.join(" ")))
        .collect();
    assert_eq!(
        labels,
        [
            "step 1 (create): runtime.create.new-container",
            "expect 1 (cwd): runtime.start.run-process runtime.create.new-container"
        ]
    );
}

#[test]
fn cases_from_a_directory_join_the_suite() {
    let dir = tempfile::tempdir().expect("tmp"); // ok: test code
    std::fs::write(dir.path().join("mine.toml"), NAMED).expect("write"); // ok: test code
    std::fs::write(dir.path().join("notes.txt"), "not a case").expect("write"); // ok: test code
    let suite = Suite::with_dirs(&[dir.path().to_path_buf()]).expect("loads"); // ok: test code
    let embedded = Suite::embedded().expect("loads"); // ok: test code
    assert_eq!(suite.cases.len(), embedded.cases.len() + 1);
    assert_ne!(suite.digest, embedded.digest);
    assert_eq!(embedded.info().cases_digest, embedded.digest);
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

/// The names serde lists as valid in the load error of `body` (a case file's body after the
/// head); empty when it says there are none or the body loads.
fn valid_names(body: &str) -> Vec<String> {
    let message = match parse("cases/x.toml", &format!("{HEAD}{body}")) {
        Ok(_) => return Vec::new(),
        Err(e) => e.message,
    };
    let Some((_, list)) = message.split_once("expected") else {
        return Vec::new();
    };
    list.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The rows of the first table of a README section: first cell's name → the other cells.
fn rows(readme: &str, heading: &str) -> Vec<(String, Vec<String>)> {
    let section = readme
        .split("\n## ")
        .chain(readme.split("\n### "))
        .find(|s| s.starts_with(heading))
        .unwrap_or_else(|| panic!("README has no section {heading:?}"));
    section
        .lines()
        .skip_while(|l| !l.starts_with("|---"))
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<String> = l.split('|').map(|c| c.trim().to_string()).collect();
            (cells[1].trim_matches('`').to_string(), cells[2..].to_vec())
        })
        .collect()
}

/// The `names` of a table cell.
fn names(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn the_readme_documents_every_name_of_the_format() {
    let readme = include_str!("../../../cases/README.md");
    // Top-level fields (id, summary and requirements are in the head of every probe body).
    let top = valid_names("bogus__ = 1\n");
    let documented: Vec<String> = rows(readme, "A case file")
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(sorted(documented), sorted(top), "top-level fields");

    // Step kinds, and each kind's fields.
    let kinds = valid_names("[[step]]\nrun = \"bogus__\"\n");
    assert!(kinds.len() >= 13, "{kinds:?}");
    let steps = rows(readme, "Steps");
    assert_eq!(
        sorted(steps.iter().map(|r| r.0.clone()).collect()),
        sorted(kinds.clone()),
        "step kinds"
    );
    for (kind, cells) in &steps {
        let fields = valid_names(&format!("[[step]]\nrun = \"{kind}\"\nbogus__ = 1\n"));
        assert_eq!(
            sorted(names(&cells[0])),
            sorted(fields),
            "fields of step {kind}"
        );
    }

    // Expectation checks, and each check's fields.
    let checks = valid_names("[[expect]]\ncheck = \"bogus__\"\n");
    let expectations = rows(readme, "Expectations");
    assert_eq!(
        sorted(expectations.iter().map(|r| r.0.clone()).collect()),
        sorted(checks),
        "checks"
    );
    for (check, cells) in &expectations {
        let fields = valid_names(&format!("[[expect]]\ncheck = \"{check}\"\nbogus__ = 1\n"));
        assert_eq!(
            sorted(names(&cells[0])),
            sorted(fields),
            "fields of check {check}"
        );
    }

    // The values of closed sets.
    let values = rows(readme, "Values");
    let value_names = |field: &str| {
        values
            .iter()
            .find(|r| r.0 == field)
            .map(|r| names(&r.1[0]))
            .unwrap_or_else(|| panic!("README's Values table lacks {field}"))
    };
    for (field, body) in [
        (
            "expect",
            "[[step]]\nrun = \"create\"\nexpect = \"bogus__\"\n",
        ),
        ("id", "[[step]]\nrun = \"create\"\nid = \"bogus__\"\n"),
        ("status", "[[step]]\nrun = \"wait\"\nstatus = \"bogus__\"\n"),
    ] {
        assert_eq!(
            sorted(value_names(field)),
            sorted(valid_names(body)),
            "values of {field}"
        );
    }
    let labels = value_names("order");
    for h in Hook::ALL {
        assert!(
            labels.iter().any(|l| l == h.as_str()),
            "hook {} undocumented",
            h.as_str()
        );
    }
    let needs = rows(readme, "`needs`");
    assert_eq!(
        sorted(needs.into_iter().map(|r| r.0).collect()),
        sorted(valid_names("needs = [\"bogus__\"]\n")),
        "host features"
    );
    let then = readme
        .split("\n## `then`")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README documents then"); // ok: test code
    for form in names(Then::CHOICES) {
        assert!(
            then.contains(&format!("`{form}`")),
            "then {form} undocumented"
        );
    }
}

#[test]
fn placeholders_are_filled_in_object_keys_too() {
    let mut v = serde_json::json!({"linux": {"netDevices": {"{netdev}": {"name": "{netdev}-in"}}}});
    crate::case::substitute(&mut v, &[("{netdev}", "oc123".to_string())]);
    assert_eq!(
        v,
        serde_json::json!({"linux": {"netDevices": {"oc123": {"name": "oc123-in"}}}})
    );
}

#[test]
fn hidden_files_are_absolute_paths_below_a_directory() {
    let body = "hide = [\"/sys/kernel/cgroup/delegate\"]\n[[step]]\nrun = \"create\"\n";
    let case = load(body).expect("loads"); // ok: test code
    assert_eq!(
        case.hide,
        vec![std::path::PathBuf::from("/sys/kernel/cgroup/delegate")]
    );
    for bad in ["delegate", "/etc"] {
        let e = error(&format!("hide = [\"{bad}\"]\n"));
        assert!(e.message.contains("not an absolute path"), "{bad}: {e}");
    }
}

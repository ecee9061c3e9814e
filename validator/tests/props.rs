//! Properties: the validator never panics, whatever the input; positions round-trip.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failing test

use ocicheck_validator::input::ConfigBytes;
use ocicheck_validator::position::Positions;
use ocicheck_validator::{Options, Target, Validator};
use proptest::prelude::*;
use serde_json::{json, Value};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("1.3.0"),
            Just("1.0.0"),
            Just("rootfs"),
            Just("/"),
            Just("pid"),
            Just("CAP_KILL"),
            Just("SCMP_ACT_ERRNO"),
            Just("RLIMIT_NOFILE"),
            Just("L3:0=f"),
            Just("2MB")
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    let keys = prop_oneof![
        Just("ociVersion"),
        Just("process"),
        Just("root"),
        Just("path"),
        Just("mounts"),
        Just("destination"),
        Just("linux"),
        Just("namespaces"),
        Just("type"),
        Just("hooks"),
        Just("prestart"),
        Just("timeout"),
        Just("capabilities"),
        Just("ambient"),
        Just("args"),
        Just("cwd"),
        Just("annotations"),
        Just("seccomp"),
        Just("syscalls"),
        Just("names"),
        Just("resources"),
        Just("cpu"),
        Just("burst"),
        Just("quota"),
        Just("windows"),
        Just("uidMappings"),
        Just("devices"),
        Just("intelRdt"),
        Just(""),
        Just("x")
    ];
    leaf.prop_recursive(6, 96, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone().prop_map(String::from), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_json_never_panics(v in arb_json(), host in any::<bool>()) {
        let validator = Validator::new(Options { spec_version: None, host });
        let text = serde_json::to_string_pretty(&v).expect("serialise");
        let report = validator.validate_bytes(&Target::Stdin, ConfigBytes::Read(text.into_bytes()));
        for d in &report.diagnostics {
            prop_assert!(!d.requirement.is_empty());
            prop_assert!(d.line.is_some(), "finding without a line: {:?}", d);
        }
        prop_assert_eq!(report.valid, report.errors() == 0);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let validator = Validator::new(Options::default());
        let report = validator.validate_bytes(&Target::Stdin, ConfigBytes::Read(bytes));
        prop_assert!(!report.valid);
    }

    /// Every value's recorded position points at text that parses back to that value.
    #[test]
    fn positions_round_trip(v in arb_json()) {
        let text = serde_json::to_string_pretty(&v).expect("serialise");
        let positions = Positions::index(&text);
        let mut stack = vec![(String::new(), &v)];
        while let Some((ptr, node)) = stack.pop() {
            let pos = positions.get(&ptr).expect("indexed");
            let mut de = serde_json::Deserializer::from_str(&text[pos.offset..]);
            let parsed = Value::deserialize(&mut de).expect("a value starts there");
            prop_assert_eq!(&parsed, node, "at {}", ptr);
            match node {
                Value::Object(m) => {
                    for (k, child) in m {
                        stack.push((format!("{ptr}/{}", ocicheck_validator::position::escape_token(k)), child));
                    }
                }
                Value::Array(a) => {
                    for (i, child) in a.iter().enumerate() {
                        stack.push((format!("{ptr}/{i}"), child));
                    }
                }
                _ => {}
            }
        }
    }
}

use serde::Deserialize;

//! A case file's text, loaded as `ocicheck run` loads case files (see
//! `ocicheck_runtimetest::case::fuzzing`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ocicheck_runtimetest::case::fuzzing::case(data));

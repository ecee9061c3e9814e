//! A selector byte, then config.json bytes, judged as `ocicheck validate` does and rendered in
//! every output format (see `ocicheck_validator::fuzzing`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ocicheck_validator::fuzzing::validate(data));

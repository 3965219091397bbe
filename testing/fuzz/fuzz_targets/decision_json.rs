#![no_main]

// See fuzz_harness::decision::json for what is checked; testing/fuzz/regressions/decision_json/ keeps the inputs that failed.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_harness::decision::json(data));

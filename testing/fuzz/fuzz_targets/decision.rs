#![no_main]

// See fuzz_harness::decision::structured for what is checked; testing/fuzz/regressions/decision/ keeps the inputs that failed.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_harness::decision::structured(data));

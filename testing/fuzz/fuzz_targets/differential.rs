#![no_main]

// See fuzz_harness::decision::differential for what is checked; testing/fuzz/regressions/differential/ keeps the
// inputs that failed.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_harness::decision::differential(data));

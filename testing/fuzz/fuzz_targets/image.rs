#![no_main]

// See fuzz_harness::image::raw for what is checked; testing/fuzz/regressions/image/ keeps the inputs that failed.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_harness::image::raw(data));

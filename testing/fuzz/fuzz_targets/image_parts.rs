#![no_main]

// See fuzz_harness::image::structured for what is checked; testing/fuzz/regressions/image_parts/ keeps the inputs that failed.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_harness::image::structured(data));

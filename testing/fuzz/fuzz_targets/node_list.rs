#![no_main]

// See fuzz_harness::nodes::node_list for what is checked; testing/fuzz/regressions/node_list/ keeps the inputs that failed.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_harness::nodes::node_list(data));

//! Where the time of one `validate` goes inside the module: runs one case in a loop in a wasmtime engine that
//! writes a perf map (`/tmp/perf-PID.map`), so that `perf` names the module's functions.
//!
//! ```text
//! CARGO_PROFILE_RELEASE_STRIP=false cargo build --release --target wasm32-wasip1 -p sidecar-placement-policy \
//!     --lib --target-dir target/unstripped            # the release module, with its function names kept
//! cargo build --profile bench-native -p sidecar-bench --example profile
//! perf record -F 1999 -g -o perf.data -- target/bench-native/examples/profile \
//!     target/unstripped/wasm32-wasip1/release/sidecar_placement_policy.wasm validate 300 10
//! perf report -i perf.data --no-children --sort symbol --stdio
//! ```
//!
//! Arguments: module, case (validate, reject, mutate), containers, seconds.

use std::time::{Duration, Instant};

use sidecar_bench::payload::{self, Variant};
use sidecar_bench::{Stats, check_answer, report};
use wapc::WapcHost;
use wasmtime_provider::WasmtimeEngineProviderBuilder;
use wasmtime_provider::wasmtime::{Config, Engine, ProfilingStrategy};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [wasm, variant, containers, seconds] = args.as_slice() else {
        return Err("usage: profile MODULE.wasm validate|reject|mutate CONTAINERS SECONDS".into());
    };
    let variant = Variant::ALL
        .into_iter()
        .find(|v| v.name() == variant)
        .ok_or_else(|| format!("unknown case '{variant}'"))?;
    let containers: usize = containers.parse()?;
    let seconds: f64 = seconds.parse()?;

    let mut config = Config::new();
    config.profiler(ProfilingStrategy::PerfMap);
    let engine = Engine::new(&config)?;
    let wasm = std::fs::read(wasm)?;
    let provider = WasmtimeEngineProviderBuilder::new()
        .engine(engine)
        .module_bytes(&wasm)
        .build()?;
    let host = WapcHost::new(Box::new(provider), Some(Box::new(|_, _, _, _, _| Ok(Vec::new()))))?;

    let payload = payload::validate_payload(containers, variant);
    let answer = host.call("validate", &payload)?;
    // The floor accepts everything; the policy must give the case's answer.
    if let Err(error) = check_answer(variant, containers, &answer) {
        eprintln!("note: not the policy's answer ({error}); profiling anyway");
    }
    let mut samples = Vec::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs_f64(seconds) {
        let start = Instant::now();
        std::hint::black_box(host.call("validate", &payload)?);
        samples.push(start.elapsed());
    }
    let stats = Stats::of(samples);
    println!(
        "{} on {containers} containers: {} calls, median {}",
        variant.name(),
        stats.samples,
        report::duration(stats.median)
    );
    Ok(())
}

//! `make bench`: times the policy module against the floor module in wasmtime and prints a markdown report.
//!
//! Usage: `sidecar-bench [--policy PATH] [--floor PATH] [--quick] [--sizes 3,30,300,3000] [--iterations N]`.
//! `make bench` builds both modules and passes their paths; without `--policy` / `--floor` the runner builds them
//! itself (`policy_host::policy_wasm`, [`sidecar_bench::floor_wasm`]).
//!
//! `sidecar-bench --profile CASE --policy PATH --sizes N [--seconds S | --calls N]` runs one case (validate, reject,
//! mutate) on one module in a loop, in an engine that writes a perf map, for `perf record` (see BENCHMARKS.md);
//! `--profile nodes` the conversion whose Node lookup the host answers with 5,000 nodes. `--calls` makes exactly N
//! calls, for instruction counts that the machine's load does not move (BENCHMARKS.md, "Counting instructions").

use std::path::PathBuf;
use std::process::ExitCode;

use sidecar_bench::payload::{SIZES, Variant};
use sidecar_bench::{Budget, Config, Error, floor_wasm, profile, report, run};

const USAGE: &str = "usage: sidecar-bench [--policy PATH] [--floor PATH] [--quick] [--sizes 3,30,300,3000] \
                     [--iterations N]\n       sidecar-bench --profile validate|reject|mutate|nodes [--policy PATH] \
                     [--sizes N] [--seconds S | --calls N]";

/// What the command line asks for; a missing module is built.
struct Args {
    policy: Option<PathBuf>,
    floor: Option<PathBuf>,
    sizes: Vec<usize>,
    quick: bool,
    iterations: Option<usize>,
    profile: Option<Profiled>,
    budget: Budget,
}

/// What `--profile` runs in a loop.
#[derive(Clone, Copy)]
enum Profiled {
    Case(Variant),
    /// The conversion with a 5,000-node lookup.
    Nodes,
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match execute(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sidecar-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn execute(args: Args) -> Result<(), Error> {
    let policy = match args.policy {
        Some(path) => path,
        None => policy_host::policy_wasm()?,
    };
    if let Some(Profiled::Nodes) = args.profile {
        let wasm = std::fs::read(&policy).map_err(|e| format!("cannot read {}: {e}", policy.display()))?;
        let stats = sidecar_bench::nodes::profile(&wasm, args.budget)?;
        println!(
            "conversion with a 5,000-node lookup: {} calls, median {}",
            stats.samples,
            report::duration(stats.median)
        );
        return Ok(());
    }
    if let Some(Profiled::Case(variant)) = args.profile {
        let containers = args.sizes[0];
        let wasm = std::fs::read(&policy).map_err(|e| format!("cannot read {}: {e}", policy.display()))?;
        let (stats, wrong_answer) = profile(&wasm, variant, containers, args.budget)?;
        if let Some(problem) = wrong_answer {
            eprintln!("sidecar-bench: note: not the policy's answer ({problem}); profiled anyway");
        }
        println!(
            "{} on {containers} containers: {} calls, median {}",
            variant.name(),
            stats.samples,
            report::duration(stats.median)
        );
        return Ok(());
    }
    let config = Config {
        policy,
        floor: match args.floor {
            Some(path) => path,
            None => floor_wasm()?,
        },
        sizes: args.sizes,
        quick: args.quick,
        iterations: args.iterations,
    };
    let load_before = load_average();
    let report = run(&config, &mut |step| eprintln!("sidecar-bench: {step}"))?;
    print!("{}", report::markdown(&report, &machine(&load_before)));
    Ok(())
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut config = Args {
        policy: None,
        floor: None,
        sizes: SIZES.to_vec(),
        quick: false,
        iterations: None,
        profile: None,
        budget: Budget::Seconds(10.0),
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--policy" => config.policy = Some(value()?.into()),
            "--floor" => config.floor = Some(value()?.into()),
            "--quick" => config.quick = true,
            "--profile" => {
                let name = value()?;
                let variant = Variant::ALL.into_iter().find(|v| v.name() == name).map(Profiled::Case);
                let profiled = variant.or((name == "nodes").then_some(Profiled::Nodes));
                config.profile = Some(profiled.ok_or_else(|| format!("--profile: unknown case '{name}'"))?);
            }
            "--seconds" => {
                let s = value()?;
                config.budget = Budget::Seconds(s.parse().map_err(|e| format!("--seconds: '{s}': {e}"))?);
            }
            "--calls" => {
                let n = value()?;
                config.budget = Budget::Calls(n.parse().map_err(|e| format!("--calls: '{n}': {e}"))?);
            }
            "--sizes" => {
                let mut sizes = value()?
                    .split(',')
                    .map(|n| n.trim().parse::<usize>().map_err(|e| format!("--sizes: '{n}': {e}")))
                    .collect::<Result<Vec<_>, _>>()?;
                if sizes.contains(&0) {
                    return Err("--sizes: a Deployment needs at least one container".into());
                }
                sizes.sort_unstable();
                sizes.dedup();
                config.sizes = sizes;
            }
            "--iterations" => {
                let n = value()?;
                let n = n.parse::<usize>().map_err(|e| format!("--iterations: '{n}': {e}"))?;
                config.iterations = Some(n.max(1));
            }
            "-h" | "--help" => return Err("sidecar-bench: the policy against the parse floor, in wasmtime".into()),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(config)
}

/// The 1, 5 and 15 minute load averages (`/proc/loadavg`): how busy the shared machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

/// The machine the figures come from: cores, CPU model, rustc, and its load before and after the run.
fn machine(load_before: &str) -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|line| {
                line.strip_prefix("model name")
                    .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let rustc = std::process::Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .arg("--version")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map_or_else(
            || "rustc unknown".to_owned(),
            |out| String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        );
    format!(
        "Machine: {cores} cores, {cpu}; {rustc}; load average (1/5/15 min) {load_before} before the run, {} after; \
         engine: wapc 2.2 + wasmtime-provider 2.25.0 (wasmtime 48), module compiled once, one instance reused.\n",
        load_average()
    )
}

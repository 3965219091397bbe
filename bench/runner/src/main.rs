//! `make bench`: times the policy module against the floor module in wasmtime and prints a markdown report.
//!
//! Builds nothing: `make bench` builds both modules first. Usage:
//! `sidecar-bench [--policy PATH] [--floor PATH] [--quick] [--sizes 3,30,300,3000] [--iterations N]`.

use std::process::ExitCode;

use sidecar_bench::payload::SIZES;
use sidecar_bench::{Config, locate, report, run};

const USAGE: &str =
    "usage: sidecar-bench [--policy PATH] [--floor PATH] [--quick] [--sizes 3,30,300,3000] [--iterations N]";

fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut progress = |step: &str| eprintln!("sidecar-bench: {step}");
    match run(&config, &mut progress) {
        Ok(report) => {
            print!("{}", report::markdown(&report, &machine()));
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("sidecar-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Config, String> {
    let mut config = Config {
        policy: locate::default_policy(),
        floor: locate::default_floor(),
        sizes: SIZES.to_vec(),
        quick: false,
        iterations: None,
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--policy" => config.policy = value()?.into(),
            "--floor" => config.floor = value()?.into(),
            "--quick" => config.quick = true,
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

/// The machine the figures come from: cores, CPU model, rustc.
fn machine() -> String {
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
        "Machine: {cores} cores, {cpu}; {rustc}; engine: wapc 2.2 + wasmtime-provider 2.25.0 (wasmtime 48), \
         module compiled once, one instance reused.\n"
    )
}

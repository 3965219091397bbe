//! `make bench`: what one admission request costs the policy in wasmtime, against the floor module (a waPC module
//! that only parses the payload into a JSON tree), on Deployments of growing size.
//!
//! Both modules run through [`policy_host::PolicyHost`] (wapc + wasmtime-provider, compiled once, one instance
//! reused), as Kubewarden's policy-evaluator runs them. Each timed iteration calls both modules on the same payload,
//! alternating which goes first, so that machine noise hits both alike; medians and 90th percentiles are reported.
//! The answers are checked before anything is timed, so the benchmark cannot silently measure an error path.
//! Linear memory is read from a second instance of each module in the same host, on an engine that meters its
//! memory ([`EngineMode::MeteredMemory`]): that engine compiles explicit bounds checks, so it is never timed.

pub mod nodes;
pub mod payload;
pub mod report;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use policy_host::{EngineMode, HostError, PolicyHost, ValidationResponse};
use serde_json::Value;

use crate::payload::{VAULT_AGENT, Variant};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The environment variable naming a prebuilt floor module; when set, [`floor_wasm`] builds nothing.
pub const FLOOR_WASM_ENV: &str = "FLOOR_WASM";

/// The floor module: `$FLOOR_WASM` if set, else a fresh release build of `bench-floor`.
pub fn floor_wasm() -> Result<PathBuf, HostError> {
    policy_host::release_module(FLOOR_WASM_ENV, "bench-floor")
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    pub policy: PathBuf,
    pub floor: PathBuf,
    /// Container counts, smallest first.
    pub sizes: Vec<usize>,
    /// Few iterations: checks that everything runs and answers right, measures roughly.
    pub quick: bool,
    /// Timed iterations per size, instead of the time budget.
    pub iterations: Option<usize>,
}

impl Config {
    fn effort(&self) -> Effort {
        if self.quick {
            Effort {
                warmup: Duration::ZERO,
                budget: Duration::ZERO,
                min_iterations: 3,
                max_iterations: 3,
                loads: 1,
                node_iterations: 3,
            }
        } else {
            Effort {
                warmup: Duration::from_millis(500),
                budget: Duration::from_secs(6),
                min_iterations: 21,
                max_iterations: 1001,
                loads: 5,
                node_iterations: 201,
            }
        }
    }
}

struct Effort {
    /// Untimed calls per size before timing (at least one round).
    warmup: Duration,
    /// Timed rounds per size: as many as fit the budget, within the bounds.
    budget: Duration,
    min_iterations: usize,
    max_iterations: usize,
    /// Loads timed per module.
    loads: usize,
    /// Timed rounds of the node-lookup rows.
    node_iterations: usize,
}

/// Median and 90th percentile of a set of timings.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub median: Duration,
    pub p90: Duration,
    pub samples: usize,
}

impl Stats {
    pub fn of(mut samples: Vec<Duration>) -> Self {
        assert!(!samples.is_empty(), "no samples");
        samples.sort_unstable();
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        Self {
            median: at(0.5),
            p90: at(0.9),
            samples: samples.len(),
        }
    }
}

/// One payload of one size, timed on both modules.
#[derive(Debug)]
pub struct Case {
    pub variant: Variant,
    pub payload_bytes: usize,
    pub floor: Stats,
    pub policy: Stats,
    /// The policy's answer (checked).
    pub answer: ValidationResponse,
}

impl Case {
    pub fn ratio(&self) -> f64 {
        self.policy.median.as_secs_f64() / self.floor.median.as_secs_f64()
    }
}

/// Every case of one Deployment size.
#[derive(Debug)]
pub struct SizeRun {
    pub containers: usize,
    pub iterations: usize,
    pub cases: Vec<Case>,
}

impl SizeRun {
    pub fn case(&self, variant: Variant) -> &Case {
        self.cases
            .iter()
            .find(|case| case.variant == variant)
            .expect("every variant is run")
    }
}

/// Figures of one module outside `validate`.
#[derive(Debug, Clone)]
pub struct ModuleFigures {
    pub bytes: usize,
    /// `PolicyHost::from_bytes` (compile, instantiate, `wapc_init`), median.
    pub load: Duration,
    /// Linear memory after initialisation, then after each size (all its cases), in bytes.
    pub memory_after_init: usize,
    pub memory_after: Vec<(usize, usize)>,
}

/// Everything one run measured.
#[derive(Debug)]
pub struct Report {
    pub quick: bool,
    pub policy: ModuleFigures,
    pub floor: ModuleFigures,
    pub sizes: Vec<SizeRun>,
    /// `checkNodes`: a conversion with growing Node lists in the host's answer.
    pub nodes: Vec<nodes::NodeCase>,
}

/// The two modules, loaded once.
struct Modules {
    policy: PolicyHost,
    floor: PolicyHost,
}

/// Runs the whole benchmark. Fails when a module cannot be loaded or answers anything but what the case expects.
pub fn run(config: &Config, progress: &mut dyn FnMut(&str)) -> Result<Report, Error> {
    let effort = config.effort();
    let read = |path: &PathBuf| std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()));
    let policy_wasm = read(&config.policy)?;
    let floor_wasm = read(&config.floor)?;

    progress("loading the modules");
    let policy_load = time_loads(&policy_wasm, effort.loads)?;
    let floor_load = time_loads(&floor_wasm, effort.loads)?;
    let modules = Modules {
        policy: PolicyHost::from_bytes(&policy_wasm)?,
        floor: PolicyHost::from_bytes(&floor_wasm)?,
    };

    check_settings(&modules)?;

    let mut sizes = Vec::new();
    for &containers in &config.sizes {
        progress(&format!("timing validate on {containers} containers"));
        sizes.push(time_size(&modules, containers, config, &effort)?);
    }

    progress("timing the node lookup (checkNodes)");
    let nodes = nodes::run(&modules.policy, effort.node_iterations)?;

    progress("reading linear memory");
    let (policy_init, policy_memory) = memory_use(&policy_wasm, &config.sizes)?;
    let (floor_init, floor_memory) = memory_use(&floor_wasm, &config.sizes)?;

    Ok(Report {
        quick: config.quick,
        policy: ModuleFigures {
            bytes: policy_wasm.len(),
            load: policy_load,
            memory_after_init: policy_init,
            memory_after: policy_memory,
        },
        floor: ModuleFigures {
            bytes: floor_wasm.len(),
            load: floor_load,
            memory_after_init: floor_init,
            memory_after: floor_memory,
        },
        sizes,
        nodes,
    })
}

/// Median of `PolicyHost::from_bytes`: compiling the module is nearly all of it.
fn time_loads(wasm: &[u8], times: usize) -> Result<Duration, Error> {
    let mut loads = Vec::with_capacity(times);
    for _ in 0..times {
        let start = Instant::now();
        let host = PolicyHost::from_bytes(wasm)?;
        loads.push(start.elapsed());
        drop(host);
    }
    Ok(Stats::of(loads).median)
}

/// Both modules accept the benchmark's settings (`validate_settings` is not timed: it runs once per settings
/// change, not per request).
fn check_settings(modules: &Modules) -> Result<(), Error> {
    let settings = serde_json::to_vec(&payload::settings(true))?;
    for (name, host) in [("policy", &modules.policy), ("floor", &modules.floor)] {
        let answer: Value = serde_json::from_slice(&host.validate_settings_raw(&settings)?)?;
        if answer["valid"] != true {
            return Err(format!("{name} refused the benchmark's settings: {answer}").into());
        }
    }
    Ok(())
}

fn timed_validate(host: &PolicyHost, payload: &[u8]) -> Result<(Duration, Vec<u8>), Error> {
    let start = Instant::now();
    let answer = host.validate_raw(payload)?;
    Ok((start.elapsed(), answer))
}

fn time_size(modules: &Modules, containers: usize, config: &Config, effort: &Effort) -> Result<SizeRun, Error> {
    let payloads: Vec<(Variant, Vec<u8>)> = Variant::ALL
        .iter()
        .map(|&variant| (variant, payload::validate_payload(containers, variant)))
        .collect();

    // Check every answer, and warm up: the first calls grow the guests' memories and fill the caches.
    let mut answers = Vec::new();
    let mut round = Duration::ZERO;
    for (variant, payload) in &payloads {
        let (floor_time, floor_answer) = timed_validate(&modules.floor, payload)?;
        check_floor(&floor_answer)?;
        let (policy_time, policy_answer) = timed_validate(&modules.policy, payload)?;
        answers.push(check_answer(*variant, containers, &policy_answer)?);
        round += floor_time + policy_time;
    }
    let warmup_started = Instant::now();
    while warmup_started.elapsed() < effort.warmup {
        for (_, payload) in &payloads {
            timed_validate(&modules.floor, payload)?;
            timed_validate(&modules.policy, payload)?;
        }
    }

    let iterations = config.iterations.unwrap_or_else(|| {
        let fit = effort.budget.as_secs_f64() / round.as_secs_f64().max(1e-9);
        (fit as usize).clamp(effort.min_iterations, effort.max_iterations)
    });
    let mut floor: Vec<Vec<Duration>> = vec![Vec::with_capacity(iterations); payloads.len()];
    let mut policy: Vec<Vec<Duration>> = vec![Vec::with_capacity(iterations); payloads.len()];
    for iteration in 0..iterations {
        for (index, (_, payload)) in payloads.iter().enumerate() {
            // Alternate which module goes first, so neither always runs on the other's warm caches.
            if (iteration + index) % 2 == 0 {
                floor[index].push(timed_validate(&modules.floor, payload)?.0);
                policy[index].push(timed_validate(&modules.policy, payload)?.0);
            } else {
                policy[index].push(timed_validate(&modules.policy, payload)?.0);
                floor[index].push(timed_validate(&modules.floor, payload)?.0);
            }
        }
    }

    let cases = payloads
        .iter()
        .zip(answers)
        .zip(floor.into_iter().zip(policy))
        .map(|(((variant, payload), answer), (floor, policy))| Case {
            variant: *variant,
            payload_bytes: payload.len(),
            floor: Stats::of(floor),
            policy: Stats::of(policy),
            answer,
        })
        .collect();
    Ok(SizeRun {
        containers,
        iterations,
        cases,
    })
}

fn check_floor(answer: &[u8]) -> Result<(), Error> {
    let answer: ValidationResponse = serde_json::from_slice(answer)?;
    if answer.accepted {
        Ok(())
    } else {
        Err(format!("the floor module did not accept: {answer:?}").into())
    }
}

/// The answer each case must get; anything else means the benchmark would time an error path.
pub fn check_answer(variant: Variant, containers: usize, answer: &[u8]) -> Result<ValidationResponse, Error> {
    let response: ValidationResponse = serde_json::from_slice(answer).map_err(|e| {
        format!(
            "{} answered no validation response ({e}): {}",
            variant.name(),
            lossy(answer)
        )
    })?;
    let wrong = |what: &str| -> Error {
        format!(
            "{} on {containers} containers: {what}; the policy answered {}",
            variant.name(),
            lossy(answer)
        )
        .into()
    };
    match variant {
        Variant::Validate => {
            if !response.accepted || response.message.is_some() || response.mutated_object.is_some() {
                return Err(wrong("expected a plain acceptance"));
            }
        }
        Variant::Reject => {
            let message = response.message.as_deref().unwrap_or_default();
            if response.accepted || !message.contains(&format!("container '{VAULT_AGENT}'")) {
                return Err(wrong("expected a rejection naming the vault-agent container"));
            }
        }
        Variant::Mutate => {
            let Some(object) = response.mutated_object.as_ref().filter(|_| response.accepted) else {
                return Err(wrong("expected an accepted mutation"));
            };
            let spec = &object["spec"]["template"]["spec"];
            let names = |list: &str| -> Vec<String> {
                spec[list]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
                    .collect()
            };
            let moved = spec["initContainers"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["name"] == VAULT_AGENT && c["restartPolicy"] == "Always");
            let containers_left = names("containers");
            if !moved
                || containers_left.len() != containers - 1
                || containers_left.iter().any(|name| name == VAULT_AGENT)
            {
                return Err(wrong(
                    "expected vault-agent moved to initContainers with restartPolicy: Always",
                ));
            }
        }
    }
    Ok(response)
}

fn lossy(bytes: &[u8]) -> String {
    const MAX: usize = 400;
    let text = String::from_utf8_lossy(bytes);
    if text.len() > MAX {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}... ({} bytes)", bytes.len())
    } else {
        text.into_owned()
    }
}

/// Linear memory after initialisation and after the cases of each size, smallest first: a wasm memory never
/// shrinks, so each figure is the peak so far.
fn memory_use(wasm: &[u8], sizes: &[usize]) -> Result<(usize, Vec<(usize, usize)>), Error> {
    let host = PolicyHost::with_engine(wasm, EngineMode::MeteredMemory)?;
    let memory = || host.linear_memory_bytes().ok_or("the metered engine reports no memory");
    let after_init = memory()?;
    let mut after = Vec::new();
    for &containers in sizes {
        for variant in Variant::ALL {
            host.validate_raw(&payload::validate_payload(containers, variant))?;
        }
        after.push((containers, memory()?));
    }
    Ok((after_init, after))
}

/// `sidecar-bench --profile`: calls `validate` with one case on `wasm` for `seconds`, in an engine that writes a
/// perf map (`/tmp/perf-<pid>.map`) so that `perf record` can name the module's functions. Returns the timings, and
/// why the answer is not the policy's for this case when it is not (the floor accepts everything; a policy that
/// answers otherwise is profiled on another path than the case's).
pub fn profile(
    wasm: &[u8],
    variant: Variant,
    containers: usize,
    budget: Budget,
) -> Result<(Stats, Option<Error>), Error> {
    let host = PolicyHost::with_engine(wasm, EngineMode::PerfMap)?;
    let payload = payload::validate_payload(containers, variant);
    let wrong_answer = check_answer(variant, containers, &host.validate_raw(&payload)?).err();
    let samples = budget.spend(|| Ok(timed_validate(&host, &payload)?.0))?;
    Ok((Stats::of(samples), wrong_answer))
}

/// How long a profile loop runs.
#[derive(Debug, Clone, Copy)]
pub enum Budget {
    /// For `perf record`: at least one call, then calls until this many seconds have passed.
    Seconds(f64),
    /// Exactly this many calls: what an instruction counter (`valgrind --tool=cachegrind`, whose Ir count does not
    /// move with the machine's load) compares between two runs of different lengths.
    Calls(usize),
}

impl Budget {
    /// The durations of the calls `call` made within the budget.
    pub fn spend(self, mut call: impl FnMut() -> Result<Duration, Error>) -> Result<Vec<Duration>, Error> {
        let mut samples = Vec::new();
        let started = Instant::now();
        loop {
            let done = match self {
                Budget::Seconds(seconds) => !samples.is_empty() && started.elapsed().as_secs_f64() >= seconds,
                Budget::Calls(calls) => samples.len() >= calls,
            };
            if done {
                return Ok(samples);
            }
            samples.push(call()?);
        }
    }
}

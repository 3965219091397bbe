//! The wasmtime engine a [`crate::PolicyHost`] runs the module on.

use wasmtime_provider::wasmtime::{self, Config, Engine, ProfilingStrategy};

use crate::memory::MemoryMeter;

/// How the host configures wasmtime. Every mode runs the same host (waPC through wasmtime-provider, one instance
/// reused), so that tests, `make run` and the benchmark exercise one code path; only the engine differs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EngineMode {
    /// wasmtime's default configuration, as policy-evaluator runs policies: the only mode whose timings stand for
    /// a cluster's.
    #[default]
    PolicyEvaluator,
    /// The linear memory is allocated by the host, which reports its size
    /// ([`crate::PolicyHost::linear_memory_bytes`]). Compiled with explicit bounds checks instead of guard pages
    /// (see `memory.rs`), so calls are slower: for memory figures only.
    MeteredMemory,
    /// The default configuration, plus a perf map (`/tmp/perf-<pid>.map`) so that `perf report` names the
    /// module's functions.
    PerfMap,
}

impl EngineMode {
    /// The engine, and the meter of its linear memories in [`EngineMode::MeteredMemory`].
    pub(crate) fn engine(self) -> wasmtime::Result<(Engine, Option<MemoryMeter>)> {
        let mut config = Config::default();
        let meter = match self {
            EngineMode::PolicyEvaluator => None,
            EngineMode::MeteredMemory => {
                let meter = MemoryMeter::default();
                meter.configure(&mut config);
                Some(meter)
            }
            EngineMode::PerfMap => {
                config.profiler(ProfilingStrategy::PerfMap);
                None
            }
        };
        Ok((Engine::new(&config)?, meter))
    }
}

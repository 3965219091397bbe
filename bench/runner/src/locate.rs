//! Where the two modules are: the paths `make bench` builds them to, or (for the smoke test) a build of the floor.

use std::path::PathBuf;

use crate::Error;

/// The environment variable naming a prebuilt floor module; when set, [`floor_wasm`] builds nothing.
pub const FLOOR_WASM_ENV: &str = "FLOOR_WASM";
const TARGET: &str = "wasm32-wasip1";

/// `target/wasm32-wasip1/release/` of the workspace.
pub fn release_dir() -> PathBuf {
    policy_host::workspace_root()
        .join("target")
        .join(TARGET)
        .join("release")
}

/// Where `cargo build --release --target wasm32-wasip1 -p sidecar-placement-policy --lib` puts the policy.
pub fn default_policy() -> PathBuf {
    release_dir().join("sidecar_placement_policy.wasm")
}

/// Where `cargo build --release --target wasm32-wasip1 -p bench-floor` puts the floor.
pub fn default_floor() -> PathBuf {
    release_dir().join("bench_floor.wasm")
}

/// The floor module for tests: `$FLOOR_WASM` if set, else a fresh release build of `bench-floor`, so that the test
/// always runs the current floor.
pub fn floor_wasm() -> Result<PathBuf, Error> {
    Ok(policy_host::release_module(
        FLOOR_WASM_ENV,
        "bench-floor",
        "bench_floor",
    )?)
}

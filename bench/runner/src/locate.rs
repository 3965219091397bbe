//! Where the two modules are: the paths `make bench` builds them to, or (for the smoke test) a build of the floor.

use std::path::{Path, PathBuf};
use std::process::Command;

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

/// The floor module for tests: `$FLOOR_WASM` if set, else a fresh release build of `bench-floor` (with `$CARGO`,
/// else `cargo`), so that the test always runs the current floor.
pub fn floor_wasm() -> Result<PathBuf, Error> {
    if let Some(path) = std::env::var_os(FLOOR_WASM_ENV) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("{FLOOR_WASM_ENV} names {}, which does not exist", path.display()).into())
        };
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let args = ["build", "--release", "--target", TARGET, "-p", "bench-floor"];
    let command = format!("{} {}", Path::new(&cargo).display(), args.join(" "));
    let output = Command::new(&cargo)
        .args(args)
        .current_dir(policy_host::workspace_root())
        .output()
        .map_err(|e| format!("cannot run `{command}`: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`{command}` failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let floor = default_floor();
    if floor.is_file() {
        Ok(floor)
    } else {
        Err(format!("`{command}` succeeded but {} does not exist", floor.display()).into())
    }
}

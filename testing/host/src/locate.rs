//! Finding (and building) the policy module the tests run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::HostError;

/// The environment variable naming a prebuilt module; when set, [`policy_wasm`] builds nothing.
pub const POLICY_WASM_ENV: &str = "POLICY_WASM";

const PACKAGE: &str = "sidecar-placement-policy";
const TARGET: &str = "wasm32-wasip1";
const LIB_NAME: &str = "sidecar_placement_policy";

/// The workspace root: two levels above this crate's directory (`testing/host`).
#[must_use]
pub fn workspace_root() -> PathBuf {
    let host_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    host_dir.ancestors().nth(2).unwrap_or(host_dir).to_path_buf()
}

/// The release policy module the tests should run.
///
/// If `POLICY_WASM` is set, that path (relative paths are taken from the current directory).
/// Otherwise runs, once per process,
/// `cargo build --release --target wasm32-wasip1 -p sidecar-placement-policy --lib` in the
/// workspace root (with `$CARGO`, else `cargo`), so that tests always run the current code, and
/// returns `<workspace>/target/wasm32-wasip1/release/sidecar_placement_policy.wasm` (or wherever
/// cargo reports the artifact, when the target directory is configured elsewhere).
///
/// Concurrent callers wait for the one build; a failed build is reported to every caller with
/// cargo's stderr.
pub fn policy_wasm() -> Result<PathBuf, HostError> {
    static BUILT: OnceLock<Result<PathBuf, (String, String)>> = OnceLock::new();
    if let Some(path) = env_module(POLICY_WASM_ENV) {
        return path;
    }
    BUILT
        .get_or_init(|| build_release_module(PACKAGE, LIB_NAME))
        .clone()
        .map_err(|(command, detail)| HostError::Build { command, detail })
}

/// Any release wasm module of the workspace (the benchmark's floor module, say): the file named by `env` if that is
/// set, else a fresh `cargo build --release --target wasm32-wasip1 -p PACKAGE --lib`, not cached. The library of
/// `PACKAGE` is its name with `-` written `_`, as cargo names it.
pub fn release_module(env: &str, package: &str) -> Result<PathBuf, HostError> {
    env_module(env).unwrap_or_else(|| {
        build_release_module(package, &package.replace('-', "_"))
            .map_err(|(command, detail)| HostError::Build { command, detail })
    })
}

/// The module `env` names, when it is set.
fn env_module(env: &str) -> Option<Result<PathBuf, HostError>> {
    let path = PathBuf::from(std::env::var_os(env)?);
    Some(if path.is_file() {
        Ok(path)
    } else {
        Err(HostError::Read {
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{env} names a file that does not exist"),
            ),
            path,
        })
    })
}

fn build_release_module(package: &str, lib_name: &str) -> Result<PathBuf, (String, String)> {
    let root = workspace_root();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let args = [
        "build",
        "--release",
        "--target",
        TARGET,
        "-p",
        package,
        "--lib",
        // Diagnostics rendered on stderr as usual; artifact messages as JSON on stdout.
        "--message-format=json-render-diagnostics",
    ];
    let command = format!("{} {}", Path::new(&cargo).display(), args[..7].join(" "));

    let output = Command::new(&cargo)
        .args(args)
        .current_dir(&root)
        .output()
        .map_err(|e| (command.clone(), format!("cannot run cargo: {e}")))?;
    let stderr = String::from_utf8_lossy(&output.stderr).trim_end().to_owned();
    if !output.status.success() {
        return Err((command, format!("{}\n{stderr}", output.status)));
    }

    let stdout = String::from_utf8_lossy(&output.stdout);
    let wasm = artifact_from_messages(&stdout, lib_name).unwrap_or_else(|| {
        root.join("target")
            .join(TARGET)
            .join("release")
            .join(format!("{lib_name}.wasm"))
    });
    if wasm.is_file() {
        Ok(wasm)
    } else {
        Err((
            command,
            format!("the build succeeded but {} does not exist\n{stderr}", wasm.display()),
        ))
    }
}

/// The `.wasm` file of the policy library in cargo's JSON messages (one per line).
fn artifact_from_messages(stdout: &str, lib_name: &str) -> Option<PathBuf> {
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|msg| msg["reason"] == "compiler-artifact" && msg["target"]["name"] == lib_name)
        .flat_map(|msg| match msg.get("filenames") {
            Some(Value::Array(files)) => files.clone(),
            _ => Vec::new(),
        })
        .filter_map(|file| file.as_str().map(PathBuf::from))
        .find(|file| file.extension().is_some_and(|ext| ext == "wasm"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_root_holds_the_policy() {
        let root = workspace_root();
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(manifest.contains(r#"name = "sidecar-placement-policy""#));
    }

    #[test]
    fn finds_the_wasm_artifact() {
        let messages = r#"{"reason":"compiler-artifact","target":{"name":"serde","kind":["lib"]},"filenames":["/t/libserde.rlib"]}
not json at all
{"reason":"compiler-artifact","target":{"name":"sidecar_placement_policy","kind":["cdylib","rlib"]},"filenames":["/t/wasm32-wasip1/release/libsidecar_placement_policy.rlib","/t/wasm32-wasip1/release/sidecar_placement_policy.wasm"]}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            artifact_from_messages(messages, LIB_NAME),
            Some(PathBuf::from("/t/wasm32-wasip1/release/sidecar_placement_policy.wasm"))
        );
        assert_eq!(
            artifact_from_messages(r#"{"reason":"build-finished","success":true}"#, LIB_NAME),
            None
        );
    }
}

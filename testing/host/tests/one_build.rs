//! `make run` and `make test` share one build of the host: every crate `cargo run -p policy-host` compiles, with
//! its features, is one that `cargo test --workspace` compiles too. Otherwise a new contributor compiles wasmtime
//! and Cranelift (most of the first build) twice, because a crate under wasmtime gets one more feature from some
//! other workspace crate (see "One build of wasmtime" in testing/host/Cargo.toml).
//!
//! `cargo tree` prints every resolved package once per feature set, as the build compiles it; the test compares
//! those lines. It compiles nothing.

use std::collections::BTreeSet;
use std::process::Command;

/// `package version [features]` per line, as cargo resolves them for `args`.
fn resolved(args: &[&str]) -> BTreeSet<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["tree", "--prefix", "none", "--format", "{p} [{f}]"])
        .args(args)
        .current_dir(policy_host::workspace_root())
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("cargo tree prints UTF-8")
        .lines()
        .map(|line| line.replace(" (*)", "").replace(" (proc-macro)", ""))
        .filter(|line| !line.is_empty())
        .collect()
}

#[test]
fn make_run_compiles_nothing_that_make_test_does_not() {
    // `cargo run -p policy-host --bin run`: this package alone, no dev-dependencies.
    let run = resolved(&["-p", "policy-host", "--edges", "normal,build"]);
    // `cargo test --workspace --tests`: every package, with dev-dependencies.
    let test = resolved(&["--workspace", "--edges", "all"]);
    assert!(
        run.iter().any(|line| line.starts_with("wasmtime v")),
        "the host's tree has no wasmtime: {run:#?}"
    );
    let apart: Vec<&String> = run.difference(&test).collect();
    assert!(
        apart.is_empty(),
        "cargo run -p policy-host compiles these crates with other features than cargo test --workspace, so each \
         command builds its own wasmtime; give them the workspace's features in testing/host/Cargo.toml (see `cargo tree \
         --workspace -e all,features -i CRATE` for who adds which):\n{apart:#?}"
    );
}

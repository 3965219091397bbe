//! Running the built `sidecar-placement` binary on copies of the test data.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

pub fn settings() -> String {
    data().join("settings.yaml").display().to_string()
}

/// A fresh, empty directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sidecar-placement-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(args: &[&str]) -> Run {
    run_with_input(args, None)
}

pub fn run_with_input(args: &[&str], input: Option<&str>) -> Run {
    run_in(None, args, input)
}

/// Runs the binary in `dir` (the test's own working directory when `None`), with `input` on standard input.
pub fn run_in(dir: Option<&Path>, args: &[&str], input: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sidecar-placement"));
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(input) = input {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("input written");
    }
    drop(child.stdin.take());
    let Output { status, stdout, stderr } = child.wait_with_output().expect("the binary ends");
    Run {
        status: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).expect("utf-8"),
        stderr: String::from_utf8(stderr).expect("utf-8"),
    }
}

/// The vendored SARIF 2.1.0 schema, compiled.
pub fn sarif_schema() -> (boon::Schemas, boon::SchemaIndex) {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data().join("sarif-schema-2.1.0.json")).expect("schema"))
            .expect("schema JSON");
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource("sarif-schema-2.1.0.json", schema)
        .expect("schema added");
    let index = compiler
        .compile("sarif-schema-2.1.0.json", &mut schemas)
        .expect("schema compiles");
    (schemas, index)
}

/// Fails unless `report` is valid SARIF 2.1.0.
pub fn assert_valid_sarif(report: &serde_json::Value) {
    let (schemas, index) = sarif_schema();
    if let Err(error) = schemas.validate(report, index) {
        panic!("not valid SARIF 2.1.0: {error:#}");
    }
}

//! Every input that ever failed a fuzz target, replayed with plain `cargo test` (no nightly, no libFuzzer): the files
//! of `testing/fuzz/regressions/<target>/`, through the same function the libFuzzer target calls.
//!
//! An input whose failure is known and not fixed yet is listed in `testing/fuzz/regressions/known-failures.txt` (`target/file`
//! and why, one per line): it must still fail, so that the list never hides a fix, nor a fix hide a new failure.

use std::collections::BTreeSet;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use fuzz_harness::{TARGETS, Target};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `target/file` of every known, unfixed failure.
fn known_failures() -> BTreeSet<String> {
    let path = fuzz_dir().join("regressions").join("known-failures.txt");
    let Ok(text) = fs::read_to_string(&path) else {
        return BTreeSet::new();
    };
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|entry| !entry.is_empty())
        .map(|entry| entry.split_whitespace().next().unwrap_or_default().to_owned())
        .collect()
}

/// The regression inputs of `target`, sorted; dot files (`.gitkeep`) are not inputs.
fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join("regressions").join(target);
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_file() && !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    files.sort();
    files
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "(no message)".to_owned())
}

fn replay(target: &str, check: Target) {
    let known = known_failures();
    let mut problems = Vec::new();
    let files = inputs(target);
    for path in &files {
        let bytes = fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let name = format!("{target}/{}", path.file_name().expect("file name").to_string_lossy());
        let outcome = catch_unwind(AssertUnwindSafe(|| check(&bytes)));
        match (outcome, known.contains(&name)) {
            (Ok(()), false) | (Err(_), true) => {}
            (Err(payload), false) => problems.push(format!("{name} fails:\n{}", panic_text(payload.as_ref()))),
            (Ok(()), true) => problems.push(format!(
                "{name} passes now: remove it from testing/fuzz/regressions/known-failures.txt (keep the input)"
            )),
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} regression inputs of '{target}':\n\n{}",
        problems.len(),
        files.len(),
        problems.join("\n\n")
    );
}

fn target(name: &str) -> Target {
    TARGETS
        .iter()
        .find(|(target, _)| *target == name)
        .map(|(_, check)| *check)
        .unwrap_or_else(|| panic!("no fuzz target '{name}' in fuzz_harness::TARGETS"))
}

#[test]
fn decision_regressions() {
    replay("decision", target("decision"));
}

#[test]
fn decision_json_regressions() {
    replay("decision_json", target("decision_json"));
}

#[test]
fn differential_regressions() {
    replay("differential", target("differential"));
}

#[test]
fn image_regressions() {
    replay("image", target("image"));
}

#[test]
fn image_parts_regressions() {
    replay("image_parts", target("image_parts"));
}

#[test]
fn node_list_regressions() {
    replay("node_list", target("node_list"));
}

/// The libFuzzer targets, the replayed targets and the regression folders name the same targets, and every known
/// failure names an input that exists.
#[test]
fn targets_regressions_and_known_failures_agree() {
    let names = |dir: &Path, keep: fn(&Path) -> Option<String>| -> BTreeSet<String> {
        fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
            .filter_map(|entry| keep(&entry.expect("directory entry").path()))
            .collect()
    };
    let fuzz_targets = names(&fuzz_dir().join("fuzz_targets"), |path| {
        (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(str::to_owned))?
    });
    let replayed: BTreeSet<String> = TARGETS.iter().map(|(name, _)| (*name).to_owned()).collect();
    assert_eq!(
        fuzz_targets, replayed,
        "testing/fuzz/fuzz_targets/*.rs and fuzz_harness::TARGETS"
    );
    let folders = names(&fuzz_dir().join("regressions"), |path| {
        path.is_dir().then(|| path.file_name()?.to_str().map(str::to_owned))?
    });
    assert!(
        folders.is_subset(&replayed),
        "testing/fuzz/regressions/ has folders for no target: {:?}",
        folders.difference(&replayed).collect::<Vec<_>>()
    );
    for entry in known_failures() {
        assert!(
            fuzz_dir().join("regressions").join(&entry).is_file(),
            "testing/fuzz/regressions/known-failures.txt lists {entry}, which is not a regression input"
        );
    }
}

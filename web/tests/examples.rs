//! The playground's examples and default settings (web/www), evaluated natively: each shows what its title promises.

use std::fs;
use std::path::{Path, PathBuf};

use rstest::rstest;
use serde_json::Value;
use sidecar_placement_web::{Decision, LineChange, evaluate};

fn www() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("www")
}

fn read(path: PathBuf) -> String {
    fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn settings(mutate: bool) -> String {
    let text = read(www().join("settings.yaml"));
    assert!(text.contains("\nmutate: false\n"), "the page's toggle flips this line");
    assert!(text.contains("\nmutateTemplates: false\n"), "and this one");
    text.replace("\nmutate: false\n", &format!("\nmutate: {mutate}\n"))
        .replace("\nmutateTemplates: false\n", &format!("\nmutateTemplates: {mutate}\n"))
}

#[rstest]
#[case::native_sidecar("my-app-native-sidecar.yaml", Decision::Accepted, Decision::Accepted)]
#[case::co_located("pdf-colocated.yaml", Decision::Accepted, Decision::Accepted)]
#[case::legacy_vault_agent("deployment-legacy-vault-agent.yaml", Decision::Rejected, Decision::Mutated)]
#[case::istio_native("istio-injected.yaml", Decision::Accepted, Decision::Accepted)]
#[case::job_cloud_sql_proxy("job-legacy-cloud-sql-proxy.yaml", Decision::Rejected, Decision::Mutated)]
fn examples_decide_as_titled(#[case] file: &str, #[case] reject_mode: Decision, #[case] mutate_mode: Decision) {
    let manifest = read(www().join("examples").join(file));
    let outcome = evaluate(&manifest, &settings(false), None, None);
    assert_eq!(outcome.decision, reject_mode, "{file}: {outcome:?}");
    assert!(outcome.warnings.is_empty(), "{file}: {outcome:?}");
    let outcome = evaluate(&manifest, &settings(true), None, None);
    assert_eq!(outcome.decision, mutate_mode, "{file}: {outcome:?}");
    if mutate_mode == Decision::Mutated {
        let converted = outcome.mutated_manifest.expect("converted manifest");
        assert!(converted.contains("restartPolicy: Always"), "{converted}");
        let changes: Vec<LineChange> = outcome.view.iter().map(|line| line.change).collect();
        assert!(changes.contains(&LineChange::Left) && changes.contains(&LineChange::Arrived));
        let example_comments = manifest
            .lines()
            .filter(|line| line.trim_start().starts_with('#'))
            .count();
        let kept_comments = converted
            .lines()
            .filter(|line| line.trim_start().starts_with('#'))
            .count();
        assert_eq!(kept_comments, example_comments, "{file}: comments are kept");
    }
}

#[test]
fn the_picker_lists_every_example() {
    let index: Value = serde_json::from_str(&read(www().join("examples/index.json"))).expect("index.json");
    let mut listed: Vec<&str> = index
        .as_array()
        .expect("a list")
        .iter()
        .map(|entry| entry["file"].as_str().expect("file"))
        .collect();
    listed.sort_unstable();
    let mut files: Vec<String> = fs::read_dir(www().join("examples"))
        .expect("examples/")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    files.sort_unstable();
    assert_eq!(listed, files);
}

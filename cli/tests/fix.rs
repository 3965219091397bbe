//! `sidecar-placement fix` on the golden files of `tests/data/fix/`: each `NAME.yaml` (or `.json`) is fixed and must
//! equal `NAME.expected.yaml` (`.json`) byte for byte, read back as exactly what the policy's own mutation produces, and be left
//! alone by a second run.

mod common;

use std::fs;

use rstest::rstest;
use serde_json::Value;
use sidecar_placement_manifests::{Manifests, OFFLINE, Request, evaluate, policy, settings};
use sidecar_placement_policy::settings::Placement;
use sidecar_placement_policy::verdict::Verdict;

use common::{data, run, scratch, settings};

/// The objects the policy itself produces from `input` (mutate on, templates too, no node check).
fn policy_conversion(input: &str, placement: Placement) -> Vec<Value> {
    let text = fs::read_to_string(data().join("settings.yaml")).expect("settings");
    let settings = settings::read(&text).expect("settings");
    let policy = policy::for_fix(&settings, Some(placement)).expect("valid settings");
    let manifests = Manifests::parse(input).expect("readable");
    manifests
        .objects()
        .iter()
        .map(
            |object| match evaluate(Request::create(object.value), &policy, OFFLINE) {
                Verdict::Mutate { object, .. } => serde_json::from_str(&object).expect("JSON"),
                _ => object.value.clone(),
            },
        )
        .collect()
}

#[rstest]
#[case::comments_above_inside_and_after("comments", "afterInitContainers")]
#[case::non_indented_sequences("non-indented", "afterInitContainers")]
#[case::crlf_and_four_space_indentation("crlf-four-spaces", "afterInitContainers")]
#[case::existing_init_containers_after("existing-init-after", "afterInitContainers")]
#[case::existing_init_containers_before("existing-init-before", "beforeInitContainers")]
#[case::several_documents_one_untouched("multi-document", "afterInitContainers")]
#[case::list("list", "afterInitContainers")]
#[case::cronjob_after_its_setup_step("cronjob", "beforeInitContainers")]
#[case::quoted_keys_and_values("quoted", "afterInitContainers")]
#[case::no_final_newline_and_empty_init_containers("no-final-newline", "afterInitContainers")]
#[case::json_pretty_printed("json-pretty.json", "afterInitContainers")]
#[case::json_existing_init_containers_no_final_newline("json-existing-init.json", "afterInitContainers")]
#[case::json_empty_init_containers("json-empty-init.json", "afterInitContainers")]
fn golden(#[case] name: &str, #[case] placement: &str) {
    let (name, extension) = name.rsplit_once('.').unwrap_or((name, "yaml"));
    let input = fs::read_to_string(data().join(format!("fix/{name}.{extension}"))).expect("input");
    let expected = fs::read_to_string(data().join(format!("fix/{name}.expected.{extension}"))).expect("expected");
    let dir = scratch(&format!("golden-{name}"));
    let file = dir.join(format!("{name}.{extension}"));
    fs::write(&file, &input).expect("copy");
    let file = file.display().to_string();

    let first = run(&["fix", "--settings", &settings(), "--placement", placement, &file]);
    assert_eq!(first.status, 0, "{}", first.stderr);
    let fixed = fs::read_to_string(&file).expect("fixed");
    assert_eq!(
        fixed, expected,
        "{name}: the fixed file differs from {name}.expected.yaml"
    );
    assert!(
        first.stderr.contains("to initContainers as a native sidecar"),
        "{}",
        first.stderr
    );

    let placement = if placement == "beforeInitContainers" {
        Placement::BeforeInitContainers
    } else {
        Placement::AfterInitContainers
    };
    let reread: Vec<Value> = Manifests::parse(&fixed)
        .expect("readable")
        .objects()
        .iter()
        .map(|o| o.value.clone())
        .collect();
    assert_eq!(
        reread,
        policy_conversion(&input, placement),
        "{name}: not what the policy's mutation produces"
    );

    let second = run(&["fix", "--settings", &settings(), &file]);
    assert_eq!(second.status, 0, "{}", second.stderr);
    assert_eq!(
        fs::read_to_string(&file).expect("fixed"),
        expected,
        "{name}: a second fix changed the file"
    );
    assert!(
        second.stdout.contains(": 0 sidecars moved in 0 files"),
        "{}",
        second.stdout
    );
}

#[test]
fn a_refused_conversion_writes_nothing_and_says_why() {
    let input = fs::read_to_string(data().join("fix/refused.yaml")).expect("input");
    let dir = scratch("refused");
    let file = dir.join("refused.yaml");
    fs::write(&file, &input).expect("copy");
    let result = run(&["fix", "--settings", &settings(), &file.display().to_string()]);
    assert_eq!(result.status, 1, "{}", result.stderr);
    assert_eq!(
        fs::read_to_string(&file).expect("file"),
        input,
        "a refused file is never written"
    );
    assert!(
        result
            .stderr
            .contains("refused.yaml:14:9: not converted: Deployment web: container 'vault-agent'")
            && result
                .stderr
                .contains("was not converted because it sets `restartPolicy: Never`"),
        "{}",
        result.stderr
    );
    assert!(result.stderr.contains("left as it is"), "{}", result.stderr);
    assert!(
        result
            .stdout
            .ends_with("1 file, 1 object: 0 sidecars moved in 0 files, 1 file left as it is\n"),
        "one file, in the singular: {}",
        result.stdout
    );
}

#[test]
fn diff_prints_a_unified_diff_writes_nothing_and_exits_one_when_something_would_change() {
    let input = fs::read_to_string(data().join("fix/existing-init-after.yaml")).expect("input");
    let dir = scratch("diff");
    let file = dir.join("pod.yaml");
    fs::write(&file, &input).expect("copy");
    let path = file.display().to_string();
    let result = run(&["fix", "--settings", &settings(), "--diff", &path]);
    assert_eq!(
        result.status, 1,
        "a diff that would change something exits 1: {}",
        result.stderr
    );
    assert_eq!(fs::read_to_string(&file).expect("file"), input);
    assert!(
        result
            .stderr
            .contains("pod.yaml:15:3: would move container 'vault-agent'")
            && result
                .stderr
                .ends_with("1 file, 1 object: 1 sidecar would move in 1 file\n"),
        "nothing was written, so nothing moved: {}",
        result.stderr
    );
    // An absolute path is printed as it is (no `a//tmp/...`); a relative one gets git's a/ and b/.
    let expected = |old: &str, new: &str| {
        format!(
            "--- {old}\n+++ {new}\n@@ -9,8 +9,9 @@\n     restartPolicy: Always\n   - name: migrate\n     image: example/migrate:1\n+  - name: vault-agent\n+    image: hashicorp/vault:1.15.2\n+    restartPolicy: Always\n   containers:\n   - name: app\n     image: example/app:1\n-  - name: vault-agent\n-    image: hashicorp/vault:1.15.2\n"
        )
    };
    assert_eq!(result.stdout, expected(&path, &path));
    let relative = common::run_in(
        Some(&dir),
        &["fix", "--settings", &settings(), "--diff", "pod.yaml"],
        None,
    );
    assert_eq!(relative.status, 1, "{}", relative.stderr);
    assert_eq!(relative.stdout, expected("a/pod.yaml", "b/pod.yaml"));
}

#[cfg(unix)]
#[test]
fn a_symlinked_file_is_fixed_through_the_link_atomically() {
    let input = fs::read_to_string(data().join("fix/comments.yaml")).expect("input");
    let expected = fs::read_to_string(data().join("fix/comments.expected.yaml")).expect("expected");
    let dir = scratch("symlink");
    fs::create_dir_all(dir.join("real")).expect("dir");
    let target = dir.join("real/pod.yaml");
    fs::write(&target, &input).expect("write");
    let link = dir.join("pod.yaml");
    std::os::unix::fs::symlink("real/pod.yaml", &link).expect("symlink");
    let result = run(&["fix", "--settings", &settings(), &link.display().to_string()]);
    assert_eq!(result.status, 0, "{}", result.stderr);
    assert!(
        fs::symlink_metadata(&link).expect("link").file_type().is_symlink(),
        "the link is still a link"
    );
    assert_eq!(
        fs::read_to_string(&target).expect("target"),
        expected,
        "the target was fixed"
    );
    let leftovers: Vec<_> = fs::read_dir(dir.join("real"))
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(leftovers, ["pod.yaml"], "no temporary file is left behind");
}

#[test]
fn standard_input_whose_edit_is_refused_comes_out_unchanged_with_the_reason_on_stderr() {
    let input =
        "apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: app, image: a}, {name: v, image: hashicorp/vault}]\n";
    let result = common::run_with_input(&["fix", "--settings", &settings(), "-"], Some(input));
    assert_eq!(result.status, 2, "{}", result.stderr);
    assert_eq!(result.stdout, input, "the manifests are not lost in a pipe");
    assert!(
        result.stderr.contains(
            "-:4:15: error: not converted, the file is left as it is: spec.containers is written as a flow sequence"
        ),
        "{}",
        result.stderr
    );
}

#[test]
fn fixing_a_directory_twice_writes_nothing_the_second_time() {
    let dir = scratch("twice");
    for entry in fs::read_dir(data().join("fix")).expect("data") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        if !name.contains(".expected.") {
            fs::copy(&path, dir.join(&name)).expect("copy");
        }
    }
    let dir_arg = dir.display().to_string();
    let first = run(&["fix", "--settings", &settings(), &dir_arg]);
    assert_eq!(first.status, 1, "refused.yaml is refused: {}", first.stderr);
    let snapshot = |dir: &std::path::Path| {
        let mut files: Vec<(String, Vec<u8>, std::time::SystemTime)> = fs::read_dir(dir)
            .expect("dir")
            .map(|e| {
                let path = e.expect("entry").path();
                let meta = fs::metadata(&path).expect("meta");
                (
                    path.display().to_string(),
                    fs::read(&path).expect("read"),
                    meta.modified().expect("mtime"),
                )
            })
            .collect();
        files.sort();
        files
    };
    let before = snapshot(&dir);
    let second = run(&["fix", "--settings", &settings(), &dir_arg]);
    assert_eq!(second.status, 1, "{}", second.stderr);
    assert!(
        second.stdout.contains("0 sidecars moved in 0 files"),
        "{}",
        second.stdout
    );
    assert_eq!(snapshot(&dir), before, "the second run wrote a file");
}

#[rstest]
#[case::flow_sequence(
    "apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: app, image: a}, {name: v, image: hashicorp/vault}]\n",
    "spec.containers is written as a flow sequence ([...]): only block style is rewritten in place"
)]
#[case::json(
    "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"spec\": {\"containers\": [{\"name\": \"app\"}, {\"name\": \"v\", \"image\": \"hashicorp/vault\"}]}}\n",
    "spec.containers[0] shares its lines with other entries: only entries written on lines of their own are moved"
)]
fn what_cannot_be_rewritten_in_place_is_said_and_left_alone(#[case] input: &str, #[case] message: &str) {
    let dir = scratch(&format!("flow-{}", message.len()));
    let file = dir.join("flow.yaml");
    fs::write(&file, input).expect("write");
    let result = run(&["fix", "--settings", &settings(), &file.display().to_string()]);
    assert_eq!(result.status, 2, "{}", result.stderr);
    assert!(result.stderr.contains(message), "{}", result.stderr);
    assert_eq!(fs::read_to_string(&file).expect("file"), input);
}

#[test]
fn standard_input_with_nothing_to_fix_comes_out_as_it_went_in() {
    let input = fs::read_to_string(data().join("fix/comments.expected.yaml")).expect("input");
    let result = common::run_with_input(&["fix", "--settings", &settings(), "-"], Some(&input));
    assert_eq!(result.status, 0, "{}", result.stderr);
    assert_eq!(result.stdout, input);
    assert!(
        result.stderr.contains("0 sidecars moved"),
        "the summary goes to standard error: {}",
        result.stderr
    );
}

#[test]
fn standard_input_is_fixed_to_standard_output() {
    let input = fs::read_to_string(data().join("fix/comments.yaml")).expect("input");
    let expected = fs::read_to_string(data().join("fix/comments.expected.yaml")).expect("expected");
    let result = common::run_with_input(&["fix", "--settings", &settings(), "-"], Some(&input));
    assert_eq!(result.status, 0, "{}", result.stderr);
    assert_eq!(result.stdout, expected);
}

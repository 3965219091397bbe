//! `sidecar-placement check`: positions, exit statuses, and the JSON and SARIF reports (SARIF validated against
//! the SARIF 2.1.0 schema vendored in tests/data).

mod common;

use std::fs;

use serde_json::Value;

use common::{data, run, run_with_input, scratch, settings};

fn fix_data(name: &str) -> String {
    data().join("fix").join(name).display().to_string()
}

#[test]
fn findings_point_at_the_containers_entry_in_the_file() {
    let result = run(&[
        "check",
        "--settings",
        &settings(),
        &fix_data("multi-document.yaml"),
        &fix_data("list.yaml"),
    ]);
    assert_eq!(result.status, 1, "{}", result.stderr);
    let lines: Vec<&str> = result.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", result.stdout);
    assert!(lines[0].starts_with(&format!("{}:18:9: Deployment web: container 'vault-agent' (image 'hashicorp/vault:1.15.2') at spec.template.spec.containers[0] is a sidecar placed as a co-located container", fix_data("multi-document.yaml"))), "{}", lines[0]);
    assert!(
        lines[1].starts_with(&format!(
            "{}:15:9: Job migrate: container 'cloud-sql-proxy'",
            fix_data("list.yaml")
        )),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2], "2 files, 5 objects, 2 findings");
}

#[test]
fn nothing_found_exits_zero() {
    let result = run(&["check", "--settings", &settings(), &fix_data("comments.expected.yaml")]);
    assert_eq!(
        (result.status, result.stdout.as_str()),
        (0, "1 file, 1 object, 0 findings\n"),
        "{}",
        result.stderr
    );
}

#[test]
fn a_policy_manifest_supplies_its_settings() {
    let policy = data().join("policy.yaml").display().to_string();
    let result = run(&["check", "--settings", &policy, &fix_data("comments.yaml")]);
    assert_eq!(result.status, 1, "{}", result.stderr);
    assert!(result.stdout.contains("container 'vault-agent'"), "{}", result.stdout);
}

#[test]
fn bad_settings_get_the_policys_message_and_exit_two() {
    let dir = scratch("bad-settings");
    let file = dir.join("settings.yaml");
    fs::write(&file, "sidecarImages: ['Hashicorp/Vault:']\n").expect("write");
    let result = run(&[
        "check",
        "--settings",
        &file.display().to_string(),
        &fix_data("comments.yaml"),
    ]);
    assert_eq!(result.status, 2);
    assert!(
        result
            .stderr
            .contains("sidecarImages[0] 'Hashicorp/Vault:' is not a valid image pattern"),
        "{}",
        result.stderr
    );
    let result = run(&["check", &fix_data("comments.yaml")]);
    assert_eq!(result.status, 2);
    assert!(
        result.stderr.contains("must be told which containers are sidecars") && result.stderr.contains("--settings"),
        "{}",
        result.stderr
    );
}

#[test]
fn a_file_found_in_a_directory_that_is_not_a_manifest_is_skipped_with_a_notice() {
    let dir = scratch("unreadable");
    fs::write(
        dir.join("broken.yaml"),
        "kind: Pod\nspec:\n  containers:\n  - name: a\n   image: b\n",
    )
    .expect("write");
    fs::copy(data().join("fix/comments.yaml"), dir.join("good.yaml")).expect("copy");
    fs::create_dir_all(dir.join(".hidden")).expect("hidden");
    fs::copy(data().join("fix/comments.yaml"), dir.join(".hidden/skipped.yaml")).expect("copy");
    fs::write(dir.join("notes.txt"), "not a manifest").expect("write");
    fs::write(
        dir.join("deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n{{- if .Values.enabled }}\nspec: {}\n{{- end }}\n",
    )
    .expect("write");
    let result = run(&["check", "--settings", &settings(), &dir.display().to_string()]);
    assert_eq!(
        result.status, 1,
        "the findings decide the exit status: {}",
        result.stderr
    );
    assert!(result.stderr.contains("broken.yaml:5:"), "{}", result.stderr);
    assert!(
        result
            .stderr
            .contains("deployment.yaml:4:10: skipped: a template ({{ ... }}), not a manifest"),
        "{}",
        result.stderr
    );
    assert!(
        result
            .stdout
            .contains("good.yaml:12:9: Deployment web: container 'vault-agent'"),
        "{}",
        result.stdout
    );
    assert!(
        !result.stdout.contains("skipped.yaml"),
        "hidden directories are skipped: {}",
        result.stdout
    );
    assert!(
        result.stdout.ends_with("1 file, 1 object, 1 finding, 2 skipped\n"),
        "{}",
        result.stdout
    );

    // Named on the command line, or with --strict, a file that is not a manifest is an error.
    let named = run(&[
        "check",
        "--settings",
        &settings(),
        &dir.join("broken.yaml").display().to_string(),
    ]);
    assert_eq!(named.status, 2, "{}", named.stderr);
    assert!(
        named.stderr.contains("broken.yaml:5:") && named.stderr.contains("error"),
        "{}",
        named.stderr
    );
    let strict = run(&[
        "check",
        "--strict",
        "--settings",
        &settings(),
        &dir.display().to_string(),
    ]);
    assert_eq!(strict.status, 2, "{}", strict.stderr);
    assert!(strict.stdout.ends_with("1 finding, 2 errors\n"), "{}", strict.stdout);
}

#[test]
fn standard_input_is_read_with_a_dash() {
    let input = fs::read_to_string(data().join("fix/cronjob.yaml")).expect("input");
    let result = run_with_input(&["check", "--settings", &settings(), "-"], Some(&input));
    assert_eq!(result.status, 1);
    assert!(
        result
            .stdout
            .starts_with("-:19:13: CronJob report: container 'vault-agent'"),
        "{}",
        result.stdout
    );
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(run(&["check"]).status, 2);
    assert_eq!(run(&["check", "--format", "xml", "x.yaml"]).status, 2);
    assert_eq!(run(&["fix", "--placement", "first", "x.yaml"]).status, 2);
    let help = run(&["check", "--help"]);
    assert!(
        help.stdout.contains("helm template"),
        "--help shows examples: {}",
        help.stdout
    );
}

#[test]
fn json_lists_every_finding() {
    let result = run(&[
        "check",
        "--settings",
        &settings(),
        "--format",
        "json",
        &fix_data("refused.yaml"),
    ]);
    assert_eq!(result.status, 1);
    let findings: Value = serde_json::from_str(&result.stdout).expect("JSON");
    let findings = findings.as_array().expect("an array");
    assert_eq!(findings.len(), 2);
    let second = &findings[1];
    assert_eq!(second["file"], fix_data("refused.yaml"));
    assert_eq!(
        (second["line"].as_u64(), second["column"].as_u64()),
        (Some(14), Some(9))
    );
    assert_eq!(second["document"], 1, "document counts from 1, as line and column do");
    assert_eq!(second["kind"], "Deployment");
    assert_eq!(second["name"], "web");
    assert_eq!(second["container"], "vault-agent");
    assert_eq!(second["image"], "hashicorp/vault:1.15.2");
    assert_eq!(second["path"], "spec.template.spec.containers[2]");
    assert_eq!(second["pointer"], "/spec/template/spec/containers/2");
    assert_eq!(second["rule"], "legacy-sidecar-not-convertible");
    assert!(
        second["message"]
            .as_str()
            .is_some_and(|m| m.contains("restartPolicy: Never"))
    );
}

#[test]
fn sarif_is_valid_sarif_2_1_0() {
    let result = run(&[
        "check",
        "--settings",
        &settings(),
        "--format",
        "sarif",
        &fix_data("refused.yaml"),
        &fix_data("list.yaml"),
    ]);
    assert_eq!(result.status, 1);
    let report: Value = serde_json::from_str(&result.stdout).expect("JSON");

    common::assert_valid_sarif(&report);

    let results = report["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    let rules = report["runs"][0]["tool"]["driver"]["rules"].as_array().expect("rules");
    for result in results {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    let location = &results[2]["locations"][0]["physicalLocation"];
    assert!(
        location["artifactLocation"]["uri"]
            .as_str()
            .is_some_and(|uri| uri.ends_with("tests/data/fix/list.yaml"))
    );
    assert_eq!(location["region"]["startLine"], 15);
    assert_eq!(location["region"]["startColumn"], 9);
}

#[test]
fn a_schema_violation_would_be_caught() {
    // The validation above can fail: a result without its message is refused by the same schema.
    let (schemas, index) = common::sarif_schema();
    let broken = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "r"}]}]});
    assert!(schemas.validate(&broken, index).is_err());
}

#[test]
fn every_ready_to_apply_policy_is_accepted_as_settings() {
    let policies = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let mut checked = 0;
    for entry in fs::read_dir(&policies).expect("policies/") {
        let path = entry.expect("entry").path();
        // policy-server.yaml is the PolicyServer the mutating policies run on, not a policy.
        let is_policy = path.file_name().is_some_and(|name| name != "policy-server.yaml");
        if is_policy && path.extension().is_some_and(|extension| extension == "yaml") {
            let result = run(&[
                "check",
                "--settings",
                &path.display().to_string(),
                &fix_data("comments.yaml"),
            ]);
            assert!(result.status < 2, "{}: {}", path.display(), result.stderr);
            checked += 1;
        }
    }
    assert!(checked > 0, "no policy manifest found in {}", policies.display());
}

//! Streams from the tools people pipe into `check`: `kubectl get ... -o yaml` (a live cluster: each finding names its
//! object and is reported once, through the top-most owner in the stream) and `helm template` (each finding names
//! the template it came from, and SARIF points at that template).

mod common;

use serde_json::Value;

use common::{run_with_input, settings};

/// What `kubectl get deployments,replicasets,pods -A -o yaml` prints for a Deployment with one ReplicaSet and two
/// Pods, all carrying the legacy sidecar, plus a bare Pod in no namespace.
const CLUSTER: &str = "\
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: shop, uid: d-1}
  spec:
    template:
      spec:
        containers:
        - {name: app, image: example/app:1}
        - {name: vault-agent, image: hashicorp/vault:1.15.2}
- apiVersion: apps/v1
  kind: ReplicaSet
  metadata:
    name: web-7d9
    namespace: shop
    uid: r-1
    ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: d-1}]
  spec:
    template:
      spec:
        containers:
        - {name: app, image: example/app:1}
        - {name: vault-agent, image: hashicorp/vault:1.15.2}
- apiVersion: v1
  kind: Pod
  metadata:
    name: web-7d9-a
    namespace: shop
    uid: p-1
    ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d9, uid: r-1}]
  spec:
    containers:
    - {name: app, image: example/app:1}
    - {name: vault-agent, image: hashicorp/vault:1.15.2}
- apiVersion: v1
  kind: Pod
  metadata:
    name: web-7d9-b
    namespace: shop
    uid: p-2
    ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d9, uid: r-1}]
  spec:
    containers:
    - {name: app, image: example/app:1}
    - {name: vault-agent, image: hashicorp/vault:1.15.2}
- apiVersion: v1
  kind: Pod
  metadata: {name: debug, uid: p-3}
  spec:
    containers:
    - {name: app, image: example/app:1}
    - {name: log-shipper, image: fluent/fluent-bit:3.1}
";

#[test]
fn a_live_cluster_is_audited_once_per_owner_and_each_finding_names_its_object() {
    let result = run_with_input(&["check", "--settings", &settings(), "-"], Some(CLUSTER));
    assert_eq!(result.status, 1, "{}", result.stderr);
    let lines: Vec<&str> = result.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", result.stdout);
    assert!(
        lines[0].starts_with("-:12:9: Deployment shop/web: container 'vault-agent' (image 'hashicorp/vault:1.15.2') at spec.template.spec.containers[1]"),
        "{}",
        lines[0]
    );
    assert!(lines[0].ends_with(" (also in 3 objects it owns)"), "{}", lines[0]);
    assert!(
        lines[1].starts_with("-:54:5: Pod debug: container 'log-shipper'"),
        "no namespace, none printed: {}",
        lines[1]
    );
    assert_eq!(lines[2], "1 file, 5 objects, 2 findings");

    let json = run_with_input(
        &["check", "--settings", &settings(), "--format", "json", "-"],
        Some(CLUSTER),
    );
    let findings: Value = serde_json::from_str(&json.stdout).expect("JSON");
    let first = &findings[0];
    assert_eq!(
        (&first["kind"], &first["namespace"], &first["name"], &first["folded"]),
        (
            &Value::from("Deployment"),
            &Value::from("shop"),
            &Value::from("web"),
            &Value::from(3)
        )
    );
    assert_eq!((&first["document"], &first["item"]), (&Value::from(1), &Value::from(1)));
    assert_eq!(findings[1]["namespace"], Value::Null);
}

/// `helm template web ./chart`: each document under the `# Source:` comment of its template.
const RENDERED: &str = "\
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: release-web
spec:
  template:
    spec:
      containers:
        - name: app
          image: example/app:1
        - name: vault-agent
          image: hashicorp/vault:1.15.2
---
# Source: web/templates/migrate-job.yaml
apiVersion: batch/v1
kind: Job
metadata:
  name: release-migrate
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: example/migrate:1
        - name: cloud-sql-proxy
          image: gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11
";

#[test]
fn a_rendered_chart_names_the_template_of_each_finding() {
    let result = run_with_input(&["check", "--settings", &settings(), "-"], Some(RENDERED));
    assert_eq!(result.status, 1, "{}", result.stderr);
    let lines: Vec<&str> = result.stdout.lines().collect();
    assert!(
        lines[0].starts_with("-:13:9: Deployment release-web: container 'vault-agent'")
            && lines[0].ends_with(" (from web/templates/deployment.yaml)"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("-:28:9: Job release-migrate: container 'cloud-sql-proxy'")
            && lines[1].ends_with(" (from web/templates/migrate-job.yaml)"),
        "{}",
        lines[1]
    );

    let json = run_with_input(
        &["check", "--settings", &settings(), "--format", "json", "-"],
        Some(RENDERED),
    );
    let findings: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(findings[0]["source"], "web/templates/deployment.yaml");
    assert_eq!(findings[1]["source"], "web/templates/migrate-job.yaml");

    let sarif = run_with_input(
        &["check", "--settings", &settings(), "--format", "sarif", "-"],
        Some(RENDERED),
    );
    let report: Value = serde_json::from_str(&sarif.stdout).expect("JSON");
    common::assert_valid_sarif(&report);
    let uris: Vec<&str> = report["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|result| {
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .expect("uri")
        })
        .collect();
    assert_eq!(
        uris,
        ["web/templates/deployment.yaml", "web/templates/migrate-job.yaml"]
    );
}

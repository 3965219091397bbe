//! The playground's one call: editor texts in, the core's verdict out as a plain, serializable record.
//!
//! Everything here translates: text to JSON trees, the operation's name to [`Operation`], the [`Verdict`] to a
//! record a page can show. Deciding is the core's [`sidecar_placement_policy::evaluate`], the same function the
//! Kubewarden module runs; the converted manifest is the text `sidecar-placement fix` writes, from the same
//! `sidecar-placement-manifests` code.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use sidecar_placement_policy::nodes::{node_json, node_list_json};
use sidecar_placement_policy::{
    AdmissionRequest, LookupError, NodeQuery, OFFLINE, Operation, Policy, Settings, Verdict,
};

use sidecar_placement_manifests::{Change, Manifests, Move};

use crate::document::{self, InputError};

/// What came of one evaluation: the one field that says whether the object was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Decision {
    Accepted,
    Rejected,
    /// Accepted with a changed object (the settings have `mutate: true`).
    Mutated,
    /// Nothing was decided: the manifest, the settings or the operation could not be read.
    Invalid,
}

impl Decision {
    /// Whether the object was accepted (mutated objects are accepted); `None` when nothing was decided.
    pub fn accepted(self) -> Option<bool> {
        match self {
            Decision::Accepted | Decision::Mutated => Some(true),
            Decision::Rejected => Some(false),
            Decision::Invalid => None,
        }
    }
}

/// What happened to a line of the converted manifest's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LineChange {
    Kept,
    /// The line left `containers` (shown where it was).
    Left,
    /// The line arrived in `initContainers`, or is new (`restartPolicy: Always`, a new `initContainers:` key).
    Arrived,
}

/// One line of the converted manifest's view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ViewLine {
    pub text: String,
    pub change: LineChange,
}

/// The record `evaluate` returns to JavaScript (camelCase keys).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub decision: Decision,
    /// Why the object was rejected.
    pub message: Option<String>,
    pub warnings: Vec<String>,
    /// The manifest or operation could not be read.
    pub error: Option<String>,
    /// 1-based line of `error` in the manifest text, when it is a parse error.
    pub error_line: Option<usize>,
    /// The settings could not be read or are not valid.
    pub settings_error: Option<String>,
    /// The node list could not be read.
    pub nodes_error: Option<String>,
    /// 1-based line of `settings_error` in the settings text, when the parser knows it.
    pub settings_error_line: Option<usize>,
    /// The operation evaluated (`CREATE` unless asked otherwise).
    pub operation: String,
    /// The converted manifest exactly as `sidecar-placement fix` writes it: the input with only the moved lines
    /// changed (comments, quoting and indentation kept).
    pub mutated_manifest: Option<String>,
    /// The converted manifest line by line, with the lines that left `containers` where they were.
    pub view: Vec<ViewLine>,
    /// 1-based lines of the input manifest that left `containers`.
    pub left_lines: Vec<usize>,
    /// 1-based lines of `mutated_manifest` that arrived in `initContainers` or are new.
    pub arrived_lines: Vec<usize>,
    /// Why the converted object cannot be shown as an edit of the input (e.g. JSON on one line or a flow-style
    /// `containers: [...]`, which `fix` does not rewrite in place); the patch still shows the conversion.
    pub fix_error: Option<String>,
    /// The JSON Patch (RFC 6902) from the input object to the converted one.
    pub patch: Option<Value>,
    pub audit_annotations: BTreeMap<String, String>,
}

impl Outcome {
    fn new(decision: Decision, operation: Operation) -> Self {
        Self {
            decision,
            message: None,
            warnings: Vec::new(),
            error: None,
            error_line: None,
            settings_error: None,
            settings_error_line: None,
            nodes_error: None,
            operation: operation.to_string(),
            mutated_manifest: None,
            view: Vec::new(),
            left_lines: Vec::new(),
            arrived_lines: Vec::new(),
            fix_error: None,
            patch: None,
            audit_annotations: BTreeMap::new(),
        }
    }
}

/// Evaluates `manifest` (one Kubernetes object, YAML or JSON) under `settings` (YAML or JSON) as an admission
/// request with `operation` (`CREATE` when `None` or empty; case-insensitive).
///
/// The playground has no cluster, so there is no object before an UPDATE: the manifest stands for both, i.e. an
/// UPDATE that leaves the containers as they were. What the core does with that is what it does in a cluster with
/// such an update: a legacy sidecar that was already there is only warned about, Pods and Jobs (whose containers
/// cannot change after creation) are not checked, and nothing is converted.
///
/// `nodes` stands for the cluster's Nodes (`checkNodes`): kubelet versions separated by commas or new lines
/// (`v1.30.2, v1.28.9`), each optionally named (`worker-a=v1.28.9`, so that `spec.nodeName` can pin a Pod to it;
/// unnamed ones are `node-1`, `node-2`...). Empty or `None`: nodes are not checked, whatever the settings say; given:
/// they are checked against the settings' `minimumKubeletVersion`, with exactly the policy's code.
pub fn evaluate(manifest: &str, settings: &str, operation: Option<&str>, nodes: Option<&str>) -> Outcome {
    let operation = read_operation(operation);
    let cluster = read_nodes(nodes.unwrap_or_default());
    // Typed node versions are the playground's cluster, checked as `checkNodes` checks one.
    let check_nodes = cluster.as_ref().is_ok_and(|cluster| !cluster.is_empty());
    let policy = read_settings(settings, check_nodes);
    let object = read_manifest(manifest);
    let (operation, policy, object, cluster) = match (operation, policy, object, cluster) {
        (Ok(operation), Ok(policy), Ok(object), Ok(cluster)) => (operation, policy, object, cluster),
        (operation, policy, object, cluster) => {
            let mut outcome = Outcome::new(Decision::Invalid, *operation.as_ref().unwrap_or(&Operation::Create));
            if let Err(error) = policy {
                outcome.settings_error = Some(error.message);
                outcome.settings_error_line = error.line;
            }
            if let Err(error) = object.and(operation) {
                outcome.error = Some(error.message);
                outcome.error_line = error.line;
            }
            outcome.nodes_error = cluster.err().map(|error| error.message);
            return outcome;
        }
    };

    let original = object;
    let text = original.to_string();
    let old_object = (operation == Operation::Update).then_some(text.as_str());
    let request = AdmissionRequest::for_manifest(&text, operation, old_object);
    // The node list is the playground's cluster: the policy checks nodes exactly when some are given.
    let answer = |query: NodeQuery<'_>| match query {
        NodeQuery::All => Ok(node_list_json(
            cluster.iter().map(|(name, version)| (name.as_str(), version.as_str())),
        )),
        NodeQuery::Named(wanted) => cluster
            .iter()
            .rev()
            .find(|(name, _)| name == wanted)
            .map(|(name, version)| node_json(name, version).to_string().into_bytes())
            .ok_or(LookupError::NotFound),
    };
    let verdict = match cluster.is_empty() {
        true => sidecar_placement_policy::evaluate(&request, &policy, OFFLINE),
        false => sidecar_placement_policy::evaluate(&request, &policy, Some(answer)),
    };
    match verdict {
        Verdict::Accept { warnings } => Outcome {
            warnings,
            ..Outcome::new(Decision::Accepted, operation)
        },
        Verdict::Reject { message, warnings, .. } => Outcome {
            message: Some(message),
            warnings,
            ..Outcome::new(Decision::Rejected, operation)
        },
        Verdict::Mutate {
            object,
            warnings,
            audit_annotations,
            conversion,
        } => {
            let object: Value = serde_json::from_str(&object).unwrap_or(Value::Null);
            let mut outcome = Outcome {
                warnings,
                patch: serde_json::to_value(json_patch::diff(&original, &object)).ok(),
                audit_annotations,
                ..Outcome::new(Decision::Mutated, operation)
            };
            // The same conversion as a text edit: the one the policy returned, carried out on the manifest's text.
            let moves = [Move {
                object: 0,
                spec: conversion.spec.pointer(),
                moved: conversion.plan.moved(),
                insert_at: conversion.plan.insert_at(),
            }];
            let fixed = Manifests::parse(manifest)
                .map_err(|error| error.to_string())
                .and_then(|manifests| sidecar_placement_manifests::apply(&manifests, &moves).map_err(|e| e.message));
            match fixed {
                Ok(edited) => {
                    outcome.view = edited
                        .view
                        .into_iter()
                        .map(|line| ViewLine {
                            text: line.text,
                            change: match line.change {
                                Change::Kept => LineChange::Kept,
                                Change::Left => LineChange::Left,
                                Change::Arrived => LineChange::Arrived,
                            },
                        })
                        .collect();
                    outcome.left_lines = edited.left;
                    outcome.arrived_lines = edited.arrived;
                    outcome.mutated_manifest = Some(edited.text);
                }
                Err(message) => outcome.fix_error = Some(message),
            }
            outcome
        }
    }
}

/// The operation by the name the API server gives it (the core's serde names, any case); CREATE when empty.
fn read_operation(operation: Option<&str>) -> Result<Operation, InputError> {
    let name = operation.map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Ok(Operation::Create);
    }
    serde_json::from_value(Value::String(name.to_ascii_uppercase()))
        .map_err(|error| InputError::new(format!("unknown operation '{name}': {error}")))
}

/// `v1.30.2, worker-a=v1.28.9`: the Nodes the playground stands for. A node's version is taken as written (the
/// core decides whether it reads); only an entry with an empty name or version is a mistake.
fn read_nodes(text: &str) -> Result<Vec<(String, String)>, InputError> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .enumerate()
        .map(|(index, entry)| match entry.split_once('=') {
            Some((name, version)) if !name.trim().is_empty() && !version.trim().is_empty() => {
                Ok((name.trim().to_owned(), version.trim().to_owned()))
            }
            Some(_) => Err(InputError::new(format!(
                "node '{entry}': write NAME=VERSION (worker-a=v1.28.9) or a version alone (v1.28.9)"
            ))),
            None => Ok((format!("node-{}", index + 1), entry.to_owned())),
        })
        .collect()
}

/// Settings as the policy reads them, from YAML as users write them in a ClusterAdmissionPolicy.
fn read_settings(text: &str, check_nodes: bool) -> Result<Policy, InputError> {
    let invalid = |error: InputError| InputError {
        message: format!("invalid settings: {}", error.message),
        line: error.line,
    };
    let value: Value = document::parse(text).map_err(invalid)?;
    let settings = if value.is_object() {
        // Read typed from the text itself, so that an unknown or mistyped setting is reported at its line.
        document::parse::<Settings>(text).map_err(invalid)?
    } else {
        // No settings, or not a map of settings: the core says what that means.
        Settings::from_json(value.to_string().as_bytes()).map_err(|error| InputError::new(error.to_string()))?
    };
    Settings {
        check_nodes: settings.check_nodes || check_nodes,
        ..settings
    }
    .compile()
    .map_err(|error| InputError::new(error.to_string()))
}

fn read_manifest(text: &str) -> Result<Value, InputError> {
    let value: Value = document::parse(text).map_err(|error| InputError {
        message: format!("the manifest cannot be read: {}", error.message),
        line: error.line,
    })?;
    let Some(object) = value.as_object() else {
        return Err(InputError::new(if value.is_null() {
            "the manifest is empty: paste one Kubernetes object, e.g. a Pod or a Deployment (YAML or JSON)".to_owned()
        } else {
            format!(
                "the manifest must be one Kubernetes object (a mapping with apiVersion, kind and spec), not {}",
                json_type(&value)
            )
        }));
    };
    let field = |name: &str| object.get(name).and_then(Value::as_str).filter(|s| !s.is_empty());
    match (field("apiVersion"), field("kind")) {
        (_, Some("AdmissionReview")) => Err(InputError::new(
            "this is an AdmissionReview: paste the object under review (request.object) instead",
        )),
        (Some(_), Some(_)) => Ok(value),
        _ => Err(InputError::new(
            "the manifest needs `apiVersion` and `kind` (e.g. apiVersion: v1, kind: Pod)",
        )),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    const SETTINGS: &str = "sidecarImages:\n  - hashicorp/vault\n  - gcr.io/cloud-sql-connectors/cloud-sql-proxy\n";
    const MUTATE: &str = "sidecarImages: [hashicorp/vault]\nmutate: true\nmutateTemplates: true\n";

    const LEGACY: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx
      - name: vault-agent
        image: hashicorp/vault:1.15
";

    const LEGACY_POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: nginx
  - name: vault-agent
    image: hashicorp/vault:1.15
";

    const NATIVE: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: my-app
spec:
  initContainers:
  - name: vault-sync
    image: hashicorp/vault:1.15
    restartPolicy: Always
  containers:
  - name: app
    image: nginx
";

    #[test]
    fn a_native_sidecar_is_accepted() {
        let outcome = evaluate(NATIVE, SETTINGS, None, None);
        assert_eq!(outcome.decision, Decision::Accepted);
        assert_eq!(outcome.decision.accepted(), Some(true));
        assert_eq!(outcome.message, None);
        assert_eq!(outcome.operation, "CREATE");
    }

    #[test]
    fn a_legacy_sidecar_is_rejected_with_the_cores_message() {
        let outcome = evaluate(LEGACY, SETTINGS, Some("CREATE"), None);
        assert_eq!(outcome.decision, Decision::Rejected);
        assert_eq!(outcome.decision.accepted(), Some(false));
        let message = outcome.message.expect("a message");
        assert!(message.contains("'vault-agent'"), "{message}");
        assert!(
            message.contains("declare it in spec.template.spec.initContainers"),
            "{message}"
        );
    }

    #[test]
    fn json_input_works_the_same() {
        let manifest: Value = serde_norway::from_str(LEGACY).expect("yaml");
        let outcome = evaluate(
            &manifest.to_string(),
            r#"{"sidecarImages": ["hashicorp/vault"]}"#,
            None,
            None,
        );
        assert_eq!(outcome.decision, Decision::Rejected);
    }

    #[test]
    fn a_mutation_returns_what_fix_writes_the_patch_and_the_moved_lines() {
        let outcome = evaluate(LEGACY, MUTATE, None, None);
        assert_eq!(outcome.decision, Decision::Mutated);
        assert_eq!(outcome.decision.accepted(), Some(true));
        let yaml = outcome.mutated_manifest.expect("converted manifest");
        assert_eq!(
            yaml,
            "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      initContainers:
      - name: vault-agent
        image: hashicorp/vault:1.15
        restartPolicy: Always
      containers:
      - name: app
        image: nginx
"
        );
        assert_eq!(outcome.left_lines, vec![11, 12]);
        assert_eq!(outcome.arrived_lines, vec![8, 9, 10, 11]);
        let marks: Vec<(&str, LineChange)> = outcome
            .view
            .iter()
            .map(|line| (line.text.trim(), line.change))
            .skip(7)
            .collect();
        assert_eq!(
            marks,
            [
                ("initContainers:", LineChange::Arrived),
                ("- name: vault-agent", LineChange::Arrived),
                ("image: hashicorp/vault:1.15", LineChange::Arrived),
                ("restartPolicy: Always", LineChange::Arrived),
                ("containers:", LineChange::Kept),
                ("- name: app", LineChange::Kept),
                ("image: nginx", LineChange::Kept),
                ("- name: vault-agent", LineChange::Left),
                ("image: hashicorp/vault:1.15", LineChange::Left),
            ]
        );
        assert_eq!(outcome.fix_error, None);
        assert_eq!(
            outcome.patch.expect("a patch"),
            json!([
                {"op": "remove", "path": "/spec/template/spec/containers/1"},
                {"op": "add", "path": "/spec/template/spec/initContainers",
                 "value": [{"name": "vault-agent", "image": "hashicorp/vault:1.15", "restartPolicy": "Always"}]},
            ])
        );
        assert!(
            outcome
                .warnings
                .iter()
                .any(|w| w.contains("moved container 'vault-agent'"))
        );
        assert!(outcome.audit_annotations.contains_key("moved-native-sidecars"));
    }

    #[test]
    fn the_converted_manifest_keeps_comments_and_quoting() {
        let manifest = "# the web pod\napiVersion: v1\nkind: Pod\nmetadata:\n  name: 'web'   # quoted\nspec:\n  containers:\n  - name: app\n    image: \"nginx\"\n  # renders secrets\n  - name: vault-agent\n    image: hashicorp/vault:1.15\n";
        let outcome = evaluate(manifest, MUTATE, None, None);
        assert_eq!(
            outcome.mutated_manifest.as_deref(),
            Some(
                "# the web pod\napiVersion: v1\nkind: Pod\nmetadata:\n  name: 'web'   # quoted\nspec:\n  initContainers:\n  # renders secrets\n  - name: vault-agent\n    image: hashicorp/vault:1.15\n    restartPolicy: Always\n  containers:\n  - name: app\n    image: \"nginx\"\n"
            )
        );
        assert_eq!(outcome.left_lines, vec![10, 11, 12]);
    }

    #[test]
    fn json_on_one_line_is_converted_in_the_patch_and_says_why_it_is_not_rewritten() {
        let manifest: Value = serde_norway::from_str(LEGACY_POD).expect("yaml");
        let outcome = evaluate(&manifest.to_string(), MUTATE, None, None);
        assert_eq!(outcome.decision, Decision::Mutated);
        assert!(outcome.patch.is_some());
        assert_eq!(outcome.mutated_manifest, None);
        let why = outcome.fix_error.expect("a reason");
        assert!(why.contains("shares its lines"), "{why}");
        let pretty = serde_json::to_string_pretty(&manifest).expect("json");
        let outcome = evaluate(&pretty, MUTATE, None, None);
        let converted = outcome
            .mutated_manifest
            .expect("pretty-printed JSON is rewritten in place");
        assert!(converted.contains("\"restartPolicy\": \"Always\""), "{converted}");
    }

    #[test]
    fn the_patch_turns_the_input_into_the_output() {
        let outcome = evaluate(LEGACY, MUTATE, None, None);
        let mut object: Value = serde_norway::from_str(LEGACY).expect("yaml");
        let patch: json_patch::Patch = serde_json::from_value(outcome.patch.expect("a patch")).expect("a patch");
        json_patch::patch(&mut object, &patch).expect("applies");
        let converted: Value = serde_norway::from_str(&outcome.mutated_manifest.expect("yaml")).expect("yaml");
        assert_eq!(object, converted);
    }

    #[rstest]
    #[case::deployment_warns_about_what_was_there(LEGACY, Decision::Accepted, 1)]
    #[case::pod_containers_are_immutable(LEGACY_POD, Decision::Accepted, 0)]
    fn an_update_is_an_update_that_changes_no_container(
        #[case] manifest: &str,
        #[case] decision: Decision,
        #[case] warnings: usize,
    ) {
        let outcome = evaluate(manifest, MUTATE, Some("update"), None);
        assert_eq!(outcome.operation, "UPDATE");
        assert_eq!(outcome.decision, decision, "{outcome:?}");
        assert_eq!(outcome.warnings.len(), warnings, "{outcome:?}");
        assert_eq!(outcome.mutated_manifest, None);
    }

    #[rstest]
    #[case::delete("DELETE")]
    #[case::connect("connect")]
    fn operations_without_an_object_change_are_accepted(#[case] operation: &str) {
        let outcome = evaluate(LEGACY, SETTINGS, Some(operation), None);
        assert_eq!(outcome.decision, Decision::Accepted);
    }

    #[test]
    fn broken_yaml_reports_its_line() {
        let broken = LEGACY.replace("      - name: vault-agent", "      - name: vault-agent\n       bad: [");
        let outcome = evaluate(&broken, SETTINGS, None, None);
        assert_eq!(outcome.decision, Decision::Invalid);
        assert_eq!(outcome.decision.accepted(), None);
        let error = outcome.error.expect("an error");
        assert!(error.starts_with("the manifest cannot be read: "), "{error}");
        let line = outcome.error_line.expect("a line");
        assert!(error.contains(&format!("line {line}")), "{error}");
        assert_eq!(line, 12, "{error}");
        assert_eq!(outcome.settings_error, None);
    }

    #[rstest]
    #[case::empty("", "the manifest is empty")]
    #[case::comments_only("# a pod\n", "the manifest is empty")]
    #[case::a_list("- a\n- b\n", "not a list")]
    #[case::a_scalar("hello", "not a string")]
    #[case::no_kind("apiVersion: v1\nspec: {}\n", "needs `apiVersion` and `kind`")]
    #[case::admission_review(
        "apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest: {}\n",
        "paste the object under review"
    )]
    fn unusable_manifests_are_explained(#[case] manifest: &str, #[case] expected: &str) {
        let outcome = evaluate(manifest, SETTINGS, None, None);
        assert_eq!(outcome.decision, Decision::Invalid);
        let error = outcome.error.expect("an error");
        assert!(error.contains(expected), "{error:?} should contain {expected:?}");
    }

    #[rstest]
    #[case::none("", "must be told which containers are sidecars", None)]
    #[case::unknown_key("sidecarImages: [a]\nsidecarImage: [b]\n", "unknown field `sidecarImage`", Some(2))]
    #[case::wrong_type("mutate: yes\nsidecarImages: a\n", "invalid type", Some(1))]
    #[case::bad_yaml("sidecarImages:\n  - a\n - b\n", "invalid settings: ", Some(3))]
    #[case::bad_json("{\"sidecarImages\": [\"a\"}", "invalid settings: ", Some(1))]
    #[case::not_a_map("- a\n", "must be an object of setting names to values", None)]
    #[case::bad_pattern("sidecarImages: ['']\n", "sidecarImages[0] '' is not a valid image pattern", None)]
    fn bad_settings_are_explained(#[case] settings: &str, #[case] expected: &str, #[case] line: Option<usize>) {
        let outcome = evaluate(LEGACY, settings, None, None);
        assert_eq!(outcome.decision, Decision::Invalid);
        assert_eq!(outcome.error, None);
        let error = outcome.settings_error.expect("a settings error");
        assert!(error.contains(expected), "{error:?} should contain {expected:?}");
        assert_eq!(outcome.settings_error_line, line, "{error:?}");
    }

    #[test]
    fn both_inputs_are_reported_at_once() {
        let outcome = evaluate("kind: [", "nope: 1", None, None);
        assert!(
            outcome.error.is_some() && outcome.settings_error.is_some(),
            "{outcome:?}"
        );
    }

    #[test]
    fn an_unknown_operation_is_an_error() {
        let outcome = evaluate(LEGACY, SETTINGS, Some("PATCH"), None);
        assert_eq!(outcome.decision, Decision::Invalid);
        assert_eq!(
            outcome.error.as_deref(),
            Some(
                "unknown operation 'PATCH': unknown variant `PATCH`, expected one of `CREATE`, `UPDATE`, `DELETE`, `CONNECT`"
            )
        );
    }

    #[test]
    fn the_record_has_the_documented_camel_case_fields() {
        let record = serde_json::to_value(evaluate(LEGACY, MUTATE, None, None)).expect("serializable");
        let keys: Vec<&str> = record.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "arrivedLines",
                "auditAnnotations",
                "decision",
                "error",
                "errorLine",
                "fixError",
                "leftLines",
                "message",
                "mutatedManifest",
                "nodesError",
                "operation",
                "patch",
                "settingsError",
                "settingsErrorLine",
                "view",
                "warnings"
            ]
        );
        assert_eq!(record["decision"], "mutated");
    }

    #[rstest]
    #[case::not_checked_without_nodes(None, Decision::Mutated, vec![])]
    #[case::not_checked_with_an_empty_list(Some(" , \n"), Decision::Mutated, vec![])]
    #[case::ready_cluster(Some("v1.30.2, v1.31.0+k3s1"), Decision::Mutated, vec![])]
    #[case::an_old_node(Some("v1.30.2, v1.28.9"), Decision::Accepted, vec!["node 'node-2' (kubelet v1.28.9) does not run kubelet 1.29 or later"])]
    #[case::named_nodes(Some("worker-a=v1.30.2\nworker-b=v1.27.1"), Decision::Accepted, vec!["node 'worker-b' (kubelet v1.27.1) does not run kubelet 1.29 or later"])]
    fn node_versions_stand_for_the_cluster(
        #[case] nodes: Option<&str>,
        #[case] decision: Decision,
        #[case] reasons: Vec<&str>,
    ) {
        let outcome = evaluate(
            LEGACY_POD,
            "sidecarImages: [hashicorp/vault]\nmutate: true\n",
            None,
            nodes,
        );
        assert_eq!(outcome.decision, decision, "{outcome:?}");
        assert_eq!(
            outcome.warnings.len(),
            if reasons.is_empty() { 1 } else { reasons.len() }
        );
        for reason in reasons {
            assert!(
                outcome.warnings[0].contains(reason)
                    && outcome.warnings[0].starts_with("sidecar placement not enforced"),
                "{outcome:?}"
            );
        }
    }

    #[test]
    fn the_minimum_kubelet_version_of_the_settings_applies() {
        let settings = "sidecarImages: [hashicorp/vault]\nmutate: true\nminimumKubeletVersion: \"1.33\"\n";
        let outcome = evaluate(LEGACY_POD, settings, None, Some("v1.32.1-gke.1002000"));
        assert_eq!(outcome.decision, Decision::Accepted);
        assert!(
            outcome.warnings[0].contains("does not run kubelet 1.33 or later"),
            "{outcome:?}"
        );
    }

    #[test]
    fn a_node_without_a_name_or_version_is_an_error() {
        let outcome = evaluate(LEGACY_POD, SETTINGS, None, Some("v1.30.2, worker-a="));
        assert_eq!(outcome.decision, Decision::Invalid);
        assert_eq!(
            outcome.nodes_error.as_deref(),
            Some("node 'worker-a=': write NAME=VERSION (worker-a=v1.28.9) or a version alone (v1.28.9)")
        );
    }
}

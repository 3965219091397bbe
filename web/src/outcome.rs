//! The playground's one call: editor texts in, the core's verdict out as a plain, serializable record.
//!
//! Everything here translates: text to objects and settings (the readings `sidecar-placement` uses), the
//! operation's name to [`Operation`], the node list to the core's node lookup, the [`Verdict`] to a record a page
//! can show. Deciding is the core's alone, once, through `sidecar_placement_manifests::evaluate` (the same call the
//! CLI makes); a conversion it returns is carried out on the text by `edit::apply`, exactly as `fix` writes it.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;
use sidecar_placement_manifests::edit::{self, Change};
use sidecar_placement_manifests::{Manifests, Request, settings};
use sidecar_placement_policy::nodes::{node_json, node_list_json};
use sidecar_placement_policy::{LookupError, NodeLookup, NodeQuery, Operation, Policy, Settings, Verdict};

/// An input that could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub message: String,
    /// 1-based line of the error in the editor's text, when the parser knows it.
    pub line: Option<usize>,
}

impl InputError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            line: None,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

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
    // The node list is the playground's cluster, checked as `checkNodes` checks one, exactly when some are given.
    let policy = read_settings(settings, cluster.as_ref().is_ok_and(Option::is_some));
    let manifests = read_manifest(manifest);
    let (operation, policy, manifests, cluster) = match (operation, policy, manifests, cluster) {
        (Ok(operation), Ok(policy), Ok(manifests), Ok(cluster)) => (operation, policy, manifests, cluster),
        (operation, policy, manifests, cluster) => {
            let mut outcome = Outcome::new(Decision::Invalid, *operation.as_ref().unwrap_or(&Operation::Create));
            if let Err(error) = policy {
                outcome.settings_error = Some(error.message);
                outcome.settings_error_line = error.line;
            }
            if let Err(error) = manifests.map(|_| ()).and(operation.map(|_| ())) {
                outcome.error = Some(error.message);
                outcome.error_line = error.line;
            }
            outcome.nodes_error = cluster.err().map(|error| error.message);
            return outcome;
        }
    };
    let objects = manifests.objects();
    let Some(object) = objects.first() else {
        return Outcome::new(Decision::Invalid, operation);
    };
    let request = Request {
        object: object.value,
        operation,
        old_object: (operation == Operation::Update).then_some(object.value),
    };
    match sidecar_placement_manifests::evaluate(request, &policy, cluster) {
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
            object: converted,
            warnings,
            audit_annotations,
            conversion,
        } => {
            let converted: Value = serde_json::from_str(&converted).unwrap_or(Value::Null);
            let mut outcome = Outcome {
                warnings,
                patch: serde_json::to_value(json_patch::diff(object.value, &converted)).ok(),
                audit_annotations,
                ..Outcome::new(Decision::Mutated, operation)
            };
            // The core's conversion, carried out on the text as `fix` writes it (which reads the edit back and
            // checks that it is exactly the core's mutation).
            match edit::apply(&manifests, &[(0, &conversion)]) {
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
                    outcome.mutated_manifest = Some(edited.text);
                }
                Err(error) => outcome.fix_error = Some(error.message),
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

/// `v1.30.2, worker-a=v1.28.9`: the Nodes the playground stands for, as the cluster that answers the core's
/// question (the web's node adapter: a NodeList for every node, one Node for a pinned Pod); `None` when the list is
/// empty (nodes not checked). A node's version is taken as written (the core decides whether it reads); only an
/// entry with an empty name or version is a mistake.
fn read_nodes(text: &str) -> Result<Option<impl FnOnce(NodeQuery<'_>) -> NodeLookup>, InputError> {
    let nodes = text
        .split([',', '\n'])
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
        .collect::<Result<Vec<(String, String)>, InputError>>()?;
    let answer = move |query: NodeQuery<'_>| match query {
        NodeQuery::All => Ok(node_list_json(
            nodes.iter().map(|(name, version)| (name.as_str(), version.as_str())),
        )),
        NodeQuery::Named(wanted) => nodes
            .iter()
            .rev()
            .find(|(name, _)| name == wanted)
            .map(|(name, version)| node_json(name, version).to_string().into_bytes())
            .ok_or(LookupError::NotFound),
    };
    Ok((!text.split([',', '\n']).all(|entry| entry.trim().is_empty())).then_some(answer))
}

/// Settings as the policy reads them (the reading `sidecar-placement --settings` uses), errors at their line.
fn read_settings(text: &str, check_nodes: bool) -> Result<Policy, InputError> {
    let settings = settings::read(text).map_err(|error| InputError {
        message: error.message,
        line: error.position.map(|at| at.line),
    })?;
    Settings {
        check_nodes: settings.check_nodes || check_nodes,
        ..settings
    }
    .compile()
    .map_err(|error| InputError::new(error.to_string()))
}

/// The manifest as `sidecar-placement` reads a file: it must hold exactly one Kubernetes object.
fn read_manifest(text: &str) -> Result<Manifests<'_>, InputError> {
    let manifests = Manifests::parse(text).map_err(|error| InputError {
        message: format!("the manifest cannot be read: {error}"),
        line: error.position.map(|at| at.line),
    })?;
    let documents: Vec<&Value> = manifests.documents().iter().filter(|value| !value.is_null()).collect();
    let value = match documents.as_slice() {
        [] => {
            return Err(InputError::new(
                "the manifest is empty: paste one Kubernetes object, e.g. a Pod or a Deployment (YAML or JSON)",
            ));
        }
        [value] => *value,
        several => {
            return Err(InputError::new(format!(
                "the manifest must be one Kubernetes object: it has {} documents (more than one document is not \
                 supported here; sidecar-placement check reads them all)",
                several.len()
            )));
        }
    };
    let Some(object) = value.as_object() else {
        return Err(InputError::new(format!(
            "the manifest must be one Kubernetes object (a mapping with apiVersion, kind and spec), not {}",
            json_type(value)
        )));
    };
    let field = |name: &str| object.get(name).and_then(Value::as_str).filter(|s| !s.is_empty());
    match (field("apiVersion"), field("kind")) {
        (_, Some("AdmissionReview")) => Err(InputError::new(
            "this is an AdmissionReview: paste the object under review (request.object) instead",
        )),
        (_, Some("List")) => Err(InputError::new(
            "this is a List: paste one of its items (sidecar-placement check reads them all)",
        )),
        (Some(_), Some(_)) => Ok(manifests),
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

    /// The policy's wording, from the file the integration tests and the kwctl tests read it from, with its
    /// `{placeholders}` filled in.
    fn message(key: &str, fill: &[(&str, &str)]) -> String {
        let messages: Value =
            serde_json::from_str(include_str!("../../tests/data/expected/messages.json")).expect("messages.json");
        let mut text = messages[key]
            .as_str()
            .unwrap_or_else(|| panic!("no message {key}"))
            .to_owned();
        for (name, value) in fill {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// `'node-2' (kubelet v1.28.9)`: a node as the reasons name it.
    fn old_node(name: &str, version: &str, minimum: &str) -> String {
        message(
            "reason_old_node",
            &[("node", &format!("'{name}' (kubelet {version})")), ("minimum", minimum)],
        )
    }

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
        assert_eq!(
            outcome.message.expect("a message"),
            message(
                "co_located",
                &[
                    ("name", "vault-agent"),
                    ("image", "hashicorp/vault:1.15"),
                    ("spec", "spec.template.spec"),
                    ("index", "1")
                ]
            )
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
        assert_eq!(outcome.warnings, [message("moved_warning", &[("name", "vault-agent")])]);
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
        let left: Vec<&str> = outcome
            .view
            .iter()
            .filter(|line| line.change == LineChange::Left)
            .map(|line| line.text.as_str())
            .collect();
        assert_eq!(
            left,
            [
                "  # renders secrets",
                "  - name: vault-agent",
                "    image: hashicorp/vault:1.15"
            ]
        );
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
    #[case::none("", &message("no_sidecars", &[]), None)]
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
                "auditAnnotations",
                "decision",
                "error",
                "errorLine",
                "fixError",
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
    #[case::an_old_node(Some("v1.30.2, v1.28.9"), Decision::Accepted, vec![old_node("node-2", "v1.28.9", "1.29")])]
    #[case::named_nodes(Some("worker-a=v1.30.2\nworker-b=v1.27.1"), Decision::Accepted, vec![old_node("worker-b", "v1.27.1", "1.29")])]
    fn node_versions_stand_for_the_cluster(
        #[case] nodes: Option<&str>,
        #[case] decision: Decision,
        #[case] reasons: Vec<String>,
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
        let not_enforced = message("left_for_old_nodes", &[]);
        let not_enforced = not_enforced.split('{').next().unwrap_or_default();
        for reason in reasons {
            assert!(
                outcome.warnings[0].contains(&reason) && outcome.warnings[0].starts_with(not_enforced),
                "{outcome:?}"
            );
        }
    }

    /// The playground's bug of issue 14: with node versions given, a ready cluster converted nothing (the page
    /// decided with the nodes, then the text edit decided again without them).
    #[test]
    fn a_ready_cluster_gives_the_converted_manifest() {
        let settings = "sidecarImages: [hashicorp/vault]\nmutate: true\n";
        let outcome = evaluate(LEGACY_POD, settings, Some("CREATE"), Some("v1.30.2, v1.31.0"));
        assert_eq!(outcome.decision, Decision::Mutated, "{outcome:?}");
        assert_eq!(outcome.fix_error, None, "{outcome:?}");
        let converted = outcome.mutated_manifest.expect("the converted manifest");
        assert!(
            converted.contains("  initContainers:\n  - name: vault-agent\n"),
            "{converted}"
        );
        assert!(outcome.view.iter().any(|line| line.change == LineChange::Arrived));
        assert_eq!(outcome.warnings, [message("moved_warning", &[("name", "vault-agent")])]);
    }

    #[test]
    fn the_minimum_kubelet_version_of_the_settings_applies() {
        let settings = "sidecarImages: [hashicorp/vault]\nmutate: true\nminimumKubeletVersion: \"1.33\"\n";
        let outcome = evaluate(LEGACY_POD, settings, None, Some("v1.32.1-gke.1002000"));
        assert_eq!(outcome.decision, Decision::Accepted);
        let reason = old_node("node-1", "v1.32.1-gke.1002000", "1.33");
        assert!(outcome.warnings[0].contains(&reason), "{outcome:?}");
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

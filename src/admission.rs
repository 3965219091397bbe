//! One admission request, decided: which requests carry a placement decision, and what happens on UPDATE.
//!
//! The request is read into [`AdmissionRequest`], which keeps only the fields the decision needs; `object` and
//! `oldObject` stay JSON trees so that a mutation edits the very object the host compares against.
//!
//! [`evaluate`] is one straight pipeline: skip what carries no decision, classify the kind, inspect the pod spec,
//! set aside what the old object already had, ask the cluster whether native sidecars can run (only when that
//! matters), choose the remedy, then plan and apply the conversion.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::mutation::MovePlan;
use crate::nodes::{self, KubeletVersion, NodeLookup, NotReady};
use crate::rules::{self, Finding, NativeSidecar, Problem, native_sidecar_fix};
use crate::settings::{Placement, Policy, Remedy};
use crate::verdict::{AUDIT_MOVED_SIDECARS, Conversion, Verdict};
use crate::wire_name;
use crate::workload::{self, Kind, PodSpecPath};

/// Static pods are mirrored into the API server with this annotation and cannot be changed through it.
const MIRROR_POD_ANNOTATION: &str = "kubernetes.io/config.mirror";

/// The parts of a Kubernetes `AdmissionRequest` that decide placement.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest {
    /// The kind of `object` (the request's `kind`, not `requestKind`: a webhook sees the object it will store).
    pub kind: GroupVersionKind,
    /// `status`, `scale`, `ephemeralcontainers`...: subresources carry no placement decision.
    #[serde(default)]
    pub sub_resource: Option<String>,
    /// What is being done to the object.
    pub operation: Operation,
    /// `Null` when absent, as on DELETE.
    #[serde(default)]
    pub object: Value,
    /// The object before an UPDATE; `Null` otherwise.
    #[serde(default)]
    pub old_object: Value,
}

/// An API group and kind (the version does not change where a pod spec is).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct GroupVersionKind {
    /// `""` for the core group.
    #[serde(default)]
    pub group: String,
    /// `Pod`, `Deployment`...
    pub kind: String,
}

/// The admission operations, spelled as the API server sends them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Operation {
    /// The object is being created.
    Create,
    /// The object is being replaced; `oldObject` is what it was.
    Update,
    /// The object is being deleted: nothing to check.
    Delete,
    /// `exec`, `attach`, `port-forward`: nothing to check.
    Connect,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&wire_name(self))
    }
}

impl AdmissionRequest {
    /// A request for a bare manifest, as the browser playground and the command-line tool evaluate it: the kind
    /// comes from the manifest's `apiVersion` and `kind`. For UPDATE, `old_object` is the object before the change.
    pub fn for_manifest(manifest: Value, operation: Operation, old_object: Value) -> Self {
        let field = |name: &str| manifest.get(name).and_then(Value::as_str).unwrap_or_default();
        let (group, _version) = workload::split_api_version(field("apiVersion"));
        let kind = GroupVersionKind {
            group: group.to_owned(),
            kind: field("kind").to_owned(),
        };
        Self {
            kind,
            sub_resource: None,
            operation,
            object: manifest,
            old_object,
        }
    }
}

/// Decides one request. Takes the request by value: a conversion edits `object` in place, without a copy.
///
/// `nodes` lists the cluster's Nodes. It is called at most once (its type says so), and only when the policy
/// checks nodes and the object has a sidecar in `containers` or a native sidecar: an object without sidecars never
/// costs a lookup.
pub fn evaluate(request: AdmissionRequest, policy: &Policy, nodes: impl FnOnce() -> NodeLookup) -> Verdict {
    let AdmissionRequest {
        kind,
        sub_resource,
        operation,
        mut object,
        old_object,
    } = request;
    if matches!(operation, Operation::Delete | Operation::Connect)
        || sub_resource.as_deref().is_some_and(|s| !s.is_empty())
    {
        return Verdict::accept();
    }
    if !object.is_object() {
        return Verdict::reject(format!(
            "malformed admission request: {operation} {} without an object to check",
            kind.kind
        ));
    }
    let workload = match workload::classify(&kind.group, &kind.kind, &object) {
        Kind::Checked(workload) => workload,
        Kind::Unsupported => {
            return Verdict::accept_with_warning(format!(
                "sidecar placement not checked: kind '{}' (group '{}') carries no pod template this policy knows",
                kind.kind, kind.group
            ));
        }
    };
    let path = workload.path;
    if path == PodSpecPath::Pod && is_mirror_pod(&object) {
        return Verdict::accept();
    }
    if operation == Operation::Update && workload.containers_immutable {
        return Verdict::accept();
    }
    let Some(spec) = object.pointer(path.pointer()) else {
        return Verdict::accept();
    };
    let mut inspection = match rules::inspect(spec, path, policy) {
        Ok(inspection) => inspection,
        Err(error) => return Verdict::reject(format!("malformed {}: {error}", kind.kind)),
    };
    if !inspection.involves_sidecars() {
        return Verdict::accept();
    }

    let findings = std::mem::take(&mut inspection.findings);
    let (new, pre_existing) = match operation {
        Operation::Update => split_pre_existing(findings, &old_object, path, policy),
        _ => (findings, Vec::new()),
    };
    let mut warnings: Vec<String> = pre_existing
        .iter()
        .map(|f| format!("{} (already so before this update; not blocking it)", f.describe(path)))
        .collect();

    let native_sidecars = &inspection.native_sidecars;
    let new = match cluster_check(policy, native_sidecars, &new) {
        Some(minimum) => match nodes::readiness(nodes(), nodes::pinned_node(spec), minimum) {
            Ok(()) => new,
            Err(not_ready) => set_aside_for_old_nodes(new, native_sidecars, path, minimum, &not_ready, &mut warnings),
        },
        None => new,
    };
    if new.is_empty() {
        return Verdict::Accept { warnings };
    }

    let (placement, templates) = match policy.remedy() {
        Remedy::Convert { placement, templates } if new.iter().all(Finding::convertible) => (placement, templates),
        _ => return reject(&new, path, warnings),
    };
    if path != PodSpecPath::Pod && !templates {
        warnings.extend(new.iter().map(|f| left_for_pods(f, path)));
        return Verdict::Accept { warnings };
    }
    let plan = match MovePlan::new(&new, inspection.init_layout, placement) {
        Ok(plan) => plan,
        Err(_) => return reject(&new, path, warnings),
    };
    match plan.apply(&mut object, path) {
        Ok(moved) => converted(object, moved, Conversion { spec: path, plan }, placement, warnings),
        Err(error) => Verdict::Reject {
            message: format!("sidecar placement could not be converted: {error}"),
            warnings,
        },
    }
}

fn is_mirror_pod(object: &Value) -> bool {
    object
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .is_some_and(|annotations| annotations.contains_key(MIRROR_POD_ANNOTATION))
}

/// On UPDATE, a problem the old object already had does not block the update: rejecting it would break unrelated
/// edits (labels, scaling), and converting it would start a rollout nobody asked for.
fn split_pre_existing(
    findings: Vec<Finding>,
    old_object: &Value,
    path: PodSpecPath,
    policy: &Policy,
) -> (Vec<Finding>, Vec<Finding>) {
    let old_findings = old_object
        .pointer(path.pointer())
        .and_then(|spec| rules::inspect(spec, path, policy).ok())
        .map(|inspection| inspection.findings)
        .unwrap_or_default();
    let old_keys: HashSet<_> = old_findings.iter().map(Finding::key).collect();
    findings.into_iter().partition(|f| !old_keys.contains(&f.key()))
}

/// The minimum kubelet version to check the cluster against, when the decision depends on it: the policy checks
/// nodes, and a sidecar in `containers` is about to be rejected or converted, or a native sidecar is declared.
fn cluster_check(policy: &Policy, native_sidecars: &[NativeSidecar], new: &[Finding]) -> Option<KubeletVersion> {
    policy
        .node_check()
        .filter(|_| !native_sidecars.is_empty() || new.iter().any(is_legacy))
}

fn is_legacy(finding: &Finding) -> bool {
    matches!(finding.problem, Problem::LegacySidecar { .. })
}

/// Where native sidecars cannot run, a sidecar in `containers` is neither rejected nor converted, and a native one
/// is accepted with a warning; what remains (unapproved native sidecars) is decided as usual.
fn set_aside_for_old_nodes(
    new: Vec<Finding>,
    native_sidecars: &[NativeSidecar],
    path: PodSpecPath,
    minimum: KubeletVersion,
    not_ready: &NotReady,
    warnings: &mut Vec<String>,
) -> Vec<Finding> {
    let reason = not_ready.describe(minimum);
    let hang = format!("a native sidecar hangs in Init on a node whose kubelet is older than {minimum}");
    let (legacy, rest): (Vec<Finding>, Vec<Finding>) = new.into_iter().partition(is_legacy);
    if !legacy.is_empty() {
        let containers: Vec<String> = legacy
            .iter()
            .map(|f| format!("{} ({})", f.quoted_name(), f.location(path)))
            .collect();
        let (noun, pronoun) = if legacy.len() == 1 {
            ("container", "it")
        } else {
            ("containers", "them")
        };
        warnings.push(format!(
            "sidecar placement not enforced: {noun} {} left in {}.containers, neither converted nor rejected, \
             because {hang}, and {reason}. Move {pronoun} to {}.initContainers with `restartPolicy: Always` once \
             every node runs kubelet {minimum} or later",
            nodes::join_and(&containers),
            path.display(),
            path.display(),
        ));
    }
    if !native_sidecars.is_empty() {
        let sidecars: Vec<String> = native_sidecars
            .iter()
            .map(|(index, name)| {
                let name = name
                    .as_deref()
                    .map_or_else(|| "(unnamed)".to_owned(), |n| format!("'{n}'"));
                format!("{name} ({}.initContainers[{index}])", path.display())
            })
            .collect();
        let noun = if sidecars.len() == 1 {
            "native sidecar"
        } else {
            "native sidecars"
        };
        warnings.push(format!(
            "{noun} {} accepted, but {hang}, and {reason}",
            nodes::join_and(&sidecars)
        ));
    }
    rest
}

fn reject(findings: &[Finding], path: PodSpecPath, warnings: Vec<String>) -> Verdict {
    let problems: Vec<String> = findings.iter().map(|f| f.describe(path)).collect();
    Verdict::Reject {
        message: problems.join("; "),
        warnings,
    }
}

/// With `mutate` but not `mutateTemplates`, a workload's template is left as written: GitOps tools own it, and a
/// rewritten template shows as drift forever. Its Pods are converted as they are created.
fn left_for_pods(finding: &Finding, path: PodSpecPath) -> String {
    format!(
        "container {} at {} is a sidecar placed as a co-located container: its Pods are converted into native \
         sidecars as they are created, and this template is left as written (mutateTemplates is off); to fix the \
         manifest itself, {}",
        finding.quoted_name(),
        finding.location(path),
        native_sidecar_fix(path)
    )
}

fn converted(
    object: Value,
    moved: Vec<String>,
    conversion: Conversion,
    placement: Placement,
    mut warnings: Vec<String>,
) -> Verdict {
    warnings.extend(
        moved
            .iter()
            .map(|name| format!("moved container '{name}' to initContainers as a native sidecar")),
    );
    let summary = format!(
        "{} moved from {path}.containers to {path}.initContainers with restartPolicy: Always ({placement})",
        moved.join(", "),
        path = conversion.spec.display(),
    );
    Verdict::Mutate {
        object,
        warnings,
        audit_annotations: BTreeMap::from([(AUDIT_MOVED_SIDECARS.to_owned(), summary)]),
        conversion,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use rstest::rstest;
    use serde_json::json;

    fn policy(mutate: bool, restrict: bool) -> Policy {
        Settings {
            sidecar_images: vec!["hashicorp/vault".into()],
            sidecar_container_names: vec!["log-shipper".into()],
            restrict_native_sidecars: restrict,
            mutate,
            mutate_templates: mutate,
            ..Settings::default()
        }
        .compile()
        .expect("valid settings")
    }

    fn deployment(containers: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
               "spec": {"template": {"spec": {"containers": containers}}}})
    }

    fn pod(containers: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": containers}})
    }

    fn app() -> Value {
        json!({"name": "app", "image": "nginx"})
    }

    fn agent() -> Value {
        json!({"name": "vault-agent", "image": "hashicorp/vault:1.15"})
    }

    fn request(object: Value, operation: Operation, old: Value) -> AdmissionRequest {
        AdmissionRequest::for_manifest(object, operation, old)
    }

    fn decide(object: Value, operation: Operation, old: Value, policy: &Policy) -> Verdict {
        evaluate(request(object, operation, old), policy, no_lookup)
    }

    fn no_lookup() -> NodeLookup {
        panic!("the cluster must not be asked for this decision")
    }

    #[rstest]
    #[case::delete(Operation::Delete)]
    #[case::connect(Operation::Connect)]
    fn non_changing_operations_are_not_checked(#[case] operation: Operation) {
        let verdict = decide(
            deployment(json!([app(), agent()])),
            operation,
            Value::Null,
            &policy(false, false),
        );
        assert_eq!(verdict, Verdict::accept());
    }

    #[test]
    fn subresources_are_not_checked() {
        let mut request = request(pod(json!([app(), agent()])), Operation::Update, Value::Null);
        request.sub_resource = Some("status".into());
        assert_eq!(evaluate(request, &policy(false, false), no_lookup), Verdict::accept());
    }

    #[test]
    fn mirror_pods_are_not_checked() {
        let mut object = pod(json!([app(), agent()]));
        object["metadata"]["annotations"] = json!({"kubernetes.io/config.mirror": "abc"});
        assert_eq!(
            decide(object, Operation::Create, Value::Null, &policy(false, false)),
            Verdict::accept()
        );
    }

    #[test]
    fn create_with_legacy_sidecar_is_rejected_with_the_fix() {
        let verdict = decide(
            deployment(json!([app(), agent()])),
            Operation::Create,
            Value::Null,
            &policy(false, false),
        );
        assert_eq!(
            verdict.message(),
            Some(
                "container 'vault-agent' (image 'hashicorp/vault:1.15') at spec.template.spec.containers[1] is a \
                 sidecar placed as a co-located container: declare it in spec.template.spec.initContainers with \
                 `restartPolicy: Always` (native sidecar, Kubernetes 1.29+)"
            )
        );
    }

    #[test]
    fn update_with_pre_existing_violation_is_accepted_with_a_warning() {
        let old = deployment(json!([app(), agent()]));
        let mut new = old.clone();
        new["metadata"]["labels"] = json!({"team": "a"});
        let verdict = decide(new, Operation::Update, old, &policy(false, false));
        assert!(verdict.is_accepted());
        assert_eq!(verdict.warnings().len(), 1);
        assert!(verdict.warnings()[0].ends_with("(already so before this update; not blocking it)"));
    }

    #[test]
    fn update_adding_a_violation_is_rejected() {
        let old = deployment(json!([app()]));
        let new = deployment(json!([app(), agent()]));
        let verdict = decide(new, Operation::Update, old, &policy(false, false));
        assert!(verdict.message().is_some_and(|m| m.contains("'vault-agent'")));
    }

    #[rstest]
    #[case::pod(pod(json!([app(), agent()])))]
    #[case::job(json!({"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": {"containers": [app(), agent()]}}}}))]
    fn immutable_containers_are_accepted_on_update(#[case] object: Value) {
        let verdict = decide(object, Operation::Update, Value::Null, &policy(true, false));
        assert_eq!(verdict, Verdict::accept());
    }

    #[test]
    fn unknown_kinds_are_accepted_with_a_warning() {
        let verdict = decide(
            json!({"apiVersion": "v1", "kind": "ConfigMap"}),
            Operation::Create,
            Value::Null,
            &policy(false, false),
        );
        assert_eq!(
            verdict.warnings(),
            ["sidecar placement not checked: kind 'ConfigMap' (group '') carries no pod template this policy knows"]
        );
    }

    #[test]
    fn object_without_pod_spec_is_accepted() {
        let object = json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 1}});
        assert_eq!(
            decide(object, Operation::Create, Value::Null, &policy(false, false)),
            Verdict::accept()
        );
    }

    #[test]
    fn create_without_object_is_rejected_clearly() {
        let mut request = request(pod(json!([app()])), Operation::Create, Value::Null);
        request.object = Value::Null;
        let verdict = evaluate(request, &policy(false, false), no_lookup);
        assert_eq!(
            verdict.message(),
            Some("malformed admission request: CREATE Pod without an object to check")
        );
    }

    #[test]
    fn malformed_containers_are_rejected_clearly() {
        let verdict = decide(
            pod(json!("nope")),
            Operation::Create,
            Value::Null,
            &policy(false, false),
        );
        assert_eq!(
            verdict.message(),
            Some("malformed Pod: spec.containers must be a list of containers")
        );
    }

    #[test]
    fn mutation_moves_and_warns() {
        let verdict = decide(
            deployment(json!([app(), agent()])),
            Operation::Create,
            Value::Null,
            &policy(true, false),
        );
        let Verdict::Mutate {
            object,
            warnings,
            audit_annotations,
            conversion,
        } = verdict
        else {
            panic!("expected a mutation, got {verdict:?}");
        };
        let mut expected = deployment(json!([app()]));
        expected["spec"]["template"]["spec"]["initContainers"] =
            json!([{"name": "vault-agent", "image": "hashicorp/vault:1.15", "restartPolicy": "Always"}]);
        assert_eq!(object, expected);
        assert_eq!(conversion.spec, PodSpecPath::Template);
        assert_eq!((conversion.plan.moved(), conversion.plan.insert_at()), (&[1][..], 0));
        assert_eq!(
            warnings,
            ["moved container 'vault-agent' to initContainers as a native sidecar"]
        );
        assert_eq!(
            audit_annotations[AUDIT_MOVED_SIDECARS],
            "vault-agent moved from spec.template.spec.containers to spec.template.spec.initContainers with \
             restartPolicy: Always (afterInitContainers)"
        );
    }

    #[test]
    fn mutation_is_refused_when_something_cannot_be_fixed() {
        let mut object = deployment(json!([app(), agent()]));
        object["spec"]["template"]["spec"]["initContainers"] =
            json!([{"name": "rogue", "image": "evil/miner", "restartPolicy": "Always"}]);
        let verdict = decide(object, Operation::Create, Value::Null, &policy(true, true));
        let message = verdict.message().expect("rejected");
        assert!(message.contains("container 'vault-agent'"), "{message}");
        assert!(
            message.contains("native sidecar not approved: container 'rogue'"),
            "{message}"
        );
    }

    #[rstest]
    #[case::templates_converted(policy(true, false))]
    #[case::templates_left_to_their_pods(settings(json!({"sidecarImages": ["hashicorp/vault"], "mutate": true})))]
    fn mutation_of_a_blocked_sidecar_explains_why(#[case] policy: Policy) {
        let mut blocked = agent();
        blocked["restartPolicy"] = json!("Never");
        let verdict = decide(
            deployment(json!([app(), blocked])),
            Operation::Create,
            Value::Null,
            &policy,
        );
        assert!(
            verdict
                .message()
                .is_some_and(|m| m.contains("was not converted because it sets `restartPolicy: Never`")),
            "{verdict:?}"
        );
    }

    #[test]
    fn mutation_on_update_leaves_pre_existing_sidecars_alone() {
        let old = deployment(json!([app(), agent()]));
        let mut new = old.clone();
        new["metadata"]["labels"] = json!({"team": "a"});
        let verdict = decide(new, Operation::Update, old, &policy(true, false));
        assert!(matches!(verdict, Verdict::Accept { .. }), "{verdict:?}");
    }

    #[test]
    fn mutated_object_is_idempotent() {
        let policy = policy(true, false);
        let verdict = decide(
            deployment(json!([app(), agent()])),
            Operation::Create,
            Value::Null,
            &policy,
        );
        let object = verdict.mutated_object().expect("mutated").clone();
        assert_eq!(
            decide(object, Operation::Create, Value::Null, &policy),
            Verdict::accept()
        );
    }

    fn settings(json: Value) -> Policy {
        Settings::from_json(json.to_string().as_bytes())
            .and_then(|settings| settings.compile())
            .expect("valid settings")
    }

    fn checking(extra: Value) -> Policy {
        let mut json = json!({"sidecarImages": ["hashicorp/vault"], "checkNodes": true});
        for (key, value) in extra.as_object().expect("object") {
            json[key] = value.clone();
        }
        settings(json)
    }

    fn cluster(versions: &[&str]) -> NodeLookup {
        Ok(versions
            .iter()
            .enumerate()
            .map(|(i, version)| crate::Node::new(format!("node-{}", i + 1), *version))
            .collect())
    }

    /// Decides with `lookup` as the cluster's answer; also says how often the cluster was asked.
    fn decide_with(
        object: Value,
        operation: Operation,
        old: Value,
        policy: &Policy,
        lookup: NodeLookup,
    ) -> (Verdict, usize) {
        let mut calls = 0;
        let verdict = evaluate(request(object, operation, old), policy, || {
            calls += 1;
            lookup
        });
        (verdict, calls)
    }

    fn native_pod() -> Value {
        let mut object = pod(json!([app()]));
        object["spec"]["initContainers"] =
            json!([{"name": "vault-sync", "image": "hashicorp/vault:1.15", "restartPolicy": "Always"}]);
        object
    }

    #[rstest]
    #[case::no_sidecar_at_all(pod(json!([app()])))]
    #[case::co_located_apps(pod(json!([app(), {"name": "ui", "image": "acme/ui"}])))]
    #[case::sidecar_image_alone_is_the_app(pod(json!([agent()])))]
    #[case::one_shot_init_with_sidecar_image(json!({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [app()], "initContainers": [{"name": "vault-agent-init", "image": "hashicorp/vault"}]}}))]
    fn objects_without_sidecars_never_ask_the_cluster(#[case] object: Value) {
        let (verdict, calls) = decide_with(
            object,
            Operation::Create,
            Value::Null,
            &checking(json!({})),
            cluster(&["v1.27.0"]),
        );
        assert_eq!((verdict, calls), (Verdict::accept(), 0));
    }

    #[test]
    fn a_ready_cluster_changes_nothing() {
        for policy in [checking(json!({})), checking(json!({"mutate": true}))] {
            let object = pod(json!([app(), agent()]));
            let (with_nodes, calls) = decide_with(
                object.clone(),
                Operation::Create,
                Value::Null,
                &policy,
                cluster(&["v1.30.4", "v1.29.3-eks-4f1a2b"]),
            );
            let without = decide(
                object,
                Operation::Create,
                Value::Null,
                &policy.clone().with_node_check(false),
            );
            assert_eq!(calls, 1);
            assert_eq!(with_nodes, without);
        }
    }

    #[rstest]
    #[case::validating(json!({}))]
    #[case::mutating(json!({"mutate": true, "mutateTemplates": true}))]
    fn a_mixed_cluster_neither_rejects_nor_converts(#[case] extra: Value) {
        let (verdict, calls) = decide_with(
            deployment(json!([app(), agent()])),
            Operation::Create,
            Value::Null,
            &checking(extra),
            cluster(&["v1.30.4", "v1.28.9"]),
        );
        assert_eq!(calls, 1);
        assert_eq!(
            verdict,
            Verdict::accept_with_warning(
                "sidecar placement not enforced: container 'vault-agent' (spec.template.spec.containers[1]) left \
                 in spec.template.spec.containers, neither converted nor rejected, because a native sidecar hangs \
                 in Init on a node whose kubelet is older than 1.29, and node 'node-2' (kubelet v1.28.9) does not \
                 run kubelet 1.29 or later. Move it to spec.template.spec.initContainers with `restartPolicy: \
                 Always` once every node runs kubelet 1.29 or later"
                    .to_owned()
            )
        );
    }

    #[test]
    fn one_warning_names_every_sidecar_left_in_place() {
        let sidecar = |name: &str| json!({"name": name, "image": "hashicorp/vault"});
        let (verdict, _) = decide_with(
            pod(json!([sidecar("a"), app(), sidecar("b")])),
            Operation::Create,
            Value::Null,
            &checking(json!({"mutate": true})),
            Err("connection refused".to_owned()),
        );
        assert!(
            verdict.is_accepted() && verdict.mutated_object().is_none(),
            "{verdict:?}"
        );
        assert_eq!(verdict.warnings().len(), 1);
        assert!(
            verdict.warnings()[0].starts_with(
                "sidecar placement not enforced: containers 'a' (spec.containers[0]) and 'b' (spec.containers[2]) \
                 left in spec.containers, neither converted nor rejected, because a native sidecar hangs in Init on \
                 a node whose kubelet is older than 1.29, and the cluster's Nodes could not be listed to rule that \
                 out: connection refused. Grant the policy access"
            ),
            "{verdict:?}"
        );
        assert!(verdict.warnings()[0].ends_with(
            "Move them to spec.initContainers with `restartPolicy: Always` once every node runs kubelet 1.29 or later"
        ));
    }

    #[rstest]
    #[case::ready_node(&["v1.28.9", "v1.31.0+k3s1"], "node-2", true)]
    #[case::old_node(&["v1.28.9", "v1.31.0+k3s1"], "node-1", false)]
    #[case::unknown_node(&["v1.31.0+k3s1"], "node-9", false)]
    fn a_pinned_pod_counts_only_its_node(#[case] versions: &[&str], #[case] node: &str, #[case] converted: bool) {
        let mut object = pod(json!([app(), agent()]));
        object["spec"]["nodeName"] = json!(node);
        let (verdict, calls) = decide_with(
            object,
            Operation::Create,
            Value::Null,
            &checking(json!({"mutate": true})),
            cluster(versions),
        );
        assert_eq!(calls, 1);
        assert_eq!(verdict.mutated_object().is_some(), converted, "{verdict:?}");
    }

    #[rstest]
    #[case::ready(cluster(&["v1.29.0"]), vec![])]
    #[case::old_nodes(cluster(&["v1.30.0", "v1.27.3", "v1.28.1", "garbage", "v1.26.0"]), vec!["native sidecar 'vault-sync' (spec.initContainers[0]) accepted, but a native sidecar hangs in Init on a node whose kubelet is older than 1.29, and nodes 'node-2' (kubelet v1.27.3), 'node-3' (kubelet v1.28.1), 'node-4' (kubelet version 'garbage' unreadable) and 1 more do not run kubelet 1.29 or later"])]
    #[case::no_nodes(cluster(&[]), vec!["native sidecar 'vault-sync' (spec.initContainers[0]) accepted, but a native sidecar hangs in Init on a node whose kubelet is older than 1.29, and the cluster listed no Node to rule that out"])]
    fn native_sidecars_are_accepted_with_a_warning_where_they_would_hang(
        #[case] lookup: NodeLookup,
        #[case] warnings: Vec<&str>,
    ) {
        let (verdict, calls) = decide_with(
            native_pod(),
            Operation::Create,
            Value::Null,
            &checking(json!({})),
            lookup,
        );
        assert_eq!(calls, 1);
        assert_eq!(
            verdict,
            Verdict::Accept {
                warnings: warnings.into_iter().map(str::to_owned).collect()
            }
        );
    }

    #[test]
    fn the_minimum_kubelet_version_is_the_settings() {
        let (verdict, _) = decide_with(
            native_pod(),
            Operation::Create,
            Value::Null,
            &checking(json!({"minimumKubeletVersion": "1.33"})),
            cluster(&["v1.32.1-gke.1002000"]),
        );
        assert_eq!(
            verdict.warnings(),
            [
                "native sidecar 'vault-sync' (spec.initContainers[0]) accepted, but a native sidecar hangs in Init on a \
              node whose kubelet is older than 1.33, and node 'node-1' (kubelet v1.32.1-gke.1002000) does not run \
              kubelet 1.33 or later"
            ]
        );
    }

    #[test]
    fn an_unapproved_native_sidecar_is_still_rejected_on_old_nodes() {
        let mut object = pod(json!([app(), agent()]));
        object["spec"]["initContainers"] = json!([{"name": "rogue", "image": "evil/miner", "restartPolicy": "Always"}]);
        let (verdict, _) = decide_with(
            object,
            Operation::Create,
            Value::Null,
            &checking(json!({"restrictNativeSidecars": true})),
            cluster(&["v1.28.0"]),
        );
        let message = verdict.message().expect("rejected");
        assert!(
            message.starts_with("native sidecar not approved: container 'rogue'"),
            "{message}"
        );
        assert!(!message.contains("vault-agent"), "{message}");
        assert_eq!(verdict.warnings().len(), 2, "{verdict:?}");
    }

    #[test]
    fn pre_existing_sidecars_on_update_do_not_ask_the_cluster() {
        let old = deployment(json!([app(), agent()]));
        let mut new = old.clone();
        new["metadata"]["labels"] = json!({"team": "a"});
        let (verdict, calls) = decide_with(new, Operation::Update, old, &checking(json!({})), cluster(&["v1.28.0"]));
        assert_eq!(calls, 0);
        assert!(verdict.is_accepted());
        assert_eq!(verdict.warnings().len(), 1);
    }

    fn cronjob(containers: Value) -> Value {
        json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
               "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": containers}}}}}})
    }

    #[rstest]
    #[case::deployment(deployment(json!([app(), agent()])), "spec.template.spec")]
    #[case::cronjob(cronjob(json!([app(), agent()])), "spec.jobTemplate.spec.template.spec")]
    #[case::job(json!({"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": {"containers": [app(), agent()]}}}}), "spec.template.spec")]
    #[case::rollout(json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "spec": {"template": {"spec": {"containers": [app(), agent()]}}}}), "spec.template.spec")]
    fn templates_are_left_to_their_pods_by_default(#[case] object: Value, #[case] path: &str) {
        let verdict = decide(
            object,
            Operation::Create,
            Value::Null,
            &settings(json!({"sidecarImages": ["hashicorp/vault"], "mutate": true})),
        );
        assert_eq!(
            verdict,
            Verdict::accept_with_warning(format!(
                "container 'vault-agent' at {path}.containers[1] is a sidecar placed as a co-located container: its \
                 Pods are converted into native sidecars as they are created, and this template is left as written \
                 (mutateTemplates is off); to fix the manifest itself, declare it in {path}.initContainers with \
                 `restartPolicy: Always` (native sidecar, Kubernetes 1.29+)"
            ))
        );
    }

    #[test]
    fn pods_are_converted_without_mutate_templates() {
        let verdict = decide(
            pod(json!([app(), agent()])),
            Operation::Create,
            Value::Null,
            &settings(json!({"sidecarImages": ["hashicorp/vault"], "mutate": true})),
        );
        assert!(verdict.mutated_object().is_some(), "{verdict:?}");
    }

    #[test]
    fn templates_without_mutation_are_rejected_as_before() {
        let verdict = decide(
            deployment(json!([app(), agent()])),
            Operation::Create,
            Value::Null,
            &settings(json!({"sidecarImages": ["hashicorp/vault"]})),
        );
        assert!(
            verdict.message().is_some_and(|m| m.contains("'vault-agent'")),
            "{verdict:?}"
        );
    }
}

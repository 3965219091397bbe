//! One admission request, decided: which requests carry a placement decision, and what happens on UPDATE.
//!
//! The request is read lean ([`AdmissionRequest`]): its kind, operation and subresource, and the object and old
//! object as raw JSON text borrowed from the payload. The object is then read through its view ([`crate::view`]),
//! which keeps the few fields the decision needs, and a conversion splices the object's own text.
//!
//! [`evaluate`] is one straight pipeline: skip what carries no decision, classify the kind, inspect the pod spec,
//! set aside what the old object already had, ask the cluster whether native sidecars can run (only when the
//! answer changes what happens to the object), choose the remedy, then plan, check and carry out the conversion.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use thiserror::Error;

use crate::mutation::MovePlan;
use crate::nodes::{self, KubeletVersion, NodeLookup, NodeQuery, NotReady, Ready};
use crate::resources;
use crate::rules::{self, ContainerRef, Finding, Inspection, Wording, native_sidecar_fix};
use crate::settings::{Placement, Policy, Remedy};
use crate::verdict::{AUDIT_MOVED_SIDECARS, Conversion, Verdict};
use crate::view::{ObjectView, PodSpecView, Slot};
use crate::wire_name;
use crate::workload::{self, Kind, PodSpecPath};

/// The first Kubernetes minor whose API server accepts `resizePolicy` on a native sidecar with its default feature
/// gates on (InPlacePodVerticalScaling beta); 1.29-1.32 refuse it when that alpha gate was turned on.
pub const RESIZE_POLICY_ON_SIDECARS_SINCE: KubeletVersion = KubeletVersion::new(1, 33);

/// The parts of a Kubernetes `AdmissionRequest` that decide placement, borrowed from the request's JSON.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest<'a> {
    /// The kind of `object` (the request's `kind`, not `requestKind`: a webhook sees the object it will store);
    /// `None` for a bare manifest, whose own `apiVersion` and `kind` say it. Required in a request.
    #[serde(borrow, deserialize_with = "required")]
    pub kind: Option<GroupVersionKind<'a>>,
    /// `status`, `scale`, `ephemeralcontainers`...: subresources carry no placement decision.
    #[serde(default, borrow)]
    pub sub_resource: Option<Cow<'a, str>>,
    /// What is being done to the object.
    pub operation: Operation,
    /// The object's JSON; `None` when absent or `null`, as on DELETE.
    #[serde(default, borrow, deserialize_with = "raw_text")]
    pub object: Option<&'a str>,
    /// The object before an UPDATE.
    #[serde(default, borrow, deserialize_with = "raw_text")]
    pub old_object: Option<&'a str>,
}

/// A field every request has (a custom deserializer makes serde require it, although it is an `Option`).
fn required<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// A JSON value kept as its text (`null` is no value).
fn raw_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<&'de str>, D::Error> {
    Ok(Option::<&'de RawValue>::deserialize(deserializer)?.map(RawValue::get))
}

/// An API group and kind (the version does not change where a pod spec is).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct GroupVersionKind<'a> {
    /// `""` for the core group.
    #[serde(default, borrow)]
    pub group: Cow<'a, str>,
    /// `Pod`, `Deployment`...
    #[serde(borrow)]
    pub kind: Cow<'a, str>,
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

/// A request that could not be read.
#[derive(Debug, Error)]
#[error("malformed admission request: {0}")]
pub struct RequestError(#[from] serde_json::Error);

impl<'a> AdmissionRequest<'a> {
    /// Reads an `AdmissionRequest` (camelCase, as the API server and Kubewarden send it) from its JSON; every field
    /// the decision does not need is skipped unread.
    pub fn from_json(json: &'a [u8]) -> Result<Self, RequestError> {
        Ok(serde_json::from_slice(json)?)
    }

    /// A request for a bare manifest, as the browser playground and the command-line tool evaluate it: `object` is
    /// the manifest's JSON, whose own `apiVersion` and `kind` give the kind. For UPDATE, `old_object` is the
    /// object before the change.
    pub fn for_manifest(object: &'a str, operation: Operation, old_object: Option<&'a str>) -> Self {
        Self {
            kind: None,
            sub_resource: None,
            operation,
            object: Some(object),
            old_object,
        }
    }
}

/// No cluster to ask: the offline tools (the command-line tool, the playground without node versions). With it,
/// `checkNodes` has nothing to check and the decision is the one without it.
pub const OFFLINE: Option<fn(NodeQuery<'_>) -> NodeLookup> = None;

/// Decides one request.
///
/// `cluster` answers the policy's one question about Nodes. It is called at most once, and only when the policy
/// checks nodes and the answer changes what happens to the object: a conversion, or a rejection that old nodes
/// would turn into an acceptance; or, for a Pod pinned to a node, a warning that costs a single `get_resource`.
/// `None` ([`OFFLINE`]) when there is no cluster.
pub fn evaluate(
    request: &AdmissionRequest<'_>,
    policy: &Policy,
    cluster: Option<impl FnOnce(NodeQuery<'_>) -> NodeLookup>,
) -> Verdict {
    if !carries_a_decision(request.operation, request.sub_resource.as_deref()) {
        return Verdict::accept();
    }
    let kind = request.kind.as_ref();
    let object = match request.object.map(ObjectView::read) {
        Some(Ok(Some(object))) => object,
        Some(Err(error)) => return Verdict::reject(format!("malformed admission request: {error}")),
        None | Some(Ok(None)) => return without_object(request.operation, kind),
    };
    let old = || {
        request
            .old_object
            .and_then(|text| ObjectView::read(text).ok().flatten())
    };
    match decide(request.operation, kind, &object, old, policy, cluster) {
        Decision::Done(verdict) => verdict,
        Decision::Convert(conversion) => {
            let text = request.object.unwrap_or_default();
            let spliced = conversion.plan.splice(text, conversion.spec);
            conversion.finish(spliced)
        }
    }
}

/// DELETE, CONNECT and subresources (`status`, `scale`, `ephemeralcontainers`...) carry no placement decision.
pub(crate) fn carries_a_decision(operation: Operation, sub_resource: Option<&str>) -> bool {
    !matches!(operation, Operation::Delete | Operation::Connect) && sub_resource.is_none_or(str::is_empty)
}

/// A CREATE or UPDATE whose object is missing or not an object.
pub(crate) fn without_object(operation: Operation, kind: Option<&GroupVersionKind<'_>>) -> Verdict {
    let kind = kind.map_or("", |kind| &kind.kind);
    Verdict::reject(format!(
        "malformed admission request: {operation} {kind} without an object to check"
    ))
}

/// What [`decide`] concluded: a verdict, or a conversion still to be carried out on the object.
pub(crate) enum Decision {
    Done(Verdict),
    Convert(Planned),
}

/// A conversion decided and planned; [`Planned::finish`] turns the converted object into the verdict.
pub(crate) struct Planned {
    pub(crate) spec: PodSpecPath,
    pub(crate) plan: MovePlan,
    placement: Placement,
    moved: Vec<Finding>,
    warnings: Vec<String>,
}

impl Planned {
    /// The verdict for the object as converted (its JSON text), or for a conversion that could not be carried out.
    pub(crate) fn finish(self, converted: Result<String, crate::mutation::MutationError>) -> Verdict {
        match converted {
            Ok(object) => conversion_verdict(object, self),
            Err(error) => Verdict::Reject {
                message: format!("sidecar placement could not be converted: {error}"),
                warnings: self.warnings,
                findings: self.moved,
            },
        }
    }
}

/// The decision over the object's view: `kind` is the request's (`None`: the object's own), `old` reads the object
/// before an UPDATE when the decision needs it.
pub(crate) fn decide<'o>(
    operation: Operation,
    kind: Option<&GroupVersionKind<'_>>,
    object: &ObjectView<'_>,
    old: impl FnOnce() -> Option<ObjectView<'o>>,
    policy: &Policy,
    cluster: Option<impl FnOnce(NodeQuery<'_>) -> NodeLookup>,
) -> Decision {
    let done = Decision::Done;
    let (group, kind) = match kind {
        Some(kind) => (kind.group.as_ref(), kind.kind.as_ref()),
        None => {
            let (group, _version) = workload::split_api_version(object.api_version.as_str().unwrap_or_default());
            (group, object.kind.as_str().unwrap_or_default())
        }
    };
    let workload = match workload::classify(group, kind, object) {
        Kind::Checked(workload) => workload,
        Kind::Unsupported => {
            return done(Verdict::accept_with_warning(format!(
                "sidecar placement not checked: kind '{kind}' (group '{group}') carries no pod template this policy \
                 knows"
            )));
        }
    };
    let path = workload.path;
    if path == PodSpecPath::Pod && object.mirror {
        return done(Verdict::accept());
    }
    if operation == Operation::Update && workload.containers_immutable {
        return done(Verdict::accept());
    }
    let Some(spec) = object.pod_spec(path) else {
        return done(Verdict::accept());
    };
    let mut inspection = match rules::inspect(spec.clone(), path, policy) {
        Ok(inspection) => inspection,
        Err(error) => return done(Verdict::reject(format!("malformed {kind}: {error}"))),
    };
    let Slot::Object(spec) = spec else {
        return done(Verdict::accept());
    };
    if !inspection.involves_sidecars() {
        return done(Verdict::accept());
    }

    let wording = policy.remedy().wording();
    let findings = std::mem::take(&mut inspection.findings);
    let (new, pre_existing) = match operation {
        Operation::Update => split_pre_existing(findings, old(), path, policy),
        _ => (findings, Vec::new()),
    };
    let mut warnings: Vec<String> = pre_existing
        .iter()
        .map(|f| {
            format!(
                "{} (already so before this update; not blocking it)",
                f.describe(wording)
            )
        })
        .collect();

    let mut cluster_oldest = None;
    let new = match (
        policy.node_check(),
        cluster,
        question(policy, &inspection, &new, spec, path),
    ) {
        (Some(minimum), Some(cluster), Some(query)) => match nodes::readiness(cluster(query), query, minimum) {
            Ok(Ready { oldest }) => {
                cluster_oldest = Some(oldest);
                new
            }
            Err(not_ready) => set_aside_for_old_nodes(new, &inspection, path, minimum, &not_ready, &mut warnings),
        },
        _ => new,
    };
    if new.is_empty() {
        return done(Verdict::Accept { warnings });
    }

    let (placement, templates) = match policy.remedy() {
        Remedy::Convert { placement, templates } if new.iter().all(Finding::convertible) => (placement, templates),
        _ => return done(reject(new, wording, warnings)),
    };
    let plan = match MovePlan::new(&new, inspection.init_layout, placement) {
        Ok(plan) => plan,
        Err(_) => return done(reject(new, wording, warnings)),
    };
    let shortfall = resources::shortfall(spec, &plan);
    if path != PodSpecPath::Pod && !templates {
        match shortfall {
            Some(shortfall) => warnings.push(format!(
                "{} is a sidecar placed as a co-located container: this template is left as written \
                 (mutateTemplates is off), and its Pods cannot be converted as they are created, because {}",
                describe_all(&new, path),
                shortfall.describe(path)
            )),
            None => warnings.extend(new.iter().map(left_for_pods)),
        }
        return done(Verdict::Accept { warnings });
    }
    if let Some(shortfall) = shortfall {
        return done(Verdict::Reject {
            message: format!(
                "{} was not converted: {}",
                describe_all(&new, path),
                shortfall.describe(path)
            ),
            warnings,
            findings: new,
        });
    }
    // What every node runs is what its API server runs at least (a kubelet is never newer than its API server).
    let cluster_at_least =
        cluster_oldest.map_or(policy.minimum_kubelet(), |oldest| oldest.max(policy.minimum_kubelet()));
    if cluster_at_least < RESIZE_POLICY_ON_SIDECARS_SINCE {
        warnings.extend(resize_policy_warnings(spec, &plan, path));
    }
    Decision::Convert(Planned {
        spec: path,
        plan,
        placement,
        moved: new,
        warnings,
    })
}

/// What the policy asks the cluster, when the answer changes what happens to the object: `None` when it does not.
///
/// The answer matters for a sidecar in `containers` that is about to be converted or rejected (old nodes turn both
/// into an acceptance with a warning), unless something else rejects the object anyway, or the object is a
/// template whose Pods are converted as they are created. A native sidecar is accepted whatever the nodes run: it
/// is worth a warning only for a Pod pinned to a node, where the question is one `get_resource`.
fn question<'s>(
    policy: &Policy,
    inspection: &Inspection,
    new: &[Finding],
    spec: &'s PodSpecView<'_>,
    path: PodSpecPath,
) -> Option<NodeQuery<'s>> {
    let pinned = spec.node_name.as_str().filter(|name| !name.is_empty());
    let legacy = new.iter().any(Finding::is_legacy);
    let rejected_anyway = new.iter().any(|finding| !finding.is_legacy());
    let left_for_pods = matches!(policy.remedy(), Remedy::Convert { templates: false, .. })
        && path != PodSpecPath::Pod
        && new.iter().all(Finding::convertible);
    let decides = legacy && !rejected_anyway && !left_for_pods;
    let warns = pinned.is_some() && !inspection.native_sidecars.is_empty();
    match pinned {
        Some(node) if decides || warns => Some(NodeQuery::Named(node)),
        None if decides => Some(NodeQuery::All),
        _ => None,
    }
}

/// On UPDATE, a problem the old object already had does not block the update: rejecting it would break unrelated
/// edits (labels, scaling), and converting it would start a rollout nobody asked for.
fn split_pre_existing(
    findings: Vec<Finding>,
    old_object: Option<ObjectView<'_>>,
    path: PodSpecPath,
    policy: &Policy,
) -> (Vec<Finding>, Vec<Finding>) {
    let old_findings = old_object
        .and_then(|old| {
            let spec = old.pod_spec(path)?;
            rules::inspect(spec, path, policy).ok()
        })
        .map(|inspection| inspection.findings)
        .unwrap_or_default();
    // A handful of findings: a list is as fast as a set here, and keeps hashing out of the module.
    let old_keys: Vec<_> = old_findings.iter().map(Finding::key).collect();
    findings.into_iter().partition(|f| !old_keys.contains(&f.key()))
}

/// Where native sidecars cannot run, a sidecar in `containers` is neither rejected nor converted, and a native one
/// is accepted with a warning; what remains (unapproved native sidecars) is decided as usual.
fn set_aside_for_old_nodes(
    new: Vec<Finding>,
    inspection: &Inspection,
    path: PodSpecPath,
    minimum: KubeletVersion,
    not_ready: &NotReady,
    warnings: &mut Vec<String>,
) -> Vec<Finding> {
    let reason = not_ready.describe(minimum);
    let hang = format!("a native sidecar hangs in Init on a node whose kubelet is older than {minimum}");
    let (legacy, rest): (Vec<Finding>, Vec<Finding>) = new.into_iter().partition(Finding::is_legacy);
    if !legacy.is_empty() {
        let containers: Vec<String> = legacy
            .iter()
            .map(|f| format!("{} ({})", f.container.quoted_name(), f.location()))
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
    if !inspection.native_sidecars.is_empty() {
        let sidecars: Vec<String> = inspection
            .native_sidecars
            .iter()
            .map(|sidecar: &ContainerRef| format!("{} ({})", sidecar.quoted_name(), sidecar.location(path)))
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

fn reject(findings: Vec<Finding>, wording: Wording, warnings: Vec<String>) -> Verdict {
    let problems: Vec<String> = findings.iter().map(|f| f.describe(wording)).collect();
    Verdict::Reject {
        message: problems.join("; "),
        warnings,
        findings,
    }
}

/// `container 'a' at spec.containers[1]`, `containers 'a' (spec.containers[1]) and 'b' (spec.containers[3])`.
fn describe_all(findings: &[Finding], path: PodSpecPath) -> String {
    match findings {
        [one] => format!(
            "container {} at {}",
            one.container.quoted_name(),
            one.container.location(path)
        ),
        many => {
            let each: Vec<String> = many
                .iter()
                .map(|f| format!("{} ({})", f.container.quoted_name(), f.container.location(path)))
                .collect();
            format!("containers {}", nodes::join_and(&each))
        }
    }
}

/// With `mutate` but not `mutateTemplates`, a workload's template is left as written: GitOps tools own it, and a
/// rewritten template shows as drift forever. Its Pods are converted as they are created.
fn left_for_pods(finding: &Finding) -> String {
    format!(
        "container {} at {} is a sidecar placed as a co-located container: its Pods are converted into native \
         sidecars as they are created, and this template is left as written (mutateTemplates is off); to fix the \
         manifest itself, {}",
        finding.container.quoted_name(),
        finding.location(),
        native_sidecar_fix(finding.spec)
    )
}

/// A converted sidecar that keeps `resizePolicy` is refused by a 1.29-1.32 API server that turned the
/// InPlacePodVerticalScaling alpha gate on (with the gate off, the default, the field is dropped; from 1.33 it is
/// allowed). The conversion still happens, with a warning, unless the cluster is known to be 1.33 or later.
fn resize_policy_warnings(spec: &PodSpecView<'_>, plan: &MovePlan, path: PodSpecPath) -> Vec<String> {
    let crate::view::List::Items(containers) = &spec.containers else {
        return Vec::new();
    };
    plan.moved()
        .iter()
        .filter_map(|&index| match containers.get(index) {
            Some(Slot::Object(container)) if container.resize_policy.0 => Some(format!(
                "container {} ({}.containers[{index}]) keeps its resizePolicy as a native sidecar: a Kubernetes \
                 1.29-1.32 API server with the InPlacePodVerticalScaling feature gate enabled refuses resizePolicy \
                 on an init container (with the gate off, the default, it drops the field; from 1.33 it is \
                 allowed). On such a cluster, remove resizePolicy from it, or set minimumKubeletVersion: \"1.33\" \
                 once every node runs 1.33",
                rules::quoted_name(container.name.as_str()),
                path.display()
            )),
            _ => None,
        })
        .collect()
}

fn conversion_verdict(object: String, planned: Planned) -> Verdict {
    let Planned {
        spec,
        plan,
        placement,
        moved,
        mut warnings,
    } = planned;
    let names: Vec<&str> = moved
        .iter()
        .map(|f| f.container.name.as_deref().unwrap_or(rules::UNNAMED))
        .collect();
    warnings.extend(
        names
            .iter()
            .map(|name| format!("moved container '{name}' to initContainers as a native sidecar")),
    );
    let summary = format!(
        "{} moved from {path}.containers to {path}.initContainers with restartPolicy: Always ({placement})",
        names.join(", "),
        path = spec.display(),
    );
    Verdict::Mutate {
        object,
        warnings,
        audit_annotations: BTreeMap::from([(AUDIT_MOVED_SIDECARS.to_owned(), summary)]),
        conversion: Conversion {
            spec,
            plan,
            sidecars: moved,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nodes::{LookupError, node_json, node_list_json};
    use crate::settings::Settings;
    use crate::test_messages::message;
    use rstest::rstest;
    use serde_json::{Value, json};
    use std::cell::RefCell;

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

    fn settings(json: Value) -> Policy {
        Settings::from_json(json.to_string().as_bytes())
            .and_then(|settings| settings.compile())
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

    /// Decides `object` as a bare manifest, with `cluster` answering (and counting) the policy's questions.
    fn decide_in(
        object: &Value,
        operation: Operation,
        old: &Value,
        policy: &Policy,
        cluster: impl Fn(NodeQuery<'_>) -> NodeLookup,
    ) -> (Verdict, Vec<String>) {
        let text = object.to_string();
        let old_text = (!old.is_null()).then(|| old.to_string());
        let asked = RefCell::new(Vec::new());
        let verdict = evaluate(
            &AdmissionRequest::for_manifest(&text, operation, old_text.as_deref()),
            policy,
            Some(|query: NodeQuery<'_>| {
                asked.borrow_mut().push(format!("{query:?}"));
                cluster(query)
            }),
        );
        (verdict, asked.into_inner())
    }

    /// Decides where the cluster must not be asked.
    fn decide(object: Value, operation: Operation, old: Value, policy: &Policy) -> Verdict {
        let (verdict, asked) = decide_in(&object, operation, &old, policy, |_| Err(LookupError::NotFound));
        assert_eq!(
            asked,
            Vec::<String>::new(),
            "the cluster must not be asked for this decision"
        );
        verdict
    }

    fn mutated(verdict: &Verdict) -> Value {
        serde_json::from_str(verdict.mutated_object().expect("mutated")).expect("JSON")
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
        let text = pod(json!([app(), agent()])).to_string();
        let mut request = AdmissionRequest::for_manifest(&text, Operation::Update, None);
        request.sub_resource = Some("status".into());
        assert_eq!(evaluate(&request, &policy(false, false), OFFLINE), Verdict::accept());
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
        let Verdict::Reject { message, findings, .. } = &verdict else {
            panic!("rejected expected: {verdict:?}");
        };
        assert_eq!(
            *message,
            message_for(
                "co_located",
                "vault-agent",
                "hashicorp/vault:1.15",
                "spec.template.spec",
                1
            )
        );
        assert_eq!(
            findings.iter().map(Finding::location).collect::<Vec<_>>(),
            ["spec.template.spec.containers[1]"]
        );
    }

    fn message_for(template: &str, name: &str, image: &str, spec: &str, index: usize) -> String {
        let index = index.to_string();
        message(
            template,
            &[("name", name), ("image", image), ("spec", spec), ("index", &index)],
        )
    }

    #[test]
    fn update_with_pre_existing_violation_is_accepted_with_a_warning() {
        let old = deployment(json!([app(), agent()]));
        let mut new = old.clone();
        new["metadata"]["labels"] = json!({"team": "a"});
        let verdict = decide(new, Operation::Update, old, &policy(false, false));
        let co_located = message_for(
            "co_located",
            "vault-agent",
            "hashicorp/vault:1.15",
            "spec.template.spec",
            1,
        );
        assert_eq!(
            verdict,
            Verdict::accept_with_warning(message("pre_existing", &[("message", &co_located)]))
        );
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
            [message("unsupported_kind", &[("kind", "ConfigMap"), ("group", "")])]
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

    #[rstest]
    #[case::absent(None)]
    #[case::not_an_object(Some("[1]"))]
    fn create_without_object_is_rejected_clearly(#[case] object: Option<&str>) {
        let request = AdmissionRequest {
            kind: Some(GroupVersionKind {
                group: "".into(),
                kind: "Pod".into(),
            }),
            sub_resource: None,
            operation: Operation::Create,
            object,
            old_object: None,
        };
        assert_eq!(
            evaluate(&request, &policy(false, false), OFFLINE).message(),
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
        let object = mutated(&verdict);
        let Verdict::Mutate {
            warnings,
            audit_annotations,
            conversion,
            ..
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
        assert_eq!(warnings, [message("moved_warning", &[("name", "vault-agent")])]);
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
    #[case::validating(settings(json!({"sidecarImages": ["hashicorp/vault"]})), "cannot_be_native")]
    #[case::templates_converted(policy(true, false), "not_converted")]
    #[case::templates_left_to_their_pods(settings(json!({"sidecarImages": ["hashicorp/vault"], "mutate": true})), "not_converted")]
    fn a_blocked_sidecar_is_explained_for_what_the_policy_does(#[case] policy: Policy, #[case] template: &str) {
        let mut blocked = agent();
        blocked["restartPolicy"] = json!("Never");
        let verdict = decide(
            deployment(json!([app(), blocked])),
            Operation::Create,
            Value::Null,
            &policy,
        );
        let because = message("because_restart_policy", &[("restartPolicy", "Never")]);
        assert_eq!(
            verdict.message(),
            Some(
                message(
                    template,
                    &[
                        ("name", "vault-agent"),
                        ("image", "hashicorp/vault:1.15"),
                        ("spec", "spec.template.spec"),
                        ("index", "1"),
                        ("because", &because)
                    ]
                )
                .as_str()
            )
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
        assert_eq!(
            decide(mutated(&verdict), Operation::Create, Value::Null, &policy),
            Verdict::accept()
        );
    }

    // ---- checkNodes ------------------------------------------------------------------------------------------

    fn checking(extra: Value) -> Policy {
        let mut json = json!({"sidecarImages": ["hashicorp/vault"], "checkNodes": true});
        for (key, value) in extra.as_object().expect("object") {
            json[key] = value.clone();
        }
        settings(json)
    }

    /// A cluster of `node-1`, `node-2`, ... with these kubelet versions, answering a list or a get.
    fn cluster(versions: &'static [&'static str]) -> impl Fn(NodeQuery<'_>) -> NodeLookup {
        move |query| {
            let names: Vec<String> = (1..=versions.len()).map(|i| format!("node-{i}")).collect();
            match query {
                NodeQuery::All => Ok(node_list_json(
                    names.iter().map(String::as_str).zip(versions.iter().copied()),
                )),
                NodeQuery::Named(name) => names
                    .iter()
                    .position(|candidate| candidate == name)
                    .map(|index| node_json(name, versions[index]).to_string().into_bytes())
                    .ok_or(LookupError::NotFound),
            }
        }
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
    #[case::native_sidecar_merely_accepted(native_pod())]
    fn objects_whose_fate_the_nodes_do_not_change_never_ask_the_cluster(#[case] object: Value) {
        let (verdict, asked) = decide_in(
            &object,
            Operation::Create,
            &Value::Null,
            &checking(json!({"mutate": true})),
            cluster(&["v1.27.0"]),
        );
        assert_eq!((verdict, asked), (Verdict::accept(), Vec::<String>::new()));
    }

    #[rstest]
    #[case::left_to_their_pods(json!({"mutate": true}))]
    #[case::rejected_anyway(json!({"restrictNativeSidecars": true}))]
    fn templates_whose_fate_the_nodes_do_not_change_never_ask_the_cluster(#[case] extra: Value) {
        let mut object = deployment(json!([app(), agent()]));
        object["spec"]["template"]["spec"]["initContainers"] =
            json!([{"name": "rogue", "image": "evil/miner", "restartPolicy": "Always"}]);
        if extra.get("mutate").is_some() {
            object["spec"]["template"]["spec"]["initContainers"] = json!([]);
        }
        let (_, asked) = decide_in(
            &object,
            Operation::Create,
            &Value::Null,
            &checking(extra),
            cluster(&["v1.27.0"]),
        );
        assert_eq!(asked, Vec::<String>::new());
    }

    #[test]
    fn a_ready_cluster_changes_nothing() {
        for policy in [checking(json!({})), checking(json!({"mutate": true}))] {
            let object = pod(json!([app(), agent()]));
            let (with_nodes, asked) = decide_in(
                &object,
                Operation::Create,
                &Value::Null,
                &policy,
                cluster(&["v1.30.4", "v1.29.3-eks-4f1a2b"]),
            );
            let text = object.to_string();
            let without = evaluate(
                &AdmissionRequest::for_manifest(&text, Operation::Create, None),
                &policy,
                OFFLINE,
            );
            assert_eq!(asked, ["All"]);
            assert_eq!(with_nodes, without);
        }
    }

    #[rstest]
    #[case::validating(json!({}))]
    #[case::mutating(json!({"mutate": true, "mutateTemplates": true}))]
    fn a_mixed_cluster_neither_rejects_nor_converts(#[case] extra: Value) {
        let (verdict, asked) = decide_in(
            &deployment(json!([app(), agent()])),
            Operation::Create,
            &Value::Null,
            &checking(extra),
            cluster(&["v1.30.4", "v1.28.9"]),
        );
        assert_eq!(asked, ["All"]);
        let reason = message(
            "reason_old_node",
            &[("node", "'node-2' (kubelet v1.28.9)"), ("minimum", "1.29")],
        );
        assert_eq!(
            verdict,
            Verdict::accept_with_warning(message(
                "left_for_old_nodes",
                &[
                    (
                        "containers",
                        "container 'vault-agent' (spec.template.spec.containers[1])"
                    ),
                    ("spec", "spec.template.spec"),
                    ("minimum", "1.29"),
                    ("reason", &reason),
                    ("pronoun", "it"),
                ]
            ))
        );
    }

    #[test]
    fn one_warning_names_every_sidecar_left_in_place() {
        let sidecar = |name: &str| json!({"name": name, "image": "hashicorp/vault"});
        let (verdict, _) = decide_in(
            &pod(json!([sidecar("a"), app(), sidecar("b")])),
            Operation::Create,
            &Value::Null,
            &checking(json!({"mutate": true})),
            |_| Err(LookupError::Denied("connection refused".into())),
        );
        assert!(
            verdict.is_accepted() && verdict.mutated_object().is_none(),
            "{verdict:?}"
        );
        let reason = message("reason_lookup_failed", &[("error", "connection refused")]);
        assert_eq!(
            verdict.warnings(),
            [message(
                "left_for_old_nodes",
                &[
                    (
                        "containers",
                        "containers 'a' (spec.containers[0]) and 'b' (spec.containers[2])"
                    ),
                    ("spec", "spec"),
                    ("minimum", "1.29"),
                    ("reason", &reason),
                    ("pronoun", "them"),
                ]
            )]
        );
    }

    #[rstest]
    #[case::ready_node(&["v1.28.9", "v1.31.0+k3s1"], "node-2", true)]
    #[case::old_node(&["v1.28.9", "v1.31.0+k3s1"], "node-1", false)]
    #[case::unknown_node(&["v1.31.0+k3s1"], "node-9", false)]
    fn a_pinned_pod_asks_for_its_node_alone(
        #[case] versions: &'static [&'static str],
        #[case] node: &str,
        #[case] converted: bool,
    ) {
        let mut object = pod(json!([app(), agent()]));
        object["spec"]["nodeName"] = json!(node);
        let (verdict, asked) = decide_in(
            &object,
            Operation::Create,
            &Value::Null,
            &checking(json!({"mutate": true})),
            cluster(versions),
        );
        assert_eq!(asked, [format!("Named({node:?})")]);
        assert_eq!(verdict.mutated_object().is_some(), converted, "{verdict:?}");
    }

    #[rstest]
    #[case::ready(&["v1.29.0"], vec![])]
    #[case::old(&["v1.28.1"], vec![message("native_on_old_nodes", &[("sidecars", "native sidecar 'vault-sync' (spec.initContainers[0])"), ("minimum", "1.29"), ("reason", &message("reason_pinned_node", &[("node", "'node-1' (kubelet v1.28.1)"), ("minimum", "1.29")]))])])]
    fn a_pinned_native_sidecar_is_warned_about_for_one_get(
        #[case] versions: &'static [&'static str],
        #[case] warnings: Vec<String>,
    ) {
        let mut object = native_pod();
        object["spec"]["nodeName"] = json!("node-1");
        let (verdict, asked) = decide_in(
            &object,
            Operation::Create,
            &Value::Null,
            &checking(json!({})),
            cluster(versions),
        );
        assert_eq!(asked, ["Named(\"node-1\")"]);
        assert_eq!(verdict, Verdict::Accept { warnings });
    }

    #[test]
    fn an_unapproved_native_sidecar_is_rejected_without_asking() {
        let mut object = pod(json!([app(), agent()]));
        object["spec"]["initContainers"] = json!([{"name": "rogue", "image": "evil/miner", "restartPolicy": "Always"}]);
        let (verdict, asked) = decide_in(
            &object,
            Operation::Create,
            &Value::Null,
            &checking(json!({"restrictNativeSidecars": true})),
            cluster(&["v1.28.0"]),
        );
        assert!(asked.is_empty(), "{asked:?}");
        let message = verdict.message().expect("rejected");
        assert!(
            message.contains("native sidecar not approved: container 'rogue'"),
            "{message}"
        );
    }

    #[test]
    fn pre_existing_sidecars_on_update_do_not_ask_the_cluster() {
        let old = deployment(json!([app(), agent()]));
        let mut new = old.clone();
        new["metadata"]["labels"] = json!({"team": "a"});
        let (verdict, asked) = decide_in(
            &new,
            Operation::Update,
            &old,
            &checking(json!({})),
            cluster(&["v1.28.0"]),
        );
        assert!(asked.is_empty());
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
            Verdict::accept_with_warning(message(
                "left_for_pods",
                &[("name", "vault-agent"), ("spec", path), ("index", "1")]
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

    // ---- Pod-level resources and resizePolicy -----------------------------------------------------------------

    /// A Pod with pod-level cpu 2, an app of 1, a legacy sidecar of 500m and a one-shot init container of 2.
    fn resourced_pod() -> Value {
        let cpu = |cpu: &str| json!({"requests": {"cpu": cpu}});
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
            "resources": cpu("2"),
            "containers": [{"name": "app", "image": "nginx", "resources": cpu("1")},
                           {"name": "vault-agent", "image": "hashicorp/vault:1.15", "resources": cpu("500m")}],
            "initContainers": [{"name": "migrate", "image": "acme/migrate", "resources": cpu("2")}]}})
    }

    #[test]
    fn a_conversion_that_would_exceed_pod_level_resources_is_refused_with_both_fixes() {
        let before = json!({"sidecarImages": ["hashicorp/vault"], "mutate": true, "placement": "beforeInitContainers"});
        let verdict = decide(resourced_pod(), Operation::Create, Value::Null, &settings(before));
        let message = verdict.message().expect("rejected");
        assert!(
            message.starts_with("container 'vault-agent' at spec.containers[1] was not converted: sidecar"),
            "{message}"
        );
        assert!(
            message.contains("would reach 2500m, above spec.resources.requests.cpu (2)"),
            "{message}"
        );
        assert!(message.ends_with("or set placement: afterInitContainers"), "{message}");
        let after = json!({"sidecarImages": ["hashicorp/vault"], "mutate": true});
        assert!(
            decide(resourced_pod(), Operation::Create, Value::Null, &settings(after))
                .mutated_object()
                .is_some()
        );
    }

    #[test]
    fn a_template_left_to_its_pods_warns_that_they_cannot_be_converted() {
        let mut object = deployment(json!([]));
        object["spec"]["template"]["spec"] = resourced_pod()["spec"].clone();
        let settings = settings(
            json!({"sidecarImages": ["hashicorp/vault"], "mutate": true, "placement": "beforeInitContainers"}),
        );
        let verdict = decide(object, Operation::Create, Value::Null, &settings);
        assert!(verdict.is_accepted());
        assert!(
            verdict.warnings()[0].contains("its Pods cannot be converted as they are created, because sidecar"),
            "{verdict:?}"
        );
    }

    fn resizing_pod() -> Value {
        let mut agent = agent();
        agent["resizePolicy"] = json!([{"resourceName": "cpu", "restartPolicy": "NotRequired"}]);
        pod(json!([app(), agent]))
    }

    #[rstest]
    #[case::unknown_cluster(json!({"mutate": true}), None, true)]
    #[case::declared_1_33(json!({"mutate": true, "minimumKubeletVersion": "1.33"}), None, false)]
    #[case::checked_nodes_all_1_33(json!({"mutate": true, "checkNodes": true}), Some(&["v1.33.1", "v1.34.0"][..]), false)]
    #[case::checked_nodes_one_older(json!({"mutate": true, "checkNodes": true}), Some(&["v1.33.1", "v1.32.4"][..]), true)]
    fn a_converted_sidecar_with_resize_policy_is_warned_about_unless_the_cluster_is_1_33(
        #[case] extra: Value,
        #[case] nodes: Option<&'static [&'static str]>,
        #[case] warned: bool,
    ) {
        let mut json = json!({"sidecarImages": ["hashicorp/vault"]});
        for (key, value) in extra.as_object().expect("object") {
            json[key] = value.clone();
        }
        let (verdict, _) = decide_in(
            &resizing_pod(),
            Operation::Create,
            &Value::Null,
            &settings(json),
            cluster(nodes.unwrap_or(&[])),
        );
        assert!(verdict.mutated_object().is_some(), "{verdict:?}");
        let resize_warnings = verdict.warnings().iter().filter(|w| w.contains("resizePolicy")).count();
        assert_eq!(resize_warnings, usize::from(warned), "{verdict:?}");
    }
}

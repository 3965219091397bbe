//! The whole decision: an admission request, settings and the cluster's Nodes into `evaluate`.
//!
//! Properties, for every input whose settings compile and whose request is readable (the waPC adapter answers the
//! others with a rejection before `evaluate` runs):
//! 1. `evaluate` does not panic (a panic is a trap in the module: an HTTP 500 for the user).
//! 2. A mutation is of a kind with a pod spec, and the JSON patch the host would send touches only `containers` and
//!    `initContainers` of that pod spec, and reproduces the mutated object.
//! 3. A mutation moves containers verbatim: `containers` keeps the ones that stay in order, and `initContainers` is
//!    the old list with the moved ones inserted as one block, in their order, each a sidecar by the settings, with
//!    only `restartPolicy: Always` added.
//! 4. For every Kubernetes version 1.29-1.35 (default feature gates): when its API server accepts the pod spec before,
//!    it accepts the mutated one too.
//! 5. Idempotent: the mutated object evaluated again (same operation, old object, settings and nodes) is accepted
//!    unchanged.
//! 6. The cluster is asked at most once, only with `checkNodes`, only for a pod spec with a sidecar in `containers`
//!    or a native sidecar, and a Pod pinned to a node (`spec.nodeName`) asks for that node alone.
//! 7. The policy's byte-level answer (`response::validate`: lean views, splicing, a response written without a tree)
//!    is the oracle's (`oracle::validate`: the request read into a `serde_json::Value`, the conversion applied to the
//!    tree, the SDK's response type), byte for byte but for the converted object, which must be the same JSON.

use std::cell::RefCell;
use std::fmt::Write as _;

use arbitrary::Unstructured;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use sidecar_placement_policy::admission::RESIZE_POLICY_ON_SIDECARS_SINCE;
use sidecar_placement_policy::nodes::{LookupError, NodeLookup, NodeQuery, node_json, node_list_json};
use sidecar_placement_policy::workload::{self, Kind};
use sidecar_placement_policy::{AdmissionRequest, Policy, Settings, Verdict, evaluate, oracle, response};

use crate::word;

/// The cluster a case runs against.
#[derive(Debug, Clone)]
pub enum Cluster {
    /// Nodes `(name, kubelet version)`, answering a list or a get.
    Nodes(Vec<(String, String)>),
    /// Every call fails with this message.
    Fails(String),
    /// A NodeList exactly as given (the raw target); a get finds its item by name.
    Raw(String),
}

impl Cluster {
    /// The answer to `query`.
    pub fn answer(&self, query: NodeQuery<'_>) -> NodeLookup {
        match (self, query) {
            (Cluster::Fails(message), _) => Err(LookupError::Denied(message.clone())),
            (Cluster::Nodes(nodes), NodeQuery::All) => Ok(node_list_json(
                nodes.iter().map(|(name, version)| (name.as_str(), version.as_str())),
            )),
            (Cluster::Nodes(nodes), NodeQuery::Named(wanted)) => nodes
                .iter()
                .rev()
                .find(|(name, _)| name == wanted)
                .map(|(name, version)| node_json(name, version).to_string().into_bytes())
                .ok_or(LookupError::NotFound),
            (Cluster::Raw(list), NodeQuery::All) => Ok(list.clone().into_bytes()),
            (Cluster::Raw(list), NodeQuery::Named(wanted)) => serde_json::from_str::<Value>(list)
                .ok()
                .and_then(|list| {
                    list.get("items")?
                        .as_array()?
                        .iter()
                        .rev()
                        .find(|item| item.pointer("/metadata/name").and_then(Value::as_str) == Some(wanted))
                        .map(Value::to_string)
                })
                .map(String::into_bytes)
                .ok_or(LookupError::NotFound),
        }
    }
}

/// One decision to check: the request's JSON as the adapter reads it, the settings' bytes, and the cluster.
#[derive(Debug, Clone)]
pub struct Case {
    /// The AdmissionRequest, as JSON.
    pub request: String,
    /// The settings as the host sends them.
    pub settings: Vec<u8>,
    /// What the cluster answers.
    pub cluster: Cluster,
}

/// Target `decision_json`: `{"request": AdmissionRequest, "settings": {...}, "nodes": NodeList}` as raw JSON (the
/// waPC payload plus the node list); `nodes` missing means the lookup fails.
pub fn json(bytes: &[u8]) {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow)]
        request: &'a RawValue,
        #[serde(borrow, default)]
        settings: Option<&'a RawValue>,
        #[serde(borrow, default)]
        nodes: Option<&'a RawValue>,
    }
    let Ok(envelope) = serde_json::from_slice::<Envelope<'_>>(bytes) else {
        return;
    };
    let cluster = match envelope.nodes {
        Some(list) => Cluster::Raw(list.get().to_owned()),
        None => Cluster::Fails("the input lists no nodes".to_owned()),
    };
    check(&Case {
        request: envelope.request.get().to_owned(),
        settings: envelope
            .settings
            .map(|raw| raw.get().as_bytes().to_vec())
            .unwrap_or_default(),
        cluster,
    });
}

/// Target `differential`: the bytes are the whole `validate` payload, as the host sends it (`{"request": ...,
/// "settings": ...}`, or anything else), and the cluster a ready one of two nodes. The policy's byte-level answer must
/// be the oracle's (property 7), whatever the bytes: readable or not, a decision or a rejection of the payload.
/// Bytes that are not UTF-8 are not JSON: the policy refuses them up front, where the tree would accept them in
/// a field it skips, so for them the property is that refusal (an API server never sends such a payload).
pub fn differential(bytes: &[u8]) {
    let cluster = Cluster::Nodes(vec![
        ("node-a".to_owned(), "v1.30.4".to_owned()),
        ("node-b".to_owned(), "v1.33.1+k3s1".to_owned()),
    ]);
    let answer = response::validate(bytes, |query| cluster.answer(query));
    if std::str::from_utf8(bytes).is_err() {
        let refused = br#"{"accepted":false,"message":"malformed admission request: the payload is not UTF-8 text"#;
        assert!(
            answer.starts_with(refused),
            "a payload that is not UTF-8 is not refused: {}",
            String::from_utf8_lossy(&answer)
        );
        return;
    }
    let tree = oracle::validate(bytes, |query| cluster.answer(query));
    if let Err(difference) = oracle::same_answer(&answer, &tree) {
        panic!(
            "the byte-level answer is not the oracle's\n{difference}\n--- payload ---\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
}

/// Target `decision`: a request, settings and nodes generated from the bytes ([`generate`]).
pub fn structured(bytes: &[u8]) {
    let _ = structured_verdict(bytes);
}

/// [`structured`], returning the verdict it checked (`None` when the bytes made no decision to check), so that a
/// test can tell that generated inputs reach every kind of verdict.
pub fn structured_verdict(bytes: &[u8]) -> Option<Verdict> {
    let mut u = Unstructured::new(bytes);
    let (request, settings, cluster) = generate(&mut u).ok()?;
    check(&Case {
        request: request.to_string(),
        settings: settings.to_string().into_bytes(),
        cluster,
    })
}

/// Checks every property of the module documentation on one case; panics with the case and the property that
/// failed. Returns the verdict, or `None` when the settings do not compile or the request does not read
/// (`evaluate` never runs then).
pub fn check(case: &Case) -> Option<Verdict> {
    same_answer_as_the_oracle(case);
    let policy = Settings::from_json(&case.settings)
        .and_then(|settings| settings.compile())
        .ok()?;
    let request = AdmissionRequest::from_json(case.request.as_bytes()).ok()?;
    let (verdict, asked) = decide(case, &request, &policy);
    let fail = |property: &str, details: &str| -> ! {
        panic!(
            "{property}\n{details}\n--- case ---\n{}\n--- verdict ---\n{verdict:#?}",
            describe(case)
        )
    };
    // The remaining properties are checked on a `Value` tree, which cannot hold what only the byte-level path reads
    // (a number beyond f64, nesting deeper than 128): such a request, which no API server sends, ends here.
    let Ok(tree) = serde_json::from_str::<Value>(&case.request) else {
        return Some(verdict);
    };
    let original = tree.get("object").unwrap_or(&Value::Null);
    let old = tree.get("oldObject").filter(|old| old.is_object());
    let kind = request.kind.clone().unwrap_or_default();
    let object_view = request
        .object
        .and_then(|text| sidecar_placement_policy::view::ObjectView::read(text).ok().flatten());
    let pointer = object_view
        .as_ref()
        .and_then(|view| match workload::classify(&kind.group, &kind.kind, view) {
            Kind::Checked(workload) => Some(workload.path.pointer()),
            Kind::Unsupported => None,
        });
    if let Err(problem) = asked_rightly(&asked, original, pointer, &policy) {
        fail("the cluster was asked when it should not have been", &problem);
    }
    let Verdict::Mutate {
        object: mutated_text, ..
    } = &verdict
    else {
        return Some(verdict);
    };
    let Some(pointer) = pointer else {
        fail("a kind without a pod spec was mutated", "")
    };
    let mutated: Value = match serde_json::from_str(mutated_text) {
        Ok(mutated) => mutated,
        Err(error) => fail("the mutated object is not JSON", &format!("{error}\n{mutated_text}")),
    };

    let (patch, problems) = apiserver_rules::patch_problems(original, &mutated, pointer);
    if !problems.is_empty() {
        fail(
            "the patch is not confined to the container lists",
            &format!("{problems:#?}\npatch: {patch}"),
        );
    }
    if let Err(problem) = moved_verbatim(original, &mutated, pointer, &policy) {
        fail("the mutation does not move sidecars verbatim", &problem);
    }
    if let Some(refusals) = api_server_refusals(old, original, &mutated, pointer, verdict.warnings(), &policy) {
        fail(
            "a valid pod spec was mutated into one the API server refuses",
            &refusals,
        );
    }
    let again = AdmissionRequest {
        object: Some(mutated_text),
        ..request.clone()
    };
    match decide(case, &again, &policy).0 {
        Verdict::Accept { .. } => {}
        again => fail(
            "not idempotent: the mutated object evaluated again is not accepted unchanged",
            &format!("second verdict: {again:#?}"),
        ),
    }
    Some(verdict)
}

/// Property 7: the byte-level answer is the oracle's.
fn same_answer_as_the_oracle(case: &Case) {
    let settings = if case.settings.is_empty() {
        "null".to_owned()
    } else {
        String::from_utf8_lossy(&case.settings).into_owned()
    };
    let payload = format!("{{\"request\":{},\"settings\":{settings}}}", case.request);
    let bytes = response::validate(payload.as_bytes(), |query| case.cluster.answer(query));
    let tree = oracle::validate(payload.as_bytes(), |query| case.cluster.answer(query));
    if let Err(difference) = oracle::same_answer(&bytes, &tree) {
        panic!(
            "the byte-level answer is not the oracle's\n{difference}\n--- case ---\n{}",
            describe(case)
        );
    }
}

/// Property 4: for every Kubernetes version 1.29-1.35 (default feature gates) whose API server accepts the original
/// object (as a CREATE, or as an UPDATE from the old object), what that API server refuses in the mutated one (as a
/// mutation of the original); `None` when no such version refuses it. One refusal is the policy's documented risk, not
/// a failure: `resizePolicy` on a converted sidecar, refused by 1.29-1.32 wherever the field survives (the
/// InPlacePodVerticalScaling gate on, or an UPDATE whose old object uses it), when the verdict warns about that
/// container, or when no such server can run the cluster (`minimumKubeletVersion` 1.33 or later: a kubelet is never
/// newer than its API server).
fn api_server_refusals(
    old: Option<&Value>,
    original: &Value,
    mutated: &Value,
    pointer: &str,
    warnings: &[String],
    policy: &Policy,
) -> Option<String> {
    let init_containers = mutated
        .pointer(&format!("{pointer}/initContainers"))
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let warned = |index: usize| {
        let name = init_containers
            .get(index)
            .and_then(|c| c.get("name"))
            .and_then(Value::as_str);
        let subject = name.map_or_else(
            || "container (unnamed) (".to_owned(),
            |name| format!("container '{name}' ("),
        );
        warnings
            .iter()
            .any(|warning| warning.starts_with(&subject) && warning.contains("keeps its resizePolicy"))
    };
    let documented = |problem: &str| {
        apiserver_rules::init_container_resize_policy_refusal(problem, pointer)
            .is_some_and(|index| warned(index) || policy.minimum_kubelet() >= RESIZE_POLICY_ON_SIDECARS_SINCE)
    };
    let mut refusals = String::new();
    for (version, problems) in apiserver_rules::mutation_refusals(original, old, mutated, pointer) {
        let problems: Vec<String> = problems
            .into_iter()
            .filter(|problem| !(version.minor() < 33 && documented(problem)))
            .collect();
        if !problems.is_empty() {
            let _ = writeln!(refusals, "Kubernetes {version}:\n  {}", problems.join("\n  "));
        }
    }
    (!refusals.is_empty()).then_some(refusals)
}

/// Property 6: at most one question; only with `checkNodes`, only for a pod spec with a sidecar in `containers` or a
/// native sidecar; a pinned Pod asks for its node alone, any other object for the list.
fn asked_rightly(asked: &[String], object: &Value, pointer: Option<&str>, policy: &Policy) -> Result<(), String> {
    if asked.is_empty() {
        return Ok(());
    }
    if asked.len() > 1 {
        return Err(format!("asked {} times: {asked:?}", asked.len()));
    }
    let Some(spec) = pointer.and_then(|pointer| object.pointer(pointer)) else {
        return Err("asked for an object without a pod spec".to_owned());
    };
    let list = |field: &str| spec.get(field).and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let legacy = list("containers")
        .iter()
        .any(|c| policy.is_sidecar(field(c, "name"), field(c, "image")));
    let native = list("initContainers")
        .iter()
        .any(|c| field(c, "restartPolicy") == Some("Always"));
    if policy.node_check().is_none() || !(legacy || native) {
        return Err("asked without checkNodes, or for an object without sidecars".to_owned());
    }
    let expected = match spec
        .get("nodeName")
        .and_then(Value::as_str)
        .filter(|name| !name.is_empty())
    {
        Some(node) => format!("{:?}", NodeQuery::Named(node)),
        None => format!("{:?}", NodeQuery::All),
    };
    if asked[0] != expected {
        return Err(format!("asked {:?}, expected {expected}", asked[0]));
    }
    Ok(())
}

fn field<'a>(container: &'a Value, name: &str) -> Option<&'a str> {
    container.get(name).and_then(Value::as_str)
}

/// `evaluate` on `request` with the case's cluster; also what it asked the cluster.
fn decide(case: &Case, request: &AdmissionRequest<'_>, policy: &Policy) -> (Verdict, Vec<String>) {
    let asked = RefCell::new(Vec::new());
    let verdict = evaluate(
        request,
        policy,
        Some(|query: NodeQuery<'_>| {
            asked.borrow_mut().push(format!("{query:?}"));
            case.cluster.answer(query)
        }),
    );
    (verdict, asked.into_inner())
}

/// Property 3: the containers that stay keep their order, and `initContainers` is the old list with one block
/// inserted somewhere: the moved containers in their order, each a sidecar by the settings, with only
/// `restartPolicy: Always` added. (Identical containers are always decided alike, so reading which ones stayed as
/// the first matching positions is exact.)
fn moved_verbatim(original: &Value, mutated: &Value, pointer: &str, policy: &Policy) -> Result<(), String> {
    let list = |object: &Value, field: &str| -> Vec<Value> {
        match object.pointer(&format!("{pointer}/{field}")) {
            Some(Value::Array(items)) => items.clone(),
            _ => Vec::new(),
        }
    };
    let (containers, init_containers) = (list(original, "containers"), list(original, "initContainers"));
    let (kept, init_after) = (list(mutated, "containers"), list(mutated, "initContainers"));
    let stayed = subsequence_positions(&kept, &containers).ok_or("containers were reordered, changed or added")?;
    let mut block = Vec::new();
    for (index, container) in containers
        .iter()
        .enumerate()
        .filter(|(index, _)| !stayed.contains(index))
    {
        let name = container.get("name").and_then(Value::as_str);
        let image = container.get("image").and_then(Value::as_str);
        if !policy.is_sidecar(name, image) {
            return Err(format!(
                "containers[{index}] was moved but is not a sidecar: {container}"
            ));
        }
        let mut native = container.clone();
        if let Some(fields) = native.as_object_mut() {
            fields.insert("restartPolicy".to_owned(), json!("Always"));
        }
        block.push(native);
    }
    let inserted_somewhere = (0..=init_containers.len()).any(|at| {
        let mut expected = init_containers.clone();
        expected.splice(at..at, block.iter().cloned());
        expected == init_after
    });
    if inserted_somewhere {
        Ok(())
    } else {
        Err(format!(
            "initContainers is not the old list with the moved containers inserted as one block, verbatim with \
             `restartPolicy: Always`:\nmoved: {}\nbefore: {}\nafter: {}",
            Value::Array(block),
            Value::Array(init_containers),
            Value::Array(init_after)
        ))
    }
}

/// The positions in `whole` at which `part` occurs in order (greedy), or `None` when it is not a subsequence.
fn subsequence_positions(part: &[Value], whole: &[Value]) -> Option<Vec<usize>> {
    let mut positions = Vec::with_capacity(part.len());
    let mut from = 0;
    for item in part {
        let at = from + whole[from..].iter().position(|candidate| candidate == item)?;
        positions.push(at);
        from = at + 1;
    }
    Some(positions)
}

/// The case as a person reads it in a report: the request, the settings and the cluster.
pub fn describe(case: &Case) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "request: {}", case.request);
    let _ = writeln!(text, "settings: {}", String::from_utf8_lossy(&case.settings));
    let _ = write!(text, "cluster: {:?}", case.cluster);
    text
}

// ---------------------------------------------------------------------------------------------------------------
// Structured inputs: every name, image, pattern and version is drawn from a vocabulary of the real thing (the
// sidecars the policy is about, the one-shot init containers that share their images, registries that only look
// alike), now and then from arbitrary text.

const CONTAINER_NAMES: &[&str] = &[
    "app",
    "web",
    "worker",
    "vault-agent",
    "vault-agent-init",
    "istio-proxy",
    "istio-init",
    "istio-validation",
    "linkerd-proxy",
    "linkerd-init",
    "cloud-sql-proxy",
    "log-shipper",
    "otc-container",
    "otel-collector",
    "fluent-bit",
    "daprd",
    "gke-gcsfuse-sidecar",
    "setup",
    "migrate",
    "a",
    "Bad_Name",
    "agent-",
    "",
];

const IMAGES: &[&str] = &[
    "nginx",
    "nginx:1.25",
    "docker.io/library/nginx:1.25",
    "example/app:1",
    "example/pdf-renderer:2",
    "hashicorp/vault:1.15.2",
    "hashicorp/vault",
    "index.docker.io/hashicorp/vault:1.15",
    "docker.io/hashicorp/vault@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "hashicorp/vault:1.15.2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "docker.io/istio/proxyv2:1.22.0",
    "gcr.io/istio-release/proxyv2:1.22.0",
    "docker.io.evil.com/istio/proxyv2:1.22",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/istio-release/proxyv2:1.22",
    "cr.l5d.io/linkerd/proxy:stable-2.14.10",
    "cr.l5d.io/linkerd/proxy-init:v2.2.4",
    "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11.0",
    "fluent/fluent-bit:3.1.4",
    "fluent/fluent-bit:2.2",
    "otel/opentelemetry-collector-contrib:0.110.0",
    "daprio/daprd:1.13.0",
    "localhost:5000/agent:v1",
    "[::1]:5000/agent",
    "ghcr.io/acme/log-shipper:2",
    "",
    "::not an image::",
    "Hashicorp/Vault:",
];

const IMAGE_PATTERNS: &[&str] = &[
    "hashicorp/vault",
    "*/istio-release/proxyv2",
    "docker.io/istio/proxyv2",
    "cr.l5d.io/linkerd/proxy",
    "gcr.io/cloud-sql-connectors/cloud-sql-proxy",
    "fluent/fluent-bit:3.*",
    "fluent/fluent-bit",
    "otel/opentelemetry-collector*",
    "ghcr.io/acme/*",
    "localhost:5000/agent",
    "daprio/daprd",
    "hashicorp/vault:1.15",
    "hashicorp/vault@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "nginx",
    "*",
    "*:*",
];

/// Patterns `validate_settings` refuses: settings with one never reach `evaluate`, so they are drawn rarely.
const INVALID_PATTERNS: &[&str] = &["Hashicorp/Vault:", "", "Vault-Agent", "a b", "docker.io/Istio/proxyv2"];

/// The sidecars of `tests/data/settings.json` and a few more: most generated settings use them, so that generated
/// containers (drawn from the same names and images) are often sidecars.
const USUAL_IMAGE_PATTERNS: &[&str] = &[
    "hashicorp/vault",
    "*/istio-release/proxyv2",
    "docker.io/istio/proxyv2",
    "cr.l5d.io/linkerd/proxy",
    "gcr.io/cloud-sql-connectors/cloud-sql-proxy",
    "fluent/fluent-bit",
];

const USUAL_NAME_PATTERNS: &[&str] = &["vault-agent", "istio-proxy", "cloud-sql-proxy", "log-shipper"];

const NAME_PATTERNS: &[&str] = &[
    "vault-agent",
    "istio-*",
    "*-proxy",
    "log-shipper",
    "otc-container",
    "cloud-sql-proxy",
    "daprd",
    "*",
    "?pp",
];

const KINDS: &[(&str, &str)] = &[
    ("", "Pod"),
    ("apps", "Deployment"),
    ("apps", "ReplicaSet"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("", "ReplicationController"),
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("argoproj.io", "Rollout"),
    ("", "ConfigMap"),
    ("example.com", "Job"),
    ("apps", "Pod"),
];

const POD_SPEC_POINTERS: &[&str] = &["/spec", "/spec/template/spec", "/spec/jobTemplate/spec/template/spec"];

const NODE_NAMES: &[&str] = &["node-a", "node-b", "node-c", "ghost", ""];

const KUBELET_VERSIONS: &[&str] = &[
    "v1.28.5",
    "v1.29.0",
    "v1.30.4-eks-4f1a2b",
    "v1.31.0+k3s1",
    "v1.33.1",
    "v1.32.1-gke.1002000",
    "1.31",
    "v2.0.0",
    "v1.100.0",
    "",
    "latest",
    "v1.-30.1",
];

const MINIMUM_KUBELET_VERSIONS: &[&str] = &["1.29", "1.31", "1.33", "1.29", "1.31", "1.33", "2.0", "1.28", "v1.29"];

const RESTART_POLICIES: &[&str] = &["Always", "Never", "OnFailure", "", "always"];

const OPERATIONS: &[&str] = &[
    "CREATE", "CREATE", "CREATE", "CREATE", "UPDATE", "UPDATE", "UPDATE", "DELETE", "CONNECT",
];

const SUB_RESOURCES: &[&str] = &["status", "scale", "ephemeralcontainers", ""];

/// A request (as JSON), settings (as JSON) and a cluster.
pub fn generate(u: &mut Unstructured<'_>) -> arbitrary::Result<(Value, Value, Cluster)> {
    let settings = settings(u)?;
    let (group, kind) = *u.choose(KINDS)?;
    let pointer = if u.ratio(1, 16)? {
        *u.choose(POD_SPEC_POINTERS)?
    } else {
        match kind {
            "Pod" if group.is_empty() => "/spec",
            "CronJob" if group == "batch" => "/spec/jobTemplate/spec/template/spec",
            _ => "/spec/template/spec",
        }
    };
    let operation = *u.choose(OPERATIONS)?;
    let spec = pod_spec(u)?;
    let object = object(u, group, kind, pointer, spec.clone())?;
    let old_object = if operation == "UPDATE" {
        match u.int_in_range(0..=4u8)? {
            0 => Value::Null,
            1 => object.clone(),
            2 => {
                // The same object without some of its containers: an update that adds them.
                let mut old = spec.clone();
                for field in ["containers", "initContainers"] {
                    if let Some(Value::Array(items)) = old.get_mut(field) {
                        let mut keep = Vec::new();
                        for item in items.drain(..) {
                            if u.arbitrary::<bool>()? {
                                keep.push(item);
                            }
                        }
                        *items = keep;
                    }
                }
                self::object(u, group, kind, pointer, old)?
            }
            3 => {
                let old = pod_spec(u)?;
                self::object(u, group, kind, pointer, old)?
            }
            _ => json!({"kind": kind}),
        }
    } else {
        Value::Null
    };
    let mut request = json!({
        "uid": "fuzz",
        "kind": {"group": group, "version": "v1", "kind": kind},
        "operation": operation,
        "object": object,
        "oldObject": old_object,
    });
    if u.ratio(1, 10)? {
        request["subResource"] = json!(*u.choose(SUB_RESOURCES)?);
    }
    if u.ratio(1, 50)? {
        request["object"] = json!(null);
    }
    let nodes = nodes(u)?;
    Ok((request, settings, nodes))
}

fn settings(u: &mut Unstructured<'_>) -> arbitrary::Result<Value> {
    let mut settings = Map::new();
    let patterns = |u: &mut Unstructured<'_>, usual: &[&str], vocabulary: &[&str], max: u8| {
        let mut patterns: Vec<String> = if u.arbitrary()? {
            usual.iter().map(|p| (*p).to_owned()).collect()
        } else {
            (0..u.int_in_range(0..=max)?)
                .map(|_| word(u, vocabulary, 0))
                .collect::<arbitrary::Result<_>>()?
        };
        if u.ratio(1, 32)? {
            patterns.push(word(u, INVALID_PATTERNS, 2)?);
        }
        Ok::<_, arbitrary::Error>(patterns)
    };
    let images = patterns(u, USUAL_IMAGE_PATTERNS, IMAGE_PATTERNS, 3)?;
    let names = patterns(u, USUAL_NAME_PATTERNS, NAME_PATTERNS, 2)?;
    if images.is_empty() && names.is_empty() {
        settings.insert("sidecarImages".into(), json!([*u.choose(IMAGE_PATTERNS)?]));
    }
    if !images.is_empty() {
        settings.insert("sidecarImages".into(), json!(images));
    }
    if !names.is_empty() {
        settings.insert("sidecarContainerNames".into(), json!(names));
    }
    let mutate = !u.ratio(1, 4)?;
    settings.insert("mutate".into(), json!(mutate));
    if mutate && !u.ratio(1, 8)? {
        settings.insert("mutateTemplates".into(), json!(true));
    }
    if u.ratio(1, 4)? {
        settings.insert("restrictNativeSidecars".into(), json!(true));
    }
    if u.arbitrary::<bool>()? {
        let placement = *u.choose(&["afterInitContainers", "beforeInitContainers"])?;
        settings.insert("placement".into(), json!(placement));
    }
    if u.ratio(1, 4)? {
        settings.insert("checkNodes".into(), json!(true));
        if u.arbitrary::<bool>()? {
            settings.insert(
                "minimumKubeletVersion".into(),
                json!(*u.choose(MINIMUM_KUBELET_VERSIONS)?),
            );
        }
    }
    Ok(Value::Object(settings))
}

fn object(u: &mut Unstructured<'_>, group: &str, kind: &str, pointer: &str, spec: Value) -> arbitrary::Result<Value> {
    let api_version = if group.is_empty() {
        "v1".to_owned()
    } else {
        format!("{group}/v1")
    };
    let mut object = json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "fuzz"}});
    if u.ratio(1, 20)? {
        object["metadata"]["annotations"] = json!({"kubernetes.io/config.mirror": "0123"});
    }
    // The pod spec, wrapped in the objects of its path from the inside out.
    let mut keys: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    let first = keys.remove(0);
    let nested = keys.iter().rev().fold(spec, |inner, key| json!({ *key: inner }));
    object[first] = nested;
    Ok(object)
}

fn pod_spec(u: &mut Unstructured<'_>) -> arbitrary::Result<Value> {
    let mut spec = Map::new();
    let containers = container_list(u, 1, 5)?;
    spec.insert("containers".into(), containers);
    match u.int_in_range(0..=5u8)? {
        0 => {}
        1 => {
            spec.insert("initContainers".into(), Value::Null);
        }
        _ => {
            let init = container_list(u, 0, 4)?;
            spec.insert("initContainers".into(), init);
        }
    }
    if u.ratio(1, 12)? {
        let ephemeral = container_list(u, 0, 1)?;
        spec.insert("ephemeralContainers".into(), ephemeral);
    }
    if u.ratio(1, 6)? {
        spec.insert("nodeName".into(), json!(*u.choose(NODE_NAMES)?));
    }
    if u.ratio(1, 8)? {
        spec.insert(
            "restartPolicy".into(),
            json!(*u.choose(&["Always", "Never", "OnFailure"])?),
        );
    }
    if u.ratio(1, 4)? {
        spec.insert("resources".into(), resources(u)?);
    }
    Ok(Value::Object(spec))
}

fn container_list(u: &mut Unstructured<'_>, min: u8, max: u8) -> arbitrary::Result<Value> {
    if u.ratio(1, 64)? {
        return Ok(json!("not a list"));
    }
    let items = (0..u.int_in_range(min..=max)?)
        .map(|_| container(u))
        .collect::<arbitrary::Result<_>>()?;
    Ok(Value::Array(items))
}

fn container(u: &mut Unstructured<'_>) -> arbitrary::Result<Value> {
    if u.ratio(1, 64)? {
        return Ok(u.choose(&[json!(null), json!(42), json!("container")])?.clone());
    }
    let mut container = Map::new();
    if !u.ratio(1, 32)? {
        let name = if u.ratio(1, 64)? {
            json!(7)
        } else {
            json!(word(u, CONTAINER_NAMES, 24)?)
        };
        container.insert("name".into(), name);
    }
    if !u.ratio(1, 32)? {
        let image = if u.ratio(1, 64)? {
            json!(["x"])
        } else {
            json!(word(u, IMAGES, 24)?)
        };
        container.insert("image".into(), image);
    }
    if u.ratio(1, 8)? {
        container.insert("restartPolicy".into(), json!(word(u, RESTART_POLICIES, 0)?));
    }
    if u.ratio(1, 16)? {
        container.insert(
            "restartPolicyRules".into(),
            json!([{"action": "Restart", "exitCodes": {"operator": "In", "values": [42]}}]),
        );
    }
    for field in ["livenessProbe", "readinessProbe", "startupProbe", "lifecycle"] {
        if u.ratio(1, 10)? {
            container.insert(field.into(), json!({"exec": {"command": ["true"]}}));
        }
    }
    if u.ratio(1, 12)? {
        container.insert(
            "resizePolicy".into(),
            json!([{"resourceName": "cpu", "restartPolicy": "NotRequired"}]),
        );
    }
    if u.ratio(1, 3)? {
        container.insert("resources".into(), resources(u)?);
    }
    if u.ratio(1, 12)? {
        container.insert("futureField".into(), json!({"nested": [1, {"deep": null}]}));
    }
    Ok(Value::Object(container))
}

const QUANTITIES: &[&str] = &[
    "100m", "250m", "500m", "1", "1.5", "2", "0.1", "1e3", "64Mi", "1Gi", "1000Mi", "2Mi", "0",
];
const RESOURCE_NAMES: &[&str] = &["cpu", "memory", "hugepages-2Mi", "cpu", "memory"];

/// `resources` with requests and limits drawn from a few names and quantities (pod-level resources at pod level).
fn resources(u: &mut Unstructured<'_>) -> arbitrary::Result<Value> {
    let mut resources = Map::new();
    for field in ["requests", "limits"] {
        if u.ratio(2, 3)? {
            let mut quantities = Map::new();
            for _ in 0..u.int_in_range(1..=2u8)? {
                let name = *u.choose(RESOURCE_NAMES)?;
                let quantity = if u.ratio(1, 32)? {
                    json!(2)
                } else {
                    json!(word(u, QUANTITIES, 48)?)
                };
                quantities.insert(name.into(), quantity);
            }
            resources.insert(field.into(), Value::Object(quantities));
        }
    }
    Ok(Value::Object(resources))
}

fn nodes(u: &mut Unstructured<'_>) -> arbitrary::Result<Cluster> {
    if u.ratio(1, 8)? {
        return Ok(Cluster::Fails(
            "nodes is forbidden: User cannot list resource \"nodes\"".to_owned(),
        ));
    }
    (0..u.int_in_range(0..=4u8)?)
        .map(|_| {
            // Mostly kubelets that run native sidecars: an old one anywhere sets every conversion aside.
            let version = if u.ratio(3, 4)? {
                word(u, &KUBELET_VERSIONS[1..6], 0)?
            } else {
                word(u, KUBELET_VERSIONS, 16)?
            };
            Ok((word(u, NODE_NAMES, 0)?, version))
        })
        .collect::<arbitrary::Result<Vec<_>>>()
        .map(Cluster::Nodes)
}

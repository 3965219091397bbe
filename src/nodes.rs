//! Whether the cluster's kubelets can run native sidecars (`checkNodes`).
//!
//! A native sidecar needs kubelet 1.29+ on the node that runs the Pod (KEP-753): an older kubelet ignores
//! `restartPolicy` on the init container, so the sidecar never exits and the Pod hangs in `Init`. During an upgrade
//! the API server is already new while some nodes are not, so the API server accepting the field proves nothing.
//! Like Istio's `ENABLE_NATIVE_SIDECARS=auto`, the policy looks at every node's `status.nodeInfo.kubeletVersion`, or
//! only at the Pod's node when `spec.nodeName` pins it.
//!
//! This module is pure: the Node list comes in as bytes or values; the adapter that asks the host for it lives in
//! `kubewarden.rs` (and in the browser, a text field stands for the cluster).

use std::fmt;

use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

/// The first Kubernetes minor with native sidecars on by default (beta); GA is 1.33.
pub const NATIVE_SIDECARS_SINCE: KubeletVersion = KubeletVersion { major: 1, minor: 29 };

/// How many not-ready nodes a warning names before it says "and N more".
const NODES_NAMED: usize = 3;

/// The `apiVersion` and `kind` the policy lists, as `spec.contextAwareResources` must grant them.
pub const NODE_API_VERSION: &str = "v1";
/// See [`NODE_API_VERSION`].
pub const NODE_KIND: &str = "Node";
/// The only fields the policy reads of a Node: the host trims every other field before sending the list
/// (policy-server 1.33+ honours field masks), so a large cluster costs a few bytes per node.
pub const NODE_FIELD_MASKS: [&str; 2] = ["metadata.name", "status.nodeInfo.kubeletVersion"];

/// A Kubernetes `MAJOR.MINOR`, the granularity at which features and feature gates change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeletVersion {
    major: u32,
    minor: u32,
}

impl fmt::Display for KubeletVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Why `minimumKubeletVersion` was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MinimumVersionError {
    /// Not `MAJOR.MINOR` with decimal numbers.
    #[error("it must be MAJOR.MINOR, such as \"1.29\" or \"1.33\"")]
    NotMajorMinor,
    /// Below the release that introduced native sidecars.
    #[error("native sidecars do not exist before Kubernetes {NATIVE_SIDECARS_SINCE}")]
    TooOld,
}

impl KubeletVersion {
    /// Reads the setting `minimumKubeletVersion`: exactly `MAJOR.MINOR`, at least 1.29.
    pub fn parse_minimum(text: &str) -> Result<Self, MinimumVersionError> {
        let (major, minor) = text.split_once('.').ok_or(MinimumVersionError::NotMajorMinor)?;
        let version = Self {
            major: decimal(major).ok_or(MinimumVersionError::NotMajorMinor)?,
            minor: decimal(minor).ok_or(MinimumVersionError::NotMajorMinor)?,
        };
        if version < NATIVE_SIDECARS_SINCE {
            return Err(MinimumVersionError::TooOld);
        }
        Ok(version)
    }

    /// Reads a kubelet's version as a Node reports it: `v1.30.4`, `v1.29.3-eks-4f1a2b`, `v1.31.0+k3s1`,
    /// `v1.32.1-gke.1002000`. `None` for anything else: a node whose kubelet cannot be read is not trusted to run
    /// native sidecars (Istio's auto mode does the same).
    pub fn parse_kubelet(text: &str) -> Option<Self> {
        let text = text.strip_prefix('v').unwrap_or(text);
        // Build metadata (`+k3s1`) and pre-release or vendor suffixes (`-eks-4f1a2b`) follow the numbers.
        let numbers = text.split(['-', '+']).next().unwrap_or_default();
        let mut parts = numbers.split('.');
        let major = decimal(parts.next()?)?;
        let minor = decimal(parts.next()?)?;
        // The patch is optional (`1.30`), but when present it is a number and nothing follows it.
        if let Some(patch) = parts.next() {
            decimal(patch)?;
        }
        if parts.next().is_some() {
            return None;
        }
        Some(Self { major, minor })
    }
}

fn decimal(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// One Node as the policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// `metadata.name`.
    pub name: String,
    /// `status.nodeInfo.kubeletVersion`, as reported (empty when the node reports none).
    pub kubelet_version: String,
}

impl Node {
    /// A node named `name` whose kubelet reports `kubelet_version`.
    pub fn new(name: impl Into<String>, kubelet_version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kubelet_version: kubelet_version.into(),
        }
    }

    fn runs_native_sidecars(&self, minimum: KubeletVersion) -> bool {
        KubeletVersion::parse_kubelet(&self.kubelet_version).is_some_and(|version| version >= minimum)
    }
}

/// What asking the cluster for its Nodes gave: the nodes, or the error to quote.
pub type NodeLookup = Result<Vec<Node>, String>;

/// Reads the host's answer to `list_resources_all` for `v1/Node` (a `NodeList`), keeping only the two fields the
/// decision needs. Deliberately not `k8s_openapi::List<Node>`: a typed Node is a deep tree of optional structs,
/// and a host that ignores field masks sends every node's images and conditions; here serde skips them unread.
pub fn parse_node_list(json: &[u8]) -> NodeLookup {
    #[derive(Deserialize)]
    struct List {
        /// Go encodes an empty list as `null` as readily as `[]`.
        #[serde(default)]
        items: Option<Vec<Item>>,
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Item {
        metadata: Metadata,
        status: Status,
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Metadata {
        name: String,
    }
    #[derive(Deserialize, Default)]
    #[serde(default, rename_all = "camelCase")]
    struct Status {
        node_info: NodeInfo,
    }
    #[derive(Deserialize, Default)]
    #[serde(default, rename_all = "camelCase")]
    struct NodeInfo {
        kubelet_version: String,
    }
    let list: List = serde_json::from_slice(json).map_err(|error| format!("unreadable NodeList: {error}"))?;
    Ok(list
        .items
        .unwrap_or_default()
        .into_iter()
        .map(|item| Node {
            name: item.metadata.name,
            kubelet_version: item.status.node_info.kubelet_version,
        })
        .collect())
}

/// The part of a failed host call worth quoting to a user: its first line (hosts append stack backtraces), without
/// the prefixes the waPC guest (`Host error: `) and policy-evaluator (`Callback evaluation failure: `) put before
/// the cluster's own words, nor a closing period (the warning goes on after it).
pub fn lookup_error(message: &str) -> String {
    let mut text = message.lines().next().unwrap_or_default().trim();
    for prefix in ["Host error: ", "Callback evaluation failure: "] {
        text = text.strip_prefix(prefix).unwrap_or(text);
    }
    text.trim_end_matches('.').trim_end().to_owned()
}

/// `spec.nodeName` of a pod spec: when set, the Pod runs there and nowhere else.
pub fn pinned_node(spec: &Value) -> Option<&str> {
    spec.get("nodeName")
        .and_then(Value::as_str)
        .filter(|name| !name.is_empty())
}

/// Why the policy does not rely on native sidecars for this object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    /// The Node list could not be obtained; the text is the host's error.
    LookupFailed(String),
    /// The cluster listed no Node at all.
    NoNodes,
    /// `spec.nodeName` names a node the cluster did not list.
    PinnedNodeUnknown(String),
    /// These nodes' kubelets are older than the minimum or report no readable version.
    OldKubelets {
        /// The nodes that cannot run native sidecars, in the order the cluster listed them.
        nodes: Vec<Node>,
        /// `spec.nodeName` pinned the Pod to the (single) node in `nodes`.
        pinned: bool,
    },
}

/// Decides whether every node that can run this pod spec runs native sidecars. `Ok(())` when they all do.
pub fn readiness(lookup: NodeLookup, pinned: Option<&str>, minimum: KubeletVersion) -> Result<(), NotReady> {
    let nodes = lookup.map_err(NotReady::LookupFailed)?;
    if nodes.is_empty() {
        return Err(NotReady::NoNodes);
    }
    let not_ready: Vec<Node> = match pinned {
        Some(name) => {
            let node = nodes
                .into_iter()
                .find(|node| node.name == name)
                .ok_or_else(|| NotReady::PinnedNodeUnknown(name.to_owned()))?;
            if node.runs_native_sidecars(minimum) {
                return Ok(());
            }
            vec![node]
        }
        None => nodes
            .into_iter()
            .filter(|node| !node.runs_native_sidecars(minimum))
            .collect(),
    };
    if not_ready.is_empty() {
        return Ok(());
    }
    Err(NotReady::OldKubelets {
        nodes: not_ready,
        pinned: pinned.is_some(),
    })
}

impl NotReady {
    /// Why the cluster cannot be trusted to run native sidecars, as a clause that completes "a native sidecar hangs
    /// in Init on a node whose kubelet is older than MINIMUM, and ...".
    pub fn describe(&self, minimum: KubeletVersion) -> String {
        match self {
            NotReady::LookupFailed(error) => format!(
                "the cluster's Nodes could not be listed to rule that out: {error}. Grant the policy access: list \
                 `{{apiVersion: {NODE_API_VERSION}, kind: {NODE_KIND}}}` in its spec.contextAwareResources, and \
                 allow get, list and watch on nodes to the policy server's service account"
            ),
            NotReady::NoNodes => "the cluster listed no Node to rule that out".to_owned(),
            NotReady::PinnedNodeUnknown(name) => {
                format!("the Pod's node '{name}' (spec.nodeName) is not among the cluster's Nodes")
            }
            NotReady::OldKubelets { nodes, pinned } => {
                let mut named: Vec<String> = nodes.iter().take(NODES_NAMED).map(describe_node).collect();
                if nodes.len() > NODES_NAMED {
                    named.push(format!("{} more", nodes.len() - NODES_NAMED));
                }
                let (which, verb) = match (pinned, nodes.len()) {
                    (true, _) => ("the Pod's node (spec.nodeName)", "does"),
                    (false, 1) => ("node", "does"),
                    (false, _) => ("nodes", "do"),
                };
                format!("{which} {} {verb} not run kubelet {minimum} or later", join_and(&named))
            }
        }
    }
}

fn describe_node(node: &Node) -> String {
    if node.kubelet_version.is_empty() {
        format!("'{}' (no kubelet version)", node.name)
    } else if KubeletVersion::parse_kubelet(&node.kubelet_version).is_none() {
        format!(
            "'{}' (kubelet version '{}' unreadable)",
            node.name, node.kubelet_version
        )
    } else {
        format!("'{}' (kubelet {})", node.name, node.kubelet_version)
    }
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn v(major: u32, minor: u32) -> KubeletVersion {
        KubeletVersion { major, minor }
    }

    #[rstest]
    #[case::plain("v1.30.4", Some(v(1, 30)))]
    #[case::eks("v1.29.3-eks-4f1a2b", Some(v(1, 29)))]
    #[case::k3s("v1.31.0+k3s1", Some(v(1, 31)))]
    #[case::gke("v1.32.1-gke.1002000", Some(v(1, 32)))]
    #[case::without_v("1.33.0", Some(v(1, 33)))]
    #[case::without_patch("v1.30", Some(v(1, 30)))]
    #[case::two_digit_minor_is_not_a_decimal_fraction("v1.100.0", Some(v(1, 100)))]
    #[case::empty("", None)]
    #[case::garbage("latest", None)]
    #[case::major_only("v1", None)]
    #[case::letters_in_minor("v1.3x.0", None)]
    #[case::four_numbers("v1.30.1.2", None)]
    #[case::negative("v1.-30.1", None)]
    #[case::overflow("v1.99999999999.0", None)]
    fn kubelet_versions(#[case] text: &str, #[case] expected: Option<KubeletVersion>) {
        assert_eq!(KubeletVersion::parse_kubelet(text), expected);
    }

    #[rstest]
    #[case::beta("1.29", Ok(v(1, 29)))]
    #[case::ga("1.33", Ok(v(1, 33)))]
    #[case::next_major("2.0", Ok(v(2, 0)))]
    #[case::too_old("1.28", Err(MinimumVersionError::TooOld))]
    #[case::with_patch("1.29.0", Err(MinimumVersionError::NotMajorMinor))]
    #[case::with_v("v1.29", Err(MinimumVersionError::NotMajorMinor))]
    #[case::major_only("1", Err(MinimumVersionError::NotMajorMinor))]
    #[case::empty("", Err(MinimumVersionError::NotMajorMinor))]
    #[case::spaces(" 1.29", Err(MinimumVersionError::NotMajorMinor))]
    fn minimum_versions(#[case] text: &str, #[case] expected: Result<KubeletVersion, MinimumVersionError>) {
        assert_eq!(KubeletVersion::parse_minimum(text), expected);
    }

    #[test]
    fn too_old_minimum_says_why() {
        assert_eq!(
            MinimumVersionError::TooOld.to_string(),
            "native sidecars do not exist before Kubernetes 1.29"
        );
    }

    fn nodes(versions: &[&str]) -> NodeLookup {
        Ok(versions
            .iter()
            .enumerate()
            .map(|(i, version)| Node::new(format!("node-{}", i + 1), *version))
            .collect())
    }

    fn names(result: Result<(), NotReady>) -> Vec<String> {
        match result {
            Err(NotReady::OldKubelets { nodes, .. }) => nodes.into_iter().map(|n| n.name).collect(),
            other => panic!("expected old kubelets, got {other:?}"),
        }
    }

    #[rstest]
    #[case::all_ready(&["v1.30.4", "v1.29.3-eks-4f1a2b", "v1.31.0+k3s1"], None, true)]
    #[case::one_old(&["v1.30.4", "v1.28.9"], None, false)]
    #[case::unreadable_is_not_ready(&["v1.30.4", "garbage"], None, false)]
    #[case::missing_version_is_not_ready(&["v1.30.4", ""], None, false)]
    #[case::pinned_to_ready_node_of_mixed_cluster(&["v1.28.9", "v1.30.4"], Some("node-2"), true)]
    #[case::pinned_to_old_node(&["v1.28.9", "v1.30.4"], Some("node-1"), false)]
    fn readiness_of_clusters(#[case] versions: &[&str], #[case] pinned: Option<&str>, #[case] ready: bool) {
        assert_eq!(readiness(nodes(versions), pinned, NATIVE_SIDECARS_SINCE).is_ok(), ready);
    }

    #[test]
    fn only_the_nodes_that_are_not_ready_are_reported() {
        let result = readiness(nodes(&["v1.30.4", "v1.28.9", "v1.33.0", "bad"]), None, v(1, 33));
        assert_eq!(names(result), ["node-1", "node-2", "node-4"]);
    }

    #[rstest]
    #[case::lookup_failed(Err("denied".to_owned()), None, NotReady::LookupFailed("denied".into()))]
    #[case::no_nodes(Ok(vec![]), None, NotReady::NoNodes)]
    #[case::pinned_node_unknown(nodes(&["v1.30.4"]), Some("elsewhere"), NotReady::PinnedNodeUnknown("elsewhere".into()))]
    fn unknown_clusters_are_not_ready(
        #[case] lookup: NodeLookup,
        #[case] pinned: Option<&str>,
        #[case] expected: NotReady,
    ) {
        assert_eq!(readiness(lookup, pinned, NATIVE_SIDECARS_SINCE), Err(expected));
    }

    #[test]
    fn at_most_three_nodes_are_named() {
        let Err(not_ready) = readiness(
            nodes(&["v1.27.1", "v1.28.9", "", "odd", "v1.28.0"]),
            None,
            NATIVE_SIDECARS_SINCE,
        ) else {
            panic!("not ready expected");
        };
        assert_eq!(
            not_ready.describe(NATIVE_SIDECARS_SINCE),
            "nodes 'node-1' (kubelet v1.27.1), 'node-2' (kubelet v1.28.9), 'node-3' (no kubelet version) and 2 more \
             do not run kubelet 1.29 or later"
        );
    }

    #[rstest]
    #[case::one_node(&["v1.30.1", "v1.28.9"], None, "node 'node-2' (kubelet v1.28.9) does not run kubelet 1.29 or later")]
    #[case::pinned_node(&["odd"], Some("node-1"), "the Pod's node (spec.nodeName) 'node-1' (kubelet version 'odd' unreadable) does not run kubelet 1.29 or later")]
    #[case::pinned_node_unknown(&["v1.30.1"], Some("gone"), "the Pod's node 'gone' (spec.nodeName) is not among the cluster's Nodes")]
    #[case::no_nodes(&[], None, "the cluster listed no Node to rule that out")]
    fn reasons(#[case] versions: &[&str], #[case] pinned: Option<&str>, #[case] expected: &str) {
        let not_ready = readiness(nodes(versions), pinned, NATIVE_SIDECARS_SINCE).expect_err("not ready");
        assert_eq!(not_ready.describe(NATIVE_SIDECARS_SINCE), expected);
    }

    #[test]
    fn a_failed_lookup_says_what_to_grant() {
        let text = NotReady::LookupFailed("Policy has not been granted access to Kubernetes v1/Node resources".into())
            .describe(NATIVE_SIDECARS_SINCE);
        assert_eq!(
            text,
            "the cluster's Nodes could not be listed to rule that out: Policy has not been granted access to \
             Kubernetes v1/Node resources. Grant the policy access: list `{apiVersion: v1, kind: Node}` in its \
             spec.contextAwareResources, and allow get, list and watch on nodes to the policy server's service \
             account"
        );
    }

    #[rstest]
    #[case::masked(br#"{"apiVersion":"v1","kind":"NodeList","metadata":{},"items":[{"metadata":{"name":"a"},"status":{"nodeInfo":{"kubeletVersion":"v1.30.4"}}}]}"#, Ok(vec![Node::new("a", "v1.30.4")]))]
    #[case::full_node_fields_are_skipped(br#"{"items":[{"metadata":{"name":"a","labels":{"x":"y"}},"spec":{"podCIDR":"10.0.0.0/24"},"status":{"images":[{"names":["x"]}],"nodeInfo":{"kubeletVersion":"v1.28.1","osImage":"x"}}}]}"#, Ok(vec![Node::new("a", "v1.28.1")]))]
    #[case::no_status(br#"{"items":[{"metadata":{"name":"a"}}]}"#, Ok(vec![Node::new("a", "")]))]
    #[case::empty_list(br#"{"apiVersion":"v1","kind":"NodeList","items":[]}"#, Ok(vec![]))]
    #[case::null_items(br#"{"items":null}"#, Ok(vec![]))]
    #[case::items_not_a_list(br#"{"items":{}}"#, Err("unreadable NodeList: invalid type: map, expected a sequence at line 1 column 9".into()))]
    #[case::not_json(b"oops", Err("unreadable NodeList: expected value at line 1 column 1".into()))]
    fn node_lists(#[case] json: &[u8], #[case] expected: NodeLookup) {
        assert_eq!(parse_node_list(json), expected);
    }

    #[rstest]
    #[case::kwctl_without_access(
        "Host error: Policy has not been granted access to Kubernetes v1/Node resources. The violation has been reported.",
        "Policy has not been granted access to Kubernetes v1/Node resources. The violation has been reported"
    )]
    #[case::backtrace(
        "Host error: Callback evaluation failure: boom\n\nStack backtrace:\n   0: <unknown>",
        "boom"
    )]
    #[case::rbac(
        "Host error: Callback evaluation failure: nodes is forbidden: User \"x\" cannot list resource \"nodes\"",
        "nodes is forbidden: User \"x\" cannot list resource \"nodes\""
    )]
    #[case::plain("connection refused", "connection refused")]
    #[case::empty("", "")]
    fn lookup_errors_are_quoted_without_noise(#[case] message: &str, #[case] expected: &str) {
        assert_eq!(lookup_error(message), expected);
    }

    #[rstest]
    #[case::none(&[], "")]
    #[case::one(&["a"], "a")]
    #[case::two(&["a", "b"], "a and b")]
    #[case::three(&["a", "b", "c"], "a, b and c")]
    fn lists_in_prose(#[case] items: &[&str], #[case] expected: &str) {
        let items: Vec<String> = items.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(join_and(&items), expected);
    }
}

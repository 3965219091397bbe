//! Whether the cluster's kubelets can run native sidecars (`checkNodes`).
//!
//! A native sidecar needs kubelet 1.29+ on the node that runs the Pod (KEP-753): an older kubelet ignores
//! `restartPolicy` on the init container, so the sidecar never exits and the Pod hangs in `Init`. During an upgrade
//! the API server is already new while some nodes are not, so the API server accepting the field proves nothing.
//! Like Istio's `ENABLE_NATIVE_SIDECARS=auto`, the policy looks at every node's `status.nodeInfo.kubeletVersion`, or
//! only at the Pod's node when `spec.nodeName` pins it.
//!
//! This module is pure: the cluster's answer comes in as the JSON the host sent (a `NodeList`, or one `Node`), read
//! here with the decision's own minimum so that a 5,000-node answer costs one pass and no copy of what is ready.
//! The adapter that asks the host lives in `kubewarden.rs`; in the browser a text field stands for the cluster.

use std::borrow::Cow;
use std::fmt;

use thiserror::Error;

#[cfg(any(test, feature = "oracle"))]
pub mod reference;

/// The first Kubernetes minor with native sidecars on by default (beta); GA is 1.33.
pub const NATIVE_SIDECARS_SINCE: KubeletVersion = KubeletVersion { major: 1, minor: 29 };

/// How many not-ready nodes a warning names before it says "and N more".
const NODES_NAMED: usize = 3;

/// The `apiVersion` and `kind` the policy reads, as `spec.contextAwareResources` must grant them.
pub const NODE_API_VERSION: &str = "v1";
/// See [`NODE_API_VERSION`].
pub const NODE_KIND: &str = "Node";
/// The only fields the policy reads of a Node: the host trims every other field before sending it (policy-server
/// 1.33+ honours field masks), so a large cluster costs a few bytes per node.
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
    /// `MAJOR.MINOR`.
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

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
        // Build metadata (`+k3s1`) and pre-release or vendor suffixes (`-eks-4f1a2b`) follow the numbers. Read byte
        // by byte: a 5,000-node list reads 5,000 of these.
        let numbers = text
            .as_bytes()
            .iter()
            .position(|&byte| byte == b'-' || byte == b'+')
            .map_or(text, |end| &text[..end]);
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

/// A node's kubelet, read once from `status.nodeInfo.kubeletVersion`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kubelet {
    /// A version that reads: its `MAJOR.MINOR`, and the text as reported (`v1.29.3-eks-4f1a2b`) for messages.
    Version {
        /// What decides.
        version: KubeletVersion,
        /// What the node reported.
        reported: String,
    },
    /// The node reports no kubelet version.
    Missing,
    /// The node reports a version that does not read as one.
    Unreadable(String),
}

impl Kubelet {
    /// Reads `status.nodeInfo.kubeletVersion`; an empty text is a missing version.
    pub fn read(reported: &str) -> Self {
        if reported.is_empty() {
            return Kubelet::Missing;
        }
        match KubeletVersion::parse_kubelet(reported) {
            Some(version) => Kubelet::Version {
                version,
                reported: reported.to_owned(),
            },
            None => Kubelet::Unreadable(reported.to_owned()),
        }
    }

    /// The version, when it reads.
    pub fn version(&self) -> Option<KubeletVersion> {
        match self {
            Kubelet::Version { version, .. } => Some(*version),
            Kubelet::Missing | Kubelet::Unreadable(_) => None,
        }
    }
}

/// A node that cannot be trusted to run native sidecars, as a warning names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// `metadata.name`.
    pub name: String,
    /// Its kubelet.
    pub kubelet: Kubelet,
}

impl Node {
    /// A node named `name` whose kubelet reports `kubelet_version` (empty: none).
    pub fn new(name: impl Into<String>, kubelet_version: &str) -> Self {
        Self {
            name: name.into(),
            kubelet: Kubelet::read(kubelet_version),
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kubelet {
            Kubelet::Version { reported, .. } => write!(f, "'{}' (kubelet {reported})", self.name),
            Kubelet::Missing => write!(f, "'{}' (no kubelet version)", self.name),
            Kubelet::Unreadable(reported) => write!(f, "'{}' (kubelet version '{reported}' unreadable)", self.name),
        }
    }
}

/// What the policy asks the cluster: every Node, or the one a Pod is pinned to (`spec.nodeName`), which costs one
/// `get_resource` instead of a list of the whole cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeQuery<'a> {
    /// `list_resources_all` of `v1/Node`: the answer is a `NodeList`.
    All,
    /// `get_resource` of this Node: the answer is one `Node`.
    Named(&'a str),
}

/// Why the cluster gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LookupError {
    /// The host refused or failed the call (no access granted, RBAC, the API server unreachable): the host's words.
    #[error("{0}")]
    Denied(String),
    /// The host answered that the named Node does not exist.
    #[error("not found")]
    NotFound,
    /// The host answered with something that is not a NodeList or Node: a host defect, not a permission problem.
    #[error("{0}")]
    Unreadable(String),
}

/// The cluster's answer to a [`NodeQuery`], as the host sent it: the JSON of a `NodeList` (for [`NodeQuery::All`])
/// or of one `Node` (for [`NodeQuery::Named`]).
pub type NodeLookup = Result<Vec<u8>, LookupError>;

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

/// Whether a host's error for a `get_resource` says that the object does not exist: policy-evaluator (kwctl,
/// policy-server) says `Cannot find v1/Node named 'NAME' inside of namespace 'None'`; the API server's own 404
/// reads `nodes "NAME" not found`.
pub fn is_not_found(message: &str) -> bool {
    let has = |needle| crate::split_around(message, needle, false).is_some();
    (message.starts_with("Cannot find ") && has(" named '")) || has("\" not found")
}

/// A failed host call for `query`, as the policy reads it: a Node that does not exist (for a get), or a refusal in
/// the host's words.
pub fn host_error(query: NodeQuery<'_>, message: &str) -> LookupError {
    let message = lookup_error(message);
    match query {
        NodeQuery::Named(_) if is_not_found(&message) => LookupError::NotFound,
        _ => LookupError::Denied(message),
    }
}

/// Why the policy does not rely on native sidecars for this object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    /// The cluster gave no usable answer.
    LookupFailed(LookupError),
    /// The cluster listed no Node at all.
    NoNodes,
    /// `spec.nodeName` names a node the cluster does not have.
    PinnedNodeUnknown(String),
    /// `spec.nodeName` names a node whose kubelet is too old or unreadable.
    PinnedNodeOld(Node),
    /// These nodes' kubelets are older than the minimum or report no readable version.
    OldKubelets {
        /// The first few, in the order the cluster listed them.
        named: Vec<Node>,
        /// How many more there are.
        more: usize,
    },
}

/// Every counted node runs native sidecars; `oldest` is the oldest counted kubelet (what a kubelet supports, the
/// API server in front of it supports too, as a kubelet is never newer than its API server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ready {
    /// The oldest kubelet among the counted nodes.
    pub oldest: KubeletVersion,
}

/// Decides from the cluster's answer to `query` whether every node that can run the pod spec runs kubelet
/// `minimum` or later.
pub fn readiness(answer: NodeLookup, query: NodeQuery<'_>, minimum: KubeletVersion) -> Result<Ready, NotReady> {
    let json = match answer {
        Ok(json) => json,
        Err(LookupError::NotFound) => {
            return Err(match query {
                NodeQuery::Named(name) => NotReady::PinnedNodeUnknown(name.to_owned()),
                NodeQuery::All => NotReady::NoNodes,
            });
        }
        Err(error) => return Err(NotReady::LookupFailed(error)),
    };
    let unreadable = |kind: &str, crate::scan::Malformed { at }| {
        let near = json.get(at..json.len().min(at + 24)).unwrap_or_default();
        NotReady::LookupFailed(LookupError::Unreadable(format!(
            "unreadable {kind}: invalid at byte {at} of {}, near `{}`",
            json.len(),
            String::from_utf8_lossy(near)
        )))
    };
    match query {
        NodeQuery::All => {
            let tally = crate::scan::node_list(&json, minimum).map_err(|at| unreadable("NodeList", at))?;
            match (tally.oldest, tally.not_ready) {
                (_, 1..) => Err(NotReady::OldKubelets {
                    more: tally.not_ready - tally.named.len(),
                    named: tally.named,
                }),
                (Some(oldest), 0) => Ok(Ready { oldest }),
                (None, 0) => Err(NotReady::NoNodes),
            }
        }
        NodeQuery::Named(name) => {
            let node = crate::scan::node(&json).map_err(|at| unreadable("Node", at))?;
            if *node.name != *name.as_bytes() {
                return Err(NotReady::PinnedNodeUnknown(name.to_owned()));
            }
            match node.version() {
                Some(version) if version >= minimum => Ok(Ready { oldest: version }),
                _ => Err(NotReady::PinnedNodeOld(node.into_node())),
            }
        }
    }
}

/// The nodes of a NodeList as the decision needs them, tallied as they are read: a ready node is neither copied
/// nor kept, so a 5,000-node answer costs one pass over its bytes.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    /// How many nodes are not ready.
    not_ready: usize,
    /// The first few of them, for the warning.
    pub(crate) named: Vec<Node>,
    /// The oldest kubelet among the ready ones.
    oldest: Option<KubeletVersion>,
}

impl Tally {
    /// A ready node costs a comparison; only a node that is not ready is copied, for the warning. (The scanner
    /// reads versions through a memo and calls [`Tally::count_as`].)
    #[cfg(any(test, feature = "oracle"))]
    fn count(&mut self, node: NodeItem<'_>, minimum: KubeletVersion) {
        self.count_as(node.version(), minimum, || node.into_node());
    }

    /// [`Tally::count`] with the node's version already read, and the node itself made only when it is named.
    pub(crate) fn count_as(
        &mut self,
        version: Option<KubeletVersion>,
        minimum: KubeletVersion,
        node: impl FnOnce() -> Node,
    ) {
        match version {
            Some(version) if version >= minimum => {
                self.oldest = Some(self.oldest.map_or(version, |oldest| oldest.min(version)));
            }
            _ => {
                self.not_ready += 1;
                if self.named.len() < NODES_NAMED {
                    self.named.push(node());
                }
            }
        }
    }
}

/// One Node: its name and kubelet version as the answer wrote them. Keys and values are read as bytes, so that the
/// thousands of keys of a large NodeList are compared without each being checked as UTF-8 first; only the version
/// of a node, and the name of a node that is not ready, are read as text.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct NodeItem<'a> {
    pub(crate) name: Cow<'a, [u8]>,
    pub(crate) kubelet_version: Cow<'a, [u8]>,
}

impl NodeItem<'_> {
    fn version(&self) -> Option<KubeletVersion> {
        std::str::from_utf8(&self.kubelet_version)
            .ok()
            .and_then(KubeletVersion::parse_kubelet)
    }

    pub(crate) fn into_node(self) -> Node {
        Node {
            name: String::from_utf8_lossy(&self.name).into_owned(),
            kubelet: Kubelet::read(&String::from_utf8_lossy(&self.kubelet_version)),
        }
    }
}

impl NotReady {
    /// Why the cluster cannot be trusted to run native sidecars, as a clause that completes "a native sidecar hangs
    /// in Init on a node whose kubelet is older than MINIMUM, and ...".
    pub fn describe(&self, minimum: KubeletVersion) -> String {
        match self {
            NotReady::LookupFailed(LookupError::Denied(error)) => format!(
                "the cluster's Nodes could not be read to rule that out: {error}. Grant the policy access: list \
                 `{{apiVersion: {NODE_API_VERSION}, kind: {NODE_KIND}}}` in its spec.contextAwareResources, and \
                 allow get, list and watch on nodes to the policy server's service account"
            ),
            NotReady::LookupFailed(LookupError::Unreadable(error)) => format!(
                "the cluster's answer about its Nodes could not be read to rule that out ({error}); the policy \
                 server sent something that is not a Node: please report it"
            ),
            NotReady::LookupFailed(LookupError::NotFound) | NotReady::NoNodes => {
                "the cluster listed no Node to rule that out".to_owned()
            }
            NotReady::PinnedNodeUnknown(name) => {
                format!("the Pod's node '{name}' (spec.nodeName) is not among the cluster's Nodes")
            }
            NotReady::PinnedNodeOld(node) => {
                format!("the Pod's node (spec.nodeName) {node} does not run kubelet {minimum} or later")
            }
            NotReady::OldKubelets { named, more } => {
                let mut listed: Vec<String> = named.iter().map(Node::to_string).collect();
                if *more > 0 {
                    listed.push(format!("{more} more"));
                }
                let (which, verb) = if named.len() + more == 1 {
                    ("node", "does")
                } else {
                    ("nodes", "do")
                };
                format!(
                    "{which} {} {verb} not run kubelet {minimum} or later",
                    join_and(&listed)
                )
            }
        }
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

/// A NodeList's JSON, as a host sends it, for the nodes `(name, kubelet version)`: what tests and the playground
/// hand [`readiness`] in place of a cluster.
pub fn node_list_json<'a>(nodes: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<u8> {
    let items: Vec<serde_json::Value> = nodes
        .into_iter()
        .map(|(name, version)| node_json(name, version))
        .collect();
    serde_json::json!({"apiVersion": NODE_API_VERSION, "kind": "NodeList", "items": items})
        .to_string()
        .into_bytes()
}

/// One Node's JSON (the answer to `get_resource`), trimmed to the fields the policy reads.
pub fn node_json(name: &str, kubelet_version: &str) -> serde_json::Value {
    serde_json::json!({"metadata": {"name": name}, "status": {"nodeInfo": {"kubeletVersion": kubelet_version}}})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_messages::message;
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
    #[case::reported("v1.30.4", Kubelet::Version { version: v(1, 30), reported: "v1.30.4".into() })]
    #[case::missing("", Kubelet::Missing)]
    #[case::unreadable("latest", Kubelet::Unreadable("latest".into()))]
    fn kubelets_are_read_once(#[case] text: &str, #[case] expected: Kubelet) {
        assert_eq!(Kubelet::read(text), expected);
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

    /// A list answer for `node-1`, `node-2`, ... with these kubelet versions.
    fn listed(versions: &[&str]) -> NodeLookup {
        let names: Vec<String> = (1..=versions.len()).map(|i| format!("node-{i}")).collect();
        Ok(node_list_json(
            names.iter().map(String::as_str).zip(versions.iter().copied()),
        ))
    }

    fn named(name: &str, version: &str) -> NodeLookup {
        Ok(node_json(name, version).to_string().into_bytes())
    }

    #[rstest]
    #[case::all_ready(&["v1.30.4", "v1.29.3-eks-4f1a2b", "v1.31.0+k3s1"], true)]
    #[case::one_old(&["v1.30.4", "v1.28.9"], false)]
    #[case::unreadable_is_not_ready(&["v1.30.4", "garbage"], false)]
    #[case::missing_version_is_not_ready(&["v1.30.4", ""], false)]
    fn readiness_of_clusters(#[case] versions: &[&str], #[case] ready: bool) {
        assert_eq!(
            readiness(listed(versions), NodeQuery::All, NATIVE_SIDECARS_SINCE).is_ok(),
            ready
        );
    }

    #[test]
    fn a_ready_cluster_reports_its_oldest_kubelet() {
        assert_eq!(
            readiness(
                listed(&["v1.33.1", "v1.31.0+k3s1", "v1.34.0"]),
                NodeQuery::All,
                v(1, 29)
            ),
            Ok(Ready { oldest: v(1, 31) })
        );
    }

    #[test]
    fn only_the_nodes_that_are_not_ready_are_reported() {
        let result = readiness(
            listed(&["v1.30.4", "v1.28.9", "v1.33.0", "bad"]),
            NodeQuery::All,
            v(1, 33),
        );
        let Err(NotReady::OldKubelets { named, more }) = result else {
            panic!("expected old kubelets, got {result:?}");
        };
        let names: Vec<&str> = named.iter().map(|node| node.name.as_str()).collect();
        assert_eq!((names, more), (vec!["node-1", "node-2", "node-4"], 0));
    }

    #[rstest]
    #[case::denied(Err(LookupError::Denied("denied".into())), NodeQuery::All, NotReady::LookupFailed(LookupError::Denied("denied".into())))]
    #[case::no_nodes(listed(&[]), NodeQuery::All, NotReady::NoNodes)]
    #[case::null_items(Ok(br#"{"items":null}"#.to_vec()), NodeQuery::All, NotReady::NoNodes)]
    #[case::pinned_node_not_found(Err(LookupError::NotFound), NodeQuery::Named("elsewhere"), NotReady::PinnedNodeUnknown("elsewhere".into()))]
    #[case::pinned_node_answered_by_another(named("other", "v1.30.1"), NodeQuery::Named("elsewhere"), NotReady::PinnedNodeUnknown("elsewhere".into()))]
    #[case::pinned_node_old(
        named("n", "v1.28.1"),
        NodeQuery::Named("n"),
        NotReady::PinnedNodeOld(Node::new("n", "v1.28.1"))
    )]
    fn unknown_or_old_clusters_are_not_ready(
        #[case] answer: NodeLookup,
        #[case] query: NodeQuery<'_>,
        #[case] expected: NotReady,
    ) {
        assert_eq!(readiness(answer, query, NATIVE_SIDECARS_SINCE), Err(expected));
    }

    #[test]
    fn a_pinned_ready_node_is_ready() {
        assert_eq!(
            readiness(named("n", "v1.32.1-gke.1002000"), NodeQuery::Named("n"), v(1, 29)),
            Ok(Ready { oldest: v(1, 32) })
        );
    }

    #[test]
    fn at_most_three_nodes_are_named() {
        let not_ready = readiness(
            listed(&["v1.27.1", "v1.28.9", "", "odd", "v1.28.0"]),
            NodeQuery::All,
            NATIVE_SIDECARS_SINCE,
        )
        .expect_err("not ready");
        assert_eq!(
            not_ready.describe(NATIVE_SIDECARS_SINCE),
            message(
                "reason_old_nodes",
                &[
                    (
                        "nodes",
                        "'node-1' (kubelet v1.27.1), 'node-2' (kubelet v1.28.9), 'node-3' (no kubelet version) and 2 more"
                    ),
                    ("minimum", "1.29")
                ]
            )
        );
    }

    #[rstest]
    #[case::one_node(listed(&["v1.30.1", "v1.28.9"]), NodeQuery::All, "reason_old_node", &[("node", "'node-2' (kubelet v1.28.9)"), ("minimum", "1.29")])]
    #[case::pinned_node(named("node-1", "odd"), NodeQuery::Named("node-1"), "reason_pinned_node", &[("node", "'node-1' (kubelet version 'odd' unreadable)"), ("minimum", "1.29")])]
    #[case::pinned_node_unknown(Err(LookupError::NotFound), NodeQuery::Named("gone"), "reason_pinned_unknown", &[("node", "gone")])]
    #[case::no_nodes(listed(&[]), NodeQuery::All, "reason_no_nodes", &[])]
    #[case::denied(Err(LookupError::Denied("Policy has not been granted access to Kubernetes v1/Node resources".into())), NodeQuery::All, "reason_lookup_failed", &[("error", "Policy has not been granted access to Kubernetes v1/Node resources")])]
    #[case::unreadable(Ok(b"oops".to_vec()), NodeQuery::All, "reason_unreadable", &[("error", "unreadable NodeList: invalid at byte 0 of 4, near `oops`")])]
    fn reasons(
        #[case] answer: NodeLookup,
        #[case] query: NodeQuery<'_>,
        #[case] template: &str,
        #[case] values: &[(&str, &str)],
    ) {
        let not_ready = readiness(answer, query, NATIVE_SIDECARS_SINCE).expect_err("not ready");
        assert_eq!(not_ready.describe(NATIVE_SIDECARS_SINCE), message(template, values));
    }

    #[test]
    fn an_unreadable_answer_does_not_ask_for_access() {
        let not_ready =
            readiness(Ok(br#"{"items":{}}"#.to_vec()), NodeQuery::All, NATIVE_SIDECARS_SINCE).expect_err("not ready");
        assert!(
            !not_ready.describe(NATIVE_SIDECARS_SINCE).contains("Grant"),
            "{not_ready:?}"
        );
    }

    #[rstest]
    #[case::masked(br#"{"apiVersion":"v1","kind":"NodeList","metadata":{},"items":[{"metadata":{"name":"a"},"status":{"nodeInfo":{"kubeletVersion":"v1.28.4"}}}]}"#, Some(Node::new("a", "v1.28.4")))]
    #[case::full_node_fields_are_skipped(br#"{"items":[{"metadata":{"name":"a","labels":{"x":"y"}},"spec":{"podCIDR":"10.0.0.0/24"},"status":{"images":[{"names":["x"]}],"nodeInfo":{"kubeletVersion":"v1.28.1","osImage":"x"}}}]}"#, Some(Node::new("a", "v1.28.1")))]
    #[case::no_status(br#"{"items":[{"metadata":{"name":"a"}}]}"#, Some(Node::new("a", "")))]
    #[case::escaped_name(
        br#"{"items":[{"metadata":{"name":"n\u0061me"},"status":{"nodeInfo":{"kubeletVersion":"v1.2"}}}]}"#,
        Some(Node::new("name", "v1.2"))
    )]
    fn node_lists_are_read_for_the_two_fields(#[case] json: &[u8], #[case] first_old: Option<Node>) {
        let result = readiness(Ok(json.to_vec()), NodeQuery::All, NATIVE_SIDECARS_SINCE);
        let Err(NotReady::OldKubelets { named, .. }) = result else {
            panic!("expected old kubelets, got {result:?}");
        };
        assert_eq!(named.into_iter().next(), first_old);
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
    #[case::policy_evaluator("Cannot find v1/Node named 'ghost' inside of namespace 'None'", true)]
    #[case::api_server("nodes \"ghost\" not found", true)]
    #[case::denied("Policy has not been granted access to Kubernetes v1/Node resources", false)]
    fn missing_nodes_are_told_from_refusals(#[case] message: &str, #[case] not_found: bool) {
        assert_eq!(is_not_found(message), not_found);
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

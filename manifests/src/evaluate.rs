//! The one place the offline tools call the core's decision ([`evaluate`]), and what its answer means in a file:
//! the [`Finding`]s of a rejected object, the containers a conversion moved, where each is written.
//!
//! Deciding is the core's alone: the CLI and the playground call [`evaluate`] once per object and act on the
//! [`Verdict`] it returns (a conversion goes to [`crate::edit::apply`] as it is).

use serde_json::Value;
use sidecar_placement_policy::admission::{self, AdmissionRequest, Operation};
use sidecar_placement_policy::nodes::{NodeLookup, NodeQuery};
use sidecar_placement_policy::rules::{self, Problem, Wording};
use sidecar_placement_policy::settings::Policy;
use sidecar_placement_policy::verdict::{Conversion, Verdict};

use crate::file::Object;
use crate::text::Position;

/// What the offline tools ask the core about one object.
#[derive(Debug, Clone, Copy)]
pub struct Request<'v> {
    /// The object, as read from the manifest.
    pub object: &'v Value,
    pub operation: Operation,
    /// The object before an UPDATE.
    pub old_object: Option<&'v Value>,
}

impl<'v> Request<'v> {
    /// A CREATE of `object`: how `check` and `fix` see every manifest.
    pub fn create(object: &'v Value) -> Self {
        Self {
            object,
            operation: Operation::Create,
            old_object: None,
        }
    }
}

/// The core's decision on one object: the only call of `sidecar_placement_policy::evaluate` in the offline tools.
/// The object is handed to the core as JSON text, as an admission request carries it.
///
/// `cluster` answers the core's question about the cluster's Nodes (the playground's node list); `None`
/// ([`OFFLINE`]): no cluster to ask, so nodes are not checked, whatever the policy says.
pub fn evaluate(
    request: Request,
    policy: &Policy,
    cluster: Option<impl FnOnce(NodeQuery<'_>) -> NodeLookup>,
) -> Verdict {
    let object = request.object.to_string();
    let old_object = request.old_object.map(Value::to_string);
    let request = AdmissionRequest::for_manifest(&object, request.operation, old_object.as_deref());
    admission::evaluate(&request, policy, cluster)
}

/// The `cluster` of an offline [`evaluate`]: no cluster to ask.
pub const OFFLINE: Option<fn(NodeQuery<'_>) -> NodeLookup> = admission::OFFLINE;

/// What a finding is about; each is one SARIF rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// A sidecar in `containers`.
    LegacySidecar,
    /// A sidecar in `containers` that cannot be converted as it is (`restartPolicy: Never`, `restartPolicyRules`).
    LegacySidecarNotConvertible,
    /// A native sidecar that matches neither settings list (`restrictNativeSidecars`).
    UnapprovedNativeSidecar,
    /// A pod spec the API server would refuse (containers not a list, ...).
    MalformedPodSpec,
}

impl Rule {
    /// Every rule, in the order a report lists them.
    pub const ALL: [Rule; 4] = [
        Rule::LegacySidecar,
        Rule::LegacySidecarNotConvertible,
        Rule::UnapprovedNativeSidecar,
        Rule::MalformedPodSpec,
    ];

    /// A stable identifier (SARIF `ruleId`, JSON `rule`).
    pub fn id(self) -> &'static str {
        match self {
            Rule::LegacySidecar => "legacy-sidecar",
            Rule::LegacySidecarNotConvertible => "legacy-sidecar-not-convertible",
            Rule::UnapprovedNativeSidecar => "unapproved-native-sidecar",
            Rule::MalformedPodSpec => "malformed-pod-spec",
        }
    }

    /// One sentence on what the rule checks.
    pub fn summary(self) -> &'static str {
        match self {
            Rule::LegacySidecar => {
                "A sidecar belongs in initContainers with `restartPolicy: Always` (native sidecar, Kubernetes 1.29+), \
                 not next to the app in containers."
            }
            Rule::LegacySidecarNotConvertible => {
                "A sidecar in containers sets a container restart rule that a native sidecar cannot keep; it must \
                 be converted by hand."
            }
            Rule::UnapprovedNativeSidecar => {
                "A native sidecar whose image and name match neither sidecarImages nor sidecarContainerNames \
                 (restrictNativeSidecars)."
            }
            Rule::MalformedPodSpec => "A pod spec that is not shaped as Kubernetes defines it.",
        }
    }
}

/// One problem, where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    /// The core's message: which container, which image, where, and what to write instead.
    pub message: String,
    /// Where the container's entry starts (its `-`), in the file.
    pub position: Position,
    /// 0-based document index in the file.
    pub document: usize,
    /// 0-based index in a `kind: List`'s items.
    pub item: Option<usize>,
    /// The object's `kind`, `metadata.name` and `metadata.namespace`.
    pub kind: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// The template the object was rendered from (`# Source:` of `helm template`).
    pub source: Option<String>,
    /// The container's name and image, when the finding is about one.
    pub container: Option<String>,
    pub image: Option<String>,
    /// The container's path as in the message (`spec.template.spec.containers[1]`).
    pub path: String,
    /// The same as a JSON pointer into the object (`/spec/template/spec/containers/1`).
    pub pointer: String,
}

/// The findings of an object the core rejected, where each is written: the core's own findings (`findings` of its
/// rejection, worded as the policy words them), or, for an object refused as a whole (a malformed pod spec), one
/// finding at the object with the core's `message`.
pub fn findings(object: &Object, findings: &[rules::Finding], message: &str, wording: Wording) -> Vec<Finding> {
    let base = |rule, message: String, position, path: String, pointer: String| Finding {
        rule,
        message,
        position,
        document: object.document,
        item: object.item,
        kind: object.kind().unwrap_or_default().to_owned(),
        name: object.name().map(str::to_owned),
        namespace: object.namespace().map(str::to_owned),
        source: object.source().map(str::to_owned),
        container: None,
        image: None,
        path,
        pointer,
    };
    if findings.is_empty() {
        return vec![base(
            Rule::MalformedPodSpec,
            message.to_owned(),
            object.position(),
            String::new(),
            String::new(),
        )];
    }
    // A rejection that is not the findings' own descriptions (a conversion the pod's resources refuse) says why
    // with each of them.
    let described: Vec<String> = findings.iter().map(|f| f.describe(wording)).collect();
    let own_message = described.join("; ") == message;
    findings
        .iter()
        .zip(described)
        .map(|(finding, description)| {
            let rule = match finding.problem {
                Problem::LegacySidecar { blocker: None } => Rule::LegacySidecar,
                Problem::LegacySidecar { blocker: Some(_) } => Rule::LegacySidecarNotConvertible,
                Problem::UnapprovedNativeSidecar => Rule::UnapprovedNativeSidecar,
            };
            let pointer = finding.pointer();
            Finding {
                container: finding.container.name.clone(),
                image: finding.image.clone(),
                ..base(
                    rule,
                    if own_message { description } else { message.to_owned() },
                    object.position_of(&pointer),
                    finding.location(),
                    pointer,
                )
            }
        })
        .collect()
}

/// A container the core's conversion moved, where its entry was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// `'vault-agent'`, or the core's word for a container without a name.
    pub quoted_name: String,
    /// Where its entry started in `containers`.
    pub position: Position,
}

/// The containers `conversion` moves out of `object`, in the plan's order.
pub fn moved(object: &Object, conversion: &Conversion) -> Vec<Moved> {
    conversion
        .sidecars
        .iter()
        .map(|sidecar| Moved {
            quoted_name: sidecar.container.quoted_name(),
            position: object.position_of(&sidecar.pointer()),
        })
        .collect()
}

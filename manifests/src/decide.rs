//! Every object of a file decided by the core, as a CREATE, the way the policy decides an admission request.

use serde_json::Value;
use sidecar_placement_policy::admission::{AdmissionRequest, OFFLINE, Operation, evaluate};
use sidecar_placement_policy::rules::{self, Problem, Wording};
use sidecar_placement_policy::settings::Policy;
use sidecar_placement_policy::verdict::{Conversion, Verdict};

use crate::edit::{self, EditError, Edited, Move};
use crate::file::{Manifests, Object};
use crate::text::Position;

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
    /// The object's `kind` and `metadata.name`.
    pub kind: String,
    pub name: Option<String>,
    /// The container's name and image, when the finding is about one.
    pub container: Option<String>,
    pub image: Option<String>,
    /// The container's path as in the message (`spec.template.spec.containers[1]`).
    pub path: String,
    /// The same as a JSON pointer into the object (`/spec/template/spec/containers/1`).
    pub pointer: String,
}

/// What the policy made of one object.
enum Decision {
    Accepted,
    /// Rejected: the findings.
    Rejected(Vec<Finding>),
    /// Converted: the plan on the text and the object the policy produced.
    Converted {
        conversion: Conversion,
        expected: Value,
        findings: Vec<Finding>,
    },
}

/// The one decision about an object: the core's `evaluate`, as a CREATE of the bare manifest, offline (no cluster:
/// `checkNodes` has nothing to check).
fn decide(object: &Object, policy: &Policy) -> Decision {
    let text = object.value.to_string();
    let request = AdmissionRequest::for_manifest(&text, Operation::Create, None);
    match evaluate(&request, policy, OFFLINE) {
        Verdict::Accept { .. } => Decision::Accepted,
        Verdict::Reject { message, findings, .. } => {
            Decision::Rejected(located(object, &findings, &message, policy.remedy().wording()))
        }
        Verdict::Mutate {
            object: expected,
            conversion,
            ..
        } => Decision::Converted {
            findings: located(object, &conversion.sidecars, "", policy.remedy().wording()),
            expected: serde_json::from_str(&expected).unwrap_or(Value::Null),
            conversion,
        },
    }
}

/// The core's findings, where they are written; `message` stands for an object the core refused as a whole (a
/// malformed pod spec).
fn located(object: &Object, findings: &[rules::Finding], message: &str, wording: Wording) -> Vec<Finding> {
    let kind = object
        .value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let name = object
        .value
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if findings.is_empty() {
        return vec![Finding {
            rule: Rule::MalformedPodSpec,
            message: message.to_owned(),
            position: object.position(),
            document: object.document,
            item: object.item,
            kind,
            name,
            container: None,
            image: None,
            path: String::new(),
            pointer: String::new(),
        }];
    }
    findings
        .iter()
        .map(|finding| {
            let rule = match finding.problem {
                Problem::LegacySidecar { blocker: None } => Rule::LegacySidecar,
                Problem::LegacySidecar { blocker: Some(_) } => Rule::LegacySidecarNotConvertible,
                Problem::UnapprovedNativeSidecar => Rule::UnapprovedNativeSidecar,
            };
            let pointer = finding.pointer();
            Finding {
                rule,
                message: if findings.len() == 1 && !message.is_empty() {
                    message.to_owned()
                } else {
                    finding.describe(wording)
                },
                position: object.position_of(&pointer),
                document: object.document,
                item: object.item,
                kind: kind.clone(),
                name: name.clone(),
                container: finding.container.name.clone(),
                image: finding.image.clone(),
                path: finding.location(),
                pointer,
            }
        })
        .collect()
}

/// Every problem the policy finds in the file's objects, in file order.
pub fn check(manifests: &Manifests, policy: &Policy) -> Vec<Finding> {
    manifests
        .objects()
        .iter()
        .flat_map(|object| match decide(object, policy) {
            Decision::Accepted => Vec::new(),
            Decision::Rejected(findings) | Decision::Converted { findings, .. } => findings,
        })
        .collect()
}

/// What `fix` did, or would do, to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// Nothing to convert.
    Unchanged,
    /// Converted: the new text and the sidecars that moved.
    Converted { edited: Edited, moved: Vec<Finding> },
    /// Some object has a problem the conversion cannot fix: the file is left as it is.
    Refused { problems: Vec<Finding> },
}

/// Converts every misplaced sidecar of the file as the policy's mutation would (`policy` from
/// [`crate::policy::for_fix`]), editing only the moved lines. The edited text is read back and must give exactly the
/// objects the policy produced; if it does not, nothing is converted and the error says so.
pub fn fix(manifests: &Manifests, policy: &Policy) -> Result<Fix, EditError> {
    let objects = manifests.objects();
    let mut expected: Vec<&Value> = objects.iter().map(|o| o.value).collect();
    let decisions: Vec<Decision> = objects.iter().map(|object| decide(object, policy)).collect();
    let mut problems = Vec::new();
    let mut moved = Vec::new();
    let mut plans = Vec::new();
    for (index, decision) in decisions.iter().enumerate() {
        match decision {
            Decision::Accepted => {}
            Decision::Rejected(findings) => problems.extend(findings.iter().cloned()),
            Decision::Converted {
                conversion,
                expected: object,
                findings,
            } => {
                expected[index] = object;
                moved.extend(findings.iter().cloned());
                plans.push((
                    index,
                    conversion.spec.pointer(),
                    conversion.plan.moved(),
                    conversion.plan.insert_at(),
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Ok(Fix::Refused { problems });
    }
    if plans.is_empty() {
        return Ok(Fix::Unchanged);
    }
    let moves: Vec<Move> = plans
        .iter()
        .map(|&(object, spec, moved, insert_at)| Move {
            object,
            spec,
            moved,
            insert_at,
        })
        .collect();
    let edited = edit::apply(manifests, &moves)?;
    verify(&edited.text, &expected)?;
    Ok(Fix::Converted { edited, moved })
}

/// The edited text must read as the policy's result, object for object.
fn verify(text: &str, expected: &[&Value]) -> Result<(), EditError> {
    let mismatch = |detail: String| EditError {
        message: format!(
            "the rewritten text would not read as the policy's conversion ({detail}); the file is left as it is, \
             please report it"
        ),
        position: None,
    };
    let reread = Manifests::parse(text).map_err(|error| mismatch(format!("it does not parse: {error}")))?;
    let objects = reread.objects();
    if objects.len() != expected.len() {
        return Err(mismatch(format!(
            "{} objects instead of {}",
            objects.len(),
            expected.len()
        )));
    }
    match objects
        .iter()
        .zip(expected)
        .position(|(object, expected)| object.value != *expected)
    {
        Some(index) => Err(mismatch(format!("object {} differs", index + 1))),
        None => Ok(()),
    }
}

//! The policy's answer, independent of how it is delivered (waPC response, browser API).

use std::collections::BTreeMap;

use crate::mutation::MovePlan;
use crate::rules::Finding;
use crate::workload::PodSpecPath;

/// Audit annotation summarizing a conversion. The API server prefixes it with the webhook's name, so the key itself
/// carries no `/`.
pub const AUDIT_MOVED_SIDECARS: &str = "moved-native-sidecars";

/// The conversion a [`Verdict::Mutate`] applied: the plan, the pod spec it was applied to, and the sidecars it
/// moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    /// Where the pod spec is in the object.
    pub spec: PodSpecPath,
    /// Which containers moved, and where they landed.
    pub plan: MovePlan,
    /// The legacy sidecars that moved, in `containers` order (one per index of the plan).
    pub sidecars: Vec<Finding>,
}

/// What the policy decided about one admission request.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Let the object through as it is.
    Accept {
        /// Shown to the user by kubectl, and recorded.
        warnings: Vec<String>,
    },
    /// Refuse the object.
    Reject {
        /// Why, and how to fix it.
        message: String,
        /// Shown along with the message.
        warnings: Vec<String>,
        /// The containers the message is about, for tools that point at each (empty when the object as a whole is
        /// refused: a malformed request or pod spec).
        findings: Vec<Finding>,
    },
    /// Accept with a changed object; the host turns the difference into a JSON patch.
    Mutate {
        /// The whole object, changed, as JSON text: the request's object with only the two container lists
        /// rewritten.
        object: String,
        /// One per change, so that the user learns what the webhook did.
        warnings: Vec<String>,
        /// A summary for the audit log.
        audit_annotations: BTreeMap<String, String>,
        /// What was moved, for tools that carry the same move out elsewhere (the command-line `fix` edits the
        /// manifest's text by this plan instead of planning again).
        conversion: Conversion,
    },
}

impl Verdict {
    /// Accepted, nothing to say.
    pub fn accept() -> Self {
        Verdict::Accept { warnings: Vec::new() }
    }

    /// Accepted with one warning.
    pub fn accept_with_warning(warning: String) -> Self {
        Verdict::Accept {
            warnings: vec![warning],
        }
    }

    /// Rejected with `message`.
    pub fn reject(message: impl Into<String>) -> Self {
        Verdict::Reject {
            message: message.into(),
            warnings: Vec::new(),
            findings: Vec::new(),
        }
    }

    /// Whether the object gets through (changed or not).
    pub fn is_accepted(&self) -> bool {
        !matches!(self, Verdict::Reject { .. })
    }

    /// The rejection message.
    pub fn message(&self) -> Option<&str> {
        match self {
            Verdict::Reject { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The warnings, whatever the decision.
    pub fn warnings(&self) -> &[String] {
        match self {
            Verdict::Accept { warnings } | Verdict::Reject { warnings, .. } | Verdict::Mutate { warnings, .. } => {
                warnings
            }
        }
    }

    /// The changed object of a mutation, as JSON text.
    pub fn mutated_object(&self) -> Option<&str> {
        match self {
            Verdict::Mutate { object, .. } => Some(object),
            _ => None,
        }
    }
}

#[cfg(test)]
impl Conversion {
    /// A conversion of `containers[1]` of a Pod, appended to its init containers.
    pub(crate) fn for_tests() -> Self {
        use crate::rules::{ContainerList, ContainerRef, Problem};
        let finding = Finding {
            problem: Problem::LegacySidecar { blocker: None },
            container: ContainerRef {
                list: ContainerList::Containers,
                index: 1,
                name: None,
            },
            image: None,
            spec: PodSpecPath::Pod,
        };
        let plan = MovePlan::new(
            std::slice::from_ref(&finding),
            crate::rules::InitLayout::default(),
            crate::Placement::AfterInitContainers,
        );
        Self {
            spec: PodSpecPath::Pod,
            plan: plan.unwrap_or_else(|error| panic!("{error}")),
            sidecars: vec![finding],
        }
    }
}

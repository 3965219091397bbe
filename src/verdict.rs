//! The policy's answer, independent of how it is delivered (waPC response, browser API).

use std::collections::BTreeMap;

use serde_json::Value;

/// Audit annotation summarizing a conversion. The API server prefixes it with the webhook's name, so the key itself
/// carries no `/`.
pub const AUDIT_MOVED_SIDECARS: &str = "moved-native-sidecars";

/// What the policy decided about one admission request.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Accept {
        warnings: Vec<String>,
    },
    Reject {
        message: String,
        warnings: Vec<String>,
    },
    /// Accept with a changed object; the host turns the difference into a JSON patch.
    Mutate {
        object: Value,
        warnings: Vec<String>,
        audit_annotations: BTreeMap<String, String>,
    },
}

impl Verdict {
    pub fn accept() -> Self {
        Verdict::Accept { warnings: Vec::new() }
    }

    pub fn accept_with_warning(warning: String) -> Self {
        Verdict::Accept {
            warnings: vec![warning],
        }
    }

    pub fn reject(message: impl Into<String>) -> Self {
        Verdict::Reject {
            message: message.into(),
            warnings: Vec::new(),
        }
    }

    pub fn is_accepted(&self) -> bool {
        !matches!(self, Verdict::Reject { .. })
    }

    pub fn message(&self) -> Option<&str> {
        match self {
            Verdict::Reject { message, .. } => Some(message),
            _ => None,
        }
    }

    pub fn warnings(&self) -> &[String] {
        match self {
            Verdict::Accept { warnings } | Verdict::Reject { warnings, .. } | Verdict::Mutate { warnings, .. } => {
                warnings
            }
        }
    }

    pub fn mutated_object(&self) -> Option<&Value> {
        match self {
            Verdict::Mutate { object, .. } => Some(object),
            _ => None,
        }
    }
}

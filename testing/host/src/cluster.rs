//! The Kubernetes cluster behind a context-aware policy's host calls, replayed from a kwctl session file.
//!
//! A policy that reads cluster resources calls the host (`kubewarden`/`kubernetes`/`list_resources_all`, ...).
//! kwctl answers those calls from a recorded session (`kwctl run --replay-host-capabilities-interactions FILE`):
//! a YAML list of exchanges, replayed in order, each request compared with the recorded one. [`Session`] reads the
//! same files and answers the same way, so that one fixture drives both the wasm-host tests and the kwctl e2e
//! tests, and a request the policy would send differently from the recording fails here as it fails in kwctl.
//! Every Kubernetes call is also recorded as a [`HostCall`], so that a test can assert that no call was made.

use std::collections::VecDeque;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::HostError;

/// What kwctl and policy-server answer when a policy asks for a resource it was not granted (`kwctl run` without
/// `--allow-context-aware`, or a ClusterAdmissionPolicy without it in `spec.contextAwareResources`).
pub fn not_granted(request: &Value) -> String {
    let field = |name: &str| request.get(name).and_then(Value::as_str).unwrap_or_default();
    format!(
        "Policy has not been granted access to Kubernetes {}/{} resources. The violation has been reported.",
        field("api_version"),
        field("kind")
    )
}

/// One call the guest made to the host for cluster data.
#[derive(Debug, Clone, PartialEq)]
pub struct HostCall {
    /// `kubernetes`.
    pub namespace: String,
    /// `list_resources_all`, `get_resource`, ...
    pub operation: String,
    /// The request the guest sent, as JSON.
    pub request: Value,
}

/// A recorded answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type")]
enum Response {
    Success { payload: String },
    Error { message: String },
}

/// One recorded exchange of a kwctl session file.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type")]
enum Exchange {
    Exchange {
        /// The request as kwctl writes it: a YAML document tagged with the callback type
        /// (`!KubernetesListResourceAll`), fields in snake_case.
        request: String,
        response: Response,
    },
}

/// How policy-evaluator (kwctl, policy-server) hands a failed callback to the guest.
const CALLBACK_FAILURE: &str = "Callback evaluation failure: ";

/// The answers of one evaluation, in the order the policy is expected to ask.
#[derive(Debug, Clone, Default)]
pub struct Session {
    exchanges: VecDeque<(Value, Response)>,
    /// False for [`Session::none`]: the policy was not granted cluster access at all.
    granted: bool,
}

/// The callback type kwctl tags a recorded request with, for a waPC `kubernetes` operation.
fn callback_type(operation: &str) -> Option<&'static str> {
    match operation {
        "list_resources_all" => Some("KubernetesListResourceAll"),
        "list_resources_by_namespace" => Some("KubernetesListResource"),
        "get_resource" => Some("KubernetesGetResource"),
        "can_i" => Some("KubernetesCanI"),
        _ => None,
    }
}

impl Session {
    /// No cluster access at all: every call fails as it does in kwctl without `--allow-context-aware`.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// One successful exchange: the guest's `kubernetes/OPERATION` call with `request` is answered `payload`.
    /// What a session file with one exchange says, without reading YAML (the benchmark builds one per call).
    pub fn answering(operation: &str, request: Value, payload: String) -> Result<Self, String> {
        let tag = callback_type(operation).ok_or_else(|| format!("kubernetes/{operation} is not a host capability"))?;
        Ok(Self {
            exchanges: VecDeque::from([(serde_json::json!({ tag: request }), Response::Success { payload })]),
            granted: true,
        })
    }

    /// Reads a kwctl session file (`--replay-host-capabilities-interactions`).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, HostError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| HostError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_yaml(&text).map_err(|message| HostError::InvalidInput {
            context: format!("session {}", path.display()),
            message,
        })
    }

    /// Reads the text of a kwctl session file.
    pub fn from_yaml(text: &str) -> Result<Self, String> {
        let exchanges: Vec<Exchange> = serde_norway::from_str(text).map_err(|e| e.to_string())?;
        let exchanges = exchanges
            .into_iter()
            .map(|Exchange::Exchange { request, response }| Ok((recorded_request(&request)?, response)))
            .collect::<Result<_, String>>()?;
        Ok(Self {
            exchanges,
            granted: true,
        })
    }

    /// Whether every recorded exchange was replayed.
    #[must_use]
    pub fn is_exhausted(&self) -> bool {
        self.exchanges.is_empty()
    }

    /// Answers one `kubernetes` host call the way kwctl's replay does: the next exchange, if its request is
    /// the one the guest sent.
    pub fn answer(&mut self, operation: &str, request: &Value) -> Result<Vec<u8>, String> {
        let Some(tag) = callback_type(operation) else {
            return Err(format!(
                "kubernetes/{operation} is not a host capability this host knows"
            ));
        };
        let Some((expected, response)) = self.exchanges.pop_front() else {
            return Err(if !self.granted {
                not_granted(request)
            } else {
                format!("{CALLBACK_FAILURE}the list of recorded responses is empty")
            });
        };
        let actual = serde_json::json!({ tag: request });
        if normalized(&expected) != normalized(&actual) {
            return Err(format!(
                "{CALLBACK_FAILURE}Replay error: unexpected request. Was expecting {expected}, got {actual} instead"
            ));
        }
        match response {
            Response::Success { payload } => Ok(payload.into_bytes()),
            Response::Error { message } => Err(format!("{CALLBACK_FAILURE}{message}")),
        }
    }
}

/// `!KubernetesListResourceAll\napi_version: v1\n...` as `{"KubernetesListResourceAll": {"api_version": ...}}`.
fn recorded_request(text: &str) -> Result<Value, String> {
    let value: serde_norway::Value = serde_norway::from_str(text).map_err(|e| format!("recorded request: {e}"))?;
    let serde_norway::Value::Tagged(tagged) = value else {
        return Err(format!("recorded request is not tagged with its callback type: {text}"));
    };
    let fields: Value = serde_norway::from_value(tagged.value).map_err(|e| format!("recorded request: {e}"))?;
    let tag = tagged.tag.to_string();
    Ok(serde_json::json!({ tag.trim_start_matches('!'): fields }))
}

/// kwctl compares typed requests: field masks are a set, and an absent optional field equals `null`.
fn normalized(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("field_masks", Value::Array(items)) => {
                            let mut items = items.clone();
                            items.sort_by_key(Value::to_string);
                            items.dedup();
                            Value::Array(items)
                        }
                        _ => normalized(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SESSION: &str = r#"
- type: Exchange
  request: |
    !KubernetesListResourceAll
    api_version: v1
    kind: Node
    label_selector: null
    field_selector: null
    field_masks:
    - metadata.name
    - status.nodeInfo.kubeletVersion
  response:
    type: Success
    payload: '{"apiVersion":"v1","kind":"NodeList","items":[]}'
- type: Exchange
  request: |
    !KubernetesListResourceAll
    api_version: v1
    kind: Node
    label_selector: null
    field_selector: null
    field_masks: null
  response:
    type: Error
    message: nodes is forbidden
"#;

    fn list_nodes(masks: Value) -> Value {
        json!({"api_version": "v1", "kind": "Node", "label_selector": null, "field_selector": null,
               "field_masks": masks})
    }

    #[test]
    fn exchanges_are_replayed_in_order() {
        let mut session = Session::from_yaml(SESSION).expect("readable session");
        let masks = json!(["status.nodeInfo.kubeletVersion", "metadata.name"]);
        assert_eq!(
            session.answer("list_resources_all", &list_nodes(masks)),
            Ok(br#"{"apiVersion":"v1","kind":"NodeList","items":[]}"#.to_vec())
        );
        assert!(!session.is_exhausted());
        assert_eq!(
            session.answer("list_resources_all", &list_nodes(Value::Null)),
            Err("Callback evaluation failure: nodes is forbidden".to_owned())
        );
        assert!(session.is_exhausted());
        assert_eq!(
            session.answer("list_resources_all", &list_nodes(Value::Null)),
            Err("Callback evaluation failure: the list of recorded responses is empty".to_owned())
        );
    }

    #[test]
    fn a_different_request_is_a_replay_error() {
        let mut session = Session::from_yaml(SESSION).expect("readable session");
        let error = session
            .answer("list_resources_all", &list_nodes(json!(["metadata.name"])))
            .expect_err("masks differ");
        assert!(
            error.starts_with("Callback evaluation failure: Replay error: unexpected request."),
            "{error}"
        );
    }

    #[test]
    fn without_a_session_access_is_not_granted() {
        assert_eq!(
            Session::none().answer("list_resources_all", &list_nodes(Value::Null)),
            Err(
                "Policy has not been granted access to Kubernetes v1/Node resources. The violation has been reported."
                    .to_owned()
            )
        );
    }

    #[test]
    fn unreadable_sessions_are_reported() {
        assert!(
            Session::from_yaml(
                "- type: Exchange\n  request: 'api_version: v1'\n  response: {type: Success, payload: x}"
            )
            .is_err()
        );
        assert!(Session::from_yaml("nope: [").is_err());
    }

    #[test]
    fn a_built_exchange_answers_like_a_recorded_one() {
        let payload = r#"{"kind":"NodeList","items":[]}"#.to_owned();
        let mut session = Session::answering("list_resources_all", list_nodes(Value::Null), payload.clone())
            .expect("a known operation");
        assert_eq!(
            session.answer("list_resources_all", &list_nodes(Value::Null)),
            Ok(payload.into_bytes())
        );
        assert!(session.is_exhausted());
        assert!(Session::answering("exec", json!({}), String::new()).is_err());
    }
}

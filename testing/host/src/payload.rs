//! The documents the host sends, and the AdmissionReview unwrapping `kwctl run` does.

use serde_json::{Map, Value};

use crate::HostError;

/// The exact `validate` payload Kubewarden's policy-evaluator sends:
/// `{"request": <request>, "settings": <settings>}`.
#[must_use]
pub fn validation_payload(request: &Value, settings: &Value) -> Value {
    let mut payload = Map::with_capacity(2);
    payload.insert("request".to_owned(), request.clone());
    payload.insert("settings".to_owned(), settings.clone());
    Value::Object(payload)
}

/// [`validation_payload`] serialized, without cloning `request` and `settings`.
pub fn validation_payload_bytes(request: &Value, settings: &Value) -> Result<Vec<u8>, HostError> {
    #[derive(serde::Serialize)]
    struct Payload<'a> {
        request: &'a Value,
        settings: &'a Value,
    }
    serde_json::to_vec(&Payload { request, settings }).map_err(|e| HostError::InvalidInput {
        context: "validate payload".to_owned(),
        message: e.to_string(),
    })
}

/// Takes the AdmissionRequest out of a document the way `kwctl run` accepts it: either a bare
/// AdmissionRequest, or a whole AdmissionReview (`{"kind": "AdmissionReview", "request": {...}}`)
/// from which `.request` is taken.
///
/// A document is an AdmissionReview when its `kind` is the string `"AdmissionReview"` (an
/// AdmissionRequest's `kind` is a GroupVersionKind object), or when it has a `request` object
/// and no `operation`.
pub fn admission_request(document: Value) -> Result<Value, HostError> {
    let Value::Object(mut map) = document else {
        return Err(HostError::InvalidInput {
            context: "admission request".to_owned(),
            message: format!(
                "expected a JSON object (an AdmissionRequest or an AdmissionReview), got {}",
                json_type(&document)
            ),
        });
    };
    let is_review = map.get("kind").and_then(Value::as_str) == Some("AdmissionReview")
        || (map.get("request").is_some_and(Value::is_object) && !map.contains_key("operation"));
    if !is_review {
        return Ok(Value::Object(map));
    }
    match map.remove("request") {
        Some(request @ Value::Object(_)) => Ok(request),
        Some(other) => Err(HostError::InvalidInput {
            context: "AdmissionReview".to_owned(),
            message: format!("`request` must be an object, got {}", json_type(&other)),
        }),
        None => Err(HostError::InvalidInput {
            context: "AdmissionReview".to_owned(),
            message: "it has no `request`".to_owned(),
        }),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request() -> Value {
        json!({
            "uid": "1299d386-525b-4032-98ae-1949f69f9cfc",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "operation": "CREATE",
            "object": {"metadata": {"name": "p"}},
        })
    }

    #[test]
    fn payload_shape() {
        let settings = json!({"sidecars": ["istio-proxy"]});
        let payload = validation_payload(&request(), &settings);
        assert_eq!(payload, json!({"request": request(), "settings": settings}));
        let bytes = validation_payload_bytes(&request(), &settings).unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), payload);
        // Key order on the wire: request first, as policy-evaluator sends it.
        assert!(String::from_utf8(bytes).unwrap().starts_with(r#"{"request":{"#));
    }

    #[test]
    fn payload_with_empty_settings() {
        let bytes = validation_payload_bytes(&json!({}), &json!({})).unwrap();
        assert_eq!(bytes, br#"{"request":{},"settings":{}}"#);
    }

    #[test]
    fn bare_request_is_kept() {
        assert_eq!(admission_request(request()).unwrap(), request());
        // A request that happens to carry a `request` field is still a request.
        let mut odd = request();
        odd["request"] = json!({});
        assert_eq!(admission_request(odd.clone()).unwrap(), odd);
    }

    #[test]
    fn review_is_unwrapped() {
        let review = json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": request(),
        });
        assert_eq!(admission_request(review).unwrap(), request());
        // kwctl scaffold output without apiVersion/kind
        assert_eq!(admission_request(json!({"request": request()})).unwrap(), request());
    }

    #[test]
    fn bad_documents() {
        assert!(admission_request(json!([1])).is_err());
        assert!(admission_request(json!(null)).is_err());
        let err = admission_request(json!({"kind": "AdmissionReview"})).unwrap_err();
        assert!(err.to_string().contains("no `request`"), "{err}");
        let err = admission_request(json!({"kind": "AdmissionReview", "request": "x"})).unwrap_err();
        assert!(err.to_string().contains("must be an object"), "{err}");
    }
}

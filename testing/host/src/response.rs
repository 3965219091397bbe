//! What the guest answers: the Kubewarden SDK's own types (`kubewarden_policy_sdk::response::ValidationResponse`,
//! `kubewarden_policy_sdk::settings::SettingsValidationResponse`), read back from the guest's JSON, and what a test
//! asks of them ([`Answer`]).

use serde_json::Value;

pub use kubewarden_policy_sdk::response::ValidationResponse;
pub use kubewarden_policy_sdk::settings::SettingsValidationResponse;

/// What tests ask of a [`ValidationResponse`].
pub trait Answer {
    /// Accepted with a mutated object.
    fn is_mutation(&self) -> bool;

    /// The warnings, empty when there are none.
    fn warnings(&self) -> &[String];

    /// The RFC 6902 JSON Patch Kubewarden would send the API server for this answer:
    /// `json_patch::diff(request.object, mutated_object)`. `None` when nothing is mutated.
    ///
    /// `request` is the AdmissionRequest (its `object` is used; a missing `object` counts as `null`).
    fn patch(&self, request: &Value) -> Option<json_patch::Patch>;

    /// The answer as JSON, for comparing two answers whole (the SDK's type has no `PartialEq`).
    fn as_json(&self) -> Value;
}

impl Answer for ValidationResponse {
    fn is_mutation(&self) -> bool {
        self.accepted && self.mutated_object.is_some()
    }

    fn warnings(&self) -> &[String] {
        self.warnings.as_deref().unwrap_or_default()
    }

    fn patch(&self, request: &Value) -> Option<json_patch::Patch> {
        let mutated = self.mutated_object.as_ref().filter(|_| self.accepted)?;
        let original = request.get("object").unwrap_or(&Value::Null);
        Some(json_patch::diff(original, mutated))
    }

    fn as_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sdk_answer_with_nulls() {
        // The SDK serializes `None` as `null`.
        let body = br#"{"accepted":false,"message":"no","code":null,"mutated_object":null,"audit_annotations":null,"warnings":null}"#;
        let response: ValidationResponse = serde_json::from_slice(body).unwrap();
        assert_eq!(
            response.as_json(),
            json!({"accepted": false, "message": "no", "code": null, "mutated_object": null,
                   "audit_annotations": null, "warnings": null})
        );
        assert!(!response.is_mutation());
        assert!(response.warnings().is_empty());
        assert!(response.patch(&json!({"object": {}})).is_none());
    }

    #[test]
    fn full_answer() {
        let body = json!({
            "accepted": true,
            "message": null,
            "code": 200,
            "mutated_object": {"metadata": {"name": "p", "labels": {"a": "b"}}},
            "audit_annotations": {"z": "1", "a": "2"},
            "warnings": ["w1", "w2"],
        });
        let response: ValidationResponse = serde_json::from_value(body).unwrap();
        assert!(response.is_mutation());
        assert_eq!(response.code, Some(200));
        assert_eq!(response.warnings(), ["w1", "w2"]);
        assert_eq!(response.audit_annotations.as_ref().map(|a| a.len()), Some(2));

        let request = json!({"object": {"metadata": {"name": "p"}, "status": {}}});
        let patch = serde_json::to_value(response.patch(&request).unwrap()).unwrap();
        let ops = patch.as_array().unwrap();
        assert!(ops.contains(&json!({"op": "add", "path": "/metadata/labels", "value": {"a": "b"}})));
        assert!(ops.contains(&json!({"op": "remove", "path": "/status"})));
        assert_eq!(ops.len(), 2);
    }

    #[test]
    fn rejects_wrong_types() {
        assert!(serde_json::from_slice::<ValidationResponse>(br#"{"accepted":"yes"}"#).is_err());
        assert!(serde_json::from_slice::<ValidationResponse>(br#"{"message":"x"}"#).is_err());
        assert!(serde_json::from_slice::<ValidationResponse>(br#"{"accepted":true,"code":70000}"#).is_err());
        assert!(serde_json::from_slice::<ValidationResponse>(b"").is_err());
    }

    #[test]
    fn settings_answers() {
        let valid: SettingsValidationResponse = serde_json::from_slice(br#"{"valid":true,"message":null}"#).unwrap();
        assert!(valid.valid && valid.message.is_none());
        let invalid: SettingsValidationResponse =
            serde_json::from_slice(br#"{"valid":false,"message":"bad pattern"}"#).unwrap();
        assert_eq!(invalid.message.as_deref(), Some("bad pattern"));
        assert!(serde_json::from_slice::<SettingsValidationResponse>(br#"{"message":"x"}"#).is_err());
    }
}

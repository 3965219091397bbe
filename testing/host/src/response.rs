//! What the guest answers, as the Kubewarden SDK (`kubewarden_policy_sdk::response`,
//! `kubewarden_policy_sdk::settings`) serializes it: snake_case field names, `null` or absent
//! for the optional ones.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The answer of the guest's `validate` function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationResponse {
    /// `true` when the request is admitted (possibly mutated).
    pub accepted: bool,
    /// Shown to the user when the request is rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// HTTP code returned with a rejection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    /// The WHOLE mutated object; the host diffs it against `request.object`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutated_object: Option<Value>,
    /// Key/value pairs added to the API server's audit log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_annotations: Option<BTreeMap<String, String>>,
    /// Warnings returned to the API client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
}

impl ValidationResponse {
    /// Accepted with a mutated object.
    #[must_use]
    pub fn is_mutation(&self) -> bool {
        self.accepted && self.mutated_object.is_some()
    }

    /// The warnings, empty when there are none.
    #[must_use]
    pub fn warnings(&self) -> &[String] {
        self.warnings.as_deref().unwrap_or_default()
    }

    /// The RFC 6902 JSON Patch Kubewarden would send the API server for this answer:
    /// `json_patch::diff(request.object, mutated_object)`. `None` when nothing is mutated.
    ///
    /// `request` is the AdmissionRequest (its `object` is used; a missing `object` counts as
    /// `null`).
    #[must_use]
    pub fn patch(&self, request: &Value) -> Option<json_patch::Patch> {
        let mutated = self.mutated_object.as_ref().filter(|_| self.accepted)?;
        let original = request.get("object").unwrap_or(&Value::Null);
        Some(json_patch::diff(original, mutated))
    }
}

/// The answer of the guest's `validate_settings` function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsValidationResponse {
    /// `true` when the settings are usable.
    pub valid: bool,
    /// Why the settings are not valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
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
            response,
            ValidationResponse {
                accepted: false,
                message: Some("no".into()),
                code: None,
                mutated_object: None,
                audit_annotations: None,
                warnings: None,
            }
        );
        assert!(!response.is_mutation());
        assert!(response.warnings().is_empty());
        assert!(response.patch(&json!({"object": {}})).is_none());
    }

    #[test]
    fn minimal_answer() {
        let response: ValidationResponse = serde_json::from_slice(br#"{"accepted":true}"#).unwrap();
        assert!(response.accepted);
        assert_eq!(response.message, None);
        assert!(!response.is_mutation());
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
        let annotations = response.audit_annotations.as_ref().unwrap();
        assert_eq!(annotations.keys().collect::<Vec<_>>(), ["a", "z"]);

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
        assert_eq!(
            valid,
            SettingsValidationResponse {
                valid: true,
                message: None
            }
        );
        let invalid: SettingsValidationResponse =
            serde_json::from_slice(br#"{"valid":false,"message":"bad pattern"}"#).unwrap();
        assert_eq!(invalid.message.as_deref(), Some("bad pattern"));
        assert!(serde_json::from_slice::<SettingsValidationResponse>(br#"{"message":"x"}"#).is_err());
    }

    #[test]
    fn serializes_without_nulls() {
        let response = ValidationResponse {
            accepted: true,
            message: None,
            code: None,
            mutated_object: None,
            audit_annotations: None,
            warnings: Some(vec!["w".into()]),
        };
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            json!({"accepted": true, "warnings": ["w"]})
        );
    }
}

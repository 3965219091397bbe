//! The floor of the benchmark: the unavoidable cost of receiving an admission request.
//!
//! A waPC module with the policy's three entry points that does nothing but what any policy must do with a request:
//! read the whole payload into a JSON tree and answer. `validate` answers an accepting response shaped as the
//! Kubewarden SDK serializes it (every field present, `null` when unset), `validate_settings` answers valid and
//! `protocol_version` answers `"v1"`. `make bench` times the policy against it on the same payloads.

use serde::Serialize;
use serde_json::Value;
use wapc_guest::{CallResult, register_function};

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings);
    register_function("protocol_version", protocol_version);
}

/// `kubewarden_policy_sdk::response::ValidationResponse` as `accept_request()` serializes it.
#[derive(Serialize)]
struct ValidationResponse {
    accepted: bool,
    message: Option<String>,
    code: Option<u16>,
    mutated_object: Option<Value>,
    audit_annotations: Option<Value>,
    warnings: Option<Vec<String>>,
}

#[derive(Serialize)]
struct SettingsValidationResponse {
    valid: bool,
    message: Option<String>,
}

fn validate(payload: &[u8]) -> CallResult {
    let payload: Value = serde_json::from_slice(payload)?;
    // The tree must be built, not optimized away: answer from it.
    let accepted = payload.is_object();
    Ok(serde_json::to_vec(&ValidationResponse {
        accepted,
        message: None,
        code: None,
        mutated_object: None,
        audit_annotations: None,
        warnings: None,
    })?)
}

fn validate_settings(payload: &[u8]) -> CallResult {
    let settings: Value = serde_json::from_slice(payload)?;
    Ok(serde_json::to_vec(&SettingsValidationResponse {
        valid: settings.is_object(),
        message: None,
    })?)
}

fn protocol_version(_payload: &[u8]) -> CallResult {
    Ok(serde_json::to_vec("v1")?)
}

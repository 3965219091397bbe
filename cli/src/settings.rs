//! The settings file: the policy's settings as YAML or JSON, or a policy manifest that carries them.

use std::path::Path;

use serde_json::Value;
use sidecar_placement_policy::settings::{Settings, SettingsError};

/// The kinds whose `spec.settings` are the policy's settings.
const POLICY_KINDS: [&str; 2] = ["ClusterAdmissionPolicy", "AdmissionPolicy"];

/// Reads the settings; without a file, the settings are empty (and the core says what is missing).
pub fn read(path: Option<&Path>) -> Result<Settings, String> {
    let Some(path) = path else {
        return Ok(Settings::default());
    };
    let name = path.display();
    let text = std::fs::read_to_string(path).map_err(|error| format!("{name}: cannot be read: {error}"))?;
    let value: Value = serde_norway::from_str(&text).map_err(|error| format!("{name}: invalid settings: {error}"))?;
    let settings = match value.get("kind").and_then(Value::as_str) {
        Some(kind) if POLICY_KINDS.contains(&kind) => value
            .pointer("/spec/settings")
            .cloned()
            .ok_or_else(|| format!("{name}: this {kind} has no spec.settings"))?,
        _ => value,
    };
    // The same reading as `validate_settings`, so that the messages are the policy's own.
    let json = serde_json::to_vec(&settings).map_err(|error| format!("{name}: {error}"))?;
    Settings::from_json(&json).map_err(|error| format!("{name}: {error}"))
}

/// A settings error as the policy's `validate_settings` words it, and where the settings came from.
pub fn explain(error: &SettingsError, path: Option<&Path>) -> String {
    match (error, path) {
        (SettingsError::NoSidecarsDeclared, None) => {
            format!(
                "{error}; pass them with --settings FILE (the settings, or a policy manifest such as policies/protect.yaml)"
            )
        }
        (_, Some(path)) => format!("{}: {error}", path.display()),
        (_, None) => error.to_string(),
    }
}

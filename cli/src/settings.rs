//! `--settings FILE`: the policy's settings, or a policy manifest that carries them, read by the one reading the
//! offline tools share (`sidecar_placement_manifests::settings::read`), with errors at their line in that file.

use std::path::Path;

use sidecar_placement_manifests::settings;
use sidecar_placement_policy::settings::{Settings, SettingsError};

/// Reads the settings; without a file, the settings are empty (and the core says what is missing).
pub fn read(path: Option<&Path>) -> Result<Settings, String> {
    let Some(path) = path else {
        return Ok(Settings::default());
    };
    let name = path.display();
    let text = std::fs::read_to_string(path).map_err(|error| format!("{name}: cannot be read: {error}"))?;
    settings::read(&text).map_err(|error| match error.position {
        Some(at) => format!("{name}:{}:{}: {}", at.line, at.column, error.message),
        None => format!("{name}: {}", error.message),
    })
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

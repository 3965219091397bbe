//! The policy's settings: what users write, and the compiled form the rules run against.
//!
//! `Settings` mirrors the YAML users write (camelCase, unknown keys rejected so that a typo such as
//! `sidecarImage` is reported instead of silently matching nothing). `Settings::compile` turns it into a
//! [`Policy`]: every pattern parsed once, so evaluating a container is only comparisons.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::image::{ImagePattern, ImageReference, ReferenceError, TextPattern, has_glob};

/// Settings exactly as written in the ClusterAdmissionPolicy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// Image patterns; a container whose image matches one is a sidecar.
    #[serde(default)]
    pub sidecar_images: Vec<String>,
    /// Container name globs; a container whose name matches one is a sidecar, whatever its image.
    #[serde(default)]
    pub sidecar_container_names: Vec<String>,
    /// Also reject native sidecars that match neither list.
    #[serde(default)]
    pub restrict_native_sidecars: bool,
    /// Convert legacy sidecars into native sidecars instead of rejecting them.
    #[serde(default)]
    pub mutate: bool,
    /// Where converted sidecars go in `initContainers`.
    #[serde(default)]
    pub placement: Placement,
}

/// Where a converted sidecar is inserted among the init containers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Placement {
    /// After every existing init container: the sidecar starts when it started before (after the one-shot init
    /// containers) and gains start-before-app, stop-after-app and Job completion.
    #[default]
    AfterInitContainers,
    /// After the leading native sidecars, before the first one-shot init container: for sidecars that init
    /// containers need (a secrets agent, a mesh proxy).
    BeforeInitContainers,
}

impl Placement {
    pub fn as_str(self) -> &'static str {
        match self {
            Placement::AfterInitContainers => "afterInitContainers",
            Placement::BeforeInitContainers => "beforeInitContainers",
        }
    }
}

/// What the policy does about a sidecar it finds in `containers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    Reject,
    Convert(Placement),
}

/// Why settings were refused; the message names the offending entry.
#[derive(Debug, Error)]
pub enum SettingsError {
    #[error("invalid settings: {0}")]
    Unreadable(#[from] serde_json::Error),
    #[error("invalid settings: they must be an object of setting names to values")]
    NotAnObject,
    #[error(
        "the policy must be told which containers are sidecars: set sidecarImages (image patterns) and/or \
         sidecarContainerNames (container name patterns)"
    )]
    NoSidecarsDeclared,
    #[error("sidecarImages[{index}] '{pattern}' is not a valid image pattern: {source}")]
    ImagePattern {
        index: usize,
        pattern: String,
        source: ReferenceError,
    },
    #[error("sidecarContainerNames[{index}] '{pattern}' is not a valid container name pattern: {reason}")]
    NamePattern {
        index: usize,
        pattern: String,
        reason: &'static str,
    },
}

impl Settings {
    /// Reads settings from JSON; `null` and an empty payload mean "no settings" (all defaults).
    pub fn from_json(json: &[u8]) -> Result<Self, SettingsError> {
        let trimmed = json.trim_ascii();
        if trimmed.is_empty() || trimmed == b"null" {
            return Ok(Self::default());
        }
        // serde would read a list positionally as the struct's fields; settings are a map of names to values.
        if !trimmed.starts_with(b"{") {
            return Err(SettingsError::NotAnObject);
        }
        Ok(serde_json::from_slice(trimmed)?)
    }

    /// Checks every entry and compiles the patterns; the only way to obtain a [`Policy`].
    pub fn compile(&self) -> Result<Policy, SettingsError> {
        if self.sidecar_images.is_empty() && self.sidecar_container_names.is_empty() {
            return Err(SettingsError::NoSidecarsDeclared);
        }
        let images = self
            .sidecar_images
            .iter()
            .enumerate()
            .map(|(index, pattern)| {
                ImagePattern::parse(pattern).map_err(|source| SettingsError::ImagePattern {
                    index,
                    pattern: pattern.clone(),
                    source,
                })
            })
            .collect::<Result<_, _>>()?;
        let names = self
            .sidecar_container_names
            .iter()
            .enumerate()
            .map(|(index, pattern)| {
                check_name_pattern(pattern)
                    .map(|()| TextPattern::new(pattern.clone()))
                    .map_err(|reason| SettingsError::NamePattern {
                        index,
                        pattern: pattern.clone(),
                        reason,
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Policy {
            images,
            names,
            restrict_native_sidecars: self.restrict_native_sidecars,
            remedy: if self.mutate {
                Remedy::Convert(self.placement)
            } else {
                Remedy::Reject
            },
        })
    }
}

/// Container names are DNS-1123 labels; a pattern that no such label can match is a mistake worth reporting.
fn check_name_pattern(pattern: &str) -> Result<(), &'static str> {
    if pattern.is_empty() {
        return Err("it is empty");
    }
    if !pattern
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '*' || c == '?')
    {
        return Err("container names are lowercase letters, digits and '-' (globs: '*', '?')");
    }
    if !has_glob(pattern) && pattern.len() > 63 {
        return Err("container names are at most 63 characters");
    }
    Ok(())
}

/// Compiled settings: the sidecar matchers and what to do about a misplaced sidecar.
#[derive(Debug, Clone)]
pub struct Policy {
    images: Vec<ImagePattern>,
    names: Vec<TextPattern>,
    restrict_native_sidecars: bool,
    remedy: Remedy,
}

impl Policy {
    /// Whether a container with this name and image is declared a sidecar. An image that is missing or cannot be
    /// read matches no image pattern (the name may still match): a bad image is the API server's to reject.
    pub fn is_sidecar(&self, name: Option<&str>, image: Option<&str>) -> bool {
        if let Some(name) = name
            && self.names.iter().any(|pattern| pattern.matches(name))
        {
            return true;
        }
        if self.images.is_empty() {
            return false;
        }
        match image.map(ImageReference::parse) {
            Some(Ok(image)) => self.images.iter().any(|pattern| pattern.matches(&image)),
            _ => false,
        }
    }

    pub fn restrict_native_sidecars(&self) -> bool {
        self.restrict_native_sidecars
    }

    pub fn remedy(&self) -> Remedy {
        self.remedy
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn compile(json: &str) -> Result<Policy, SettingsError> {
        Settings::from_json(json.as_bytes())?.compile()
    }

    fn error(json: &str) -> String {
        compile(json).expect_err("settings must be refused").to_string()
    }

    #[rstest]
    #[case::no_settings_at_all("{}", "must be told which containers are sidecars")]
    #[case::both_lists_empty(r#"{"sidecarImages": [], "sidecarContainerNames": []}"#, "must be told")]
    #[case::unknown_key(r#"{"sidecarImage": ["a"]}"#, "unknown field `sidecarImage`")]
    #[case::wrong_type(
        r#"{"sidecarImages": "hashicorp/vault"}"#,
        "invalid type: string \"hashicorp/vault\""
    )]
    #[case::wrong_bool_type(r#"{"sidecarImages": ["a"], "mutate": "yes"}"#, "invalid type: string \"yes\"")]
    #[case::unknown_placement(r#"{"sidecarImages": ["a"], "placement": "first"}"#, "unknown variant `first`")]
    #[case::empty_image_pattern(
        r#"{"sidecarImages": ["a", ""]}"#,
        "sidecarImages[1] '' is not a valid image pattern: it is empty"
    )]
    #[case::unparsable_image_pattern(
        r#"{"sidecarImages": ["Hashicorp/Vault:"]}"#,
        "sidecarImages[0] 'Hashicorp/Vault:'"
    )]
    #[case::empty_name_pattern(
        r#"{"sidecarContainerNames": [""]}"#,
        "sidecarContainerNames[0] '' is not a valid container name pattern: it is empty"
    )]
    #[case::uppercase_name_pattern(
        r#"{"sidecarContainerNames": ["Vault-Agent"]}"#,
        "sidecarContainerNames[0] 'Vault-Agent'"
    )]
    #[case::list_not_object("[1, 2]", "invalid settings: they must be an object of setting names to values")]
    #[case::not_json("{sidecarImages: [a]}", "invalid settings: key must be a string")]
    fn refused_settings(#[case] json: &str, #[case] expected: &str) {
        let message = error(json);
        assert!(message.contains(expected), "{message:?} should contain {expected:?}");
    }

    #[rstest]
    #[case::images_only(
        r#"{"sidecarImages": ["hashicorp/vault", "*/istio-release/proxyv2"]}"#,
        Remedy::Reject
    )]
    #[case::names_only(r#"{"sidecarContainerNames": ["vault-agent", "istio-*"]}"#, Remedy::Reject)]
    #[case::mutate_default_placement(
        r#"{"sidecarImages": ["a"], "mutate": true}"#,
        Remedy::Convert(Placement::AfterInitContainers)
    )]
    #[case::mutate_before(
        r#"{"sidecarImages": ["a"], "mutate": true, "placement": "beforeInitContainers"}"#,
        Remedy::Convert(Placement::BeforeInitContainers)
    )]
    #[case::placement_without_mutate(
        r#"{"sidecarImages": ["a"], "placement": "beforeInitContainers"}"#,
        Remedy::Reject
    )]
    fn accepted_settings(#[case] json: &str, #[case] remedy: Remedy) {
        assert_eq!(compile(json).expect("valid settings").remedy(), remedy);
    }

    #[rstest]
    #[case::by_image(Some("agent"), Some("hashicorp/vault:1.15"), true)]
    #[case::by_name_whatever_the_image(Some("istio-proxy"), Some("example.com/custom-envoy:1"), true)]
    #[case::neither(Some("app"), Some("nginx"), false)]
    #[case::unreadable_image_matches_nothing(Some("app"), Some("::not an image::"), false)]
    #[case::missing_image_name_still_counts(Some("istio-proxy"), None, true)]
    #[case::missing_name_image_still_counts(None, Some("hashicorp/vault"), true)]
    #[case::nothing(None, None, false)]
    fn sidecar_detection(#[case] name: Option<&str>, #[case] image: Option<&str>, #[case] expected: bool) {
        let policy =
            compile(r#"{"sidecarImages": ["hashicorp/vault"], "sidecarContainerNames": ["istio-*"]}"#).expect("valid");
        assert_eq!(policy.is_sidecar(name, image), expected);
    }

    #[rstest]
    #[case::null("null")]
    #[case::empty("")]
    fn absent_settings_are_defaults(#[case] json: &str) {
        assert_eq!(
            Settings::from_json(json.as_bytes()).expect("readable"),
            Settings::default()
        );
    }
}

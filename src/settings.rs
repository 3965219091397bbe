//! The policy's settings: what users write, and the compiled form the rules run against.
//!
//! `Settings` mirrors the YAML users write (camelCase, unknown keys rejected so that a typo such as
//! `sidecarImage` is reported instead of silently matching nothing). `Settings::compile` turns it into a
//! [`Policy`]: every pattern parsed once, so evaluating a container is only comparisons.

use std::fmt;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use thiserror::Error;

use crate::image::{ImagePattern, ImageReference, ReferenceError, TextPattern, has_glob};
use crate::nodes::{KubeletVersion, MinimumVersionError, NATIVE_SIDECARS_SINCE};
use crate::rules::Wording;
use crate::wire_name;

/// Settings exactly as written in the ClusterAdmissionPolicy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
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
    /// Consult the cluster's Nodes before converting a sidecar or asking for a native one.
    #[serde(default)]
    pub check_nodes: bool,
    /// From which kubelet `MAJOR.MINOR` a node runs native sidecars.
    #[serde(default = "default_minimum_kubelet_version", deserialize_with = "version_text")]
    pub minimum_kubelet_version: String,
    /// With `mutate`, also rewrite the pod templates of workloads, not only Pods.
    #[serde(default)]
    pub mutate_templates: bool,
}

fn default_minimum_kubelet_version() -> String {
    NATIVE_SIDECARS_SINCE.to_string()
}

/// Every setting, in the order messages and the README list them.
pub const SETTINGS: [&str; 8] = [
    "sidecarImages",
    "sidecarContainerNames",
    "restrictNativeSidecars",
    "mutate",
    "placement",
    "checkNodes",
    "minimumKubeletVersion",
    "mutateTemplates",
];

/// The settings object's keys with their values' raw text, in order (a key given twice appears twice).
struct Entries<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> serde::de::Visitor<'de> for EntriesVisitor {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of settings")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Entries<'de>, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    entries.push((key, map.next_value::<&'de RawValue>()?));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// One setting's value.
fn read<'a, T: Deserialize<'a>>(raw: &'a RawValue) -> serde_json::Result<T> {
    serde_json::from_slice(raw.get().as_bytes())
}

/// A list of patterns: an error names the entry (`sidecarImages[1]`).
fn strings(key: &str, raw: &RawValue) -> Result<Vec<String>, SettingsError> {
    let items: Vec<&RawValue> = read(raw).map_err(|error| SettingsError::unreadable(Some(key.to_owned()), &error))?;
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            read(item).map_err(|error| SettingsError::unreadable(Some(format!("{key}[{index}]")), &error))
        })
        .collect()
}

/// `minimumKubeletVersion` is text: YAML reads an unquoted `1.30` as the number 1.3, which would silently mean
/// Kubernetes 1.3, so every number is refused with the fix.
fn version_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    struct VersionVisitor;
    impl serde::de::Visitor<'_> for VersionVisitor {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string such as \"1.30\"")
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<String, E> {
            Ok(text.to_owned())
        }
        fn visit_f64<E: serde::de::Error>(self, number: f64) -> Result<String, E> {
            Err(E::custom(format!(
                "expected a string such as \"1.30\", found the number {number}: {UNQUOTED_VERSION}"
            )))
        }
        fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<String, E> {
            self.visit_f64(number as f64)
        }
        fn visit_i64<E: serde::de::Error>(self, number: i64) -> Result<String, E> {
            self.visit_f64(number as f64)
        }
    }
    deserializer.deserialize_any(VersionVisitor)
}

/// [`version_text`] on the raw text, which it quotes as written: no float is formatted, which keeps Rust's float
/// printing (about 14 KB) out of the module.
fn version(key: &str, raw: &RawValue) -> Result<String, SettingsError> {
    let text = raw.get();
    if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return Err(SettingsError::Unreadable {
            key: Some(key.to_owned()),
            message: format!("{key}: expected a string such as \"1.30\", found the number {text}: {UNQUOTED_VERSION}"),
        });
    }
    read(raw).map_err(|error| SettingsError::unreadable(Some(key.to_owned()), &error))
}

/// What to do about an unquoted version.
const UNQUOTED_VERSION: &str =
    "write the version in quotes (\"1.30\"), as YAML reads an unquoted 1.30 as the number 1.3";

impl Default for Settings {
    fn default() -> Self {
        Self {
            sidecar_images: Vec::new(),
            sidecar_container_names: Vec::new(),
            restrict_native_sidecars: false,
            mutate: false,
            placement: Placement::default(),
            check_nodes: false,
            minimum_kubelet_version: default_minimum_kubelet_version(),
            mutate_templates: false,
        }
    }
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

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&wire_name(self))
    }
}

impl Remedy {
    /// How a message about a sidecar is worded: it talks about conversion only when the policy converts.
    pub fn wording(self) -> Wording {
        match self {
            Remedy::Reject => Wording::Validating,
            Remedy::Convert { .. } => Wording::Converting,
        }
    }
}

/// What the policy does about a sidecar it finds in `containers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// Reject the object, saying how to fix it.
    Reject,
    /// Convert the sidecar into a native sidecar.
    Convert {
        /// Where it goes among the init containers.
        placement: Placement,
        /// Whether pod templates are rewritten too (`mutateTemplates`), or only Pods.
        templates: bool,
    },
}

/// Why settings were refused; the message names the offending entry.
#[derive(Debug, Error)]
pub enum SettingsError {
    /// Not JSON, an unknown key, a key given twice, a wrong type or an unknown value; names the key.
    #[error("invalid settings: {message}")]
    Unreadable {
        /// The setting, as a path (`checkNodes`, `sidecarImages[1]`); `None` for the settings as a whole.
        key: Option<String>,
        /// What is wrong and where, in words that do not depend on how the JSON was laid out.
        message: String,
    },
    /// A list or a scalar where a map of settings belongs.
    #[error("invalid settings: they must be an object of setting names to values")]
    NotAnObject,
    /// Neither list is set: the policy would never find a sidecar.
    #[error(
        "the policy must be told which containers are sidecars: set sidecarImages (image patterns) and/or \
         sidecarContainerNames (container name patterns)"
    )]
    NoSidecarsDeclared,
    /// An image pattern that cannot be read.
    #[error("sidecarImages[{index}] '{pattern}' is not a valid image pattern: {source}")]
    ImagePattern {
        /// Position in the list.
        index: usize,
        /// The pattern as written.
        pattern: String,
        /// What is wrong with it.
        source: ReferenceError,
    },
    /// A name pattern no container name can match.
    #[error("sidecarContainerNames[{index}] '{pattern}' is not a valid container name pattern: {reason}")]
    NamePattern {
        /// Position in the list.
        index: usize,
        /// The pattern as written.
        pattern: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `minimumKubeletVersion` is not `MAJOR.MINOR` or predates native sidecars.
    #[error("minimumKubeletVersion '{value}' is not valid: {source}")]
    MinimumKubeletVersion {
        /// The value as written.
        value: String,
        /// What is wrong with it.
        source: MinimumVersionError,
    },
    /// A setting that would do nothing: a mistake worth saying.
    #[error(
        "mutateTemplates: true does nothing without mutate: true: set mutate: true to convert sidecars, or remove \
         mutateTemplates"
    )]
    TemplatesWithoutMutate,
}

impl SettingsError {
    /// The error of a setting at `key`, reworded from serde's: no JSON position, and a wrong type said as what was
    /// expected and what was found.
    fn unreadable(key: Option<String>, error: &serde_json::Error) -> Self {
        let text = error.to_string();
        let suffix = format!(" at line {} column {}", error.line(), error.column());
        let text = text.strip_suffix(&suffix).unwrap_or(&text);
        let key = key.filter(|key| key != "?");
        let message = reword(key.as_deref(), text);
        SettingsError::Unreadable { key, message }
    }

    /// The setting an unreadable value was written under (`checkNodes`, `sidecarImages[1]`), for tools that point
    /// at it in the user's own file.
    pub fn key(&self) -> Option<&str> {
        match self {
            SettingsError::Unreadable { key, .. } => key.as_deref(),
            SettingsError::ImagePattern { .. } | SettingsError::NamePattern { .. } => None,
            SettingsError::MinimumKubeletVersion { .. } => Some("minimumKubeletVersion"),
            SettingsError::TemplatesWithoutMutate => Some("mutateTemplates"),
            SettingsError::NotAnObject | SettingsError::NoSidecarsDeclared => None,
        }
    }
}

/// serde's wording, said for people and prefixed with the key: `invalid type: string "yes", expected a boolean`
/// becomes `checkNodes: expected a boolean, found the string "yes"`; `unknown variant` becomes `unknown value`; an
/// unknown key and a key given twice are named.
fn reword(key: Option<&str>, text: &str) -> String {
    let at = |problem: String| match key {
        Some(key) => format!("{key}: {problem}"),
        None => problem,
    };
    if let Some(rest) = text.strip_prefix("invalid type: ")
        && let Some((found, expected)) = crate::split_around(rest, ", expected ", true)
    {
        let found = match found.split_once(' ') {
            Some(("string", text)) => format!("the string {text}"),
            Some(("integer" | "floating", number)) => {
                format!("the number {}", number.trim_start_matches("point ").trim_matches('`'))
            }
            Some(("boolean", value)) => value.trim_matches('`').to_owned(),
            _ if found == "sequence" => "a list".to_owned(),
            _ if found == "unit value" => "null".to_owned(),
            _ => format!("a {found}"),
        };
        let expected = if expected == "a sequence" { "a list" } else { expected };
        return at(format!("expected {expected}, found {found}"));
    }
    if let Some(rest) = text.strip_prefix("unknown variant `")
        && let Some((value, expected)) = crate::split_around(rest, "`, expected ", false)
    {
        return at(format!(
            "unknown value '{value}', expected {}",
            expected.replace('`', "")
        ));
    }
    if text.starts_with("unknown field `") {
        // The key is the unknown setting itself: serde's sentence already names it.
        return text.to_owned();
    }
    if let Some(rest) = text.strip_prefix("duplicate field `") {
        return format!("{} given more than once", rest.trim_end_matches('`'));
    }
    at(text.to_owned())
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
        // Each setting is read on its own from its raw text, so that an error names its key (and its index in a
        // list): what serde_path_to_error would do for the derived reader, with less code in the module.
        let entries: Vec<(Cow<'_, str>, &RawValue)> = serde_json::from_slice::<Entries<'_>>(trimmed)
            .map_err(|error| SettingsError::unreadable(None, &error))?
            .0;
        let mut settings = Self::default();
        let mut seen: Vec<&str> = Vec::with_capacity(entries.len());
        for (key, raw) in &entries {
            if seen.contains(&key.as_ref()) {
                return Err(SettingsError::Unreadable {
                    key: Some(key.to_string()),
                    message: format!("{key} given more than once"),
                });
            }
            seen.push(key);
            let value = |error| SettingsError::unreadable(Some(key.to_string()), &error);
            match key.as_ref() {
                "sidecarImages" => settings.sidecar_images = strings(key, raw)?,
                "sidecarContainerNames" => settings.sidecar_container_names = strings(key, raw)?,
                "restrictNativeSidecars" => settings.restrict_native_sidecars = read(raw).map_err(value)?,
                "mutate" => settings.mutate = read(raw).map_err(value)?,
                "placement" => settings.placement = read(raw).map_err(value)?,
                "checkNodes" => settings.check_nodes = read(raw).map_err(value)?,
                "minimumKubeletVersion" => settings.minimum_kubelet_version = version(key, raw)?,
                "mutateTemplates" => settings.mutate_templates = read(raw).map_err(value)?,
                unknown => {
                    return Err(SettingsError::Unreadable {
                        key: Some(unknown.to_owned()),
                        message: format!(
                            "unknown field `{unknown}`, expected one of {}",
                            SETTINGS.map(|name| format!("`{name}`")).join(", ")
                        ),
                    });
                }
            }
        }
        Ok(settings)
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
        let minimum_kubelet = KubeletVersion::parse_minimum(&self.minimum_kubelet_version).map_err(|source| {
            SettingsError::MinimumKubeletVersion {
                value: self.minimum_kubelet_version.clone(),
                source,
            }
        })?;
        if self.mutate_templates && !self.mutate {
            return Err(SettingsError::TemplatesWithoutMutate);
        }
        Ok(Policy {
            images,
            names,
            restrict_native_sidecars: self.restrict_native_sidecars,
            remedy: if self.mutate {
                Remedy::Convert {
                    placement: self.placement,
                    templates: self.mutate_templates,
                }
            } else {
                Remedy::Reject
            },
            check_nodes: self.check_nodes,
            minimum_kubelet,
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
    check_nodes: bool,
    minimum_kubelet: KubeletVersion,
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

    /// Whether native sidecars must match the lists too (`restrictNativeSidecars`).
    pub fn restrict_native_sidecars(&self) -> bool {
        self.restrict_native_sidecars
    }

    /// What to do about a sidecar in `containers`.
    pub fn remedy(&self) -> Remedy {
        self.remedy
    }

    /// The kubelet version every node must run before the policy relies on native sidecars, when it checks nodes
    /// (`checkNodes`); `None` when it does not look at the cluster.
    pub fn node_check(&self) -> Option<KubeletVersion> {
        self.check_nodes.then_some(self.minimum_kubelet)
    }

    /// The kubelet version every node is declared to run (`minimumKubeletVersion`), whether or not the policy
    /// checks nodes: a cluster at 1.33+ allows what older ones refuse (`resizePolicy` on a native sidecar).
    pub fn minimum_kubelet(&self) -> KubeletVersion {
        self.minimum_kubelet
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
    #[case::unknown_key(
        r#"{"sidecarImage": ["a"]}"#,
        "invalid settings: unknown field `sidecarImage`, expected one of"
    )]
    #[case::wrong_type(
        r#"{"sidecarImages": "hashicorp/vault"}"#,
        "invalid settings: sidecarImages: expected a list, found the string \"hashicorp/vault\""
    )]
    #[case::wrong_type_in_a_list(
        r#"{"sidecarImages": ["a", 5]}"#,
        "invalid settings: sidecarImages[1]: expected a string, found the number 5"
    )]
    #[case::wrong_bool_type(
        r#"{"sidecarImages": ["a"], "mutate": "yes"}"#,
        "invalid settings: mutate: expected a boolean, found the string \"yes\""
    )]
    #[case::unknown_placement(
        r#"{"sidecarImages": ["a"], "placement": "first"}"#,
        "invalid settings: placement: unknown value 'first', expected afterInitContainers or beforeInitContainers"
    )]
    #[case::key_given_twice(
        r#"{"sidecarImages": ["a"], "mutate": true, "mutate": false}"#,
        "invalid settings: mutate given more than once"
    )]
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
    #[case::kubelet_version_with_patch(
        r#"{"sidecarImages": ["a"], "minimumKubeletVersion": "1.30.2"}"#,
        "minimumKubeletVersion '1.30.2' is not valid: it must be MAJOR.MINOR, such as \"1.29\" or \"1.33\""
    )]
    #[case::kubelet_version_before_native_sidecars(
        r#"{"sidecarImages": ["a"], "checkNodes": true, "minimumKubeletVersion": "1.28"}"#,
        "minimumKubeletVersion '1.28' is not valid: native sidecars do not exist before Kubernetes 1.29"
    )]
    #[case::kubelet_version_unquoted_in_yaml(
        r#"{"sidecarImages": ["a"], "minimumKubeletVersion": 1.3}"#,
        "invalid settings: minimumKubeletVersion: expected a string such as \"1.30\", found the number 1.3: write \
         the version in quotes (\"1.30\"), as YAML reads an unquoted 1.30 as the number 1.3"
    )]
    #[case::kubelet_version_a_whole_number(
        r#"{"sidecarImages": ["a"], "minimumKubeletVersion": 2}"#,
        "invalid settings: minimumKubeletVersion: expected a string such as \"1.30\", found the number 2"
    )]
    #[case::check_nodes_not_a_bool(
        r#"{"sidecarImages": ["a"], "checkNodes": "yes"}"#,
        "invalid settings: checkNodes: expected a boolean, found the string \"yes\""
    )]
    #[case::templates_without_mutate(
        r#"{"sidecarImages": ["a"], "mutateTemplates": true}"#,
        "mutateTemplates: true does nothing without mutate: true: set mutate: true to convert sidecars, or remove \
         mutateTemplates"
    )]
    fn refused_settings(#[case] json: &str, #[case] expected: &str) {
        let message = error(json);
        assert!(
            message.starts_with(expected) || message.contains(expected),
            "{message:?} should contain {expected:?}"
        );
        assert!(!message.contains(" at line "), "no JSON position in {message:?}");
    }

    #[rstest]
    #[case::wrong_type(r#"{"checkNodes": "yes"}"#, Some("checkNodes"))]
    #[case::in_a_list(r#"{"sidecarImages": ["a", 1]}"#, Some("sidecarImages[1]"))]
    #[case::minimum(
        r#"{"sidecarImages": ["a"], "minimumKubeletVersion": "1"}"#,
        Some("minimumKubeletVersion")
    )]
    #[case::unknown_key(r#"{"x": 1}"#, Some("x"))]
    #[case::not_json("{x}", None)]
    fn errors_name_their_key(#[case] json: &str, #[case] key: Option<&str>) {
        let error = compile(json).expect_err("refused");
        assert_eq!(error.key(), key, "{error}");
    }

    #[rstest]
    #[case::images_only(
        r#"{"sidecarImages": ["hashicorp/vault", "*/istio-release/proxyv2"]}"#,
        Remedy::Reject
    )]
    #[case::names_only(r#"{"sidecarContainerNames": ["vault-agent", "istio-*"]}"#, Remedy::Reject)]
    #[case::mutate_default_placement(
        r#"{"sidecarImages": ["a"], "mutate": true}"#,
        Remedy::Convert { placement: Placement::AfterInitContainers, templates: false }
    )]
    #[case::mutate_before(
        r#"{"sidecarImages": ["a"], "mutate": true, "placement": "beforeInitContainers"}"#,
        Remedy::Convert { placement: Placement::BeforeInitContainers, templates: false }
    )]
    #[case::mutate_templates(
        r#"{"sidecarImages": ["a"], "mutate": true, "mutateTemplates": true}"#,
        Remedy::Convert { placement: Placement::AfterInitContainers, templates: true }
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
    #[case::off_by_default(r#"{"sidecarImages": ["a"]}"#, None)]
    #[case::on_with_the_default_minimum(r#"{"sidecarImages": ["a"], "checkNodes": true}"#, Some("1.29"))]
    #[case::on_where_ga(
        r#"{"sidecarImages": ["a"], "checkNodes": true, "minimumKubeletVersion": "1.33"}"#,
        Some("1.33")
    )]
    #[case::minimum_without_check_is_inert(r#"{"sidecarImages": ["a"], "minimumKubeletVersion": "1.33"}"#, None)]
    fn node_checks(#[case] json: &str, #[case] minimum: Option<&str>) {
        let policy = compile(json).expect("valid settings");
        assert_eq!(policy.node_check().map(|v| v.to_string()).as_deref(), minimum);
    }

    #[test]
    fn placements_are_named_as_in_settings() {
        assert_eq!(Placement::AfterInitContainers.to_string(), "afterInitContainers");
        assert_eq!(Placement::BeforeInitContainers.to_string(), "beforeInitContainers");
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

//! A settings file: the policy's settings as YAML or JSON, or a policy manifest (alone, or among other documents such
//! as its RBAC) whose `spec.settings` are the settings. One reading for every offline tool and its tests.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sidecar_placement_policy::settings::Settings;

use crate::file::{Manifests, ReadError, looks_like_json, strip_position};
use crate::text::Position;

/// The kinds whose `spec.settings` are the policy's settings.
pub const POLICY_KINDS: [&str; 2] = ["ClusterAdmissionPolicy", "AdmissionPolicy"];

/// A policy manifest, as far as its settings go; typed so that a key given twice is refused, not last-one-wins.
#[derive(Deserialize)]
struct PolicyManifest {
    spec: PolicySpec,
}

#[derive(Deserialize)]
struct PolicySpec {
    settings: Option<Settings>,
}

/// Reads the settings from the text of a settings file. Errors carry the position in that text.
///
/// The settings are read twice: typed from the text as written, so that an unknown key, a wrong type or a key given
/// twice is reported at its line; then exactly as the policy reads them (`Settings::from_json` on the JSON that
/// policy-server hands it), so that the offline tools never accept what the policy refuses.
pub fn read(text: &str) -> Result<Settings, ReadError> {
    let manifests = Manifests::parse(text).map_err(|error| ReadError {
        message: format!("invalid settings: {}", error.message),
        position: error.position,
    })?;
    let documents = manifests.documents();
    let policies: Vec<usize> = (0..documents.len())
        .filter(|&index| {
            documents[index]
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|kind| POLICY_KINDS.contains(&kind))
        })
        .collect();
    let present: Vec<usize> = (0..documents.len()).filter(|&i| !documents[i].is_null()).collect();
    let at_line = |index: usize| manifests.document_position(index);
    let settings = match (policies.as_slice(), present.as_slice()) {
        ([policy], _) => {
            no_key_twice(&manifests, *policy, "/spec/settings")?;
            let typed: PolicyManifest = typed(text, *policy)?;
            let kind = documents[*policy]["kind"].as_str().unwrap_or_default();
            if typed.spec.settings.is_none() {
                return Err(ReadError {
                    message: format!("this {kind} has no spec.settings"),
                    position: at_line(*policy),
                });
            }
            documents[*policy]
                .pointer("/spec/settings")
                .cloned()
                .unwrap_or_default()
        }
        ([], []) => Value::Null,
        ([], [document]) => {
            if documents[*document].is_object() {
                no_key_twice(&manifests, *document, "")?;
                typed::<Settings>(text, *document)?;
            }
            documents[*document].clone()
        }
        ([], _) => {
            return Err(ReadError {
                message: format!(
                    "{} documents, and none is a ClusterAdmissionPolicy or an AdmissionPolicy: pass the settings \
                     alone, or a file with the policy manifest",
                    present.len()
                ),
                position: None,
            });
        }
        (several, _) => {
            let names: Vec<String> = several
                .iter()
                .map(|&index| {
                    let name = documents[index].pointer("/metadata/name").and_then(Value::as_str);
                    format!("'{}'", name.unwrap_or("(unnamed)"))
                })
                .collect();
            return Err(ReadError {
                message: format!(
                    "{} policy manifests ({}): pass a file with one of them",
                    several.len(),
                    names.join(", ")
                ),
                position: at_line(several[1]),
            });
        }
    };
    // The policy's own reading of what policy-server would send it.
    let json = serde_json::to_vec(&settings).map_err(|error| ReadError {
        message: error.to_string(),
        position: None,
    })?;
    Settings::from_json(&json).map_err(|error| ReadError {
        message: error.to_string(),
        position: None,
    })
}

/// A key given twice in the mapping at `pointer` of document `index` (or in any mapping below it) is refused, at
/// its second line: YAML readers keep the last one, which silently drops what the first one said.
fn no_key_twice(manifests: &Manifests, index: usize, pointer: &str) -> Result<(), ReadError> {
    match manifests.key_twice(index, pointer) {
        Some((key, first, second)) => Err(ReadError {
            message: format!(
                "invalid settings: `{key}` is given twice (first on line {})",
                first.line
            ),
            position: Some(second),
        }),
        None => Ok(()),
    }
}

/// Document `index` of `text` read as `T`, for the errors only: serde names the key and the line.
fn typed<T: DeserializeOwned>(text: &str, index: usize) -> Result<T, ReadError> {
    if index == 0 && looks_like_json(text) && serde_json::from_str::<Value>(text).is_ok() {
        return serde_json::from_str(text).map_err(|error| ReadError {
            message: format!("invalid settings: {}", strip_position(&error.to_string())),
            position: (error.line() > 0).then_some(Position {
                line: error.line(),
                column: error.column().max(1),
            }),
        });
    }
    let document = serde_norway::Deserializer::from_str(text)
        .nth(index)
        .ok_or_else(|| ReadError {
            message: "internal error: the document went missing".to_owned(),
            position: None,
        })?;
    T::deserialize(document).map_err(|error| ReadError {
        message: format!("invalid settings: {}", strip_position(&error.to_string())),
        position: error.location().map(|at| Position {
            line: at.line(),
            column: at.column(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> ReadError {
        read(text).expect_err("refused")
    }

    #[test]
    fn plain_settings_and_policy_manifests() {
        let settings = read("sidecarImages: [hashicorp/vault]\n").expect("settings");
        assert_eq!(settings.sidecar_images, ["hashicorp/vault"]);
        let policy = "apiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nspec:\n  settings:\n    sidecarContainerNames: [vault-agent]\n";
        assert_eq!(read(policy).expect("policy").sidecar_container_names, ["vault-agent"]);
        let json = "{\"sidecarImages\": [\"a\"]}";
        assert_eq!(read(json).expect("json").sidecar_images, ["a"]);
        assert_eq!(read("").expect("empty"), Settings::default());
    }

    #[test]
    fn the_one_policy_of_a_multi_document_file_is_taken() {
        let text = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n---\napiVersion: policies.kubewarden.io/v1\nkind: ClusterAdmissionPolicy\nmetadata: {name: p}\nspec:\n  settings:\n    sidecarImages: [x]\n---\nkind: ClusterRole\n";
        assert_eq!(read(text).expect("settings").sidecar_images, ["x"]);
        let two = format!("{text}---\nkind: AdmissionPolicy\nmetadata: {{name: q}}\nspec: {{settings: {{}}}}\n");
        let refused = error(&two);
        assert!(refused.message.contains("2 policy manifests ('p', 'q')"), "{refused:?}");
        assert_eq!(refused.position.map(|p| p.line), Some(14), "{refused:?}");
        let none = error("sidecarImages: [a]\n---\nsidecarImages: [b]\n");
        assert!(none.message.contains("none is a ClusterAdmissionPolicy"), "{none:?}");
    }

    #[test]
    fn a_key_given_twice_is_refused_at_its_line() {
        let refused = error("sidecarImages: [a]\nmutate: true\nmutate: false\n");
        assert!(
            refused.message.contains("`mutate` is given twice (first on line 2)"),
            "{refused:?}"
        );
        assert_eq!(refused.position.map(|p| p.line), Some(3), "{refused:?}");
        let policy =
            "kind: ClusterAdmissionPolicy\nspec:\n  settings:\n    sidecarImages: [a]\n    sidecarImages: [b]\n";
        let refused = error(policy);
        assert!(
            refused.message.contains("`sidecarImages` is given twice"),
            "{refused:?}"
        );
        assert_eq!(refused.position.map(|p| p.line), Some(5), "{refused:?}");
    }

    #[test]
    fn unknown_keys_and_wrong_types_point_at_the_users_line() {
        let refused = error("# mine\nsidecarImages: [a]\nsidecarImage: [b]\n");
        assert!(refused.message.contains("unknown field `sidecarImage`"), "{refused:?}");
        assert_eq!(refused.position.map(|p| p.line), Some(3), "{refused:?}");
        let policy = "kind: AdmissionPolicy\nspec:\n  settings:\n    sidecarImages: [a]\n    checkNodes: \"yes\"\n";
        let refused = error(policy);
        assert!(refused.message.contains("invalid type"), "{refused:?}");
        assert_eq!(refused.position.map(|p| p.line), Some(5), "{refused:?}");
    }

    #[test]
    fn what_the_policy_refuses_is_refused() {
        let refused = error("sidecarImages: [a]\nminimumKubeletVersion: 1.30\n");
        assert!(refused.message.contains("invalid settings"), "{refused:?}");
        assert!(error("- a\n").message.contains("must be an object"));
        assert!(
            error("kind: ClusterAdmissionPolicy\nspec: {}\n")
                .message
                .contains("has no spec.settings")
        );
    }
}

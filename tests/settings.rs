//! `validate_settings` and `protocol_version` through the release module, as Kubewarden calls them before the
//! first request: valid settings, and each kind of mistake answered `valid: false` with a message naming it.

mod common;

use common::*;
use rstest::rstest;
use serde_json::{Value, json};

#[test]
fn protocol_version_is_v1() {
    assert_eq!(protocol_version(), "v1");
}

#[rstest]
#[case::validation_fixture(settings())]
#[case::mutation_fixture(mutate_settings())]
#[case::images_only(json!({"sidecarImages": ["hashicorp/vault", "*/istio-release/proxyv2"]}))]
#[case::names_only(json!({"sidecarContainerNames": ["vault-agent", "istio-*", "otc-container"]}))]
#[case::every_key(json!({
    "sidecarImages": ["cr.l5d.io/linkerd/proxy", "localhost:5000/agent", "ghcr.io/acme/*", "fluent/fluent-bit:3.*",
                      "docker.io/hashicorp/vault@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"],
    "sidecarContainerNames": ["linkerd-proxy", "gke-gcsfuse-sidecar", "vault-agent-?"],
    "restrictNativeSidecars": true,
    "mutate": true,
    "placement": "beforeInitContainers",
    "checkNodes": true,
    "minimumKubeletVersion": "1.33",
    "mutateTemplates": true
}))]
#[case::check_nodes_fixture(fixture_settings("settings-check-nodes.json"))]
#[case::gitops_safe_mutation(json!({"sidecarImages": ["hashicorp/vault"], "mutate": true, "mutateTemplates": false}))]
#[case::after_placement_spelled_out(with(mutate_settings(), "placement", json!("afterInitContainers")))]
#[case::placement_without_mutate(with(settings(), "placement", json!("beforeInitContainers")))]
#[case::a_long_name_glob(json!({"sidecarContainerNames": [format!("{}*", "a".repeat(70))]}))]
fn valid_settings(#[case] settings: Value) {
    let response = validate_settings(&settings);
    assert!(response.valid, "{settings} should be valid: {response:?}");
    assert_eq!(response.message, None);
}

#[rstest]
#[case::empty_object(json!({}), no_sidecars())]
#[case::both_lists_empty(json!({"sidecarImages": [], "sidecarContainerNames": []}), no_sidecars())]
#[case::only_switches(json!({"mutate": true, "restrictNativeSidecars": true}), no_sidecars())]
#[case::null(Value::Null, no_sidecars())]
#[case::unknown_key(
    json!({"sidecarImage": ["hashicorp/vault"]}),
    "invalid settings: unknown field `sidecarImage`, expected one of `sidecarImages`, `sidecarContainerNames`, \
     `restrictNativeSidecars`, `mutate`, `placement`, `checkNodes`, `minimumKubeletVersion`, `mutateTemplates`"
)]
#[case::snake_case_key(
    json!({"sidecarImages": ["hashicorp/vault"], "restrict_native_sidecars": true}),
    "invalid settings: unknown field `restrict_native_sidecars`, expected one of `sidecarImages`, \
     `sidecarContainerNames`, `restrictNativeSidecars`, `mutate`, `placement`, `checkNodes`, \
     `minimumKubeletVersion`, `mutateTemplates`"
)]
#[case::kubelet_version_with_patch(
    json!({"sidecarImages": ["hashicorp/vault"], "checkNodes": true, "minimumKubeletVersion": "1.30.1"}),
    "minimumKubeletVersion '1.30.1' is not valid: it must be MAJOR.MINOR, such as \"1.29\" or \"1.33\""
)]
#[case::kubelet_version_before_native_sidecars(
    json!({"sidecarImages": ["hashicorp/vault"], "checkNodes": true, "minimumKubeletVersion": "1.28"}),
    "minimumKubeletVersion '1.28' is not valid: native sidecars do not exist before Kubernetes 1.29"
)]
#[case::kubelet_version_as_a_number(
    json!({"sidecarImages": ["hashicorp/vault"], "minimumKubeletVersion": 1.3}),
    "invalid settings: minimumKubeletVersion: expected a string such as \"1.30\", found the number 1.3: write the \
     version in quotes (\"1.30\"), as YAML reads an unquoted 1.30 as the number 1.3"
)]
#[case::check_nodes_as_a_string(
    json!({"sidecarImages": ["hashicorp/vault"], "checkNodes": "yes"}),
    "invalid settings: checkNodes: expected a boolean, found the string \"yes\""
)]
#[case::mutate_templates_without_mutate(
    json!({"sidecarImages": ["hashicorp/vault"], "mutateTemplates": true}),
    "mutateTemplates: true does nothing without mutate: true: set mutate: true to convert sidecars, or remove \
     mutateTemplates"
)]
#[case::list_as_a_string(
    json!({"sidecarImages": "hashicorp/vault"}),
    "invalid settings: sidecarImages: expected a list, found the string \"hashicorp/vault\""
)]
#[case::bool_as_a_string(
    json!({"sidecarImages": ["hashicorp/vault"], "mutate": "true"}),
    "invalid settings: mutate: expected a boolean, found the string \"true\""
)]
#[case::pattern_not_a_string(
    json!({"sidecarContainerNames": ["vault-agent", 7]}),
    "invalid settings: sidecarContainerNames[1]: expected a string, found the number 7"
)]
#[case::unknown_placement(
    json!({"sidecarImages": ["hashicorp/vault"], "mutate": true, "placement": "first"}),
    "invalid settings: placement: unknown value 'first', expected afterInitContainers or beforeInitContainers"
)]
#[case::placement_in_the_wrong_case(
    json!({"sidecarImages": ["hashicorp/vault"], "placement": "AfterInitContainers"}),
    "invalid settings: placement: unknown value 'AfterInitContainers', expected afterInitContainers or \
     beforeInitContainers"
)]
#[case::empty_image_pattern(
    json!({"sidecarImages": ["hashicorp/vault", ""]}),
    "sidecarImages[1] '' is not a valid image pattern: it is empty"
)]
#[case::settings_are_a_list(
    json!(["hashicorp/vault"]),
    "invalid settings: they must be an object of setting names to values"
)]
#[case::settings_are_a_string(
    json!("hashicorp/vault"),
    "invalid settings: they must be an object of setting names to values"
)]
fn invalid_settings_are_named(#[case] settings: Value, #[case] message: impl AsRef<str>) {
    let response = validate_settings(&settings);
    assert!(!response.valid, "{settings} should be refused");
    assert_eq!(response.message.as_deref(), Some(message.as_ref()));
}

/// The reason after the entry comes from the image reference parser; the entry itself must be named exactly.
#[rstest]
#[case::uppercase_repository(json!({"sidecarImages": ["Hashicorp/Vault"]}), "sidecarImages[0] 'Hashicorp/Vault'")]
#[case::trailing_colon(json!({"sidecarImages": ["fluent/fluent-bit", "hashicorp/vault:"]}), "sidecarImages[1] 'hashicorp/vault:'")]
#[case::bad_digest(json!({"sidecarImages": ["hashicorp/vault@sha256:xyz"]}), "sidecarImages[0] 'hashicorp/vault@sha256:xyz'")]
#[case::space(json!({"sidecarImages": ["hashicorp/ vault"]}), "sidecarImages[0] 'hashicorp/ vault'")]
fn unparsable_image_patterns_are_named(#[case] settings: Value, #[case] entry: &str) {
    let response = validate_settings(&settings);
    assert!(!response.valid, "{settings} should be refused");
    let message = response.message.expect("a message");
    let prefix = format!("{entry} is not a valid image pattern: ");
    assert!(message.starts_with(&prefix), "{message:?} should start with {prefix:?}");
    assert!(message.len() > prefix.len(), "the reason is missing: {message:?}");
}

#[rstest]
#[case::empty_name(
    json!({"sidecarContainerNames": ["vault-agent", ""]}),
    "sidecarContainerNames[1] '' is not a valid container name pattern: it is empty"
)]
#[case::uppercase_name(
    json!({"sidecarContainerNames": ["Vault-Agent"]}),
    "sidecarContainerNames[0] 'Vault-Agent' is not a valid container name pattern: container names are lowercase \
     letters, digits and '-' (globs: '*', '?')"
)]
#[case::image_given_as_a_name(
    json!({"sidecarImages": ["hashicorp/vault"], "sidecarContainerNames": ["istio-proxy", "hashicorp/vault"]}),
    "sidecarContainerNames[1] 'hashicorp/vault' is not a valid container name pattern: container names are \
     lowercase letters, digits and '-' (globs: '*', '?')"
)]
#[case::too_long_name(
    json!({"sidecarContainerNames": ["a".repeat(64)]}),
    &format!(
        "sidecarContainerNames[0] '{}' is not a valid container name pattern: container names are at most 63 \
         characters",
        "a".repeat(64)
    )
)]
fn invalid_name_patterns_are_named(#[case] settings: Value, #[case] message: &str) {
    let response = validate_settings(&settings);
    assert!(!response.valid, "{settings} should be refused");
    assert_eq!(response.message.as_deref(), Some(message));
}

#[rstest]
#[case::not_json(b"sidecarImages: [hashicorp/vault]".to_vec(), "invalid settings: they must be an object of setting names to values")]
#[case::broken_json(
    br#"{"sidecarImages": ["hashicorp/vault"]"#.to_vec(),
    "invalid settings: EOF while parsing an object"
)]
#[case::yaml_is_not_json(
    b"{sidecarImages: [hashicorp/vault]}".to_vec(),
    "invalid settings: key must be a string"
)]
fn unreadable_settings_payloads_are_answered(#[case] payload: Vec<u8>, #[case] message: &str) {
    let response = validate_settings_bytes(&payload);
    assert!(!response.valid);
    assert_eq!(response.message.as_deref(), Some(message));
}

#[test]
fn settings_fixtures_differ_only_in_mutate_and_mutate_templates() {
    let validation = settings();
    let mutation = mutate_settings();
    assert_eq!(
        validation.get("mutate"),
        None,
        "settings.json is validation mode (the default)"
    );
    assert_eq!(mutation["mutate"], true);
    assert_eq!(
        with(with(validation, "mutate", json!(true)), "mutateTemplates", json!(true)),
        mutation,
        "settings-mutate.json converts templates too, so that every kind's conversion is tested"
    );
}

fn fixture_settings(name: &str) -> Value {
    let text = std::fs::read_to_string(data_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

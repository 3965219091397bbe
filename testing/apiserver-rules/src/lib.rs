//! What every object the policy mutates must satisfy, written once for the integration tests (`tests/common`) and
//! the fuzz targets (`testing/fuzz/harness`):
//!
//! - the API server's pod spec rules a conversion can break, per Kubernetes minor version 1.29 to 1.35 with that
//!   version's default feature gates (or chosen ones): [`ApiServer`], [`pod_spec_problems_at`], and across every
//!   version [`pod_spec_problems`], [`assert_valid_pod_spec`], and what each version refuses in a mutation that it
//!   accepted before, [`mutation_refusals`]; where each rule comes from is in `RULES.md`;
//! - exact Kubernetes quantities for the pod-level resources rule: [`quantity::Quantity`];
//! - the JSON patch the host sends touches nothing but `containers` and `initContainers` of the pod spec, and
//!   reproduces the mutated object: [`patch_problems`], [`assert_patch_confined`].
//!
//! The `*_problems` functions return what is wrong instead of panicking, so that a fuzz target can compare an object
//! before and after the policy changed it; the `assert_*` functions panic with every problem.

mod pod_spec;
pub mod quantity;
mod version;

pub use pod_spec::{ApiServer, aggregate};
pub use version::{FeatureGates, Gate, KubeVersion};

use std::collections::BTreeMap;

use serde_json::Value;

/// Container names are DNS-1123 labels: at most 63 lowercase alphanumerics or '-', starting and ending with an
/// alphanumeric.
pub fn is_dns1123_label(name: &str) -> bool {
    let alphanumeric = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| alphanumeric(c) || c == '-')
        && name.starts_with(alphanumeric)
        && name.ends_with(alphanumeric)
}

/// Every rule the API server of `version` (default feature gates) applies to the pod spec at `pointer` in `object`
/// on CREATE, as it words them (empty when it passes). `pointer` `/spec` means a Pod; anything else a pod template.
pub fn pod_spec_problems_at(version: KubeVersion, object: &Value, pointer: &str) -> Vec<String> {
    ApiServer::new(version).create_problems(object, pointer)
}

/// Every rule that any of the API servers 1.29 to 1.35 (default feature gates) applies to the pod spec at `pointer`
/// in `object` on CREATE: [`pod_spec_problems_at`] for each of [`KubeVersion::ALL`], each problem once, followed by
/// the versions that refuse it (`[1.29-1.31]`). A missing pod spec or a container list that is not a list is a
/// problem for every version.
pub fn pod_spec_problems(object: &Value, pointer: &str) -> Vec<String> {
    let mut refused_by: BTreeMap<String, Vec<KubeVersion>> = BTreeMap::new();
    let mut order = Vec::new();
    for version in KubeVersion::ALL {
        for problem in pod_spec_problems_at(version, object, pointer) {
            let versions = refused_by.entry(problem.clone()).or_default();
            if versions.is_empty() {
                order.push(problem);
            }
            versions.push(version);
        }
    }
    order
        .into_iter()
        .map(|problem| {
            let versions = &refused_by[&problem];
            format!("{problem} [{}]", version_ranges(versions))
        })
        .collect()
}

/// `1.29-1.31, 1.34` for those four versions.
pub fn version_ranges(versions: &[KubeVersion]) -> String {
    let mut ranges: Vec<(KubeVersion, KubeVersion)> = Vec::new();
    for &version in versions {
        match ranges.last_mut() {
            Some((_, last)) if last.minor() + 1 == version.minor() => *last = version,
            _ => ranges.push((version, version)),
        }
    }
    ranges
        .iter()
        .map(|(first, last)| {
            if first == last {
                first.to_string()
            } else {
                format!("{first}-{last}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Panics with every rule the pod spec at `pointer` in `object` breaks in any version ([`pod_spec_problems`]).
#[track_caller]
pub fn assert_valid_pod_spec(object: &Value, pointer: &str) {
    let problems = pod_spec_problems(object, pointer);
    assert!(
        problems.is_empty(),
        "the API server would refuse this pod spec:\n  {}\n{}",
        problems.join("\n  "),
        object
            .pointer(pointer)
            .and_then(|spec| serde_json::to_string_pretty(spec).ok())
            .unwrap_or_default()
    );
}

/// For every version 1.29-1.35 (default feature gates) whose API server accepts `submitted` (as a CREATE, or as an
/// UPDATE from `old`), what it refuses in `mutated` as a mutation of it (the API server defaulted the submitted object
/// before the webhook ran), with the version; empty when no such version refuses it. A version that already refuses
/// the submitted object refuses the request whatever the policy does, so it cannot be blamed on the mutation.
pub fn mutation_refusals(
    submitted: &Value,
    old: Option<&Value>,
    mutated: &Value,
    pointer: &str,
) -> Vec<(KubeVersion, Vec<String>)> {
    KubeVersion::ALL
        .into_iter()
        .filter_map(|version| {
            let server = ApiServer::new(version);
            let before = match old {
                Some(old) => server.update_problems(submitted, old, pointer),
                None => server.create_problems(submitted, pointer),
            };
            if !before.is_empty() {
                return None;
            }
            let after = server.mutation_problems(submitted, mutated, old, pointer);
            (!after.is_empty()).then_some((version, after))
        })
        .collect()
}

/// The index in `initContainers` of the pod spec at `pointer` when `problem` is the refusal of `resizePolicy` on an
/// init container (1.29-1.31 whenever the field survives `dropDisabledFields`: the InPlacePodVerticalScaling gate is
/// on, or an UPDATE's old object already uses it; 1.32 on a one-shot init container, or on a sidecar without the
/// gate); `None` for any other problem. The policy converts such a sidecar with a warning (issue 16), so a caller
/// can tell this refusal from one the policy must never cause.
pub fn init_container_resize_policy_refusal(problem: &str, pointer: &str) -> Option<usize> {
    let rest = problem.strip_prefix(pointer)?.strip_prefix("/initContainers/")?;
    let (index, rest) = rest.split_once('/')?;
    let refused =
        rest.starts_with("resizePolicy: Invalid value: ") && rest.ends_with(": must not be set for init containers");
    refused.then(|| index.parse().ok()).flatten()
}

/// The JSON patch from `before` to `after` as the host computes it (`json_patch::diff`), and what is wrong with it:
/// an operation outside `containers` and `initContainers` of the pod spec at `pointer`, or a patch that does not
/// reproduce `after` when applied to `before`.
pub fn patch_problems(before: &Value, after: &Value, pointer: &str) -> (Value, Vec<String>) {
    let patch = json_patch::diff(before, after);
    let mut problems = Vec::new();
    let containers = format!("{pointer}/containers");
    let init_containers = format!("{pointer}/initContainers");
    for operation in patch.iter() {
        let path = operation.path().to_string();
        let on_a_list = [&containers, &init_containers]
            .iter()
            .any(|list| path == list.as_str() || path.starts_with(&format!("{list}/")));
        if !on_a_list {
            let operation = serde_json::to_string(operation).unwrap_or_default();
            problems.push(format!(
                "the patch touches {path}, outside the container lists: {operation}"
            ));
        }
    }
    let mut reapplied = before.clone();
    match json_patch::patch(&mut reapplied, &patch) {
        Ok(()) if reapplied == *after => {}
        Ok(()) => problems.push("the patch does not reproduce the mutated object".to_owned()),
        Err(error) => problems.push(format!("the patch does not apply: {error}")),
    }
    let patch = serde_json::to_value(&patch).unwrap_or(Value::Null);
    (patch, problems)
}

/// Panics unless the patch from `before` to `after` only touches the two container lists of the pod spec at
/// `pointer` and reproduces `after` ([`patch_problems`]); returns the patch as JSON.
#[track_caller]
pub fn assert_patch_confined(before: &Value, after: &Value, pointer: &str) -> Value {
    let (patch, problems) = patch_problems(before, after, pointer);
    assert!(problems.is_empty(), "{}\npatch: {patch}", problems.join("\n"));
    patch
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_update_keeps_resize_policy_the_old_object_uses_so_1_29_to_1_32_refuse_it_on_a_converted_sidecar() {
        let template = |containers: Value, init: Value| json!({"spec": {"template": {"spec": {"containers": containers, "initContainers": init}}}});
        let resize = json!([{"resourceName": "cpu", "restartPolicy": "NotRequired"}]);
        let agent = json!({"name": "agent", "image": "vault", "resizePolicy": resize});
        let app = json!({"name": "app", "image": "app"});
        let old = template(json!([app, agent]), json!([]));
        let mut sidecar = agent.clone();
        sidecar["restartPolicy"] = json!("Always");
        let mutated = template(json!([app]), json!([sidecar]));
        let pointer = "/spec/template/spec";

        let refusals = mutation_refusals(&old, Some(&old), &mutated, pointer);
        let versions: Vec<String> = refusals.iter().map(|(version, _)| version.to_string()).collect();
        assert_eq!(versions, ["1.29", "1.30", "1.31", "1.32"]);
        for (_, problems) in &refusals {
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert_eq!(init_container_resize_policy_refusal(&problems[0], pointer), Some(0));
        }
        assert!(
            mutation_refusals(&old, None, &mutated, pointer).is_empty(),
            "a CREATE drops the field (gate off)"
        );
    }

    #[test]
    fn only_the_resize_policy_refusal_on_an_init_container_is_recognised() {
        let pointer = "/spec";
        let refusal = "/spec/initContainers/2/resizePolicy: Invalid value: []: must not be set for init containers";
        assert_eq!(init_container_resize_policy_refusal(refusal, pointer), Some(2));
        for other in [
            "/spec/containers/2/resizePolicy: Invalid value: []: must not be set for init containers",
            "/spec/initContainers/2/resizePolicy: Unsupported value: \"Sometimes\"",
            "/spec/initContainers/x/resizePolicy: Invalid value: []: must not be set for init containers",
            "/spec/template/spec/initContainers/2/resizePolicy: Invalid value: []: must not be set for init containers",
        ] {
            assert_eq!(init_container_resize_policy_refusal(other, pointer), None, "{other}");
        }
    }

    #[test]
    fn a_valid_spec_has_no_problem() {
        let pod = json!({"spec": {"containers": [{"name": "app"}],
                                  "initContainers": [{"name": "agent", "restartPolicy": "Always", "lifecycle": {}}]}});
        assert_eq!(pod_spec_problems(&pod, "/spec"), Vec::<String>::new());
    }

    #[test]
    fn a_list_that_is_not_a_list_is_one_problem() {
        let pod = json!({"spec": {"containers": "app"}});
        assert_eq!(
            pod_spec_problems(&pod, "/spec"),
            ["/spec/containers is not a list: \"app\" [1.29-1.35]"]
        );
    }

    #[test]
    fn a_missing_spec_is_one_problem() {
        assert_eq!(
            pod_spec_problems(&json!({}), "/spec/template/spec"),
            ["no pod spec object at /spec/template/spec [1.29-1.35]"]
        );
    }

    #[test]
    fn every_version_names_the_versions_that_refuse() {
        let pod = json!({"spec": {"containers": [{"name": "app", "restartPolicy": "Never"}]}});
        assert_eq!(
            pod_spec_problems(&pod, "/spec"),
            ["/spec/containers/0/restartPolicy: Forbidden: may not be set for non-init containers [1.29-1.33]"]
        );
    }

    #[test]
    fn version_ranges_join_neighbours() {
        use KubeVersion::*;
        assert_eq!(version_ranges(&[V1_29, V1_30, V1_31, V1_34]), "1.29-1.31, 1.34");
        assert_eq!(version_ranges(&[V1_35]), "1.35");
    }

    #[test]
    fn a_patch_outside_the_lists_is_reported() {
        let before = json!({"metadata": {"name": "a"}, "spec": {"containers": [{"name": "app"}]}});
        let mut after = before.clone();
        after["metadata"]["name"] = json!("b");
        after["spec"]["initContainers"] = json!([{"name": "x", "restartPolicy": "Always"}]);
        let (_, problems) = patch_problems(&before, &after, "/spec");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("the patch touches /metadata/name"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_patch_on_the_lists_is_confined() {
        let before = json!({"spec": {"containers": [{"name": "app"}, {"name": "agent"}]}});
        let after = json!({"spec": {"containers": [{"name": "app"}],
                                    "initContainers": [{"name": "agent", "restartPolicy": "Always"}]}});
        let patch = assert_patch_confined(&before, &after, "/spec");
        assert!(patch.as_array().is_some_and(|ops| !ops.is_empty()));
    }
}

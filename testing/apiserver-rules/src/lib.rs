//! What every object the policy mutates must satisfy, written once for the integration tests (`tests/common`) and
//! the fuzz targets (`testing/fuzz/harness`):
//!
//! - the API server's pod spec rules a conversion can break (pkg/apis/core/validation): [`pod_spec_problems`],
//!   [`assert_valid_pod_spec`];
//! - the JSON patch the host sends touches nothing but `containers` and `initContainers` of the pod spec, and
//!   reproduces the mutated object: [`patch_problems`], [`assert_patch_confined`].
//!
//! The `*_problems` functions return what is wrong instead of panicking, so that a fuzz target can compare an object
//! before and after the policy changed it; the `assert_*` functions panic with every problem.

use std::collections::HashSet;

use serde_json::Value;

const PROBES_AND_LIFECYCLE: [&str; 4] = ["livenessProbe", "readinessProbe", "startupProbe", "lifecycle"];

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

/// Every rule the pod spec at `pointer` in `object` breaks, as the API server words them (empty when it passes):
/// `containers` a non-empty list; names DNS-1123 labels, unique across `containers`, `initContainers` and
/// `ephemeralContainers`; on init containers, `restartPolicy` only `Always`, and probes or `lifecycle` only with
/// `restartPolicy: Always`. A missing pod spec or a container list that is not a list is one problem.
pub fn pod_spec_problems(object: &Value, pointer: &str) -> Vec<String> {
    let Some(spec) = object.pointer(pointer).and_then(Value::as_object) else {
        return vec![format!("no pod spec object at {pointer}")];
    };
    let mut problems = Vec::new();
    let mut list = |field: &str| -> &[Value] {
        match spec.get(field) {
            None | Some(Value::Null) => &[],
            Some(Value::Array(items)) => items,
            Some(other) => {
                problems.push(format!("{pointer}/{field} is not a list: {other}"));
                &[]
            }
        }
    };
    let containers = list("containers");
    let init_containers = list("initContainers");
    let ephemeral = list("ephemeralContainers");

    if containers.is_empty()
        && !problems
            .iter()
            .any(|p| p.starts_with(&format!("{pointer}/containers ")))
    {
        problems.push(format!("{pointer}/containers: Required value (must not be empty)"));
    }

    let mut seen = HashSet::new();
    for (field, items) in [
        ("containers", containers),
        ("initContainers", init_containers),
        ("ephemeralContainers", ephemeral),
    ] {
        for (index, container) in items.iter().enumerate() {
            let at = format!("{pointer}/{field}/{index}");
            match container["name"].as_str() {
                None => problems.push(format!("{at}/name: Required value")),
                Some(name) if !is_dns1123_label(name) => {
                    problems.push(format!("{at}/name: Invalid value {name:?}: not a DNS-1123 label"))
                }
                Some(name) if !seen.insert(name) => problems.push(format!("{at}/name: Duplicate value {name:?}")),
                Some(_) => {}
            }
        }
    }

    for (index, container) in init_containers.iter().enumerate() {
        let at = format!("{pointer}/initContainers/{index}");
        let restart_policy = &container["restartPolicy"];
        match restart_policy {
            Value::Null => {}
            Value::String(policy) if policy == "Always" => {}
            other => problems.push(format!(
                "{at}/restartPolicy: Unsupported value {other}: supported: \"Always\""
            )),
        }
        if restart_policy.as_str() != Some("Always") {
            for field in PROBES_AND_LIFECYCLE {
                if !container[field].is_null() {
                    problems.push(format!(
                        "{at}/{field}: Forbidden: may not be set for init containers without restartPolicy=Always"
                    ));
                }
            }
        }
    }
    problems
}

/// Panics with every rule the pod spec at `pointer` in `object` breaks ([`pod_spec_problems`]).
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
            ["/spec/containers is not a list: \"app\""]
        );
    }

    #[test]
    fn a_missing_spec_is_one_problem() {
        assert_eq!(
            pod_spec_problems(&json!({}), "/spec/template/spec"),
            ["no pod spec object at /spec/template/spec"]
        );
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

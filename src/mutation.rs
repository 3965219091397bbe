//! Converting legacy sidecars into native sidecars, in place in the object's JSON.
//!
//! The containers move as JSON values: every field, including fields no typed model knows yet, travels verbatim and
//! only `restartPolicy: Always` is added. Nothing else in the object is touched, so the patch the host computes holds
//! operations on `containers` and `initContainers` and nothing else. Moving and setting `restartPolicy` happen
//! together because the API server allows probes and `lifecycle` on an init container only with `restartPolicy:
//! Always`.

use serde_json::Value;
use thiserror::Error;

use crate::rules::{ALWAYS, ContainerList, Finding, RESTART_POLICY};
use crate::settings::Placement;
use crate::workload::PodSpecPath;

/// A planned conversion: which entries of `containers` move, and where they land in `initContainers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovePlan {
    /// Indices into `containers`, ascending: the moved sidecars keep their relative order, and so the reverse
    /// order in which they are stopped.
    pub moved: Vec<usize>,
    pub placement: Placement,
}

/// The pod spec changed between planning and applying: an internal error, reported rather than trapped on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MutationError {
    #[error("{0} is not the pod spec that was inspected")]
    SpecChanged(&'static str),
}

impl MovePlan {
    /// Plans moving every convertible legacy sidecar among `findings`. `None` when nothing would move.
    pub fn for_findings(findings: &[Finding], placement: Placement) -> Option<Self> {
        let mut moved: Vec<usize> = findings
            .iter()
            .filter(|f| f.list == ContainerList::Containers && f.convertible())
            .map(|f| f.index)
            .collect();
        moved.sort_unstable();
        moved.dedup();
        (!moved.is_empty()).then_some(Self { moved, placement })
    }

    /// Moves the planned containers of the pod spec at `at` inside `object`; returns the names that moved.
    pub fn apply(&self, object: &mut Value, at: PodSpecPath) -> Result<Vec<String>, MutationError> {
        let changed = || MutationError::SpecChanged(at.display());
        let spec = object
            .pointer_mut(at.pointer())
            .and_then(Value::as_object_mut)
            .ok_or_else(changed)?;
        let containers = spec
            .get_mut(ContainerList::Containers.field())
            .and_then(Value::as_array_mut)
            .ok_or_else(changed)?;
        if self.moved.last().is_some_and(|&last| last >= containers.len()) {
            return Err(changed());
        }

        // One linear pass: split `containers` into what stays and what moves, both in their original order.
        let mut moving = Vec::with_capacity(self.moved.len());
        let mut staying = Vec::with_capacity(containers.len() - self.moved.len());
        let mut next = self.moved.iter().peekable();
        for (index, container) in std::mem::take(containers).into_iter().enumerate() {
            if next.next_if_eq(&&index).is_some() {
                moving.push(into_native_sidecar(container));
            } else {
                staying.push(container);
            }
        }
        *containers = staying;

        let names = moving
            .iter()
            .map(|c| c.get("name").and_then(Value::as_str).unwrap_or("(unnamed)").to_owned())
            .collect();
        // Absent or `null` `initContainers` becomes a list; anything else was refused by the inspection already.
        let mut init_containers = match spec.remove(ContainerList::InitContainers.field()) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        let at_index = insertion_index(&init_containers, self.placement);
        init_containers.splice(at_index..at_index, moving);
        spec.insert(
            ContainerList::InitContainers.field().to_owned(),
            Value::Array(init_containers),
        );
        Ok(names)
    }
}

fn into_native_sidecar(mut container: Value) -> Value {
    if let Some(fields) = container.as_object_mut() {
        fields.insert(RESTART_POLICY.to_owned(), Value::String(ALWAYS.to_owned()));
    }
    container
}

/// After all init containers, or after the leading native sidecars (before the first one-shot init container).
fn insertion_index(init_containers: &[Value], placement: Placement) -> usize {
    match placement {
        Placement::AfterInitContainers => init_containers.len(),
        Placement::BeforeInitContainers => init_containers
            .iter()
            .position(|c| c.get(RESTART_POLICY).and_then(Value::as_str) != Some(ALWAYS))
            .unwrap_or(init_containers.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn names(list: &Value) -> Vec<&str> {
        list.as_array()
            .expect("list")
            .iter()
            .map(|c| c["name"].as_str().expect("name"))
            .collect()
    }

    fn plan(moved: Vec<usize>, placement: Placement) -> MovePlan {
        MovePlan { moved, placement }
    }

    fn native(name: &str) -> Value {
        json!({"name": name, "restartPolicy": "Always"})
    }

    #[rstest]
    #[case::after_creates_init_containers(json!({"containers": [{"name": "app"}, {"name": "agent"}]}), vec![1], Placement::AfterInitContainers, vec!["app"], vec!["agent"])]
    #[case::after_appends(json!({"containers": [{"name": "app"}, {"name": "agent"}], "initContainers": [native("proxy"), {"name": "setup"}]}), vec![1], Placement::AfterInitContainers, vec!["app"], vec!["proxy", "setup", "agent"])]
    #[case::before_goes_after_native_sidecars(json!({"containers": [{"name": "app"}, {"name": "agent"}], "initContainers": [native("proxy"), {"name": "setup"}, native("late")]}), vec![1], Placement::BeforeInitContainers, vec!["app"], vec!["proxy", "agent", "setup", "late"])]
    #[case::before_without_one_shot_appends(json!({"containers": [{"name": "agent"}, {"name": "app"}], "initContainers": [native("proxy")]}), vec![0], Placement::BeforeInitContainers, vec!["app"], vec!["proxy", "agent"])]
    #[case::several_keep_order(json!({"containers": [{"name": "a"}, {"name": "app"}, {"name": "b"}, {"name": "c"}]}), vec![0, 2, 3], Placement::AfterInitContainers, vec!["app"], vec!["a", "b", "c"])]
    #[case::null_init_containers(json!({"containers": [{"name": "app"}, {"name": "a"}], "initContainers": null}), vec![1], Placement::BeforeInitContainers, vec!["app"], vec!["a"])]
    fn moves(
        #[case] spec: Value,
        #[case] moved: Vec<usize>,
        #[case] placement: Placement,
        #[case] containers: Vec<&str>,
        #[case] init_containers: Vec<&str>,
    ) {
        let mut pod = json!({"spec": spec});
        plan(moved, placement)
            .apply(&mut pod, PodSpecPath::Pod)
            .expect("applies");
        assert_eq!(names(&pod["spec"]["containers"]), containers);
        assert_eq!(names(&pod["spec"]["initContainers"]), init_containers);
        for sidecar in pod["spec"]["initContainers"].as_array().expect("list") {
            if !["setup"].contains(&sidecar["name"].as_str().expect("name")) {
                assert_eq!(sidecar["restartPolicy"], "Always");
            }
        }
    }

    #[test]
    fn moved_container_keeps_every_field_verbatim() {
        let agent = json!({
            "name": "agent", "image": "hashicorp/vault", "futureField": {"x": [1, 2.5, "500m"]},
            "readinessProbe": {"exec": {"command": ["true"]}}, "resources": {"limits": {"cpu": "500m"}}
        });
        let mut pod = json!({"spec": {"containers": [{"name": "app"}, agent.clone()], "futureSpecField": true}});
        let names = plan(vec![1], Placement::AfterInitContainers)
            .apply(&mut pod, PodSpecPath::Pod)
            .expect("applies");
        assert_eq!(names, vec!["agent"]);
        let mut expected = agent;
        expected["restartPolicy"] = json!("Always");
        assert_eq!(pod["spec"]["initContainers"][0], expected);
        assert_eq!(pod["spec"]["futureSpecField"], json!(true));
    }

    #[rstest]
    #[case::no_spec(json!({}), vec![0])]
    #[case::index_out_of_range(json!({"spec": {"containers": [{"name": "app"}]}}), vec![1])]
    #[case::containers_not_a_list(json!({"spec": {"containers": "x"}}), vec![0])]
    fn stale_plans_are_errors(#[case] mut object: Value, #[case] moved: Vec<usize>) {
        let before = object.clone();
        let result = plan(moved, Placement::AfterInitContainers).apply(&mut object, PodSpecPath::Pod);
        assert_eq!(result, Err(MutationError::SpecChanged("spec")));
        assert_eq!(object, before);
    }
}

//! Converting legacy sidecars into native sidecars, in place in the object's JSON.
//!
//! The containers move as JSON values: every field, including fields no typed model knows yet, travels verbatim and
//! only `restartPolicy: Always` is added. Nothing else in the object is touched, so the patch the host computes holds
//! operations on `containers` and `initContainers` and nothing else. Moving and setting `restartPolicy` happen
//! together because the API server allows probes and `lifecycle` on an init container only with `restartPolicy:
//! Always`.

use serde_json::Value;
use thiserror::Error;

use crate::rules::{ALWAYS, ContainerList, Finding, InitLayout, RESTART_POLICY};
use crate::settings::Placement;
use crate::workload::PodSpecPath;

/// A planned conversion: which entries of `containers` move, and where they land in `initContainers`.
///
/// Only [`MovePlan::new`] makes one, so a plan always moves at least one container, its indices are strictly
/// ascending (the moved sidecars keep their relative order, and so the reverse order in which they are stopped),
/// and its insertion point lies within the init containers it was planned for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovePlan {
    moved: Vec<usize>,
    insert_at: usize,
}

/// Why no plan could be made, or a plan could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MutationError {
    /// Some finding is not a legacy sidecar that can move as it is; the caller reports those findings.
    #[error("not every finding can be converted")]
    NotConvertible,
    /// There was nothing to move: planning was asked for no finding at all.
    #[error("no sidecar to convert")]
    NothingToMove,
    /// The pod spec changed between planning and applying: an internal error, reported rather than trapped on.
    #[error("{0} is not the pod spec that was inspected")]
    SpecChanged(&'static str),
}

impl MovePlan {
    /// Plans moving every finding, all of which must be convertible legacy sidecars, among init containers shaped
    /// as `layout`.
    pub fn new(findings: &[Finding], layout: InitLayout, placement: Placement) -> Result<Self, MutationError> {
        if !findings.iter().all(Finding::convertible) {
            return Err(MutationError::NotConvertible);
        }
        let mut moved: Vec<usize> = findings.iter().map(|f| f.index).collect();
        moved.sort_unstable();
        moved.dedup();
        if moved.is_empty() {
            return Err(MutationError::NothingToMove);
        }
        Ok(Self {
            moved,
            insert_at: insertion_index(layout, placement),
        })
    }

    /// The indices into `containers` that move, strictly ascending, never empty.
    pub fn moved(&self) -> &[usize] {
        &self.moved
    }

    /// Where the moved containers land, as one block in their original order: an index into `initContainers` as
    /// it was before the move (its length when they go last).
    pub fn insert_at(&self) -> usize {
        self.insert_at
    }

    /// Moves the planned containers of the pod spec at `at` inside `object`; returns the names that moved.
    /// On error the object is unchanged.
    pub fn apply(&self, object: &mut Value, at: PodSpecPath) -> Result<Vec<String>, MutationError> {
        let changed = || MutationError::SpecChanged(at.display());
        let spec = object
            .pointer_mut(at.pointer())
            .and_then(Value::as_object_mut)
            .ok_or_else(changed)?;
        let init_len = match spec.get(ContainerList::InitContainers.field()) {
            None | Some(Value::Null) => 0,
            Some(Value::Array(items)) => items.len(),
            Some(_) => return Err(changed()),
        };
        let containers = spec
            .get_mut(ContainerList::Containers.field())
            .and_then(Value::as_array_mut)
            .ok_or_else(changed)?;
        if self.insert_at > init_len || self.moved.last().is_some_and(|&last| last >= containers.len()) {
            return Err(changed());
        }

        // One linear pass: split `containers` into what stays and what moves, both in their original order.
        // The indices are ascending, unique and in range, so at most `containers.len()` of them exist.
        let mut moving = Vec::with_capacity(self.moved.len());
        let mut staying = Vec::with_capacity(containers.len().saturating_sub(self.moved.len()));
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
        // Absent or `null` `initContainers` becomes a list; anything else was refused above.
        let mut init_containers = match spec.remove(ContainerList::InitContainers.field()) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        init_containers.splice(self.insert_at..self.insert_at, moving);
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

/// After all init containers; or before the first one-shot init container (after the leading native sidecars),
/// but never before a sidecar's own setup step (`istio-init` must have redirected the traffic before the proxy
/// starts, as Istio's and Linkerd's own native injection order them).
fn insertion_index(layout: InitLayout, placement: Placement) -> usize {
    match placement {
        Placement::AfterInitContainers => layout.len,
        Placement::BeforeInitContainers => layout.first_one_shot.max(layout.after_setup_steps),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{self, ConversionBlocker, Problem};
    use crate::settings::Settings;
    use rstest::rstest;
    use serde_json::json;

    fn names(list: &Value) -> Vec<&str> {
        list.as_array()
            .expect("list")
            .iter()
            .map(|c| c["name"].as_str().expect("name"))
            .collect()
    }

    fn native(name: &str) -> Value {
        json!({"name": name, "image": "example/native", "restartPolicy": "Always"})
    }

    fn c(name: &str) -> Value {
        json!({"name": name, "image": format!("example/{name}")})
    }

    fn sidecar(name: &str) -> Value {
        json!({"name": name, "image": "hashicorp/vault:1.15"})
    }

    /// Plans through the rules, as the policy does: `hashicorp/vault` images and `*-agent` names are sidecars.
    fn plan(pod: &Value, placement: Placement) -> Result<MovePlan, MutationError> {
        let policy = Settings {
            sidecar_images: vec!["hashicorp/vault".into()],
            sidecar_container_names: vec!["*-agent".into()],
            ..Settings::default()
        }
        .compile()
        .expect("valid settings");
        let inspection = rules::inspect(&pod["spec"], PodSpecPath::Pod, &policy).expect("well-formed");
        MovePlan::new(&inspection.findings, inspection.init_layout, placement)
    }

    fn convert(spec: Value, placement: Placement) -> Value {
        let mut pod = json!({"spec": spec});
        plan(&pod, placement)
            .expect("plannable")
            .apply(&mut pod, PodSpecPath::Pod)
            .expect("applies");
        pod
    }

    #[rstest]
    #[case::after_creates_init_containers(json!({"containers": [c("app"), sidecar("vault")]}), Placement::AfterInitContainers, vec!["app"], vec!["vault"])]
    #[case::after_appends(json!({"containers": [c("app"), sidecar("vault")], "initContainers": [native("proxy"), c("setup")]}), Placement::AfterInitContainers, vec!["app"], vec!["proxy", "setup", "vault"])]
    #[case::before_goes_after_native_sidecars(json!({"containers": [c("app"), sidecar("vault")], "initContainers": [native("proxy"), c("setup"), native("late")]}), Placement::BeforeInitContainers, vec!["app"], vec!["proxy", "vault", "setup", "late"])]
    #[case::before_without_one_shot_appends(json!({"containers": [sidecar("vault"), c("app")], "initContainers": [native("proxy")]}), Placement::BeforeInitContainers, vec!["app"], vec!["proxy", "vault"])]
    #[case::before_goes_after_the_sidecars_setup_step(json!({"containers": [c("app"), sidecar("vault")], "initContainers": [c("migrate"), sidecar("vault-init"), c("setup")]}), Placement::BeforeInitContainers, vec!["app"], vec!["migrate", "vault-init", "vault", "setup"])]
    #[case::before_goes_after_the_last_setup_step(json!({"containers": [c("app"), sidecar("vault")], "initContainers": [sidecar("vault-init"), c("setup"), c("log-agent")]}), Placement::BeforeInitContainers, vec!["app"], vec!["vault-init", "setup", "log-agent", "vault"])]
    #[case::native_sidecars_with_sidecar_images_are_not_setup_steps(json!({"containers": [c("app"), sidecar("vault")], "initContainers": [c("setup"), {"name": "sync", "image": "hashicorp/vault", "restartPolicy": "Always"}]}), Placement::BeforeInitContainers, vec!["app"], vec!["vault", "setup", "sync"])]
    #[case::several_keep_order(json!({"containers": [sidecar("a"), c("app"), c("b-agent"), sidecar("c")]}), Placement::AfterInitContainers, vec!["app"], vec!["a", "b-agent", "c"])]
    #[case::null_init_containers(json!({"containers": [c("app"), sidecar("a")], "initContainers": null}), Placement::BeforeInitContainers, vec!["app"], vec!["a"])]
    fn moves(
        #[case] spec: Value,
        #[case] placement: Placement,
        #[case] containers: Vec<&str>,
        #[case] init_containers: Vec<&str>,
    ) {
        let before = spec.clone();
        let pod = convert(spec, placement);
        assert_eq!(names(&pod["spec"]["containers"]), containers);
        assert_eq!(names(&pod["spec"]["initContainers"]), init_containers);
        let moved: Vec<&str> = names(&before["containers"])
            .into_iter()
            .filter(|name| !containers.contains(name))
            .collect();
        for init in pod["spec"]["initContainers"].as_array().expect("list") {
            let name = init["name"].as_str().expect("name");
            let was_native = before["initContainers"]
                .as_array()
                .is_some_and(|list| list.iter().any(|c| c["name"] == name && c["restartPolicy"] == "Always"));
            assert_eq!(
                init["restartPolicy"] == "Always",
                moved.contains(&name) || was_native,
                "{name}: only the moved containers gain restartPolicy: Always"
            );
        }
    }

    #[test]
    fn moved_container_keeps_every_field_verbatim() {
        let agent = json!({
            "name": "agent", "image": "hashicorp/vault", "futureField": {"x": [1, 2.5, "500m"]},
            "readinessProbe": {"exec": {"command": ["true"]}}, "resources": {"limits": {"cpu": "500m"}}
        });
        let mut pod = json!({"spec": {"containers": [c("app"), agent.clone()], "futureSpecField": true}});
        let names = plan(&pod, Placement::AfterInitContainers)
            .expect("plannable")
            .apply(&mut pod, PodSpecPath::Pod)
            .expect("applies");
        assert_eq!(names, vec!["agent"]);
        let mut expected = agent;
        expected["restartPolicy"] = json!("Always");
        assert_eq!(pod["spec"]["initContainers"][0], expected);
        assert_eq!(pod["spec"]["futureSpecField"], json!(true));
    }

    #[test]
    fn plans_expose_what_a_text_editor_needs() {
        let pod = json!({"spec": {"containers": [sidecar("b"), c("app"), sidecar("a")],
                                  "initContainers": [native("proxy"), c("setup")]}});
        let plan = plan(&pod, Placement::BeforeInitContainers).expect("plannable");
        assert_eq!(plan.moved(), [0, 2]);
        assert_eq!(plan.insert_at(), 1);
    }

    #[rstest]
    #[case::blocked(vec![Finding { problem: Problem::LegacySidecar { blocker: Some(ConversionBlocker::RestartPolicyRules) }, index: 1, name: None, image: None }], MutationError::NotConvertible)]
    #[case::unapproved(vec![Finding { problem: Problem::UnapprovedNativeSidecar, index: 0, name: None, image: None }], MutationError::NotConvertible)]
    #[case::nothing(vec![], MutationError::NothingToMove)]
    fn unplannable(#[case] findings: Vec<Finding>, #[case] error: MutationError) {
        assert_eq!(
            MovePlan::new(&findings, InitLayout::default(), Placement::AfterInitContainers),
            Err(error)
        );
    }

    #[rstest]
    #[case::no_spec(json!({}))]
    #[case::index_out_of_range(json!({"spec": {"containers": [c("app")]}}))]
    #[case::containers_not_a_list(json!({"spec": {"containers": "x"}}))]
    #[case::init_containers_shrank(json!({"spec": {"containers": [c("app"), sidecar("a"), sidecar("b")], "initContainers": []}}))]
    #[case::init_containers_not_a_list(json!({"spec": {"containers": [c("app"), sidecar("a"), sidecar("b")], "initContainers": 3}}))]
    fn stale_plans_are_errors(#[case] mut object: Value) {
        let planned = json!({"spec": {"containers": [c("app"), sidecar("a"), sidecar("b")],
                                      "initContainers": [c("setup")]}});
        let stale = plan(&planned, Placement::AfterInitContainers).expect("plannable");
        let before = object.clone();
        assert_eq!(
            stale.apply(&mut object, PodSpecPath::Pod),
            Err(MutationError::SpecChanged("spec"))
        );
        assert_eq!(object, before);
    }
}

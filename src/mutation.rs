//! Converting legacy sidecars into native sidecars: which containers move and where ([`MovePlan`]), carried out by
//! splicing the object's own JSON text.
//!
//! The converted object is the request's bytes with the two container lists of the pod spec rewritten, and nothing
//! else: every byte outside those lists is the input's by construction, fields no typed model knows yet included.
//! The moved containers are copied as raw text, each with `"restartPolicy":"Always"` set. The host diffs the object
//! against the request's, so the patch holds operations on `containers` and `initContainers` and nothing else.
//! Moving and setting `restartPolicy` happen together because the API server allows probes and `lifecycle` on an init
//! container only with `restartPolicy: Always`.

use std::borrow::Cow;
use std::ops::Range;

use thiserror::Error;

use crate::rules::{ALWAYS, ContainerList, Finding, InitLayout, RESTART_POLICY};
use crate::scan::{self, ListValue};
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

/// Why no plan could be made, or a plan could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MutationError {
    /// Some finding is not a legacy sidecar that can move as it is; the caller reports those findings.
    #[error("not every finding can be converted")]
    NotConvertible,
    /// There was nothing to move: planning was asked for no finding at all.
    #[error("no sidecar to convert")]
    NothingToMove,
    /// The object is not the one that was inspected: an internal error, reported rather than trapped on.
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
        let mut moved: Vec<usize> = findings.iter().map(|f| f.container.index).collect();
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

    /// Where each container ends up: the new `initContainers` as `(list, index)` pairs of the old lists, in order.
    pub fn init_order(&self, init_len: usize) -> Vec<(ContainerList, usize)> {
        let existing = |range: Range<usize>| range.map(|index| (ContainerList::InitContainers, index));
        let insert_at = self.insert_at.min(init_len);
        existing(0..insert_at)
            .chain(self.moved.iter().map(|&index| (ContainerList::Containers, index)))
            .chain(existing(insert_at..init_len))
            .collect()
    }

    /// The object's JSON text with the plan carried out on the pod spec at `at`: `containers` without the moved
    /// entries, `initContainers` with them at the planned index, each with `restartPolicy: Always`. Everything else
    /// is copied byte for byte.
    pub fn splice(&self, object: &str, at: PodSpecPath) -> Result<String, MutationError> {
        let changed = || MutationError::SpecChanged(at.display());
        let lists = scan::pod_spec_lists(object.as_bytes(), at.keys()).ok_or_else(changed)?;
        let Some(ListValue::List(containers_span, containers)) = lists.containers else {
            return Err(changed());
        };
        let init: &[Range<usize>] = match &lists.init_containers {
            None | Some(ListValue::Null(_)) => &[],
            Some(ListValue::List(_, entries)) => entries,
            Some(ListValue::Other) => return Err(changed()),
        };
        if self.insert_at > init.len() || self.moved.last().is_some_and(|&last| last >= containers.len()) {
            return Err(changed());
        }
        let text = |range: &Range<usize>| object.get(range.clone()).ok_or_else(changed);

        let mut staying = Vec::with_capacity(containers.len() - self.moved.len());
        let mut moving = Vec::with_capacity(self.moved.len());
        let mut next = self.moved.iter().peekable();
        for (index, container) in containers.iter().enumerate() {
            if next.next_if_eq(&&index).is_some() {
                moving.push(native_sidecar(text(container)?).ok_or_else(changed)?);
            } else {
                staying.push(Cow::Borrowed(text(container)?));
            }
        }
        let mut init_containers = init
            .iter()
            .map(|c| text(c).map(Cow::Borrowed))
            .collect::<Result<Vec<_>, _>>()?;
        init_containers.splice(self.insert_at..self.insert_at, moving);

        let mut edits = vec![(containers_span.clone(), json_list(&staying))];
        let init_list = json_list(&init_containers);
        match lists.init_containers {
            Some(ListValue::List(span, _) | ListValue::Null(span)) => edits.push((span, init_list)),
            _ => {
                // Right after the `containers` value: the new key follows it, so the comma is always right.
                let end = containers_span.end;
                let key = ContainerList::InitContainers.field();
                edits.push((end..end, format!(",\"{key}\":{init_list}")));
            }
        }
        edits.sort_by_key(|(range, _)| range.start);
        Ok(apply_edits(object, &edits))
    }
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

/// `whole` with each range replaced; the ranges are sorted and do not overlap.
fn apply_edits(whole: &str, edits: &[(Range<usize>, String)]) -> String {
    let mut out = String::with_capacity(whole.len() + edits.iter().map(|(_, text)| text.len()).sum::<usize>());
    let mut at = 0;
    for (range, text) in edits {
        out.push_str(whole.get(at..range.start).unwrap_or_default());
        out.push_str(text);
        at = range.end.max(at);
    }
    out.push_str(whole.get(at..).unwrap_or_default());
    out
}

fn json_list(items: &[Cow<'_, str>]) -> String {
    let mut list = String::with_capacity(2 + items.iter().map(|item| item.len() + 1).sum::<usize>());
    list.push('[');
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            list.push(',');
        }
        list.push_str(item);
    }
    list.push(']');
    list
}

/// A container's JSON text with `restartPolicy` set to `Always`: its value replaced where the key is written (the
/// last time, as readers take the last), else the key added as the object's last. `None` when it is not an object.
fn native_sidecar(container: &str) -> Option<Cow<'_, str>> {
    let always = format!("\"{ALWAYS}\"");
    let (value, keys) = scan::last_member(container.as_bytes(), RESTART_POLICY.as_bytes())?;
    Some(Cow::Owned(match value {
        Some(value) => apply_edits(container, &[(value, always)]),
        None => {
            let end = container.len() - 1;
            let comma = if keys > 0 { "," } else { "" };
            apply_edits(
                container,
                &[(end..end, format!("{comma}\"{RESTART_POLICY}\":{always}"))],
            )
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::tests::inspect_json;
    use crate::rules::{ContainerRef, ConversionBlocker, Problem};
    use crate::settings::Settings;
    use rstest::rstest;
    use serde_json::{Value, json};

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
        let inspection = inspect_json(&pod["spec"], PodSpecPath::Pod, &policy).expect("well-formed");
        MovePlan::new(&inspection.findings, inspection.init_layout, placement)
    }

    /// Converts a Pod's JSON text by its plan; the result, read back.
    fn splice(pod: &Value, placement: Placement) -> Value {
        let text = plan(pod, placement)
            .expect("plannable")
            .splice(&pod.to_string(), PodSpecPath::Pod)
            .expect("applies");
        serde_json::from_str(&text).expect("the spliced text is JSON")
    }

    fn convert(spec: Value, placement: Placement) -> Value {
        splice(&json!({"spec": spec}), placement)
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
        let pod = json!({"spec": {"containers": [c("app"), agent.clone()], "futureSpecField": true}});
        let converted = splice(&pod, Placement::AfterInitContainers);
        let mut expected = agent;
        expected["restartPolicy"] = json!("Always");
        assert_eq!(converted["spec"]["initContainers"][0], expected);
        assert_eq!(converted["spec"]["futureSpecField"], json!(true));
    }

    #[test]
    fn only_the_two_lists_change_byte_for_byte() {
        let text = concat!(
            "{ \"kind\" : \"Pod\",\n  \"spec\": {\"nodeName\": \"n\", \"containers\": [ {\"name\":\"app\"} ,",
            " {\"name\":\"agent\",\"image\":\"hashicorp/vault\"} ],\n \"volumes\": [1.50, 1e3] },",
            " \"status\": {} }"
        );
        let pod: Value = serde_json::from_str(text).expect("JSON");
        let spliced = plan(&pod, Placement::AfterInitContainers)
            .expect("plannable")
            .splice(text, PodSpecPath::Pod)
            .expect("applies");
        assert_eq!(
            spliced,
            concat!(
                "{ \"kind\" : \"Pod\",\n  \"spec\": {\"nodeName\": \"n\", \"containers\": [{\"name\":\"app\"}],",
                "\"initContainers\":[{\"name\":\"agent\",\"image\":\"hashicorp/vault\",\"restartPolicy\":\"Always\"}],",
                "\n \"volumes\": [1.50, 1e3] }, \"status\": {} }"
            )
        );
    }

    #[rstest]
    #[case::restart_policy_already_always(json!({"name": "agent", "image": "hashicorp/vault", "restartPolicy": "Always"}))]
    #[case::restart_policy_null(json!({"name": "agent", "image": "hashicorp/vault", "restartPolicy": null}))]
    fn an_existing_restart_policy_is_set_not_repeated(#[case] agent: Value) {
        let converted = convert(json!({"containers": [c("app"), agent]}), Placement::AfterInitContainers);
        assert_eq!(converted["spec"]["initContainers"][0]["restartPolicy"], json!("Always"));
        let text = plan(&json!({"spec": {"containers": [c("app"), sidecar("agent")]}}), Placement::AfterInitContainers)
            .expect("plannable")
            .splice(r#"{"spec":{"containers":[{"name":"app"},{"name":"agent","image":"hashicorp/vault","restartPolicy":null}],"initContainers":null}}"#, PodSpecPath::Pod)
            .expect("applies");
        assert_eq!(text.matches("restartPolicy").count(), 1, "{text}");
    }

    #[test]
    fn plans_expose_what_a_text_editor_needs() {
        let pod = json!({"spec": {"containers": [sidecar("b"), c("app"), sidecar("a")],
                                  "initContainers": [native("proxy"), c("setup")]}});
        let plan = plan(&pod, Placement::BeforeInitContainers).expect("plannable");
        assert_eq!(plan.moved(), [0, 2]);
        assert_eq!(plan.insert_at(), 1);
    }

    fn finding(problem: Problem, index: usize) -> Finding {
        Finding {
            problem,
            container: ContainerRef {
                list: ContainerList::Containers,
                index,
                name: None,
            },
            image: None,
            spec: PodSpecPath::Pod,
        }
    }

    #[rstest]
    #[case::blocked(vec![finding(Problem::LegacySidecar { blocker: Some(ConversionBlocker::RestartPolicyRules) }, 1)], MutationError::NotConvertible)]
    #[case::unapproved(vec![finding(Problem::UnapprovedNativeSidecar, 0)], MutationError::NotConvertible)]
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
    fn stale_plans_are_errors(#[case] object: Value) {
        let planned = json!({"spec": {"containers": [c("app"), sidecar("a"), sidecar("b")],
                                      "initContainers": [c("setup")]}});
        let stale = plan(&planned, Placement::AfterInitContainers).expect("plannable");
        assert_eq!(
            stale.splice(&object.to_string(), PodSpecPath::Pod),
            Err(MutationError::SpecChanged("spec"))
        );
    }

    #[test]
    fn the_new_init_order_interleaves_the_plan() {
        let pod = json!({"spec": {"containers": [sidecar("b"), c("app"), sidecar("a")],
                                  "initContainers": [native("proxy"), c("setup")]}});
        let plan = plan(&pod, Placement::BeforeInitContainers).expect("plannable");
        assert_eq!(
            plan.init_order(2),
            [
                (ContainerList::InitContainers, 0),
                (ContainerList::Containers, 0),
                (ContainerList::Containers, 2),
                (ContainerList::InitContainers, 1)
            ]
        );
    }
}

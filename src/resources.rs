//! Pod-level resources (`spec.resources`, beta and on by default from Kubernetes 1.34): a conversion must not raise
//! the containers' aggregate above what the pod declares.
//!
//! The API server (`validatePodResourceConsistency`, v1.34.0 and v1.35.0 validation.go; the aggregate is
//! `AggregateContainerRequests` in component-helpers/resource/helpers.go) requires, for each resource the pod
//! requests, `spec.resources.requests[r]` to be at least the aggregate of the containers' requests, where
//!
//! ```text
//! sum       = Σ containers + Σ native sidecars
//! init(i)   = a one-shot init container's request + Σ native sidecars declared before it
//! aggregate = max(sum, max init(i))
//! ```
//!
//! and, for `hugepages-*` only, the same over limits against `spec.resources.limits[r]`; cpu and memory limits are
//! never summed, and the per-container limit check covers `containers` only, which a conversion only shortens.
//! A container's limit stands for its missing request, as the API server's defaulting fills it in before
//! validation (`SetDefaults_Pod`). Moving a sidecar keeps `sum`; placed before a one-shot init container it adds to
//! that container's `init(i)`, which is how `beforeInitContainers` can make a valid Pod invalid.

use crate::mutation::MovePlan;
use crate::quantity::{Notation, Quantity};
use crate::rules::{ALWAYS, ContainerList, quoted_name};
use crate::view::{ContainerView, List, PodSpecView, Quantities, Quantity as Written, Slot};
use crate::workload::PodSpecPath;

/// Which of the pod's resource maps a shortfall is against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Requests,
    Limits,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Requests => "requests",
            Field::Limits => "limits",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Field::Requests => "request",
            Field::Limits => "limit",
        }
    }
}

/// A conversion that would raise the containers' aggregate above the pod's own value for one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    field: Field,
    resource: String,
    /// The pod's value, as written, or as the API server sets it.
    pod: String,
    aggregate: Quantity,
    notation: Notation,
    /// The moved sidecars that now count in `init`'s phase.
    sidecars: Vec<String>,
    /// The one-shot init container whose phase exceeds the pod's value.
    init: String,
}

impl Shortfall {
    /// Why the conversion is not made, with both fixes: raise the pod's value, or place the sidecars after the
    /// one-shot init containers.
    pub fn describe(&self, spec: PodSpecPath) -> String {
        let (noun, pronoun, verb) = if self.sidecars.len() == 1 {
            ("sidecar", "its", "adds")
        } else {
            ("sidecars", "their", "add")
        };
        let field = format!("{}.resources.{}.{}", spec.display(), self.field.name(), self.resource);
        let aggregate = self.aggregate.display(self.notation);
        format!(
            "{noun} {} placed before the one-shot init container {} (placement: beforeInitContainers) {verb} \
             {pronoun} {resource} {kind} to that init container's, so the pod's aggregate {resource} {kind} would \
             reach {aggregate}, above {field} ({pod}), and an API server with pod-level resources (Kubernetes \
             1.34+) would refuse the Pod: raise {field} to at least {aggregate}, or set placement: \
             afterInitContainers",
            crate::nodes::join_and(&self.sidecars),
            self.init,
            resource = self.resource,
            kind = self.field.noun(),
            pod = self.pod,
        )
    }
}

/// The first resource for which carrying out `plan` would make the pod spec's aggregate exceed the pod's own value,
/// where it did not before. `None` when the pod spec declares no pod-level resources, or the plan keeps within them.
///
/// A cpu or memory request the pod does not write, while it writes pod-level limits, is the one the API server's
/// defaulting fills in from the containers' aggregate before any webhook runs (`defaultPodRequests`, v1.34.0
/// defaults.go): the aggregate of the containers as they were, which a conversion must then not raise either.
pub fn shortfall(spec: &PodSpecView<'_>, plan: &MovePlan) -> Option<Shortfall> {
    let requests = spec.requests.0.as_deref().unwrap_or_default();
    let limits = spec.limits.0.as_deref().unwrap_or_default();
    let written = requests.iter().map(|entry| (Field::Requests, entry)).chain(
        limits
            .iter()
            .filter(|(resource, _)| resource.starts_with("hugepages-"))
            .map(|entry| (Field::Limits, entry)),
    );
    let explicit = written.into_iter().find_map(|(field, (resource, written))| {
        let Written::Text(text) = written else { return None };
        let (pod, notation) = Quantity::parse(text)?;
        let (before, after) = before_and_after(spec, plan, field, resource)?;
        (after.total > pod && before <= pod).then(|| Shortfall::new(field, resource, text.to_string(), after, notation))
    });
    if explicit.is_some() || limits.is_empty() {
        return explicit;
    }
    ["cpu", "memory"].into_iter().find_map(|resource| {
        if requests.iter().any(|(name, _)| name == resource) {
            return None;
        }
        let (before, after) = before_and_after(spec, plan, Field::Requests, resource)?;
        let pod = format!(
            "unset: the API server sets it to the containers' aggregate, {}",
            before.display(Notation::Decimal)
        );
        (after.total > before).then(|| Shortfall::new(Field::Requests, resource, pod, after, Notation::Decimal))
    })
}

/// The aggregate of one resource as the lists are, and after `plan`; `None` when a container's value is not a
/// quantity.
fn before_and_after(
    spec: &PodSpecView<'_>,
    plan: &MovePlan,
    field: Field,
    resource: &str,
) -> Option<(Quantity, Aggregate)> {
    let layout = Layout::new(spec, |container| container_value(container, field, resource))?;
    Some((layout.aggregate(None).total, layout.aggregate(Some(plan))))
}

impl Shortfall {
    fn new(field: Field, resource: &str, pod: String, after: Aggregate, notation: Notation) -> Self {
        Shortfall {
            field,
            resource: resource.to_owned(),
            pod,
            aggregate: after.total,
            notation,
            sidecars: after.sidecars,
            init: after.init.unwrap_or_default(),
        }
    }
}

/// A container's value for one resource: its limit for limits; for requests its request, or its limit where it has
/// no request (the API server's defaulting). Zero when it has neither; `None` when it is not a quantity (the API
/// server refuses that container anyway, whatever this policy does).
fn container_value(container: &ContainerView<'_>, field: Field, resource: &str) -> Option<Quantity> {
    fn find<'q, 'a>(quantities: &'q Quantities<'a>, resource: &str) -> Option<&'q Written<'a>> {
        quantities
            .0
            .as_deref()
            .unwrap_or_default()
            .iter()
            .find(|(name, _)| name == resource)
            .map(|(_, written)| written)
    }
    let written = match field {
        Field::Requests => find(&container.requests, resource).or_else(|| find(&container.limits, resource)),
        Field::Limits => find(&container.limits, resource),
    };
    match written {
        None => Some(Quantity::ZERO),
        Some(Written::Text(text)) => Quantity::parse(text).map(|(quantity, _)| quantity),
        Some(Written::NotAQuantity) => None,
    }
}

/// One container's part in the aggregate.
struct Entry {
    name: String,
    value: Quantity,
    sidecar: bool,
}

/// Both container lists, each container with its value for one resource.
struct Layout {
    containers: Vec<Entry>,
    init_containers: Vec<Entry>,
}

/// The aggregate, and what made it: the one-shot init container whose phase is the aggregate (when it is one),
/// with the moved sidecars declared before it.
struct Aggregate {
    total: Quantity,
    init: Option<String>,
    sidecars: Vec<String>,
}

impl Layout {
    fn new(spec: &PodSpecView<'_>, value: impl Fn(&ContainerView<'_>) -> Option<Quantity>) -> Option<Self> {
        let entries = |list: ContainerList| -> Option<Vec<Entry>> {
            let List::Items(items) = spec.list(list) else {
                return Some(Vec::new());
            };
            items
                .iter()
                .map(|item| {
                    let Slot::Object(container) = item else { return None };
                    Some(Entry {
                        name: quoted_name(container.name.as_str()),
                        value: value(container)?,
                        sidecar: list == ContainerList::InitContainers
                            && container.restart_policy.as_str() == Some(ALWAYS),
                    })
                })
                .collect()
        };
        Some(Self {
            containers: entries(ContainerList::Containers)?,
            init_containers: entries(ContainerList::InitContainers)?,
        })
    }

    /// The aggregate as the lists are (`None`), or after `plan` moved sidecars into `initContainers`.
    fn aggregate(&self, plan: Option<&MovePlan>) -> Aggregate {
        let init_order: Vec<(&Entry, bool)> = match plan {
            None => self.init_containers.iter().map(|entry| (entry, false)).collect(),
            Some(plan) => plan
                .init_order(self.init_containers.len())
                .into_iter()
                .filter_map(|(list, index)| match list {
                    ContainerList::InitContainers => self.init_containers.get(index).map(|entry| (entry, false)),
                    ContainerList::Containers => self.containers.get(index).map(|entry| (entry, true)),
                })
                .collect(),
        };
        // `sum` counts every regular container and every sidecar, moved or not: a move never changes it.
        let sum = self
            .containers
            .iter()
            .chain(self.init_containers.iter().filter(|entry| entry.sidecar))
            .fold(Quantity::ZERO, |sum, entry| sum.plus(entry.value));
        let mut aggregate = Aggregate {
            total: sum,
            init: None,
            sidecars: Vec::new(),
        };
        let mut sidecars_so_far = Quantity::ZERO;
        let mut moved_so_far: Vec<String> = Vec::new();
        for (entry, moved) in init_order {
            if entry.sidecar || moved {
                sidecars_so_far = sidecars_so_far.plus(entry.value);
                if moved && entry.value > Quantity::ZERO {
                    moved_so_far.push(entry.name.clone());
                }
                continue;
            }
            let phase = entry.value.plus(sidecars_so_far);
            if phase > aggregate.total {
                aggregate = Aggregate {
                    total: phase,
                    init: Some(entry.name.clone()),
                    sidecars: moved_so_far.clone(),
                };
            }
        }
        aggregate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::tests::inspect_json;
    use crate::settings::{Placement, Settings};
    use rstest::rstest;
    use serde_json::{Value, json};

    fn container(name: &str, image: &str, cpu: &str) -> Value {
        json!({"name": name, "image": image, "resources": {"requests": {"cpu": cpu}}})
    }

    /// The shortfall of converting every `hashicorp/vault` container of `spec` at `placement`.
    fn shortfall_of(spec: &Value, placement: Placement) -> Option<Shortfall> {
        let policy = Settings {
            sidecar_images: vec!["hashicorp/vault".into()],
            ..Settings::default()
        }
        .compile()
        .expect("valid settings");
        let inspection = inspect_json(spec, PodSpecPath::Pod, &policy).expect("well-formed");
        let plan = MovePlan::new(&inspection.findings, inspection.init_layout, placement).expect("plannable");
        let text = spec.to_string();
        let view: Slot<PodSpecView<'_>> = serde_json::from_str(&text).expect("JSON");
        shortfall(view.object().expect("an object"), &plan)
    }

    fn pod(pod_cpu: Option<&str>, sidecar_cpu: &str, init_cpu: &str) -> Value {
        let mut spec = json!({
            "containers": [container("app", "acme/app", "1"), container("vault-agent", "hashicorp/vault", sidecar_cpu)],
            "initContainers": [container("migrate", "acme/migrate", init_cpu)],
        });
        if let Some(cpu) = pod_cpu {
            spec["resources"] = json!({"requests": {"cpu": cpu}});
        }
        spec
    }

    /// `pod` with pod-level limits and no pod-level cpu request, which the API server fills in.
    fn pod_with_limits_only(sidecar_cpu: &str, init_cpu: &str) -> Value {
        let mut spec = pod(None, sidecar_cpu, init_cpu);
        spec["resources"] = json!({"limits": {"memory": "1Gi"}, "requests": {"memory": "512Mi"}});
        spec
    }

    #[rstest]
    #[case::no_pod_level_resources(pod(None, "500m", "2"), Placement::BeforeInitContainers, false)]
    #[case::a_filled_in_request_before_a_larger_init_container(
        pod_with_limits_only("500m", "2"),
        Placement::BeforeInitContainers,
        true
    )]
    #[case::a_filled_in_request_after_init_containers(
        pod_with_limits_only("500m", "2"),
        Placement::AfterInitContainers,
        false
    )]
    #[case::a_filled_in_request_before_a_small_init_container(
        pod_with_limits_only("500m", "1"),
        Placement::BeforeInitContainers,
        false
    )]
    #[case::after_init_containers_never_raises_it(pod(Some("2"), "500m", "2"), Placement::AfterInitContainers, false)]
    #[case::before_a_larger_init_container(pod(Some("2"), "500m", "2"), Placement::BeforeInitContainers, true)]
    #[case::before_a_small_init_container(pod(Some("2"), "500m", "1"), Placement::BeforeInitContainers, false)]
    #[case::exactly_the_pod_request(pod(Some("2500m"), "500m", "2"), Placement::BeforeInitContainers, false)]
    #[case::already_over_before_the_move(pod(Some("1"), "500m", "2"), Placement::BeforeInitContainers, false)]
    fn shortfalls(#[case] spec: Value, #[case] placement: Placement, #[case] refused: bool) {
        assert_eq!(shortfall_of(&spec, placement).is_some(), refused);
    }

    #[test]
    fn a_shortfall_names_the_resource_the_values_the_containers_and_both_fixes() {
        let shortfall = shortfall_of(&pod(Some("2"), "0.5", "2"), Placement::BeforeInitContainers).expect("shortfall");
        assert_eq!(
            shortfall.describe(PodSpecPath::Pod),
            "sidecar 'vault-agent' placed before the one-shot init container 'migrate' (placement: \
             beforeInitContainers) adds its cpu request to that init container's, so the pod's aggregate cpu \
             request would reach 2500m, above spec.resources.requests.cpu (2), and an API server with pod-level \
             resources (Kubernetes 1.34+) would refuse the Pod: raise spec.resources.requests.cpu to at least \
             2500m, or set placement: afterInitContainers"
        );
    }

    #[test]
    fn a_request_the_api_server_fills_in_is_named_as_such() {
        let shortfall =
            shortfall_of(&pod_with_limits_only("0.5", "2"), Placement::BeforeInitContainers).expect("shortfall");
        assert_eq!(
            shortfall.describe(PodSpecPath::Pod),
            "sidecar 'vault-agent' placed before the one-shot init container 'migrate' (placement: \
             beforeInitContainers) adds its cpu request to that init container's, so the pod's aggregate cpu \
             request would reach 2500m, above spec.resources.requests.cpu (unset: the API server sets it to the \
             containers' aggregate, 2), and an API server with pod-level resources (Kubernetes 1.34+) would \
             refuse the Pod: raise spec.resources.requests.cpu to at least 2500m, or set placement: \
             afterInitContainers"
        );
    }

    #[test]
    fn a_limit_stands_for_a_missing_request() {
        let mut spec = pod(Some("2"), "500m", "2");
        spec["containers"][1]["resources"] = json!({"limits": {"cpu": "500m"}});
        assert!(shortfall_of(&spec, Placement::BeforeInitContainers).is_some());
    }

    #[test]
    fn memory_is_compared_exactly_in_binary_units() {
        let mut spec = pod(None, "0", "0");
        spec["resources"] = json!({"requests": {"memory": "1Gi"}});
        spec["containers"][1]["resources"] = json!({"requests": {"memory": "64Mi"}});
        spec["initContainers"][0]["resources"] = json!({"requests": {"memory": "1000Mi"}});
        let shortfall = shortfall_of(&spec, Placement::BeforeInitContainers).expect("1064Mi > 1Gi");
        assert!(
            shortfall
                .describe(PodSpecPath::Pod)
                .contains("would reach 1064Mi, above spec.resources.requests.memory (1Gi)"),
            "{shortfall:?}"
        );
        spec["initContainers"][0]["resources"] = json!({"requests": {"memory": "960Mi"}});
        assert_eq!(
            shortfall_of(&spec, Placement::BeforeInitContainers),
            None,
            "1024Mi is exactly 1Gi"
        );
    }

    #[test]
    fn hugepage_limits_aggregate_but_cpu_limits_do_not() {
        let mut spec = pod(None, "0", "0");
        spec["resources"] = json!({"limits": {"cpu": "1", "hugepages-2Mi": "4Mi"}});
        spec["containers"][1]["resources"] = json!({"limits": {"cpu": "1", "hugepages-2Mi": "2Mi"}});
        spec["initContainers"][0]["resources"] = json!({"limits": {"cpu": "1", "hugepages-2Mi": "4Mi"}});
        let shortfall = shortfall_of(&spec, Placement::BeforeInitContainers).expect("6Mi > 4Mi");
        assert!(
            shortfall
                .describe(PodSpecPath::Pod)
                .contains("spec.resources.limits.hugepages-2Mi"),
            "{shortfall:?}"
        );
    }
}

//! The pod spec rules of one API server: a Kubernetes minor version and its feature gates.
//!
//! A pod spec goes through the three steps the API server runs (see RULES.md for the sources): defaulting
//! ([`ApiServer::default_spec`]), dropping fields the version does not know or whose gate is off
//! ([`ApiServer::drop_fields`], `dropDisabledFields`), then validation ([`ApiServer::validate`], `ValidatePodSpec`).

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};

use crate::is_dns1123_label;
use crate::quantity::Quantity;
use crate::version::{FeatureGates, Gate, KubeVersion};

type Object = Map<String, Value>;

/// The API server of one Kubernetes minor version, with its default feature gates unless told otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiServer {
    /// The minor version whose rules apply.
    pub version: KubeVersion,
    /// The feature gates in force.
    pub gates: FeatureGates,
}

/// The `PodValidationOptions` the rules read (`GetValidationOptionsFromPodSpecAndMeta`, `pkg/api/pod/util.go`).
struct Options {
    allow_sidecar_resize_policy: bool,
    allow_container_restart_policy_rules: bool,
    allow_restart_all_containers: bool,
    pod_level_resources_enabled: bool,
}

const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

impl ApiServer {
    /// The API server of `version` with that version's default feature gates.
    pub fn new(version: KubeVersion) -> Self {
        ApiServer {
            version,
            gates: version.default_gates(),
        }
    }

    /// The same API server with `gate` turned on or off.
    pub fn with_gate(mut self, gate: Gate, enabled: bool) -> Self {
        self.gates.set(gate, enabled);
        self
    }

    /// What this API server refuses in the pod spec at `pointer` of `object` on CREATE. `pointer` `/spec` means the
    /// object is a Pod (Pod-only defaulting applies); any other pointer is a pod template.
    pub fn create_problems(&self, object: &Value, pointer: &str) -> Vec<String> {
        self.problems(object, None, None, pointer)
    }

    /// What this API server refuses on UPDATE from `old_object`: fields the old object already uses are kept even
    /// with their gate off, and the options the old object allows apply (`dropDisabledFields`,
    /// `GetValidationOptionsFromPodSpecAndMeta`).
    pub fn update_problems(&self, object: &Value, old_object: &Value, pointer: &str) -> Vec<String> {
        self.problems(object, Some(old_object), None, pointer)
    }

    /// What this API server refuses when a mutating webhook turned `submitted` into `mutated` (`old_object`: the
    /// object before an UPDATE). The API server defaulted `submitted` before calling the webhook, so pod-level
    /// requests it filled in then stay in the mutated Pod, even when the mutation changed the aggregate they were
    /// computed from.
    pub fn mutation_problems(
        &self,
        submitted: &Value,
        mutated: &Value,
        old_object: Option<&Value>,
        pointer: &str,
    ) -> Vec<String> {
        self.problems(mutated, old_object, Some(submitted), pointer)
    }

    fn problems(&self, object: &Value, old: Option<&Value>, submitted: Option<&Value>, pointer: &str) -> Vec<String> {
        let Some(spec) = object.pointer(pointer).and_then(Value::as_object) else {
            return vec![format!("no pod spec object at {pointer}")];
        };
        let mut problems = Vec::new();
        for field in CONTAINER_LISTS {
            match spec.get(field) {
                None | Some(Value::Null) | Some(Value::Array(_)) => {}
                Some(other) => problems.push(format!("{pointer}/{field} is not a list: {other}")),
            }
        }
        let is_pod = pointer == "/spec";
        let old_spec = old
            .and_then(|old| old.pointer(pointer))
            .and_then(Value::as_object)
            .map(|old| self.decoded(old));
        let carried = submitted
            .filter(|_| is_pod)
            .and_then(|submitted| submitted.pointer(pointer))
            .and_then(Value::as_object)
            .map(|submitted| {
                let mut submitted = self.decoded(submitted);
                self.default_spec(&mut submitted, true, None);
                pod_level(&submitted, "requests").cloned().unwrap_or_default()
            });
        let mut spec = self.decoded(spec);
        self.default_spec(&mut spec, is_pod, carried.as_ref());
        self.drop_fields(&mut spec, old_spec.as_ref());
        let options = self.options(old_spec.as_ref());
        self.validate(&spec, &options, pointer, &mut problems);
        problems
    }

    /// The spec as this version decodes it: fields its API does not have are gone.
    fn decoded(&self, spec: &Object) -> Object {
        let mut spec = spec.clone();
        if !self.version.knows_pod_level_resources() {
            spec.remove("resources");
        }
        for container in containers_mut(&mut spec, &CONTAINER_LISTS) {
            if !self.version.knows_restart_policy_rules() {
                container.remove("restartPolicyRules");
            }
            if !self.version.knows_stop_signal()
                && let Some(Value::Object(lifecycle)) = container.get_mut("lifecycle")
            {
                // The decoder drops the unknown field; the (possibly empty) lifecycle object stays.
                lifecycle.remove("stopSignal");
            }
        }
        spec
    }

    /// Defaulting (`SetDefaults_Pod`, Pods only): container and init container requests from their limits, and
    /// the pod-level requests of KEP-2837 (`carried`: the pod-level requests the API server had filled in on the
    /// submitted Pod, before a webhook changed it).
    fn default_spec(&self, spec: &mut Object, is_pod: bool, carried: Option<&Object>) {
        if !is_pod {
            return;
        }
        for container in containers_mut(spec, &["containers", "initContainers"]) {
            let Some(Value::Object(resources)) = container.get_mut("resources") else {
                continue;
            };
            let Some(Value::Object(limits)) = resources.get("limits").cloned() else {
                continue;
            };
            let requests = resources.entry("requests").or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(requests) = requests {
                for (name, limit) in limits {
                    requests.entry(name).or_insert(limit);
                }
            }
        }
        if !(self.version.knows_pod_level_resources() && self.gates.pod_level_resources) {
            return;
        }
        let aggregate = aggregate(spec, "requests").0;
        let Some(Value::Object(resources)) = spec.get_mut("resources") else {
            return;
        };
        let limits = match resources.get("limits") {
            Some(Value::Object(limits)) if !limits.is_empty() => limits.clone(),
            _ => return,
        };
        let mut requests = match resources.get("requests") {
            Some(Value::Object(requests)) => requests.clone(),
            _ => Map::new(),
        };
        for (name, value) in carried.into_iter().flatten() {
            requests.entry(name.clone()).or_insert_with(|| value.clone());
        }
        for (name, total) in aggregate {
            if self.supported_at_pod_level(&name) && !is_hugepages(&name) && !requests.contains_key(&name) {
                requests.insert(name, Value::String(total.to_string()));
            }
        }
        for (name, limit) in limits {
            if self.supported_at_pod_level(&name) && !requests.contains_key(&name) {
                requests.insert(name, limit);
            }
        }
        resources.insert("requests".to_owned(), Value::Object(requests));
    }

    /// `dropDisabledFields` (`pkg/api/pod/util.go`): a field whose gate is off is removed before validation, unless
    /// the old object (UPDATE) already uses it.
    fn drop_fields(&self, spec: &mut Object, old: Option<&Object>) {
        let gates = &self.gates;
        if !gates.in_place_pod_vertical_scaling && !old.is_some_and(resize_policy_in_use) {
            for container in containers_mut(spec, &CONTAINER_LISTS) {
                container.remove("resizePolicy");
            }
        }
        if self.version.knows_pod_level_resources()
            && !gates.pod_level_resources
            && !old.is_some_and(pod_level_resources_in_use)
        {
            spec.remove("resources");
        }
        if !gates.sidecar_containers && !old.is_some_and(restartable_init_containers_in_use) {
            for container in containers_mut(spec, &["initContainers"]) {
                container.remove("restartPolicy");
            }
        }
        if self.version.knows_restart_policy_rules()
            && !gates.container_restart_rules
            && !old.is_some_and(container_restart_rules_in_use)
        {
            // dropContainerRestartRules
            for container in containers_mut(spec, &["initContainers"]) {
                if container
                    .get("restartPolicy")
                    .is_some_and(|p| !p.is_null() && p != "Always")
                {
                    container.remove("restartPolicy");
                }
                container.remove("restartPolicyRules");
            }
            for container in containers_mut(spec, &["containers", "ephemeralContainers"]) {
                container.remove("restartPolicy");
                container.remove("restartPolicyRules");
            }
        }
        if self.version.knows_stop_signal() && !gates.container_stop_signals && !old.is_some_and(stop_signals_in_use) {
            // dropContainerStopSignals: a lifecycle left empty becomes nil.
            for container in containers_mut(spec, &CONTAINER_LISTS) {
                if let Some(Value::Object(lifecycle)) = container.get_mut("lifecycle")
                    && lifecycle.remove("stopSignal").is_some()
                    && lifecycle.values().all(Value::is_null)
                {
                    container.remove("lifecycle");
                }
            }
        }
    }

    fn options(&self, old: Option<&Object>) -> Options {
        let minor = self.version.minor();
        let gates = &self.gates;
        Options {
            allow_sidecar_resize_policy: minor >= 32
                && (gates.in_place_pod_vertical_scaling || old.is_some_and(sidecar_resize_policy_in_use)),
            allow_container_restart_policy_rules: minor >= 34
                && (gates.container_restart_rules || old.is_some_and(container_restart_rules_in_use)),
            allow_restart_all_containers: minor >= 35
                && (gates.restart_all_containers_on_container_exits || old.is_some_and(restart_all_containers_in_use)),
            pod_level_resources_enabled: minor >= 32 && gates.pod_level_resources,
        }
    }

    fn validate(&self, spec: &Object, options: &Options, pointer: &str, problems: &mut Vec<String>) {
        let list = |field: &str| match spec.get(field) {
            Some(Value::Array(items)) => items.as_slice(),
            _ => &[],
        };
        let (containers, init_containers, ephemeral) =
            (list("containers"), list("initContainers"), list("ephemeralContainers"));
        let pod_restart_policy = spec.get("restartPolicy").and_then(Value::as_str).unwrap_or("Always");
        let os = spec
            .get("os")
            .and_then(|os| os.get("name"))
            .and_then(Value::as_str)
            .filter(|name| !name.is_empty());

        if containers.is_empty() && !matches!(spec.get("containers"), Some(v) if !v.is_array() && !v.is_null()) {
            problems.push(format!("{pointer}/containers: Required value (must not be empty)"));
        }
        names(pointer, containers, init_containers, ephemeral, problems);

        for (index, container) in containers.iter().enumerate() {
            let at = format!("{pointer}/containers/{index}");
            if let Some(lifecycle) = container.get("lifecycle") {
                stop_signal(&at, lifecycle, os, problems);
            }
            let policy = container.get("restartPolicy").filter(|p| !p.is_null());
            if options.allow_container_restart_policy_rules {
                self.container_restart_policy(&at, policy, container.get("restartPolicyRules"), options, problems);
            } else if policy.is_some() {
                problems.push(format!(
                    "{at}/restartPolicy: Forbidden: may not be set for non-init containers"
                ));
            }
            resize_policy_entries(&at, container, pod_restart_policy, problems);
        }
        host_port_conflicts(
            &format!("{pointer}/containers"),
            containers.iter().enumerate(),
            problems,
        );

        for (index, container) in init_containers.iter().enumerate() {
            let at = format!("{pointer}/initContainers/{index}");
            let policy = container.get("restartPolicy").filter(|p| !p.is_null());
            self.init_restart_policy(&at, policy, container.get("restartPolicyRules"), options, problems);
            host_port_conflicts(
                &format!("{pointer}/initContainers"),
                [(index, container)].into_iter(),
                problems,
            );
            if policy.is_some_and(|p| p == "Always") {
                if let Some(lifecycle) = container.get("lifecycle").filter(|l| !l.is_null()) {
                    stop_signal(&at, lifecycle, os, problems);
                }
            } else {
                for field in ["lifecycle", "livenessProbe", "readinessProbe", "startupProbe"] {
                    if container.get(field).is_some_and(|v| !v.is_null()) {
                        problems.push(format!(
                            "{at}/{field}: Forbidden: may not be set for init containers without restartPolicy=Always"
                        ));
                    }
                }
            }
            let resize = container.get("resizePolicy").filter(|r| !r.is_null());
            if !options.allow_sidecar_resize_policy
                && resize.is_some_and(|r| r.as_array().is_none_or(|a| !a.is_empty()))
            {
                problems.push(format!(
                    "{at}/resizePolicy: Invalid value: {}: must not be set for init containers",
                    resize.unwrap_or(&Value::Null)
                ));
            }
            resize_policy_entries(&at, container, pod_restart_policy, problems);
        }

        if options.pod_level_resources_enabled && spec.get("resources").is_some_and(|r| !r.is_null()) {
            self.pod_level_resources(spec, os, pointer, problems);
        }
    }

    /// `validateInitContainerRestartPolicy`: v1.29.0-v1.33.0 only `Always`; v1.34.0 and v1.35.0 with
    /// ContainerRestartRules also `Never`/`OnFailure` with rules, and no rules on a sidecar (unless
    /// RestartAllContainersOnContainerExits, v1.35.0); v1.35.0 also wants a `restartPolicy` whenever there are rules.
    fn init_restart_policy(
        &self,
        at: &str,
        policy: Option<&Value>,
        rules: Option<&Value>,
        options: &Options,
        problems: &mut Vec<String>,
    ) {
        let has_rules = rules.and_then(Value::as_array).is_some_and(|r| !r.is_empty());
        let Some(policy) = policy else {
            if self.version.minor() >= 35 && has_rules {
                problems.push(format!(
                    "{at}/restartPolicy: Required value: must specify restartPolicy when restart rules are used"
                ));
            }
            return;
        };
        if options.allow_container_restart_policy_rules {
            if policy == "Always" {
                if options.allow_restart_all_containers {
                    self.container_restart_policy(at, Some(policy), rules, options, problems);
                } else if has_rules {
                    problems.push(format!(
                        "{at}/restartPolicyRules: Forbidden: restartPolicyRules are not allowed for init containers \
                         with restart policy Always"
                    ));
                }
            } else {
                self.container_restart_policy(at, Some(policy), rules, options, problems);
            }
        } else if policy != "Always" {
            problems.push(format!(
                "{at}/restartPolicy: Unsupported value {policy}: supported: \"Always\""
            ));
        }
    }

    /// `validateContainerRestartPolicy` (v1.34.0, v1.35.0): a restart policy of Always, OnFailure or Never, at most
    /// 20 rules, each with action `Restart` (or `RestartAllContainers` with its gate) and exit codes In/NotIn.
    fn container_restart_policy(
        &self,
        at: &str,
        policy: Option<&Value>,
        rules: Option<&Value>,
        options: &Options,
        problems: &mut Vec<String>,
    ) {
        let rules = rules.and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
        match policy {
            None if !rules.is_empty() => problems.push(format!(
                "{at}/restartPolicy: Required value: must specify restartPolicy when restart rules are used"
            )),
            None => return,
            Some(policy) if !["Always", "OnFailure", "Never"].iter().any(|p| policy == p) => problems.push(format!(
                "{at}/restartPolicy: Unsupported value {policy}: supported: \"Always\", \"Never\", \"OnFailure\""
            )),
            Some(_) => {}
        }
        if rules.len() > 20 {
            problems.push(format!("{at}/restartPolicyRules: Too long: must have at most 20 items"));
        }
        let mut actions = vec!["Restart"];
        if options.allow_restart_all_containers {
            actions.push("RestartAllContainers");
        }
        for (index, rule) in rules.iter().enumerate() {
            let rule_at = format!("{at}/restartPolicyRules/{index}");
            let action = rule.get("action").and_then(Value::as_str).unwrap_or("");
            if !actions.contains(&action) {
                problems.push(format!(
                    "{rule_at}/action: Unsupported value {action:?}: supported: {actions:?}"
                ));
            }
            match rule.get("exitCodes").filter(|e| !e.is_null()) {
                None => problems.push(format!("{rule_at}/exitCodes: Required value: must be specified")),
                Some(codes) => {
                    let operator = codes.get("operator").and_then(Value::as_str).unwrap_or("");
                    if operator != "In" && operator != "NotIn" {
                        problems.push(format!(
                            "{rule_at}/exitCodes/operator: Unsupported value {operator:?}: supported: \"In\", \"NotIn\""
                        ));
                    }
                    if codes
                        .get("values")
                        .and_then(Value::as_array)
                        .is_some_and(|v| v.len() > 255)
                    {
                        problems.push(format!(
                            "{rule_at}/exitCodes/values: Too long: must have at most 255 items"
                        ));
                    }
                }
            }
        }
    }

    /// Whether `name` may appear in `spec.resources` (`validatePodResourceRequirements`): cpu and memory in 1.32
    /// and 1.33, and `hugepages-<size>` from 1.34.
    fn supported_at_pod_level(&self, name: &str) -> bool {
        name == "cpu" || name == "memory" || (self.version.minor() >= 34 && is_hugepages(name))
    }

    /// `validatePodResources` / `validatePodResourceConsistency` (validation.go v1.32.0-v1.35.0; the 1.34 changes:
    /// requests missing at pod level are skipped, hugepage limits are aggregated, Windows pods are refused).
    fn pod_level_resources(&self, spec: &Object, os: Option<&str>, pointer: &str, problems: &mut Vec<String>) {
        let at = format!("{pointer}/resources");
        let since_1_34 = self.version.minor() >= 34;
        if since_1_34 && os == Some("windows") {
            problems.push(format!("{at}: Forbidden: may not be set for a windows pod"));
            return;
        }
        if spec
            .get("resources")
            .and_then(|r| r.get("claims"))
            .is_some_and(|c| !c.is_null())
        {
            problems.push(format!(
                "{at}/claims: Forbidden: claims may not be set for Resources at pod-level"
            ));
        }
        let requests = quantities(
            spec.get("resources").and_then(|r| r.get("requests")),
            &format!("{at}/requests"),
            problems,
        );
        let limits = quantities(
            spec.get("resources").and_then(|r| r.get("limits")),
            &format!("{at}/limits"),
            problems,
        );
        for (kind, list) in [("requests", &requests), ("limits", &limits)] {
            for name in list.keys() {
                if !self.supported_at_pod_level(name) {
                    let supported = if since_1_34 {
                        "\"cpu\", \"hugepages-\", \"memory\""
                    } else {
                        "\"cpu\", \"memory\""
                    };
                    problems.push(format!(
                        "{at}/{kind}[{name}]: Unsupported value: {name:?}: supported: {supported}"
                    ));
                }
            }
        }
        for (name, request) in &requests {
            if let Some(limit) = limits.get(name)
                && request > limit
            {
                problems.push(format!(
                    "{at}/requests[{name}]: Invalid value: \"{request}\": must be less than or equal to {name} limit of {limit}"
                ));
            }
        }
        let (total_requests, unreadable) = aggregate(spec, "requests");
        problems.extend(unreadable.into_iter().map(|p| format!("{pointer}/{p}")));
        for (name, total) in &total_requests {
            let request = match requests.get(name) {
                Some(request) => *request,
                None if since_1_34 => continue,
                None => Quantity::ZERO,
            };
            if *total > request {
                problems.push(format!(
                    "{at}/requests[{name}]: Invalid value: \"{request}\": must be greater than or equal to aggregate \
                     container requests of {total}"
                ));
            }
        }
        if since_1_34 {
            for (name, total) in aggregate(spec, "limits").0 {
                if let Some(limit) = limits.get(&name).filter(|_| is_hugepages(&name))
                    && total > *limit
                {
                    problems.push(format!(
                        "{at}/limits[{name}]: Invalid value: \"{limit}\": must be greater than or equal to aggregate \
                         container limits of {total}"
                    ));
                }
            }
        }
        let containers = spec
            .get("containers")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        for (index, container) in containers.iter().enumerate() {
            let own = quantities(container.pointer("/resources/limits"), "", &mut Vec::new());
            for (name, limit) in own {
                if let Some(pod_limit) = limits.get(&name)
                    && limit > *pod_limit
                {
                    problems.push(format!(
                        "{at}/containers/{index}[{name}]/limits: Invalid value: \"{limit}\": must be less than or equal \
                         to pod limits of {pod_limit}"
                    ));
                }
            }
        }
    }
}

/// The sidecar-aware aggregate of the containers' `requests` or `limits` per resource
/// (`AggregateContainerRequests` / `AggregateContainerLimits`, component-helpers `resource/helpers.go`):
/// `max(Σ containers + Σ native sidecars, max over init containers of their init-phase value)`, where a one-shot init
/// container's value is its own plus every native sidecar declared before it. Also the quantities it could not read.
pub fn aggregate(spec: &Object, kind: &str) -> (BTreeMap<String, Quantity>, Vec<String>) {
    let mut unreadable = Vec::new();
    let mut read = |list: &str, index: usize, container: &Value| {
        let at = format!("{list}/{index}/resources/{kind}");
        quantities(container.pointer(&format!("/resources/{kind}")), &at, &mut unreadable)
    };
    let list = |field: &str| spec.get(field).and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let mut total: BTreeMap<String, Quantity> = BTreeMap::new();
    for (index, container) in list("containers").iter().enumerate() {
        add(&mut total, &read("containers", index, container));
    }
    let mut sidecars: BTreeMap<String, Quantity> = BTreeMap::new();
    let mut init_phase: BTreeMap<String, Quantity> = BTreeMap::new();
    for (index, container) in list("initContainers").iter().enumerate() {
        let own = read("initContainers", index, container);
        let phase = if container.get("restartPolicy").is_some_and(|p| p == "Always") {
            add(&mut total, &own);
            add(&mut sidecars, &own);
            sidecars.clone()
        } else {
            let mut phase = own;
            add(&mut phase, &sidecars);
            phase
        };
        for (name, value) in phase {
            let slot = init_phase.entry(name).or_insert(value);
            *slot = (*slot).max(value);
        }
    }
    for (name, value) in init_phase {
        let slot = total.entry(name).or_insert(value);
        *slot = (*slot).max(value);
    }
    (total, unreadable)
}

fn add(total: &mut BTreeMap<String, Quantity>, more: &BTreeMap<String, Quantity>) {
    for (name, value) in more {
        let slot = total.entry(name.clone()).or_default();
        *slot = slot.saturating_add(*value);
    }
}

/// The quantities of a resource list; a value that is not a quantity is reported (the API server would not have
/// decoded the object) and left out.
fn quantities(list: Option<&Value>, at: &str, problems: &mut Vec<String>) -> BTreeMap<String, Quantity> {
    let mut read = BTreeMap::new();
    let Some(Value::Object(list)) = list else {
        return read;
    };
    for (name, value) in list {
        let text = match value {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            other => {
                problems.push(format!("{at}[{name}]: not a quantity: {other}"));
                continue;
            }
        };
        match Quantity::parse(&text) {
            Ok(quantity) => {
                read.insert(name.clone(), quantity);
            }
            Err(error) => problems.push(format!("{at}[{name}]: {error}")),
        }
    }
    read
}

fn pod_level<'a>(spec: &'a Object, kind: &str) -> Option<&'a Object> {
    spec.get("resources")?.get(kind)?.as_object()
}

fn is_hugepages(name: &str) -> bool {
    name.starts_with("hugepages-")
}

/// Names (`validateContainerCommon`, `validateContainers`, `validateInitContainers`, `validateEphemeralContainers`):
/// DNS-1123 labels, unique across the three lists.
fn names(pointer: &str, containers: &[Value], init: &[Value], ephemeral: &[Value], problems: &mut Vec<String>) {
    let mut seen = HashSet::new();
    for (field, items) in [
        ("containers", containers),
        ("initContainers", init),
        ("ephemeralContainers", ephemeral),
    ] {
        for (index, container) in items.iter().enumerate() {
            let at = format!("{pointer}/{field}/{index}");
            match container.get("name").and_then(Value::as_str) {
                None | Some("") => problems.push(format!("{at}/name: Required value")),
                Some(name) if !is_dns1123_label(name) => {
                    problems.push(format!("{at}/name: Invalid value {name:?}: not a DNS-1123 label"))
                }
                Some(name) if !seen.insert(name) => problems.push(format!("{at}/name: Duplicate value {name:?}")),
                Some(_) => {}
            }
        }
    }
}

/// `checkHostPortConflicts`: the same protocol/hostIP/hostPort twice among `containers`.
fn host_port_conflicts<'a>(
    list_at: &str,
    containers: impl Iterator<Item = (usize, &'a Value)>,
    problems: &mut Vec<String>,
) {
    let mut seen = HashSet::new();
    for (index, container) in containers {
        let ports = container
            .get("ports")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        for (port_index, port) in ports.iter().enumerate() {
            let host_port = port.get("hostPort").and_then(Value::as_i64).unwrap_or(0);
            if host_port == 0 {
                continue;
            }
            let protocol = port.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
            let host_ip = port.get("hostIP").and_then(Value::as_str).unwrap_or("");
            let key = format!("{protocol}/{host_ip}/{host_port}");
            if !seen.insert(key.clone()) {
                problems.push(format!(
                    "{list_at}/{index}/ports/{port_index}/hostPort: Duplicate value: {key:?}"
                ));
            }
        }
    }
}

/// `validateStopSignal` (v1.33.0-v1.35.0), for a `lifecycle.stopSignal` that survived `dropContainerStopSignals`:
/// the pod must name its OS; Windows knows SIGKILL and SIGTERM only.
fn stop_signal(at: &str, lifecycle: &Value, os: Option<&str>, problems: &mut Vec<String>) {
    let Some(signal) = lifecycle.get("stopSignal").filter(|s| !s.is_null()) else {
        return;
    };
    let signal = signal.as_str().unwrap_or("");
    match os {
        None => problems.push(format!(
            "{at}/lifecycle/stopSignal: Forbidden: may not be set for containers with empty `spec.os.name`"
        )),
        Some("windows") if signal != "SIGKILL" && signal != "SIGTERM" => problems.push(format!(
            "{at}/lifecycle/stopSignal: Unsupported value {signal:?}: supported: \"SIGKILL\", \"SIGTERM\""
        )),
        Some("linux") if !is_linux_signal(signal) => {
            problems.push(format!("{at}/lifecycle/stopSignal: Unsupported value {signal:?}"))
        }
        Some(_) => {}
    }
}

fn is_linux_signal(signal: &str) -> bool {
    const NAMED: [&str; 36] = [
        "SIGABRT",
        "SIGALRM",
        "SIGBUS",
        "SIGCHLD",
        "SIGCLD",
        "SIGCONT",
        "SIGFPE",
        "SIGHUP",
        "SIGILL",
        "SIGINT",
        "SIGIO",
        "SIGIOT",
        "SIGKILL",
        "SIGPIPE",
        "SIGPOLL",
        "SIGPROF",
        "SIGPWR",
        "SIGQUIT",
        "SIGSEGV",
        "SIGSTKFLT",
        "SIGSTOP",
        "SIGSYS",
        "SIGTERM",
        "SIGTRAP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGUSR1",
        "SIGUSR2",
        "SIGVTALRM",
        "SIGWINCH",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGRTMIN",
        "SIGRTMAX",
    ];
    let offset = |prefix: &str, max: u32| {
        signal
            .strip_prefix(prefix)
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| (1..=max).contains(&n))
    };
    NAMED.contains(&signal) || offset("SIGRTMIN+", 15) || offset("SIGRTMAX-", 14)
}

/// `validateResizePolicy` (v1.29.0-v1.35.0): cpu or memory once each, NotRequired or RestartContainer, and only
/// NotRequired when the pod's `restartPolicy` is Never.
fn resize_policy_entries(at: &str, container: &Value, pod_restart_policy: &str, problems: &mut Vec<String>) {
    let Some(entries) = container.get("resizePolicy").and_then(Value::as_array) else {
        return;
    };
    let mut seen = HashSet::new();
    for (index, entry) in entries.iter().enumerate() {
        let name = entry.get("resourceName").and_then(Value::as_str).unwrap_or("");
        let policy = entry.get("restartPolicy").and_then(Value::as_str).unwrap_or("");
        if !seen.insert(name) {
            problems.push(format!("{at}/resizePolicy/{index}: Duplicate value: {name:?}"));
        }
        match name {
            "cpu" | "memory" => {}
            "" => problems.push(format!("{at}/resizePolicy: Required value")),
            other => problems.push(format!(
                "{at}/resizePolicy: Unsupported value: {other:?}: supported: \"cpu\", \"memory\""
            )),
        }
        match policy {
            "NotRequired" | "RestartContainer" => {}
            "" => problems.push(format!("{at}/resizePolicy: Required value")),
            other => problems.push(format!(
                "{at}/resizePolicy: Unsupported value: {other:?}: supported: \"NotRequired\", \"RestartContainer\""
            )),
        }
        if pod_restart_policy == "Never" && policy != "NotRequired" {
            problems.push(format!(
                "{at}/resizePolicy: Invalid value: {policy:?}: must be 'NotRequired' when `restartPolicy` is 'Never'"
            ));
        }
    }
}

fn containers_mut<'a>(spec: &'a mut Object, lists: &[&str]) -> Vec<&'a mut Object> {
    let mut found = Vec::new();
    for (field, value) in spec.iter_mut() {
        if lists.contains(&field.as_str())
            && let Value::Array(items) = value
        {
            found.extend(items.iter_mut().filter_map(Value::as_object_mut));
        }
    }
    found
}

fn containers<'a>(spec: &'a Object, lists: &'a [&'a str]) -> impl Iterator<Item = &'a Object> + 'a {
    lists
        .iter()
        .filter_map(|field| spec.get(*field).and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_object)
}

fn is_set(container: &Object, field: &str) -> bool {
    container.get(field).is_some_and(|v| !v.is_null())
}

/// `inPlacePodVerticalScalingInUse` (v1.35.0: containers and init containers).
fn resize_policy_in_use(old: &Object) -> bool {
    containers(old, &["containers", "initContainers"]).any(|c| {
        c.get("resizePolicy")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    })
}

/// `hasRestartableInitContainerResizePolicy`.
fn sidecar_resize_policy_in_use(old: &Object) -> bool {
    containers(old, &["initContainers"]).any(|c| {
        c.get("restartPolicy").is_some_and(|p| p == "Always")
            && c.get("resizePolicy")
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty())
    })
}

/// `podLevelResourcesInUse`: non-empty pod-level requests or limits.
fn pod_level_resources_in_use(old: &Object) -> bool {
    ["requests", "limits"]
        .iter()
        .any(|kind| pod_level(old, kind).is_some_and(|list| !list.is_empty()))
}

/// `restartableInitContainersInUse`.
fn restartable_init_containers_in_use(old: &Object) -> bool {
    containers(old, &["initContainers"]).any(|c| c.get("restartPolicy").is_some_and(|p| p == "Always"))
}

/// `containerRestartRulesInUse`: an init container with a restart policy other than Always or with rules, or a
/// regular container with a restart policy or rules.
fn container_restart_rules_in_use(old: &Object) -> bool {
    let has_rules = |c: &Object| {
        c.get("restartPolicyRules")
            .and_then(Value::as_array)
            .is_some_and(|r| !r.is_empty())
    };
    containers(old, &["initContainers"])
        .any(|c| has_rules(c) || c.get("restartPolicy").is_some_and(|p| !p.is_null() && p != "Always"))
        || containers(old, &["containers"]).any(|c| has_rules(c) || is_set(c, "restartPolicy"))
}

/// `restartAllContainersActionInUse`.
fn restart_all_containers_in_use(old: &Object) -> bool {
    containers(old, &CONTAINER_LISTS).any(|c| {
        c.get("restartPolicyRules")
            .and_then(Value::as_array)
            .is_some_and(|rules| {
                rules
                    .iter()
                    .any(|r| r.get("action").is_some_and(|a| a == "RestartAllContainers"))
            })
    })
}

/// `containerStopSignalsInUse`.
fn stop_signals_in_use(old: &Object) -> bool {
    containers(old, &CONTAINER_LISTS).any(|c| {
        c.get("lifecycle")
            .and_then(|l| l.get("stopSignal"))
            .is_some_and(|s| !s.is_null())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use KubeVersion::*;
    use rstest::rstest;
    use serde_json::json;

    const NO_GATE: Option<(Gate, bool)> = None;

    fn server(version: KubeVersion, gate: Option<(Gate, bool)>) -> ApiServer {
        let server = ApiServer::new(version);
        match gate {
            Some((gate, on)) => server.with_gate(gate, on),
            None => server,
        }
    }

    fn pod(spec: Value) -> Value {
        json!({"spec": spec})
    }

    fn app() -> Value {
        json!({"name": "app", "image": "app"})
    }

    fn sidecar(extra: Value) -> Value {
        let mut sidecar = json!({"name": "agent", "image": "agent", "restartPolicy": "Always"});
        sidecar
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        sidecar
    }

    #[track_caller]
    fn check(problems: &[String], expected: Option<&str>) {
        match expected {
            None => assert!(problems.is_empty(), "expected no problem, got {problems:#?}"),
            Some(expected) => assert!(
                problems.iter().any(|p| p.contains(expected)),
                "expected a problem containing {expected:?}, got {problems:#?}"
            ),
        }
    }

    // Names, containers, probes, lifecycle and hostPorts: the same in every version.
    #[rstest]
    fn version_independent_rules(
        #[values(V1_29, V1_30, V1_31, V1_32, V1_33, V1_34, V1_35)] version: KubeVersion,
        #[values(
            (json!({"containers": [{"name": "app"}], "initContainers": [{"name": "app", "restartPolicy": "Always"}]}), Some("/spec/initContainers/0/name: Duplicate value \"app\"")),
            (json!({"containers": [{"name": "app"}], "ephemeralContainers": [{"name": "app"}]}), Some("ephemeralContainers/0/name: Duplicate value")),
            (json!({"containers": []}), Some("/spec/containers: Required value")),
            (json!({"containers": [{"name": "Vault_Agent"}]}), Some("not a DNS-1123 label")),
            (json!({"containers": [{"image": "x"}]}), Some("/spec/containers/0/name: Required value")),
            (json!({"containers": [{"name": "app"}], "initContainers": [{"name": "setup", "readinessProbe": {}}]}), Some("initContainers/0/readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always")),
            (json!({"containers": [{"name": "app"}], "initContainers": [{"name": "setup", "lifecycle": {"preStop": {}}}]}), Some("initContainers/0/lifecycle: Forbidden")),
            (json!({"containers": [{"name": "app"}], "initContainers": [{"name": "agent", "restartPolicy": "Always", "startupProbe": {}, "lifecycle": {"preStop": {}}}]}), None),
            (json!({"containers": [{"name": "a", "ports": [{"containerPort": 80, "hostPort": 8080}]}, {"name": "b", "ports": [{"containerPort": 81, "hostPort": 8080}]}]}), Some("/spec/containers/1/ports/0/hostPort: Duplicate value: \"TCP//8080\"")),
            (json!({"containers": [{"name": "a", "ports": [{"containerPort": 80, "hostPort": 8080, "protocol": "UDP"}]}, {"name": "b", "ports": [{"containerPort": 81, "hostPort": 8080}]}]}), None),
            (json!({"containers": [{"name": "app", "ports": [{"containerPort": 80, "hostPort": 8080}]}], "initContainers": [{"name": "i1", "ports": [{"containerPort": 1, "hostPort": 8080}]}, {"name": "i2", "restartPolicy": "Always", "ports": [{"containerPort": 2, "hostPort": 8080}]}]}), None),
            (json!({"containers": [{"name": "app"}], "initContainers": [{"name": "i1", "ports": [{"containerPort": 1, "hostPort": 9}, {"containerPort": 2, "hostPort": 9}]}]}), Some("/spec/initContainers/0/ports/1/hostPort: Duplicate value")),
        )]
        case: (Value, Option<&str>),
    ) {
        let (spec, expected) = case;
        check(&ApiServer::new(version).create_problems(&pod(spec), "/spec"), expected);
    }

    #[rstest]
    #[case::init_restart_policy_never_refused_by_1_33(V1_33, NO_GATE, json!({"containers": [app()], "initContainers": [{"name": "setup", "restartPolicy": "Never"}]}), Some("/spec/initContainers/0/restartPolicy: Unsupported value \"Never\": supported: \"Always\""))]
    #[case::init_restart_policy_never_dropped_by_1_34(V1_34, NO_GATE, json!({"containers": [app()], "initContainers": [{"name": "setup", "restartPolicy": "Never"}]}), None)]
    #[case::init_restart_policy_never_refused_by_1_34_with_gate_off_and_rules_kept(V1_34, Some((Gate::ContainerRestartRules, true)), json!({"containers": [app()], "initContainers": [{"name": "setup", "restartPolicy": "Sometimes"}]}), Some("Unsupported value \"Sometimes\""))]
    #[case::init_restart_policy_never_allowed_by_1_35(V1_35, NO_GATE, json!({"containers": [app()], "initContainers": [{"name": "setup", "restartPolicy": "Never"}]}), None)]
    #[case::init_restart_policy_lowercase_refused_by_1_29(V1_29, NO_GATE, json!({"containers": [app()], "initContainers": [{"name": "setup", "restartPolicy": "always"}]}), Some("Unsupported value \"always\""))]
    #[case::container_restart_policy_forbidden_by_1_29(V1_29, NO_GATE, json!({"containers": [{"name": "app", "restartPolicy": "Always"}]}), Some("/spec/containers/0/restartPolicy: Forbidden: may not be set for non-init containers"))]
    #[case::container_restart_policy_forbidden_by_1_33(V1_33, NO_GATE, json!({"containers": [{"name": "app", "restartPolicy": "Never"}]}), Some("may not be set for non-init containers"))]
    #[case::container_restart_policy_dropped_by_1_34(V1_34, NO_GATE, json!({"containers": [{"name": "app", "restartPolicy": "Never"}]}), None)]
    #[case::container_restart_policy_never_allowed_by_1_35(V1_35, NO_GATE, json!({"containers": [{"name": "app", "restartPolicy": "Never", "restartPolicyRules": [{"action": "Restart", "exitCodes": {"operator": "In", "values": [42]}}]}]}), None)]
    #[case::container_restart_policy_unknown_value_refused_by_1_35(V1_35, NO_GATE, json!({"containers": [{"name": "app", "restartPolicy": "Sometimes"}]}), Some("/spec/containers/0/restartPolicy: Unsupported value \"Sometimes\""))]
    #[case::container_rules_without_restart_policy_refused_by_1_35(V1_35, NO_GATE, json!({"containers": [{"name": "app", "restartPolicyRules": [{"action": "Restart", "exitCodes": {"operator": "In", "values": [1]}}]}]}), Some("must specify restartPolicy when restart rules are used"))]
    #[case::container_rule_without_exit_codes_refused_by_1_35(V1_35, NO_GATE, json!({"containers": [{"name": "app", "restartPolicy": "Never", "restartPolicyRules": [{"action": "Restart"}]}]}), Some("restartPolicyRules/0/exitCodes: Required value"))]
    #[case::restart_all_containers_action_refused_by_1_35(V1_35, NO_GATE, json!({"containers": [{"name": "app", "restartPolicy": "Never", "restartPolicyRules": [{"action": "RestartAllContainers", "exitCodes": {"operator": "In", "values": [1]}}]}]}), Some("restartPolicyRules/0/action: Unsupported value \"RestartAllContainers\""))]
    #[case::restart_all_containers_action_allowed_by_1_35_with_gate_on(V1_35, Some((Gate::RestartAllContainersOnContainerExits, true)), json!({"containers": [{"name": "app", "restartPolicy": "Never", "restartPolicyRules": [{"action": "RestartAllContainers", "exitCodes": {"operator": "In", "values": [1]}}]}]}), None)]
    #[case::rules_on_sidecar_unknown_to_1_33(V1_33, NO_GATE, json!({"containers": [app()], "initContainers": [sidecar(json!({"restartPolicyRules": [{"action": "Restart", "exitCodes": {"operator": "In", "values": [1]}}]}))]}), None)]
    #[case::rules_on_sidecar_dropped_by_1_34(V1_34, NO_GATE, json!({"containers": [app()], "initContainers": [sidecar(json!({"restartPolicyRules": [{"action": "Restart", "exitCodes": {"operator": "In", "values": [1]}}]}))]}), None)]
    #[case::rules_on_sidecar_refused_by_1_34_with_gate_on(V1_34, Some((Gate::ContainerRestartRules, true)), json!({"containers": [app()], "initContainers": [sidecar(json!({"restartPolicyRules": [{"action": "Restart", "exitCodes": {"operator": "In", "values": [1]}}]}))]}), Some("/spec/initContainers/0/restartPolicyRules: Forbidden: restartPolicyRules are not allowed for init containers with restart policy Always"))]
    #[case::rules_on_sidecar_refused_by_1_35(V1_35, NO_GATE, json!({"containers": [app()], "initContainers": [sidecar(json!({"restartPolicyRules": [{"action": "Restart", "exitCodes": {"operator": "In", "values": [1]}}]}))]}), Some("restartPolicyRules are not allowed for init containers with restart policy Always"))]
    #[case::rules_on_sidecar_allowed_by_1_35_with_restart_all_containers_on(V1_35, Some((Gate::RestartAllContainersOnContainerExits, true)), json!({"containers": [app()], "initContainers": [sidecar(json!({"restartPolicyRules": [{"action": "Restart", "exitCodes": {"operator": "In", "values": [1]}}]}))]}), None)]
    #[case::init_rules_without_restart_policy_refused_by_1_35(V1_35, NO_GATE, json!({"containers": [app()], "initContainers": [{"name": "setup", "restartPolicyRules": [{"action": "Restart", "exitCodes": {"operator": "In", "values": [1]}}]}]}), Some("/spec/initContainers/0/restartPolicy: Required value"))]
    #[case::init_rules_without_restart_policy_ignored_by_1_34_with_gate_on(V1_34, Some((Gate::ContainerRestartRules, true)), json!({"containers": [app()], "initContainers": [{"name": "setup", "restartPolicyRules": [{"action": "Restart", "exitCodes": {"operator": "In", "values": [1]}}]}]}), None)]
    #[case::sidecars_dropped_by_1_29_with_sidecar_gate_off_then_probes_refused(V1_29, Some((Gate::SidecarContainers, false)), json!({"containers": [app()], "initContainers": [sidecar(json!({"readinessProbe": {}}))]}), Some("initContainers/0/readinessProbe: Forbidden"))]
    fn restart_policy_rules(
        #[case] version: KubeVersion,
        #[case] gate: Option<(Gate, bool)>,
        #[case] spec: Value,
        #[case] expected: Option<&str>,
    ) {
        check(&server(version, gate).create_problems(&pod(spec), "/spec"), expected);
    }

    fn resize(policy: &str) -> Value {
        json!({"resizePolicy": [{"resourceName": "cpu", "restartPolicy": policy}]})
    }

    #[rstest]
    #[case::resize_policy_on_sidecar_dropped_by_1_29(V1_29, NO_GATE, json!({"containers": [app()], "initContainers": [sidecar(resize("NotRequired"))]}), None)]
    #[case::resize_policy_on_sidecar_dropped_by_1_32(V1_32, NO_GATE, json!({"containers": [app()], "initContainers": [sidecar(resize("NotRequired"))]}), None)]
    #[case::resize_policy_on_sidecar_refused_by_1_31_with_gate_on(V1_31, Some((Gate::InPlacePodVerticalScaling, true)), json!({"containers": [app()], "initContainers": [sidecar(resize("NotRequired"))]}), Some("/spec/initContainers/0/resizePolicy: Invalid value: [{\"resourceName\":\"cpu\",\"restartPolicy\":\"NotRequired\"}]: must not be set for init containers"))]
    #[case::resize_policy_on_sidecar_allowed_by_1_32_with_gate_on(V1_32, Some((Gate::InPlacePodVerticalScaling, true)), json!({"containers": [app()], "initContainers": [sidecar(resize("NotRequired"))]}), None)]
    #[case::resize_policy_on_sidecar_allowed_by_1_33(V1_33, NO_GATE, json!({"containers": [app()], "initContainers": [sidecar(resize("RestartContainer"))]}), None)]
    #[case::resize_policy_on_one_shot_init_allowed_by_1_35(V1_35, NO_GATE, json!({"containers": [app()], "initContainers": [{"name": "setup", "resizePolicy": [{"resourceName": "memory", "restartPolicy": "RestartContainer"}]}]}), None)]
    #[case::resize_policy_on_sidecar_dropped_by_1_35_with_gate_off_is_impossible_so_kept(V1_35, NO_GATE, json!({"containers": [app()], "initContainers": [sidecar(resize("Sometimes"))]}), Some("/spec/initContainers/0/resizePolicy: Unsupported value: \"Sometimes\""))]
    #[case::restart_container_with_pod_never_refused_by_1_33(V1_33, NO_GATE, json!({"restartPolicy": "Never", "containers": [app()], "initContainers": [sidecar(resize("RestartContainer"))]}), Some("must be 'NotRequired' when `restartPolicy` is 'Never'"))]
    #[case::not_required_with_pod_never_allowed_by_1_33(V1_33, NO_GATE, json!({"restartPolicy": "Never", "containers": [app()], "initContainers": [sidecar(resize("NotRequired"))]}), None)]
    #[case::duplicate_resource_refused_by_1_34(V1_34, NO_GATE, json!({"containers": [{"name": "app", "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"}, {"resourceName": "cpu", "restartPolicy": "NotRequired"}]}]}), Some("/spec/containers/0/resizePolicy/1: Duplicate value: \"cpu\""))]
    #[case::unknown_resource_refused_by_1_34(V1_34, NO_GATE, json!({"containers": [{"name": "app", "resizePolicy": [{"resourceName": "gpu", "restartPolicy": "NotRequired"}]}]}), Some("Unsupported value: \"gpu\""))]
    fn resize_policy_rules(
        #[case] version: KubeVersion,
        #[case] gate: Option<(Gate, bool)>,
        #[case] spec: Value,
        #[case] expected: Option<&str>,
    ) {
        check(&server(version, gate).create_problems(&pod(spec), "/spec"), expected);
    }

    #[rstest]
    #[case::resize_policy_kept_on_update_refused_by_1_31(V1_31, json!({"containers": [{"name": "agent", "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"}]}, app()]}), Some("must not be set for init containers"))]
    #[case::resize_policy_kept_on_update_refused_by_1_32_without_an_old_sidecar_resize(V1_32, json!({"containers": [{"name": "agent", "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"}]}, app()]}), Some("must not be set for init containers"))]
    #[case::resize_policy_kept_on_update_allowed_by_1_32_after_an_old_sidecar_resize(V1_32, json!({"containers": [app()], "initContainers": [sidecar(resize("NotRequired"))]}), None)]
    #[case::resize_policy_on_update_without_old_use_dropped_by_1_31(V1_31, json!({"containers": [app(), {"name": "agent"}]}), None)]
    #[case::container_restart_policy_kept_on_update_by_1_34_when_in_use(V1_34, json!({"containers": [{"name": "app", "restartPolicy": "Never"}]}), Some("restartPolicyRules are not allowed for init containers with restart policy Always"))]
    fn update_rules(#[case] version: KubeVersion, #[case] old_spec: Value, #[case] expected: Option<&str>) {
        let mut new = json!({"containers": [app()], "initContainers": [sidecar(resize("NotRequired"))]});
        if version == V1_34 {
            new = json!({"containers": [{"name": "app", "restartPolicy": "Never"}],
                         "initContainers": [sidecar(json!({"restartPolicyRules": [{"action": "Restart", "exitCodes": {"operator": "In", "values": [1]}}]}))]});
        }
        let template = |spec: Value| json!({"spec": {"template": {"spec": spec}}});
        let problems =
            ApiServer::new(version).update_problems(&template(new), &template(old_spec), "/spec/template/spec");
        check(&problems, expected);
    }

    fn requests(cpu: &str) -> Value {
        json!({"resources": {"requests": {"cpu": cpu}}})
    }

    /// app 500m in containers; a 500m sidecar; a one-shot `setup` init container of 800m; pod-level request 1.
    fn pod_with_sidecar(sidecar_first: bool, pod_request: &str) -> Value {
        let setup = json!({"name": "setup", "resources": {"requests": {"cpu": "800m"}}});
        let agent = sidecar(requests("500m"));
        let init = if sidecar_first {
            vec![agent, setup]
        } else {
            vec![setup, agent]
        };
        json!({"resources": {"requests": {"cpu": pod_request}},
               "containers": [{"name": "app", "resources": {"requests": {"cpu": "500m"}}}],
               "initContainers": init})
    }

    #[rstest]
    #[case::pod_level_resources_unknown_to_1_31(V1_31, NO_GATE, pod_with_sidecar(true, "100m"), None)]
    #[case::pod_level_resources_dropped_by_1_33(V1_33, NO_GATE, pod_with_sidecar(true, "100m"), None)]
    #[case::sidecar_after_init_containers_fits_1_34(V1_34, NO_GATE, pod_with_sidecar(false, "1"), None)]
    #[case::sidecar_before_larger_init_container_refused_by_1_34(
        V1_34,
        NO_GATE,
        pod_with_sidecar(true, "1"),
        Some(
            "/spec/resources/requests[cpu]: Invalid value: \"1\": must be greater than or equal to aggregate container requests of 1.3"
        )
    )]
    #[case::sidecar_before_larger_init_container_refused_by_1_35(
        V1_35,
        NO_GATE,
        pod_with_sidecar(true, "1"),
        Some("aggregate container requests of 1.3")
    )]
    #[case::sidecar_before_larger_init_container_refused_by_1_32_with_gate_on(V1_32, Some((Gate::PodLevelResources, true)), pod_with_sidecar(true, "1"), Some("aggregate container requests of 1.3"))]
    #[case::exact_fit_in_other_units_passes_1_34(V1_34, NO_GATE, pod_with_sidecar(true, "1300m"), None)]
    #[case::missing_pod_request_skipped_by_1_34(V1_34, NO_GATE, json!({"resources": {"requests": {"memory": "1Gi"}}, "containers": [{"name": "app", "resources": {"requests": {"cpu": "2", "memory": "512Mi"}}}]}), None)]
    #[case::missing_pod_request_counts_as_zero_for_1_33_with_gate_on(V1_33, Some((Gate::PodLevelResources, true)), json!({"resources": {"requests": {"memory": "1Gi"}}, "containers": [{"name": "app", "resources": {"requests": {"cpu": "2", "memory": "512Mi"}}}]}), Some("/spec/resources/requests[cpu]: Invalid value: \"0\": must be greater than or equal to aggregate container requests of 2"))]
    #[case::container_limit_above_pod_limit_refused_by_1_34(V1_34, NO_GATE, json!({"resources": {"limits": {"memory": "1Gi"}}, "containers": [{"name": "app", "resources": {"limits": {"memory": "2Gi"}}}]}), Some("/spec/resources/containers/0[memory]/limits: Invalid value: \"2147483648\": must be less than or equal to pod limits of 1073741824"))]
    #[case::init_container_limit_above_pod_limit_not_checked_by_1_34(V1_34, NO_GATE, json!({"resources": {"limits": {"memory": "1Gi"}, "requests": {"memory": "1Gi"}}, "containers": [{"name": "app", "resources": {"requests": {"memory": "100Mi"}}}], "initContainers": [sidecar(json!({"resources": {"limits": {"memory": "2Gi"}, "requests": {"memory": "100Mi"}}}))]}), None)]
    #[case::pod_request_above_pod_limit_refused_by_1_34(V1_34, NO_GATE, json!({"resources": {"limits": {"memory": "1Gi"}, "requests": {"memory": "2Gi"}}, "containers": [app()]}), Some("/spec/resources/requests[memory]: Invalid value: \"2147483648\": must be less than or equal to memory limit of 1073741824"))]
    #[case::cpu_limits_are_not_summed_by_1_34(V1_34, NO_GATE, json!({"resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}, "containers": [{"name": "a", "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "500m"}}}, {"name": "b", "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "500m"}}}]}), None)]
    #[case::hugepage_limits_are_summed_by_1_34(V1_34, NO_GATE, json!({"resources": {"limits": {"hugepages-2Mi": "4Mi"}}, "containers": [{"name": "a", "resources": {"limits": {"hugepages-2Mi": "4Mi"}}}, {"name": "b", "resources": {"limits": {"hugepages-2Mi": "2Mi"}}}]}), Some("/spec/resources/limits[hugepages-2Mi]: Invalid value: \"4194304\": must be greater than or equal to aggregate container limits of 6291456"))]
    #[case::hugepages_unsupported_at_pod_level_by_1_33_with_gate_on(V1_33, Some((Gate::PodLevelResources, true)), json!({"resources": {"limits": {"hugepages-2Mi": "4Mi"}}, "containers": [app()]}), Some("Unsupported value: \"hugepages-2Mi\""))]
    #[case::ephemeral_storage_unsupported_at_pod_level_by_1_34(V1_34, NO_GATE, json!({"resources": {"requests": {"ephemeral-storage": "1Gi"}}, "containers": [app()]}), Some("/spec/resources/requests[ephemeral-storage]: Unsupported value"))]
    #[case::pod_request_above_pod_limit_refused_by_1_35(V1_35, NO_GATE, json!({"resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}, "containers": [app()]}), Some("/spec/resources/requests[cpu]: Invalid value: \"2\": must be less than or equal to cpu limit of 1"))]
    #[case::windows_pod_refused_by_1_34(V1_34, NO_GATE, json!({"os": {"name": "windows"}, "resources": {"requests": {"cpu": "1"}}, "containers": [app()]}), Some("/spec/resources: Forbidden: may not be set for a windows pod"))]
    #[case::unreadable_quantity_reported_by_1_34(V1_34, NO_GATE, json!({"resources": {"requests": {"cpu": "1"}}, "containers": [{"name": "app", "resources": {"requests": {"cpu": "lots"}}}]}), Some("/spec/containers/0/resources/requests[cpu]"))]
    #[case::limit_only_container_counts_with_its_limit_in_a_pod_1_34(V1_34, NO_GATE, json!({"resources": {"requests": {"cpu": "1"}}, "containers": [{"name": "app", "resources": {"limits": {"cpu": "2"}}}]}), Some("aggregate container requests of 2"))]
    #[case::pod_level_requests_default_from_the_aggregate_1_34(V1_34, NO_GATE, json!({"resources": {"limits": {"cpu": "1"}}, "containers": [{"name": "app", "resources": {"requests": {"cpu": "2"}}}]}), Some("/spec/resources/requests[cpu]: Invalid value: \"2\": must be less than or equal to cpu limit of 1"))]
    fn pod_level_resources_rules(
        #[case] version: KubeVersion,
        #[case] gate: Option<(Gate, bool)>,
        #[case] spec: Value,
        #[case] expected: Option<&str>,
    ) {
        check(&server(version, gate).create_problems(&pod(spec), "/spec"), expected);
    }

    #[test]
    fn a_template_is_not_defaulted_from_limits() {
        let template = json!({"spec": {"template": {"spec": {"resources": {"requests": {"cpu": "1"}},
            "containers": [{"name": "app", "resources": {"limits": {"cpu": "2"}}}]}}}});
        check(
            &ApiServer::new(V1_34).create_problems(&template, "/spec/template/spec"),
            None,
        );
    }

    #[rstest]
    #[case::converted_before_a_larger_init_container_refused_by_1_34(
        V1_34,
        true,
        Some("aggregate container requests of 1.3")
    )]
    #[case::converted_after_the_init_containers_fits_1_34(V1_34, false, None)]
    #[case::converted_before_a_larger_init_container_fits_1_33(V1_33, true, None)]
    fn mutation_keeps_the_pod_requests_defaulted_before_the_webhook(
        #[case] version: KubeVersion,
        #[case] sidecar_first: bool,
        #[case] expected: Option<&str>,
    ) {
        // The user wrote a pod-level limit only; the API server defaulted the request to the aggregate, 1 cpu.
        let setup = json!({"name": "setup", "resources": {"requests": {"cpu": "800m"}}});
        let app = json!({"name": "app", "resources": {"requests": {"cpu": "500m"}}});
        let agent = json!({"name": "agent", "resources": {"requests": {"cpu": "500m"}}});
        let submitted =
            pod(json!({"resources": {"limits": {"cpu": "2"}}, "containers": [app, agent], "initContainers": [setup]}));
        let mut converted = agent.clone();
        converted["restartPolicy"] = json!("Always");
        let init = if sidecar_first {
            vec![converted, setup]
        } else {
            vec![setup, converted]
        };
        let mutated = pod(json!({"resources": {"limits": {"cpu": "2"}}, "containers": [app], "initContainers": init}));
        let server = ApiServer::new(version);
        check(&server.create_problems(&submitted, "/spec"), None);
        // Alone, the mutated Pod would be defaulted to its own aggregate and pass.
        check(&server.create_problems(&mutated, "/spec"), None);
        check(&server.mutation_problems(&submitted, &mutated, None, "/spec"), expected);
    }

    fn stop(signal: &str) -> Value {
        json!({"lifecycle": {"stopSignal": signal}})
    }

    #[rstest]
    #[case::stop_signal_on_sidecar_dropped_by_1_35(V1_35, NO_GATE, json!({"containers": [app()], "initContainers": [sidecar(stop("SIGUSR1"))]}), None)]
    #[case::stop_signal_without_os_refused_by_1_33_with_gate_on(V1_33, Some((Gate::ContainerStopSignals, true)), json!({"containers": [app()], "initContainers": [sidecar(stop("SIGUSR1"))]}), Some("/spec/initContainers/0/lifecycle/stopSignal: Forbidden: may not be set for containers with empty `spec.os.name`"))]
    #[case::stop_signal_with_linux_allowed_by_1_35_with_gate_on(V1_35, Some((Gate::ContainerStopSignals, true)), json!({"os": {"name": "linux"}, "containers": [app()], "initContainers": [sidecar(stop("SIGRTMIN+3"))]}), None)]
    #[case::stop_signal_sigusr1_on_windows_refused_by_1_34_with_gate_on(V1_34, Some((Gate::ContainerStopSignals, true)), json!({"os": {"name": "windows"}, "containers": [app()], "initContainers": [sidecar(stop("SIGUSR1"))]}), Some("Unsupported value \"SIGUSR1\": supported: \"SIGKILL\", \"SIGTERM\""))]
    #[case::stop_signal_only_lifecycle_on_one_shot_init_dropped_to_nothing_by_1_33(V1_33, NO_GATE, json!({"containers": [app()], "initContainers": [{"name": "setup", "lifecycle": {"stopSignal": "SIGTERM"}}]}), None)]
    #[case::stop_signal_only_lifecycle_on_one_shot_init_refused_by_1_32(V1_32, NO_GATE, json!({"containers": [app()], "initContainers": [{"name": "setup", "lifecycle": {"stopSignal": "SIGTERM"}}]}), Some("initContainers/0/lifecycle: Forbidden"))]
    #[case::stop_signal_on_one_shot_init_refused_with_gate_on(V1_35, Some((Gate::ContainerStopSignals, true)), json!({"os": {"name": "linux"}, "containers": [app()], "initContainers": [{"name": "setup", "lifecycle": {"stopSignal": "SIGTERM"}}]}), Some("initContainers/0/lifecycle: Forbidden"))]
    fn stop_signal_rules(
        #[case] version: KubeVersion,
        #[case] gate: Option<(Gate, bool)>,
        #[case] spec: Value,
        #[case] expected: Option<&str>,
    ) {
        check(&server(version, gate).create_problems(&pod(spec), "/spec"), expected);
    }

    #[rstest]
    #[case::sidecar_counts_in_the_sum_and_before_later_init_containers(
        json!({"containers": [{"resources": {"requests": {"cpu": "1"}}}],
               "initContainers": [{"restartPolicy": "Always", "resources": {"requests": {"cpu": "2"}}},
                                  {"resources": {"requests": {"cpu": "4"}}}]}),
        "6"
    )]
    #[case::one_shot_init_container_before_the_sidecar_is_alone(
        json!({"containers": [{"resources": {"requests": {"cpu": "1"}}}],
               "initContainers": [{"resources": {"requests": {"cpu": "4"}}},
                                  {"restartPolicy": "Always", "resources": {"requests": {"cpu": "2"}}}]}),
        "4"
    )]
    #[case::the_sum_wins_over_small_init_containers(
        json!({"containers": [{"resources": {"requests": {"cpu": "1"}}}, {"resources": {"requests": {"cpu": "1500m"}}}],
               "initContainers": [{"resources": {"requests": {"cpu": "2"}}}]}),
        "2.5"
    )]
    #[case::a_container_without_request_adds_nothing(
        json!({"containers": [{"resources": {}}, {"resources": {"requests": {"cpu": "100m"}}}]}),
        "0.1"
    )]
    fn the_aggregate_is_sidecar_aware(#[case] spec: Value, #[case] cpu: &str) {
        let (total, unreadable) = aggregate(spec.as_object().unwrap(), "requests");
        assert!(unreadable.is_empty());
        assert_eq!(total["cpu"].to_string(), cpu);
    }
}

//! The placement rules: which containers of a pod spec are misplaced or unapproved sidecars.
//!
//! Reads the pod spec's JSON directly and only the fields it needs (`name`, `image`, `restartPolicy`,
//! `restartPolicyRules`), so fields newer than any typed model are neither required nor lost.

use std::fmt;

use serde_json::{Map, Value};
use thiserror::Error;

use crate::settings::Policy;
use crate::workload::PodSpecPath;

pub(crate) const RESTART_POLICY: &str = "restartPolicy";
pub(crate) const RESTART_POLICY_RULES: &str = "restartPolicyRules";
/// The only `restartPolicy` that makes an init container a sidecar.
pub(crate) const ALWAYS: &str = "Always";

/// The two container lists a placement decision is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContainerList {
    /// `containers`: the co-located app containers.
    Containers,
    /// `initContainers`: one-shot init containers and native sidecars.
    InitContainers,
}

impl ContainerList {
    pub fn field(self) -> &'static str {
        match self {
            ContainerList::Containers => "containers",
            ContainerList::InitContainers => "initContainers",
        }
    }
}

/// What is wrong with a container.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Problem {
    /// A sidecar declared in `containers`. `blocker` says why it cannot be converted automatically, if it cannot.
    LegacySidecar { blocker: Option<ConversionBlocker> },
    /// An init container with `restartPolicy: Always` that matches neither settings list (`restrictNativeSidecars`).
    UnapprovedNativeSidecar,
}

/// A container setting that a conversion would have to overwrite, which the policy never does silently.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConversionBlocker {
    /// `restartPolicy: Never` / `OnFailure` on a regular container (Kubernetes 1.34+ container restart rules).
    RestartPolicy(String),
    /// `restartPolicyRules` on a regular container; on a sidecar it needs yet another feature gate.
    RestartPolicyRules,
}

impl fmt::Display for ConversionBlocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConversionBlocker::RestartPolicy(policy) => write!(
                f,
                "it sets `restartPolicy: {policy}` (a Kubernetes 1.34+ container restart rule) and a native sidecar \
                 needs `restartPolicy: Always`"
            ),
            ConversionBlocker::RestartPolicyRules => write!(
                f,
                "it sets `restartPolicyRules` (a Kubernetes 1.34+ container restart rule), which a native sidecar \
                 only accepts behind a further feature gate"
            ),
        }
    }
}

/// One misplaced or unapproved container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub problem: Problem,
    pub list: ContainerList,
    pub index: usize,
    pub name: Option<String>,
    pub image: Option<String>,
}

impl Finding {
    /// Identifies the same problem in the old and the new object of an UPDATE: a container keeps its name when it
    /// is edited, while its index and image may change.
    pub fn key(&self) -> (ContainerList, bool, Option<&str>) {
        (
            self.list,
            matches!(self.problem, Problem::LegacySidecar { .. }),
            self.name.as_deref(),
        )
    }

    pub fn convertible(&self) -> bool {
        matches!(self.problem, Problem::LegacySidecar { blocker: None })
    }

    /// A sentence a person can act on: which container, which image, where, and what to write instead.
    pub fn describe(&self, spec: PodSpecPath) -> String {
        let name = self
            .name
            .as_deref()
            .map_or_else(|| "(unnamed)".to_owned(), |n| format!("'{n}'"));
        let image = self
            .image
            .as_deref()
            .map_or_else(|| "no image".to_owned(), |i| format!("image '{i}'"));
        let at = format!("{}.{}[{}]", spec.display(), self.list.field(), self.index);
        let native = format!(
            "declare it in {}.initContainers with `restartPolicy: Always` (native sidecar, Kubernetes 1.29+)",
            spec.display()
        );
        match &self.problem {
            Problem::LegacySidecar { blocker: None } => {
                format!("container {name} ({image}) at {at} is a sidecar placed as a co-located container: {native}")
            }
            Problem::LegacySidecar { blocker: Some(blocker) } => format!(
                "container {name} ({image}) at {at} is a sidecar placed as a co-located container and was not \
                 converted because {blocker}: remove that setting and {native}"
            ),
            Problem::UnapprovedNativeSidecar => format!(
                "native sidecar not approved: container {name} ({image}) at {at} has `restartPolicy: Always` but \
                 matches neither sidecarImages nor sidecarContainerNames: add its image or name to the policy \
                 settings, or declare it in {}.containers",
                spec.display()
            ),
        }
    }
}

/// A pod spec that is not shaped as Kubernetes defines it; the API server would refuse it as well.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SpecError {
    #[error("{path} must be an object")]
    NotAnObject { path: String },
    #[error("{path} must be a list of containers")]
    NotAList { path: String },
    #[error("{path} must be a string")]
    NotAString { path: String },
}

/// The fields of a container that placement depends on, borrowed from the JSON.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ContainerView<'a> {
    pub name: Option<&'a str>,
    pub image: Option<&'a str>,
    pub restart_policy: Option<&'a str>,
    pub has_restart_policy_rules: bool,
}

impl<'a> ContainerView<'a> {
    fn read(container: &'a Value, path: impl Fn() -> String) -> Result<Self, SpecError> {
        let map = container
            .as_object()
            .ok_or_else(|| SpecError::NotAnObject { path: path() })?;
        let string = |field: &str| {
            optional_str(map, field).map_err(|()| SpecError::NotAString {
                path: format!("{}.{field}", path()),
            })
        };
        Ok(Self {
            name: string("name")?,
            image: string("image")?,
            restart_policy: string(RESTART_POLICY)?,
            has_restart_policy_rules: map.get(RESTART_POLICY_RULES).is_some_and(|rules| !rules.is_null()),
        })
    }

    pub fn is_native_sidecar(&self) -> bool {
        self.restart_policy == Some(ALWAYS)
    }

    fn conversion_blocker(&self) -> Option<ConversionBlocker> {
        match self.restart_policy {
            Some(policy) if policy != ALWAYS => Some(ConversionBlocker::RestartPolicy(policy.to_owned())),
            _ if self.has_restart_policy_rules => Some(ConversionBlocker::RestartPolicyRules),
            _ => None,
        }
    }
}

/// `null` is how JSON says "not set".
fn optional_str<'a>(map: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, ()> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(()),
    }
}

/// The entries of one container list; absent or `null` is an empty list.
fn container_list(spec: &Map<String, Value>, list: ContainerList, at: PodSpecPath) -> Result<&[Value], SpecError> {
    match spec.get(list.field()) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(SpecError::NotAList {
            path: format!("{}.{}", at.display(), list.field()),
        }),
    }
}

fn views<'a>(
    spec: &'a Map<String, Value>,
    list: ContainerList,
    at: PodSpecPath,
) -> Result<Vec<ContainerView<'a>>, SpecError> {
    container_list(spec, list, at)?
        .iter()
        .enumerate()
        .map(|(index, container)| {
            ContainerView::read(container, || format!("{}.{}[{index}]", at.display(), list.field()))
        })
        .collect()
}

/// Every placement problem of a pod spec, in list order (`containers` first).
pub fn inspect(spec: &Value, at: PodSpecPath, policy: &Policy) -> Result<Vec<Finding>, SpecError> {
    let spec = spec.as_object().ok_or_else(|| SpecError::NotAnObject {
        path: at.display().to_owned(),
    })?;
    let containers = views(spec, ContainerList::Containers, at)?;
    let init_containers = views(spec, ContainerList::InitContainers, at)?;

    let sidecars: Vec<bool> = containers.iter().map(|c| policy.is_sidecar(c.name, c.image)).collect();
    // A sidecar supports an app: when every container matches (a Vault server is `hashicorp/vault` alone), there is
    // no app to support and the containers are the app.
    let has_app = sidecars.iter().any(|sidecar| !sidecar);
    let mut findings = Vec::new();
    if has_app {
        for (index, container) in containers.iter().enumerate().filter(|&(index, _)| sidecars[index]) {
            findings.push(finding(
                Problem::LegacySidecar {
                    blocker: container.conversion_blocker(),
                },
                ContainerList::Containers,
                index,
                container,
            ));
        }
    }
    if policy.restrict_native_sidecars() {
        for (index, container) in init_containers.iter().enumerate() {
            if container.is_native_sidecar() && !policy.is_sidecar(container.name, container.image) {
                findings.push(finding(
                    Problem::UnapprovedNativeSidecar,
                    ContainerList::InitContainers,
                    index,
                    container,
                ));
            }
        }
    }
    Ok(findings)
}

fn finding(problem: Problem, list: ContainerList, index: usize, container: &ContainerView<'_>) -> Finding {
    Finding {
        problem,
        list,
        index,
        name: container.name.map(str::to_owned),
        image: container.image.map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use rstest::rstest;
    use serde_json::json;

    fn policy(restrict: bool) -> Policy {
        Settings {
            sidecar_images: vec!["hashicorp/vault".into(), "*/istio-release/proxyv2".into()],
            sidecar_container_names: vec!["log-shipper".into()],
            restrict_native_sidecars: restrict,
            ..Settings::default()
        }
        .compile()
        .expect("valid settings")
    }

    fn c(name: &str, image: &str) -> Value {
        json!({"name": name, "image": image})
    }

    fn problems(spec: Value, restrict: bool) -> Vec<(Problem, ContainerList, usize)> {
        inspect(&spec, PodSpecPath::Pod, &policy(restrict))
            .expect("well-formed spec")
            .into_iter()
            .map(|f| (f.problem, f.list, f.index))
            .collect()
    }

    const LEGACY: Problem = Problem::LegacySidecar { blocker: None };

    #[rstest]
    #[case::native_sidecar_is_fine(json!({"containers": [c("my-app", "my-app:1")], "initContainers": [{"name": "vault-sync", "image": "hashicorp/vault", "restartPolicy": "Always"}]}), vec![])]
    #[case::co_located_apps_are_fine(json!({"containers": [c("pdf-engine", "acme/pdf-engine"), c("pdf-preview-ui", "acme/pdf-preview-ui")]}), vec![])]
    #[case::legacy_sidecar_by_image(json!({"containers": [c("app", "nginx"), c("vault-agent", "hashicorp/vault:1.15")]}), vec![(LEGACY, ContainerList::Containers, 1)])]
    #[case::legacy_sidecar_by_name(json!({"containers": [c("log-shipper", "busybox"), c("app", "nginx")]}), vec![(LEGACY, ContainerList::Containers, 0)])]
    #[case::every_legacy_sidecar_listed(json!({"containers": [c("a", "hashicorp/vault"), c("app", "nginx"), c("log-shipper", "x")]}), vec![(LEGACY, ContainerList::Containers, 0), (LEGACY, ContainerList::Containers, 2)])]
    #[case::only_sidecar_images_means_no_app(json!({"containers": [c("vault", "hashicorp/vault:1.15")]}), vec![])]
    #[case::one_shot_init_with_sidecar_image_is_fine(json!({"containers": [c("app", "nginx")], "initContainers": [c("vault-agent-init", "hashicorp/vault")]}), vec![])]
    #[case::unapproved_native_ignored_without_restrict(json!({"containers": [c("app", "nginx")], "initContainers": [{"name": "x", "image": "x", "restartPolicy": "Always"}]}), vec![])]
    #[case::no_containers_at_all(json!({}), vec![])]
    #[case::null_lists(json!({"containers": null, "initContainers": null}), vec![])]
    fn findings_without_restriction(#[case] spec: Value, #[case] expected: Vec<(Problem, ContainerList, usize)>) {
        assert_eq!(problems(spec, false), expected);
    }

    #[rstest]
    #[case::unapproved_native_sidecar(json!({"containers": [c("app", "nginx")], "initContainers": [c("setup", "busybox"), {"name": "x", "image": "x", "restartPolicy": "Always"}]}), vec![(Problem::UnapprovedNativeSidecar, ContainerList::InitContainers, 1)])]
    #[case::approved_native_sidecar(json!({"containers": [c("app", "nginx")], "initContainers": [{"name": "istio-proxy", "image": "gcr.io/istio-release/proxyv2:1.22", "restartPolicy": "Always"}]}), vec![])]
    #[case::one_shot_init_is_not_restricted(json!({"containers": [c("app", "nginx")], "initContainers": [c("setup", "busybox")]}), vec![])]
    fn findings_with_restriction(#[case] spec: Value, #[case] expected: Vec<(Problem, ContainerList, usize)>) {
        assert_eq!(problems(spec, true), expected);
    }

    #[rstest]
    #[case::never(json!({"restartPolicy": "Never"}), Some(ConversionBlocker::RestartPolicy("Never".into())))]
    #[case::on_failure(json!({"restartPolicy": "OnFailure"}), Some(ConversionBlocker::RestartPolicy("OnFailure".into())))]
    #[case::rules(json!({"restartPolicy": "Always", "restartPolicyRules": [{"action": "Restart"}]}), Some(ConversionBlocker::RestartPolicyRules))]
    #[case::always_is_convertible(json!({"restartPolicy": "Always"}), None)]
    #[case::unset_is_convertible(json!({}), None)]
    fn conversion_blockers(#[case] extra: Value, #[case] blocker: Option<ConversionBlocker>) {
        let mut sidecar = c("vault-agent", "hashicorp/vault");
        for (key, value) in extra.as_object().expect("object") {
            sidecar[key] = value.clone();
        }
        let spec = json!({"containers": [c("app", "nginx"), sidecar]});
        assert_eq!(
            problems(spec, false),
            vec![(Problem::LegacySidecar { blocker }, ContainerList::Containers, 1)]
        );
    }

    #[rstest]
    #[case::spec_not_object(json!("x"), "spec must be an object")]
    #[case::containers_not_list(json!({"containers": {"name": "a"}}), "spec.containers must be a list of containers")]
    #[case::init_containers_not_list(json!({"containers": [], "initContainers": "x"}), "spec.initContainers must be a list of containers")]
    #[case::container_not_object(json!({"containers": [c("a", "b"), 5]}), "spec.containers[1] must be an object")]
    #[case::name_not_string(json!({"containers": [{"name": 7, "image": "x"}]}), "spec.containers[0].name must be a string")]
    #[case::image_not_string(json!({"containers": [{"name": "a", "image": ["x"]}]}), "spec.containers[0].image must be a string")]
    fn malformed_specs(#[case] spec: Value, #[case] message: &str) {
        let error = inspect(&spec, PodSpecPath::Pod, &policy(false)).expect_err("malformed");
        assert_eq!(error.to_string(), message);
    }

    #[test]
    fn containers_without_name_or_image_are_judged_by_what_they_have() {
        let spec = json!({"containers": [{"image": "hashicorp/vault"}, {"name": "app"}]});
        let findings = inspect(&spec, PodSpecPath::Pod, &policy(false)).expect("well-formed");
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].describe(PodSpecPath::Pod),
            "container (unnamed) (image 'hashicorp/vault') at spec.containers[0] is a sidecar placed as a \
             co-located container: declare it in spec.initContainers with `restartPolicy: Always` (native sidecar, \
             Kubernetes 1.29+)"
        );
    }

    #[rstest]
    #[case::legacy(Problem::LegacySidecar { blocker: None }, ContainerList::Containers, "container 'vault-agent' (image 'hashicorp/vault:1.15.2') at spec.template.spec.containers[1] is a sidecar placed as a co-located container: declare it in spec.template.spec.initContainers with `restartPolicy: Always` (native sidecar, Kubernetes 1.29+)")]
    #[case::blocked(Problem::LegacySidecar { blocker: Some(ConversionBlocker::RestartPolicy("Never".into())) }, ContainerList::Containers, "container 'vault-agent' (image 'hashicorp/vault:1.15.2') at spec.template.spec.containers[1] is a sidecar placed as a co-located container and was not converted because it sets `restartPolicy: Never` (a Kubernetes 1.34+ container restart rule) and a native sidecar needs `restartPolicy: Always`: remove that setting and declare it in spec.template.spec.initContainers with `restartPolicy: Always` (native sidecar, Kubernetes 1.29+)")]
    #[case::unapproved(
        Problem::UnapprovedNativeSidecar,
        ContainerList::InitContainers,
        "native sidecar not approved: container 'vault-agent' (image 'hashicorp/vault:1.15.2') at spec.template.spec.initContainers[1] has `restartPolicy: Always` but matches neither sidecarImages nor sidecarContainerNames: add its image or name to the policy settings, or declare it in spec.template.spec.containers"
    )]
    fn messages(#[case] problem: Problem, #[case] list: ContainerList, #[case] expected: &str) {
        let finding = Finding {
            problem,
            list,
            index: 1,
            name: Some("vault-agent".into()),
            image: Some("hashicorp/vault:1.15.2".into()),
        };
        assert_eq!(finding.describe(PodSpecPath::Template), expected);
    }
}

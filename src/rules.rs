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
    /// The pod spec field that holds the list.
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
    /// A sidecar declared in `containers`.
    LegacySidecar {
        /// Why it cannot be converted automatically, if it cannot.
        blocker: Option<ConversionBlocker>,
    },
    /// An init container with `restartPolicy: Always` that matches neither settings list (`restrictNativeSidecars`).
    UnapprovedNativeSidecar,
}

impl Problem {
    /// The list the offending container is in: each problem can only occur in one.
    pub fn list(&self) -> ContainerList {
        match self {
            Problem::LegacySidecar { .. } => ContainerList::Containers,
            Problem::UnapprovedNativeSidecar => ContainerList::InitContainers,
        }
    }
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
    /// What is wrong; it also says which list the container is in.
    pub problem: Problem,
    /// Position in that list.
    pub index: usize,
    /// `name`, when the container has one.
    pub name: Option<String>,
    /// `image`, when the container has one.
    pub image: Option<String>,
}

/// Identifies the same problem in the old and the new object of an UPDATE: a container keeps its name when it is
/// edited, while its index, its image and a conversion blocker may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FindingKey<'a> {
    problem: std::mem::Discriminant<Problem>,
    name: Option<&'a str>,
}

impl Finding {
    /// See [`FindingKey`].
    pub fn key(&self) -> FindingKey<'_> {
        FindingKey {
            problem: std::mem::discriminant(&self.problem),
            name: self.name.as_deref(),
        }
    }

    /// The list the container is in.
    pub fn list(&self) -> ContainerList {
        self.problem.list()
    }

    /// `spec.template.spec.containers[1]`: where the container is, as users write paths.
    pub fn location(&self, spec: PodSpecPath) -> String {
        format!("{}.{}[{}]", spec.display(), self.list().field(), self.index)
    }

    /// `'vault-agent'`, or `(unnamed)`.
    pub fn quoted_name(&self) -> String {
        self.name
            .as_deref()
            .map_or_else(|| "(unnamed)".to_owned(), |n| format!("'{n}'"))
    }

    /// A legacy sidecar that can be moved as it is.
    pub fn convertible(&self) -> bool {
        matches!(self.problem, Problem::LegacySidecar { blocker: None })
    }

    /// A sentence a person can act on: which container, which image, where, and what to write instead.
    pub fn describe(&self, spec: PodSpecPath) -> String {
        let name = self.quoted_name();
        let image = self
            .image
            .as_deref()
            .map_or_else(|| "no image".to_owned(), |i| format!("image '{i}'"));
        let at = self.location(spec);
        let native = native_sidecar_fix(spec);
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

/// What to write instead of a legacy sidecar; every message that asks for a native sidecar ends with it.
pub fn native_sidecar_fix(spec: PodSpecPath) -> String {
    format!(
        "declare it in {}.initContainers with `restartPolicy: Always` (native sidecar, Kubernetes 1.29+)",
        spec.display()
    )
}

/// A pod spec that is not shaped as Kubernetes defines it; the API server would refuse it as well.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SpecError {
    /// A pod spec or container that is not an object.
    #[error("{path} must be an object")]
    NotAnObject {
        /// Where, as users write paths.
        path: String,
    },
    /// A container list that is not a list.
    #[error("{path} must be a list of containers")]
    NotAList {
        /// Where, as users write paths.
        path: String,
    },
    /// `name`, `image` or `restartPolicy` that is not a string.
    #[error("{path} must be a string")]
    NotAString {
        /// Where, as users write paths.
        path: String,
    },
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

/// What the rules found in one pod spec, and what a conversion needs to know about its init containers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// Every placement problem, in list order (`containers` first).
    pub findings: Vec<Finding>,
    /// The native sidecars already declared.
    pub native_sidecars: Vec<NativeSidecar>,
    /// Where the init containers leave room for a converted sidecar.
    pub init_layout: InitLayout,
}

/// A native sidecar as `(index in initContainers, name)`.
pub type NativeSidecar = (usize, Option<String>);

/// The shape of `initContainers` that decides where a converted sidecar goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InitLayout {
    /// How many init containers there are.
    pub len: usize,
    /// The index of the first one-shot init container, or `len`: the native sidecars before it start first.
    pub first_one_shot: usize,
    /// One past the last one-shot init container that matches the sidecar lists (`istio-init` runs the proxy's
    /// image, `vault-agent-init` Vault's), or 0: a sidecar's own setup step must run before the sidecar starts.
    pub after_setup_steps: usize,
}

impl Inspection {
    /// Whether the pod spec has a sidecar in `containers` or declares a native one: the only objects for which the
    /// cluster's ability to run native sidecars matters. Every finding implies it (an unapproved native sidecar is a
    /// native sidecar), so an object it is false for has nothing to decide.
    pub fn involves_sidecars(&self) -> bool {
        !self.native_sidecars.is_empty()
            || self
                .findings
                .iter()
                .any(|f| matches!(f.problem, Problem::LegacySidecar { .. }))
    }
}

/// Inspects a pod spec: every placement problem, in list order (`containers` first), and the init containers'
/// layout.
pub fn inspect(spec: &Value, at: PodSpecPath, policy: &Policy) -> Result<Inspection, SpecError> {
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
                index,
                container,
            ));
        }
    }
    let mut native_sidecars = Vec::new();
    let mut init_layout = InitLayout {
        len: init_containers.len(),
        first_one_shot: init_containers.len(),
        after_setup_steps: 0,
    };
    for (index, container) in init_containers.iter().enumerate() {
        let matches_lists = policy.is_sidecar(container.name, container.image);
        if container.is_native_sidecar() {
            native_sidecars.push((index, container.name.map(str::to_owned)));
            if policy.restrict_native_sidecars() && !matches_lists {
                findings.push(finding(Problem::UnapprovedNativeSidecar, index, container));
            }
        } else {
            init_layout.first_one_shot = init_layout.first_one_shot.min(index);
            if matches_lists {
                init_layout.after_setup_steps = index + 1;
            }
        }
    }
    Ok(Inspection {
        findings,
        native_sidecars,
        init_layout,
    })
}

fn finding(problem: Problem, index: usize, container: &ContainerView<'_>) -> Finding {
    Finding {
        problem,
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
            .findings
            .into_iter()
            .map(|f| {
                let list = f.list();
                (f.problem, list, f.index)
            })
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
        let findings = inspect(&spec, PodSpecPath::Pod, &policy(false))
            .expect("well-formed")
            .findings;
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
        assert_eq!(problem.list(), list);
        let finding = Finding {
            problem,
            index: 1,
            name: Some("vault-agent".into()),
            image: Some("hashicorp/vault:1.15.2".into()),
        };
        assert_eq!(finding.describe(PodSpecPath::Template), expected);
    }

    #[rstest]
    #[case::no_init_containers(json!({"containers": [c("app", "nginx")]}), InitLayout { len: 0, first_one_shot: 0, after_setup_steps: 0 }, vec![])]
    #[case::natives_then_one_shots(json!({"containers": [c("app", "nginx")], "initContainers": [{"name": "proxy", "image": "x", "restartPolicy": "Always"}, c("setup", "busybox"), {"name": "late", "image": "y", "restartPolicy": "Always"}]}), InitLayout { len: 3, first_one_shot: 1, after_setup_steps: 0 }, vec![(0, Some("proxy".to_owned())), (2, Some("late".to_owned()))])]
    #[case::setup_step_by_image(json!({"containers": [c("app", "nginx")], "initContainers": [c("setup", "busybox"), c("vault-agent-init", "hashicorp/vault:1.15"), c("migrate", "acme/migrate")]}), InitLayout { len: 3, first_one_shot: 0, after_setup_steps: 2 }, vec![])]
    #[case::setup_step_by_name(json!({"containers": [c("app", "nginx")], "initContainers": [c("log-shipper", "busybox")]}), InitLayout { len: 1, first_one_shot: 0, after_setup_steps: 1 }, vec![])]
    #[case::native_sidecar_with_sidecar_image_is_no_setup_step(json!({"containers": [c("app", "nginx")], "initContainers": [{"name": "v", "image": "hashicorp/vault", "restartPolicy": "Always"}]}), InitLayout { len: 1, first_one_shot: 1, after_setup_steps: 0 }, vec![(0, Some("v".to_owned()))])]
    fn init_container_layouts(
        #[case] spec: Value,
        #[case] layout: InitLayout,
        #[case] native_sidecars: Vec<NativeSidecar>,
    ) {
        let inspection = inspect(&spec, PodSpecPath::Pod, &policy(false)).expect("well-formed");
        assert_eq!(inspection.init_layout, layout);
        assert_eq!(inspection.native_sidecars, native_sidecars);
    }

    #[rstest]
    #[case::nothing(json!({"containers": [c("app", "nginx")]}), false)]
    #[case::sidecar_alone_is_the_app(json!({"containers": [c("vault", "hashicorp/vault")]}), false)]
    #[case::one_shot_with_sidecar_image(json!({"containers": [c("app", "nginx")], "initContainers": [c("init", "hashicorp/vault")]}), false)]
    #[case::legacy_sidecar(json!({"containers": [c("app", "nginx"), c("v", "hashicorp/vault")]}), true)]
    #[case::blocked_legacy_sidecar(json!({"containers": [c("app", "nginx"), {"name": "v", "image": "hashicorp/vault", "restartPolicy": "Never"}]}), true)]
    #[case::native_sidecar(json!({"containers": [c("app", "nginx")], "initContainers": [{"name": "x", "image": "x", "restartPolicy": "Always"}]}), true)]
    fn which_specs_involve_sidecars(#[case] spec: Value, #[case] involved: bool) {
        let inspection = inspect(&spec, PodSpecPath::Pod, &policy(false)).expect("well-formed");
        assert_eq!(inspection.involves_sidecars(), involved);
    }

    #[test]
    fn the_same_problem_is_recognised_across_an_update() {
        let finding = |problem: Problem, index: usize, image: &str| Finding {
            problem,
            index,
            name: Some("vault-agent".into()),
            image: Some(image.into()),
        };
        let old = finding(LEGACY, 1, "hashicorp/vault:1.15");
        let moved_and_blocked = finding(
            Problem::LegacySidecar {
                blocker: Some(ConversionBlocker::RestartPolicyRules),
            },
            3,
            "hashicorp/vault:1.17",
        );
        assert_eq!(old.key(), moved_and_blocked.key());
        assert_ne!(
            old.key(),
            finding(Problem::UnapprovedNativeSidecar, 1, "hashicorp/vault:1.15").key()
        );
    }
}

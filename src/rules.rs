//! The placement rules: which containers of a pod spec are misplaced or unapproved sidecars.
//!
//! They read the pod spec's lean view ([`crate::view`]): a container's `name`, `image`, `restartPolicy` and
//! `restartPolicyRules`, nothing else, so fields newer than any typed model are neither required nor lost.

use std::fmt;

use thiserror::Error;

use crate::settings::Policy;
use crate::view::{ContainerView, List, PodSpecView, Slot, Text};
use crate::workload::PodSpecPath;

/// The container field that makes an init container a native sidecar.
pub const RESTART_POLICY: &str = "restartPolicy";
/// The container restart rules of Kubernetes 1.34+, which a conversion never drops silently.
pub const RESTART_POLICY_RULES: &str = "restartPolicyRules";
/// The only `restartPolicy` that makes an init container a sidecar.
pub const ALWAYS: &str = "Always";
/// How a container without a name is called in messages.
pub(crate) const UNNAMED: &str = "(unnamed)";

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

/// One container of a pod spec: which list, where in it, and its name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerRef {
    /// The list it is in.
    pub list: ContainerList,
    /// Its position in that list.
    pub index: usize,
    /// `name`, when it has one.
    pub name: Option<String>,
}

impl ContainerRef {
    /// `'vault-agent'`, or `(unnamed)`.
    pub fn quoted_name(&self) -> String {
        quoted_name(self.name.as_deref())
    }

    /// `spec.template.spec.containers[1]`: where the container is, as users write paths.
    pub fn location(&self, spec: PodSpecPath) -> String {
        format!("{}.{}[{}]", spec.display(), self.list.field(), self.index)
    }

    /// `/spec/template/spec/containers/1`: the same as a JSON pointer into the object.
    pub fn pointer(&self, spec: PodSpecPath) -> String {
        format!("{}/{}/{}", spec.pointer(), self.list.field(), self.index)
    }
}

/// `'name'`, or `(unnamed)`.
pub(crate) fn quoted_name(name: Option<&str>) -> String {
    name.map_or_else(|| UNNAMED.to_owned(), |name| format!("'{name}'"))
}

/// What is wrong with a container.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Problem {
    /// A sidecar declared in `containers`.
    LegacySidecar {
        /// Why it cannot become a native sidecar as it is written, if it cannot.
        blocker: Option<ConversionBlocker>,
    },
    /// An init container with `restartPolicy: Always` that matches neither settings list (`restrictNativeSidecars`).
    UnapprovedNativeSidecar,
}

/// A container setting that a native sidecar cannot keep, which the policy never overwrites silently.
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

/// One misplaced or unapproved container of a pod spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What is wrong.
    pub problem: Problem,
    /// Which container.
    pub container: ContainerRef,
    /// `image`, when the container has one.
    pub image: Option<String>,
    /// Where the pod spec is in the object.
    pub spec: PodSpecPath,
}

/// Identifies the same problem in the old and the new object of an UPDATE: a container keeps its name when it is
/// edited, while its index, its image and a conversion blocker may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FindingKey<'a> {
    problem: std::mem::Discriminant<Problem>,
    name: Option<&'a str>,
}

/// Whether the policy converts legacy sidecars (`mutate`): a message talks about conversion only then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wording {
    /// Validation: what is wrong and how to write it.
    Validating,
    /// Mutation: also why the policy did not convert it itself.
    Converting,
}

impl Finding {
    /// See [`FindingKey`].
    pub fn key(&self) -> FindingKey<'_> {
        FindingKey {
            problem: std::mem::discriminant(&self.problem),
            name: self.container.name.as_deref(),
        }
    }

    /// `spec.template.spec.containers[1]`.
    pub fn location(&self) -> String {
        self.container.location(self.spec)
    }

    /// `/spec/template/spec/containers/1`.
    pub fn pointer(&self) -> String {
        self.container.pointer(self.spec)
    }

    /// A legacy sidecar, convertible or not.
    pub fn is_legacy(&self) -> bool {
        matches!(self.problem, Problem::LegacySidecar { .. })
    }

    /// A legacy sidecar that can be moved as it is.
    pub fn convertible(&self) -> bool {
        matches!(self.problem, Problem::LegacySidecar { blocker: None })
    }

    /// A sentence a person can act on: which container, which image, where, and what to write instead.
    pub fn describe(&self, wording: Wording) -> String {
        let name = self.container.quoted_name();
        let image = self
            .image
            .as_deref()
            .map_or_else(|| "no image".to_owned(), |i| format!("image '{i}'"));
        let at = self.location();
        let native = native_sidecar_fix(self.spec);
        match (&self.problem, wording) {
            (Problem::LegacySidecar { blocker: None }, _) => {
                format!("container {name} ({image}) at {at} is a sidecar placed as a co-located container: {native}")
            }
            (Problem::LegacySidecar { blocker: Some(blocker) }, Wording::Validating) => format!(
                "container {name} ({image}) at {at} is a sidecar placed as a co-located container, and cannot be a \
                 native sidecar as written because {blocker}: remove that setting and {native}"
            ),
            (Problem::LegacySidecar { blocker: Some(blocker) }, Wording::Converting) => format!(
                "container {name} ({image}) at {at} is a sidecar placed as a co-located container and was not \
                 converted because {blocker}: remove that setting and {native}"
            ),
            (Problem::UnapprovedNativeSidecar, _) => format!(
                "native sidecar not approved: container {name} ({image}) at {at} has `restartPolicy: Always` but \
                 matches neither sidecarImages nor sidecarContainerNames: add its image or name to the policy \
                 settings, or declare it in {}.containers",
                self.spec.display()
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

/// A container whose placement fields are all strings (or unset).
#[derive(Debug, Clone, Copy)]
struct Container<'v> {
    name: Option<&'v str>,
    image: Option<&'v str>,
    restart_policy: Option<&'v str>,
    has_restart_policy_rules: bool,
}

impl<'v> Container<'v> {
    fn read(view: &'v Slot<ContainerView<'_>>, at: impl Fn() -> String) -> Result<Self, SpecError> {
        let Slot::Object(view) = view else {
            return Err(SpecError::NotAnObject { path: at() });
        };
        let string = |text: &'v Text<'_>, field: &str| match text {
            Text::Unset => Ok(None),
            Text::Str(text) => Ok(Some(&**text)),
            Text::NotAString => Err(SpecError::NotAString {
                path: format!("{}.{field}", at()),
            }),
        };
        Ok(Self {
            name: string(&view.name, "name")?,
            image: string(&view.image, "image")?,
            restart_policy: string(&view.restart_policy, RESTART_POLICY)?,
            has_restart_policy_rules: view.restart_policy_rules.0,
        })
    }

    fn is_native_sidecar(&self) -> bool {
        self.restart_policy == Some(ALWAYS)
    }

    fn conversion_blocker(&self) -> Option<ConversionBlocker> {
        match self.restart_policy {
            Some(policy) if policy != ALWAYS => Some(ConversionBlocker::RestartPolicy(policy.to_owned())),
            _ if self.has_restart_policy_rules => Some(ConversionBlocker::RestartPolicyRules),
            _ => None,
        }
    }

    fn reference(&self, list: ContainerList, index: usize) -> ContainerRef {
        ContainerRef {
            list,
            index,
            name: self.name.map(str::to_owned),
        }
    }
}

/// Every container of one list, checked for the types the rules read.
fn read_list<'v>(
    spec: &'v PodSpecView<'_>,
    list: ContainerList,
    at: PodSpecPath,
) -> Result<Vec<Container<'v>>, SpecError> {
    match spec.list(list) {
        List::Unset => Ok(Vec::new()),
        List::NotAList => Err(SpecError::NotAList {
            path: format!("{}.{}", at.display(), list.field()),
        }),
        List::Items(items) => items
            .iter()
            .enumerate()
            .map(|(index, item)| Container::read(item, || format!("{}.{}[{index}]", at.display(), list.field())))
            .collect(),
    }
}

/// What the rules found in one pod spec, and what a conversion needs to know about its init containers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// Every placement problem, in list order (`containers` first).
    pub findings: Vec<Finding>,
    /// The native sidecars already declared.
    pub native_sidecars: Vec<ContainerRef>,
    /// Where the init containers leave room for a converted sidecar.
    pub init_layout: InitLayout,
}

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
        !self.native_sidecars.is_empty() || self.findings.iter().any(Finding::is_legacy)
    }
}

/// Inspects the pod spec at `at`: every placement problem, in list order (`containers` first), and the init
/// containers' layout.
pub fn inspect(spec: Slot<&PodSpecView<'_>>, at: PodSpecPath, policy: &Policy) -> Result<Inspection, SpecError> {
    let Slot::Object(spec) = spec else {
        return Err(SpecError::NotAnObject {
            path: at.display().to_owned(),
        });
    };
    let containers = read_list(spec, ContainerList::Containers, at)?;
    let init_containers = read_list(spec, ContainerList::InitContainers, at)?;
    let finding = |problem, container: &Container<'_>, list, index| Finding {
        problem,
        container: container.reference(list, index),
        image: container.image.map(str::to_owned),
        spec: at,
    };

    let sidecars: Vec<bool> = containers.iter().map(|c| policy.is_sidecar(c.name, c.image)).collect();
    // A sidecar supports an app: when every container matches (a Vault server is `hashicorp/vault` alone), there is
    // no app to support and the containers are the app.
    let has_app = sidecars.iter().any(|sidecar| !sidecar);
    let mut findings = Vec::new();
    if has_app {
        for (index, container) in containers.iter().enumerate().filter(|&(index, _)| sidecars[index]) {
            let problem = Problem::LegacySidecar {
                blocker: container.conversion_blocker(),
            };
            findings.push(finding(problem, container, ContainerList::Containers, index));
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
            native_sidecars.push(container.reference(ContainerList::InitContainers, index));
            if policy.restrict_native_sidecars() && !matches_lists {
                let problem = Problem::UnapprovedNativeSidecar;
                findings.push(finding(problem, container, ContainerList::InitContainers, index));
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::settings::Settings;
    use crate::test_messages::message;
    use rstest::rstest;
    use serde_json::{Value, json};

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

    /// Inspects a pod spec written as JSON, read through its view as the policy reads it.
    pub(crate) fn inspect_json(spec: &Value, at: PodSpecPath, policy: &Policy) -> Result<Inspection, SpecError> {
        let text = spec.to_string();
        let view: Slot<PodSpecView<'_>> = serde_json::from_str(&text).expect("JSON");
        inspect(view.as_ref(), at, policy)
    }

    fn problems(spec: Value, restrict: bool) -> Vec<(Problem, ContainerList, usize)> {
        inspect_json(&spec, PodSpecPath::Pod, &policy(restrict))
            .expect("well-formed spec")
            .findings
            .into_iter()
            .map(|f| (f.problem, f.container.list, f.container.index))
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
    fn malformed_specs(#[case] spec: Value, #[case] expected: &str) {
        let error = inspect_json(&spec, PodSpecPath::Pod, &policy(false)).expect_err("malformed");
        assert_eq!(error.to_string(), expected);
    }

    #[test]
    fn containers_without_name_or_image_are_judged_by_what_they_have() {
        let spec = json!({"containers": [{"image": "hashicorp/vault"}, {"name": "app"}]});
        let findings = inspect_json(&spec, PodSpecPath::Pod, &policy(false))
            .expect("well-formed")
            .findings;
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].describe(Wording::Validating),
            message(
                "co_located",
                &[
                    ("name", "(unnamed)"),
                    ("image", "hashicorp/vault"),
                    ("spec", "spec"),
                    ("index", "0")
                ]
            )
            .replace("'(unnamed)'", "(unnamed)")
        );
    }

    fn vault_agent(problem: Problem, list: ContainerList) -> Finding {
        Finding {
            problem,
            container: ContainerRef {
                list,
                index: 1,
                name: Some("vault-agent".into()),
            },
            image: Some("hashicorp/vault:1.15.2".into()),
            spec: PodSpecPath::Template,
        }
    }

    const FIELDS: [(&str, &str); 4] = [
        ("name", "vault-agent"),
        ("image", "hashicorp/vault:1.15.2"),
        ("spec", "spec.template.spec"),
        ("index", "1"),
    ];

    #[rstest]
    #[case::legacy_validating(LEGACY, Wording::Validating, "co_located")]
    #[case::legacy_converting(LEGACY, Wording::Converting, "co_located")]
    #[case::unapproved(Problem::UnapprovedNativeSidecar, Wording::Validating, "unapproved")]
    fn messages(#[case] problem: Problem, #[case] wording: Wording, #[case] template: &str) {
        let list = match problem {
            Problem::UnapprovedNativeSidecar => ContainerList::InitContainers,
            Problem::LegacySidecar { .. } => ContainerList::Containers,
        };
        assert_eq!(vault_agent(problem, list).describe(wording), message(template, &FIELDS));
    }

    #[rstest]
    #[case::validating_says_why_it_cannot_be_a_native_sidecar(Wording::Validating, "cannot_be_native")]
    #[case::converting_says_why_it_was_not_converted(Wording::Converting, "not_converted")]
    fn blocked_sidecars_are_worded_for_what_the_policy_does(#[case] wording: Wording, #[case] template: &str) {
        let blocked = Problem::LegacySidecar {
            blocker: Some(ConversionBlocker::RestartPolicy("Never".into())),
        };
        let because = message("because_restart_policy", &[("restartPolicy", "Never")]);
        let mut fields = FIELDS.to_vec();
        fields.push(("because", &because));
        assert_eq!(
            vault_agent(blocked, ContainerList::Containers).describe(wording),
            message(template, &fields)
        );
    }

    #[test]
    fn references_say_where_a_container_is() {
        let reference = vault_agent(LEGACY, ContainerList::Containers).container;
        assert_eq!(reference.quoted_name(), "'vault-agent'");
        assert_eq!(
            reference.location(PodSpecPath::CronJobTemplate),
            "spec.jobTemplate.spec.template.spec.containers[1]"
        );
        assert_eq!(
            reference.pointer(PodSpecPath::Template),
            "/spec/template/spec/containers/1"
        );
        assert_eq!(
            ContainerRef {
                name: None,
                ..reference
            }
            .quoted_name(),
            "(unnamed)"
        );
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
        #[case] native_sidecars: Vec<(usize, Option<String>)>,
    ) {
        let inspection = inspect_json(&spec, PodSpecPath::Pod, &policy(false)).expect("well-formed");
        assert_eq!(inspection.init_layout, layout);
        let natives: Vec<(usize, Option<String>)> = inspection
            .native_sidecars
            .into_iter()
            .map(|c| (c.index, c.name))
            .collect();
        assert_eq!(natives, native_sidecars);
    }

    #[rstest]
    #[case::nothing(json!({"containers": [c("app", "nginx")]}), false)]
    #[case::sidecar_alone_is_the_app(json!({"containers": [c("vault", "hashicorp/vault")]}), false)]
    #[case::one_shot_with_sidecar_image(json!({"containers": [c("app", "nginx")], "initContainers": [c("init", "hashicorp/vault")]}), false)]
    #[case::legacy_sidecar(json!({"containers": [c("app", "nginx"), c("v", "hashicorp/vault")]}), true)]
    #[case::blocked_legacy_sidecar(json!({"containers": [c("app", "nginx"), {"name": "v", "image": "hashicorp/vault", "restartPolicy": "Never"}]}), true)]
    #[case::native_sidecar(json!({"containers": [c("app", "nginx")], "initContainers": [{"name": "x", "image": "x", "restartPolicy": "Always"}]}), true)]
    fn which_specs_involve_sidecars(#[case] spec: Value, #[case] involved: bool) {
        let inspection = inspect_json(&spec, PodSpecPath::Pod, &policy(false)).expect("well-formed");
        assert_eq!(inspection.involves_sidecars(), involved);
    }

    #[test]
    fn the_same_problem_is_recognised_across_an_update() {
        let finding = |problem: Problem, index: usize, image: &str| Finding {
            container: ContainerRef {
                list: ContainerList::Containers,
                index,
                name: Some("vault-agent".into()),
            },
            image: Some(image.into()),
            ..vault_agent(problem, ContainerList::Containers)
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

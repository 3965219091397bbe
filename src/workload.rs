//! Where each kind keeps its pod spec.
//!
//! The kinds come from the Kubernetes types (`Resource::GROUP` / `KIND`), so a CRD that happens to be called `Job`
//! in another API group is not mistaken for a batch Job. Kinds this policy does not know are still checked when they
//! carry a pod template at `spec.template.spec`, as Argo Rollouts and OpenKruise workloads do.

use k8s_openapi::Resource;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Pod, ReplicationController};

use crate::view::ObjectView;

/// The three places a pod spec lives in the objects this policy checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodSpecPath {
    /// A Pod: `spec`.
    Pod,
    /// A workload with a pod template: `spec.template.spec`.
    Template,
    /// A CronJob: `spec.jobTemplate.spec.template.spec`.
    CronJobTemplate,
}

impl PodSpecPath {
    /// JSON pointer to the pod spec.
    pub fn pointer(self) -> &'static str {
        match self {
            PodSpecPath::Pod => "/spec",
            PodSpecPath::Template => "/spec/template/spec",
            PodSpecPath::CronJobTemplate => "/spec/jobTemplate/spec/template/spec",
        }
    }

    /// The keys from the object to the pod spec.
    pub fn keys(self) -> &'static [&'static [u8]] {
        match self {
            PodSpecPath::Pod => &[b"spec"],
            PodSpecPath::Template => &[b"spec", b"template", b"spec"],
            PodSpecPath::CronJobTemplate => &[b"spec", b"jobTemplate", b"spec", b"template", b"spec"],
        }
    }

    /// The path as users write it in messages and in `kubectl explain`.
    pub fn display(self) -> &'static str {
        match self {
            PodSpecPath::Pod => "spec",
            PodSpecPath::Template => "spec.template.spec",
            PodSpecPath::CronJobTemplate => "spec.jobTemplate.spec.template.spec",
        }
    }
}

/// A checked kind: where its pod spec is, and whether its containers can change on UPDATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Workload {
    /// Where the pod spec is.
    pub path: PodSpecPath,
    /// Pods ("pod updates may not add or remove containers") and Jobs (immutable template) cannot change their
    /// containers after creation, so an UPDATE carries no placement decision.
    pub containers_immutable: bool,
}

/// What the policy makes of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A kind with a pod spec the policy checks.
    Checked(Workload),
    /// Neither a known pod-carrying kind nor an object with `spec.template.spec`.
    Unsupported,
}

fn is<R: Resource>(group: &str, kind: &str) -> bool {
    group == R::GROUP && kind == R::KIND
}

/// Classifies `group`/`kind`; `object` is only looked at for kinds this policy does not know by name.
pub fn classify(group: &str, kind: &str, object: &ObjectView<'_>) -> Kind {
    let workload = |path, containers_immutable| {
        Kind::Checked(Workload {
            path,
            containers_immutable,
        })
    };
    if is::<Pod>(group, kind) {
        workload(PodSpecPath::Pod, true)
    } else if is::<Job>(group, kind) {
        workload(PodSpecPath::Template, true)
    } else if is::<CronJob>(group, kind) {
        workload(PodSpecPath::CronJobTemplate, false)
    } else if is::<Deployment>(group, kind)
        || is::<ReplicaSet>(group, kind)
        || is::<StatefulSet>(group, kind)
        || is::<DaemonSet>(group, kind)
        || is::<ReplicationController>(group, kind)
        || object.has_pod_template()
    {
        workload(PodSpecPath::Template, false)
    } else {
        Kind::Unsupported
    }
}

/// Splits `apiVersion` into group and version (`apps/v1` → `apps`, `v1`; core `v1` → ``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::pod("", "Pod", PodSpecPath::Pod, true)]
    #[case::deployment("apps", "Deployment", PodSpecPath::Template, false)]
    #[case::replicaset("apps", "ReplicaSet", PodSpecPath::Template, false)]
    #[case::statefulset("apps", "StatefulSet", PodSpecPath::Template, false)]
    #[case::daemonset("apps", "DaemonSet", PodSpecPath::Template, false)]
    #[case::replication_controller("", "ReplicationController", PodSpecPath::Template, false)]
    #[case::job("batch", "Job", PodSpecPath::Template, true)]
    #[case::cronjob("batch", "CronJob", PodSpecPath::CronJobTemplate, false)]
    fn known_kinds(
        #[case] group: &str,
        #[case] kind: &str,
        #[case] path: PodSpecPath,
        #[case] containers_immutable: bool,
    ) {
        assert_eq!(
            classify(group, kind, &ObjectView::default()),
            Kind::Checked(Workload {
                path,
                containers_immutable
            })
        );
    }

    #[rstest]
    #[case::argo_rollout("argoproj.io", "Rollout", r#"{"spec": {"template": {"spec": {"containers": []}}}}"#, Kind::Checked(Workload { path: PodSpecPath::Template, containers_immutable: false }))]
    #[case::job_crd_in_other_group("example.com", "Job", r#"{"spec": {}}"#, Kind::Unsupported)]
    #[case::config_map("", "ConfigMap", r#"{"data": {}}"#, Kind::Unsupported)]
    #[case::template_not_an_object(
        "example.com",
        "Thing",
        r#"{"spec": {"template": {"spec": "x"}}}"#,
        Kind::Unsupported
    )]
    fn other_kinds(#[case] group: &str, #[case] kind: &str, #[case] object: &str, #[case] expected: Kind) {
        let object = ObjectView::read(object).expect("JSON").expect("an object");
        assert_eq!(classify(group, kind, &object), expected);
    }

    #[rstest]
    #[case::core("v1", ("", "v1"))]
    #[case::grouped("apps/v1", ("apps", "v1"))]
    #[case::empty("", ("", ""))]
    fn api_versions(#[case] api_version: &str, #[case] expected: (&str, &str)) {
        assert_eq!(split_api_version(api_version), expected);
    }
}

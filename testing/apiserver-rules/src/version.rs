//! The Kubernetes minor versions the rules follow, and the feature gates each one turns on by default.

use std::fmt;

/// A Kubernetes minor version whose API server rules this crate encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KubeVersion {
    /// Kubernetes 1.29: native sidecars beta and on.
    V1_29,
    /// Kubernetes 1.30.
    V1_30,
    /// Kubernetes 1.31.
    V1_31,
    /// Kubernetes 1.32: `spec.resources` appears (PodLevelResources alpha, off); resizePolicy on sidecars behind
    /// `AllowSidecarResizePolicy`.
    V1_32,
    /// Kubernetes 1.33: InPlacePodVerticalScaling beta and on; `lifecycle.stopSignal` appears (alpha, off).
    V1_33,
    /// Kubernetes 1.34: PodLevelResources beta and on; `restartPolicyRules` appears (ContainerRestartRules alpha, off).
    V1_34,
    /// Kubernetes 1.35: ContainerRestartRules beta and on; InPlacePodVerticalScaling GA.
    V1_35,
}

impl KubeVersion {
    /// Every version, oldest first.
    pub const ALL: [KubeVersion; 7] = [
        KubeVersion::V1_29,
        KubeVersion::V1_30,
        KubeVersion::V1_31,
        KubeVersion::V1_32,
        KubeVersion::V1_33,
        KubeVersion::V1_34,
        KubeVersion::V1_35,
    ];

    /// The minor version number (29 for 1.29).
    pub fn minor(self) -> u32 {
        match self {
            KubeVersion::V1_29 => 29,
            KubeVersion::V1_30 => 30,
            KubeVersion::V1_31 => 31,
            KubeVersion::V1_32 => 32,
            KubeVersion::V1_33 => 33,
            KubeVersion::V1_34 => 34,
            KubeVersion::V1_35 => 35,
        }
    }

    /// The feature gates this version turns on by default (`defaultVersionedKubernetesFeatureGates`,
    /// `pkg/features/kube_features.go` at v1.35.0, which carries every gate's history).
    pub fn default_gates(self) -> FeatureGates {
        let minor = self.minor();
        FeatureGates {
            // alpha 1.28, beta (on) 1.29, GA 1.33
            sidecar_containers: true,
            // alpha 1.27 (off), beta (on) 1.33, GA 1.35
            in_place_pod_vertical_scaling: minor >= 33,
            // alpha 1.32 (off), beta (on) 1.34
            pod_level_resources: minor >= 34,
            // alpha 1.34 (off), beta (on) 1.35
            container_restart_rules: minor >= 35,
            // alpha 1.35 (off)
            restart_all_containers_on_container_exits: false,
            // alpha 1.33 (off), still alpha in 1.35
            container_stop_signals: false,
        }
    }

    /// Whether this version's API has `spec.resources` (pod-level resources), from 1.32.
    pub fn knows_pod_level_resources(self) -> bool {
        self.minor() >= 32
    }

    /// Whether this version's API has `restartPolicyRules`, from 1.34.
    pub fn knows_restart_policy_rules(self) -> bool {
        self.minor() >= 34
    }

    /// Whether this version's API has `lifecycle.stopSignal`, from 1.33.
    pub fn knows_stop_signal(self) -> bool {
        self.minor() >= 33
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "1.{}", self.minor())
    }
}

/// The feature gates a conversion can run into. A gate of a field the version does not know has no effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FeatureGates {
    /// `SidecarContainers`: off drops `restartPolicy` of init containers (unless the old object uses it).
    pub sidecar_containers: bool,
    /// `InPlacePodVerticalScaling`: off drops `resizePolicy`; on allows it on init containers from 1.32.
    pub in_place_pod_vertical_scaling: bool,
    /// `PodLevelResources`: off drops `spec.resources`; on validates it against the containers.
    pub pod_level_resources: bool,
    /// `ContainerRestartRules`: off drops `restartPolicyRules` and the `restartPolicy` of regular containers.
    pub container_restart_rules: bool,
    /// `RestartAllContainersOnContainerExits`: the `RestartAllContainers` action, and rules on sidecars.
    pub restart_all_containers_on_container_exits: bool,
    /// `ContainerStopSignals`: off drops `lifecycle.stopSignal`.
    pub container_stop_signals: bool,
}

/// One feature gate, to turn on or off with [`crate::ApiServer::with_gate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gate {
    /// `SidecarContainers`.
    SidecarContainers,
    /// `InPlacePodVerticalScaling`.
    InPlacePodVerticalScaling,
    /// `PodLevelResources`.
    PodLevelResources,
    /// `ContainerRestartRules`.
    ContainerRestartRules,
    /// `RestartAllContainersOnContainerExits`.
    RestartAllContainersOnContainerExits,
    /// `ContainerStopSignals`.
    ContainerStopSignals,
}

impl FeatureGates {
    /// Turns `gate` on or off.
    pub fn set(&mut self, gate: Gate, enabled: bool) {
        let flag = match gate {
            Gate::SidecarContainers => &mut self.sidecar_containers,
            Gate::InPlacePodVerticalScaling => &mut self.in_place_pod_vertical_scaling,
            Gate::PodLevelResources => &mut self.pod_level_resources,
            Gate::ContainerRestartRules => &mut self.container_restart_rules,
            Gate::RestartAllContainersOnContainerExits => &mut self.restart_all_containers_on_container_exits,
            Gate::ContainerStopSignals => &mut self.container_stop_signals,
        };
        *flag = enabled;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::v1_29_only_sidecars(KubeVersion::V1_29, [true, false, false, false])]
    #[case::v1_32_pod_level_resources_still_alpha(KubeVersion::V1_32, [true, false, false, false])]
    #[case::v1_33_in_place_resize_beta_on(KubeVersion::V1_33, [true, true, false, false])]
    #[case::v1_34_pod_level_resources_beta_on(KubeVersion::V1_34, [true, true, true, false])]
    #[case::v1_35_container_restart_rules_beta_on(KubeVersion::V1_35, [true, true, true, true])]
    fn default_gates_follow_the_versioned_feature_table(#[case] version: KubeVersion, #[case] on: [bool; 4]) {
        let gates = version.default_gates();
        assert_eq!(
            [
                gates.sidecar_containers,
                gates.in_place_pod_vertical_scaling,
                gates.pod_level_resources,
                gates.container_restart_rules
            ],
            on
        );
        assert!(!gates.container_stop_signals && !gates.restart_all_containers_on_container_exits);
    }

    #[test]
    fn versions_are_ordered_and_named() {
        assert_eq!(
            KubeVersion::ALL.map(|v| v.to_string()).join(" "),
            "1.29 1.30 1.31 1.32 1.33 1.34 1.35"
        );
        assert!(KubeVersion::ALL.windows(2).all(|w| w[0] < w[1]));
    }
}

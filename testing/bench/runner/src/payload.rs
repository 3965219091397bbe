//! The requests the benchmark sends: a Deployment of N realistic containers behind an Istio-style mesh, as a
//! Kubernetes API server would wrap it in an AdmissionRequest, and the settings the policy runs with.

use serde_json::{Value, json};

/// Container counts of the Deployments, smallest first.
pub const SIZES: [usize; 4] = [3, 30, 300, 3000];

/// `sidecarImages` of every case: an exact repository, a registry glob, a tag glob and a repository glob.
pub const IMAGE_PATTERNS: [&str; 4] = [
    "hashicorp/vault",
    "*/istio-release/proxyv2",
    "docker.io/istio/proxyv2:1.*",
    "ghcr.io/acme/*",
];

/// The legacy sidecar of the reject and mutate cases.
pub const VAULT_AGENT: &str = "vault-agent";
const VAULT_IMAGE: &str = "hashicorp/vault:1.17.2";
const PROXY_IMAGE: &str = "docker.io/istio/proxyv2:1.22.3";

/// What a case checks, and the answer it must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Every container compliant: accepted, nothing to change.
    Validate,
    /// A `vault-agent` among the app containers, `mutate: false`: rejected.
    Reject,
    /// The same Deployment, `mutate: true`: converted into a native sidecar.
    Mutate,
}

impl Variant {
    pub const ALL: [Variant; 3] = [Variant::Validate, Variant::Reject, Variant::Mutate];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Validate => "validate",
            Variant::Reject => "reject",
            Variant::Mutate => "mutate",
        }
    }

    pub fn has_vault_agent(self) -> bool {
        self != Variant::Validate
    }

    pub fn mutate(self) -> bool {
        self == Variant::Mutate
    }
}

/// The policy settings of a case. The payloads are Deployments: a conversion rewrites their pod template, which
/// takes `mutateTemplates` next to `mutate`.
pub fn settings(mutate: bool) -> Value {
    json!({
        "sidecarImages": IMAGE_PATTERNS,
        "mutate": mutate,
        "mutateTemplates": mutate,
    })
}

/// The exact `validate` payload of a case: `{"request": AdmissionRequest, "settings": {...}}`.
pub fn validate_payload(containers: usize, variant: Variant) -> Vec<u8> {
    let request = admission_request(deployment(containers, variant.has_vault_agent()));
    policy_host::validation_payload_bytes(&request, &settings(variant.mutate()))
        .expect("a generated request serializes")
}

/// A CREATE of `object` as the API server sends it, with the fields the policy does not need (userInfo, options).
pub fn admission_request(object: Value) -> Value {
    let gvk = json!({"group": "apps", "version": "v1", "kind": "Deployment"});
    let gvr = json!({"group": "apps", "version": "v1", "resource": "deployments"});
    json!({
        "uid": "0b1c7e4e-8c52-4d0e-9a63-4c1b3f2a6d10",
        "kind": gvk,
        "resource": gvr,
        "requestKind": gvk,
        "requestResource": gvr,
        "name": object["metadata"]["name"],
        "namespace": object["metadata"]["namespace"],
        "operation": "CREATE",
        "userInfo": {
            "username": "system:serviceaccount:argocd:argocd-application-controller",
            "uid": "7d3b0a0e-1f1e-4b8e-b1a5-2f7f4e3c9a21",
            "groups": ["system:serviceaccounts", "system:serviceaccounts:argocd", "system:authenticated"],
        },
        "object": object,
        "oldObject": null,
        "dryRun": false,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions", "fieldManager": "argocd-controller"},
    })
}

/// A Deployment with `containers` entries in `containers` (one of them `vault-agent`, in the middle, when
/// `with_vault_agent`), and `istio-init` (one-shot) and `istio-proxy` (native sidecar) in `initContainers`.
pub fn deployment(containers: usize, with_vault_agent: bool) -> Value {
    let vault_at = with_vault_agent.then_some(containers / 2);
    let containers: Vec<Value> = (0..containers)
        .map(|index| {
            if Some(index) == vault_at {
                vault_agent()
            } else {
                app_container(index)
            }
        })
        .collect();
    with_containers(containers)
}

/// A Deployment where every `every`-th container is a Vault agent (`vault-agent-<index>`): many findings, for the
/// cost of messages and conversions that grow with the number of sidecars.
pub fn deployment_with_many_agents(containers: usize, every: usize) -> Value {
    let containers: Vec<Value> = (0..containers)
        .map(|index| {
            if index % every == every / 2 {
                let mut agent = vault_agent();
                agent["name"] = Value::String(format!("{VAULT_AGENT}-{index}"));
                agent
            } else {
                app_container(index)
            }
        })
        .collect();
    with_containers(containers)
}

fn with_containers(containers: Vec<Value>) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "shop",
            "namespace": "shop",
            "labels": {"app.kubernetes.io/name": "shop", "app.kubernetes.io/part-of": "webshop", "team": "checkout"},
            "annotations": {"deployment.kubernetes.io/revision": "1", "argocd.argoproj.io/tracking-id": "shop:apps/Deployment:shop/shop"},
        },
        "spec": {
            "replicas": 3,
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "shop"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {
                    "labels": {"app.kubernetes.io/name": "shop", "security.istio.io/tlsMode": "istio", "service.istio.io/canonical-name": "shop"},
                    "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "15020", "sidecar.istio.io/status": "{\"initContainers\":[\"istio-init\",\"istio-proxy\"],\"volumes\":[\"istio-envoy\",\"istio-data\",\"istio-podinfo\",\"istio-token\",\"istiod-ca-cert\"]}"},
                },
                "spec": {
                    "serviceAccountName": "shop",
                    "terminationGracePeriodSeconds": 30,
                    "dnsPolicy": "ClusterFirst",
                    "restartPolicy": "Always",
                    "schedulerName": "default-scheduler",
                    "securityContext": {"runAsNonRoot": true, "fsGroup": 1337, "seccompProfile": {"type": "RuntimeDefault"}},
                    "initContainers": [istio_init(), istio_proxy()],
                    "containers": containers,
                    "volumes": [
                        {"name": "config", "configMap": {"name": "shop-config", "defaultMode": 420}},
                        {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
                        {"name": "vault-config", "configMap": {"name": "vault-agent-config"}},
                        {"name": "vault-secrets", "emptyDir": {"medium": "Memory"}},
                        {"name": "istio-envoy", "emptyDir": {"medium": "Memory"}},
                        {"name": "istio-data", "emptyDir": {}},
                        {"name": "istio-podinfo", "downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
                        {"name": "istio-token", "projected": {"sources": [{"serviceAccountToken": {"audience": "istio-ca", "expirationSeconds": 43200, "path": "istio-token"}}]}},
                        {"name": "istiod-ca-cert", "configMap": {"name": "istio-ca-root-cert"}},
                    ],
                },
            },
        },
    })
}

/// An app container: ports, env (plain, downward API, resource field, secret), resources with quantities, three
/// probes, mounts and a security context. Images rotate over the forms the policy normalizes: a private registry
/// with a tag, a Docker Hub short name, and a digest reference; none matches a sidecar pattern.
pub fn app_container(index: usize) -> Value {
    let name = format!("svc-{index:04}");
    let image = match index % 3 {
        0 => format!("registry.example.com/shop/{name}:1.{}.{}", index % 7, index % 10),
        1 => format!("nginx:1.27.{}", index % 5),
        _ => format!("quay.io/acme-corp/worker@sha256:{:064x}", index * 2_654_435_761),
    };
    json!({
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": ["--port=8080", "--metrics-port=9090", "--log-level=info"],
        "ports": [
            {"name": "http", "containerPort": 8080, "protocol": "TCP"},
            {"name": "metrics", "containerPort": 9090, "protocol": "TCP"},
        ],
        "env": [
            {"name": "SERVICE_NAME", "value": name},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
            {"name": "GOMAXPROCS", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1"}}},
            {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "shop-db", "key": "password"}}},
        ],
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "512Mi", "ephemeral-storage": "1Gi"},
        },
        "startupProbe": {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"}, "periodSeconds": 5, "failureThreshold": 30},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"}, "initialDelaySeconds": 10, "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
        "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 5, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
        "volumeMounts": [
            {"name": "config", "mountPath": "/etc/shop", "readOnly": true},
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "vault-secrets", "mountPath": "/vault/secrets", "readOnly": true},
        ],
        "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsNonRoot": true, "capabilities": {"drop": ["ALL"]}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    })
}

/// The legacy sidecar: a Vault agent declared among the app containers.
pub fn vault_agent() -> Value {
    json!({
        "name": VAULT_AGENT,
        "image": VAULT_IMAGE,
        "args": ["agent", "-config=/vault/config/agent.hcl"],
        "env": [
            {"name": "VAULT_ADDR", "value": "https://vault.vault.svc:8200"},
            {"name": "VAULT_LOG_LEVEL", "value": "info"},
        ],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "250m", "memory": "128Mi"}},
        "volumeMounts": [
            {"name": "vault-config", "mountPath": "/vault/config", "readOnly": true},
            {"name": "vault-secrets", "mountPath": "/vault/secrets"},
        ],
        "securityContext": {"allowPrivilegeEscalation": false, "runAsUser": 100, "capabilities": {"drop": ["ALL"]}},
    })
}

/// Istio's one-shot init container (iptables redirection).
fn istio_init() -> Value {
    json!({
        "name": "istio-init",
        "image": PROXY_IMAGE,
        "args": ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*", "-x", "", "-b", "*", "-d", "15090,15021,15020", "--log_output_level=default:info"],
        "resources": {"requests": {"cpu": "10m", "memory": "40Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
        "securityContext": {"allowPrivilegeEscalation": false, "privileged": false, "readOnlyRootFilesystem": false, "runAsGroup": 0, "runAsNonRoot": false, "runAsUser": 0, "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]}},
    })
}

/// Istio's proxy as a native sidecar (`restartPolicy: Always` in `initContainers`), as Istio injects it on 1.29+.
fn istio_proxy() -> Value {
    json!({
        "name": "istio-proxy",
        "image": PROXY_IMAGE,
        "restartPolicy": "Always",
        "args": ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local", "--proxyLogLevel=warning", "--proxyComponentLogLevel=misc:error", "--log_output_level=default:info"],
        "ports": [
            {"name": "http-envoy-prom", "containerPort": 15090, "protocol": "TCP"},
        ],
        "env": [
            {"name": "PILOT_CERT_PROVIDER", "value": "istiod"},
            {"name": "CA_ADDR", "value": "istiod.istio-system.svc:15012"},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
            {"name": "INSTANCE_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}},
            {"name": "SERVICE_ACCOUNT", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.serviceAccountName"}}},
            {"name": "PROXY_CONFIG", "value": "{}"},
            {"name": "ISTIO_META_CLUSTER_ID", "value": "Kubernetes"},
            {"name": "ISTIO_META_WORKLOAD_NAME", "value": "shop"},
        ],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
        "startupProbe": {"httpGet": {"path": "/healthz/ready", "port": 15021, "scheme": "HTTP"}, "periodSeconds": 1, "failureThreshold": 600, "timeoutSeconds": 3},
        "readinessProbe": {"httpGet": {"path": "/healthz/ready", "port": 15021, "scheme": "HTTP"}, "periodSeconds": 15, "failureThreshold": 4, "timeoutSeconds": 3},
        "volumeMounts": [
            {"name": "istio-envoy", "mountPath": "/etc/istio/proxy"},
            {"name": "istio-data", "mountPath": "/var/lib/istio/data"},
            {"name": "istio-podinfo", "mountPath": "/etc/istio/pod"},
            {"name": "istio-token", "mountPath": "/var/run/secrets/tokens"},
            {"name": "istiod-ca-cert", "mountPath": "/var/run/secrets/istio"},
        ],
        "securityContext": {"allowPrivilegeEscalation": false, "privileged": false, "readOnlyRootFilesystem": true, "runAsGroup": 1337, "runAsNonRoot": true, "runAsUser": 1337, "capabilities": {"drop": ["ALL"]}},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_agent_sits_in_the_middle_once() {
        let object = deployment(30, true);
        let containers = object["spec"]["template"]["spec"]["containers"].as_array().unwrap();
        assert_eq!(containers.len(), 30);
        let agents: Vec<usize> = (0..30).filter(|&i| containers[i]["name"] == VAULT_AGENT).collect();
        assert_eq!(agents, [15]);
        assert!(
            deployment(30, false)["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["name"] != VAULT_AGENT)
        );
    }

    #[test]
    fn many_agents_are_spread_and_named_apart() {
        let object = deployment_with_many_agents(30, 10);
        let names: Vec<&str> = object["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["name"].as_str())
            .filter(|name| name.starts_with(VAULT_AGENT))
            .collect();
        assert_eq!(names, ["vault-agent-5", "vault-agent-15", "vault-agent-25"]);
    }

    #[test]
    fn payload_is_what_the_host_sends() {
        let payload: Value = serde_json::from_slice(&validate_payload(3, Variant::Mutate)).unwrap();
        assert_eq!(payload["settings"]["mutate"], true);
        assert_eq!(payload["settings"]["mutateTemplates"], true);
        assert_eq!(payload["request"]["operation"], "CREATE");
        assert_eq!(payload["request"]["kind"]["kind"], "Deployment");
    }

    #[test]
    fn digests_are_64_hex_digits() {
        let image = app_container(3000 - 1)["image"].as_str().unwrap().to_owned();
        let digest = image.split_once("@sha256:").unwrap().1;
        assert_eq!(digest.len(), 64);
    }
}

//! `checkNodes` through the release `.wasm`, the full matrix: the cluster's Nodes come from the kwctl session files
//! of `tests/data/sessions/` (`tests/e2e/nodes.bats` replays some of them through real kwctl as a smoke test), and
//! every host call the policy makes is recorded, so that a test can say how often the cluster was asked, and with
//! what.

mod common;

use common::{
    assert_accepted, assert_rejected, co_located, expect_mutation, expected_message, fixture, settings,
    validate_in_cluster, with,
};
use rstest::rstest;
use serde_json::{Value, json};

fn check_nodes(settings: Value) -> Value {
    with(settings, "checkNodes", json!(true))
}

fn converting() -> Value {
    check_nodes(with(settings(), "mutate", json!(true)))
}

/// The one call the policy may make: every Node, trimmed to the two fields it reads.
fn node_lookup() -> Value {
    json!({"api_version": "v1", "kind": "Node", "label_selector": null, "field_selector": null,
           "field_masks": ["metadata.name", "status.nodeInfo.kubeletVersion"]})
}

/// The one call for a Pod pinned to `node` by `spec.nodeName`: that Node alone.
fn node_get(node: &str) -> Value {
    json!({"api_version": "v1", "kind": "Node", "name": node, "namespace": null, "disable_cache": false,
           "field_masks": ["metadata.name", "status.nodeInfo.kubeletVersion"]})
}

#[track_caller]
fn assert_one_node_get(calls: &[policy_host::HostCall], node: &str) {
    assert_eq!(calls.len(), 1, "exactly one lookup per request: {calls:?}");
    assert_eq!(
        (calls[0].namespace.as_str(), calls[0].operation.as_str()),
        ("kubernetes", "get_resource")
    );
    assert_eq!(calls[0].request, node_get(node));
}

#[track_caller]
fn assert_one_node_lookup(calls: &[policy_host::HostCall]) {
    assert_eq!(calls.len(), 1, "exactly one lookup per request: {calls:?}");
    assert_eq!(
        (calls[0].namespace.as_str(), calls[0].operation.as_str()),
        ("kubernetes", "list_resources_all")
    );
    assert_eq!(calls[0].request, node_lookup());
}

fn reason(name: &str, values: &[(&str, &str)]) -> String {
    expected_message(name, values)
}

/// The warning for the vault-agent of `pod-legacy-vault-agent.json` left in place because of `reason`.
fn vault_agent_left(reason: &str) -> String {
    expected_message(
        "left_for_old_nodes",
        &[
            ("containers", "container 'vault-agent' (spec.containers[1])"),
            ("spec", "spec"),
            ("minimum", "1.29"),
            ("reason", reason),
            ("pronoun", "it"),
        ],
    )
}

#[test]
fn a_ready_cluster_converts_as_without_check_nodes() {
    let request = fixture("pod-legacy-vault-agent");
    let (response, calls) = validate_in_cluster(&request, &converting(), Some("nodes-ready.yml"));
    assert_one_node_lookup(&calls);
    let mutation = expect_mutation(&request, &response);
    let (unchecked, no_calls) = validate_in_cluster(&request, &with(converting(), "checkNodes", json!(false)), None);
    assert!(no_calls.is_empty());
    assert_eq!(Some(mutation.object), unchecked.mutated_object);
    assert_eq!(response.warnings, unchecked.warnings);
}

#[test]
fn a_ready_cluster_rejects_as_without_check_nodes() {
    let request = fixture("pod-legacy-vault-agent");
    let (response, calls) = validate_in_cluster(&request, &check_nodes(settings()), Some("nodes-ready.yml"));
    assert_one_node_lookup(&calls);
    assert_rejected(
        &response,
        &co_located("vault-agent", "hashicorp/vault:1.15.2", "spec", 1),
        &[],
    );
}

#[rstest]
#[case::old_node_converting("nodes-mixed.yml", true, reason("reason_old_node", &[("node", "'node-b' (kubelet v1.28.9)"), ("minimum", "1.29")]))]
#[case::old_node_validating("nodes-mixed.yml", false, reason("reason_old_node", &[("node", "'node-b' (kubelet v1.28.9)"), ("minimum", "1.29")]))]
#[case::unreadable_version("nodes-unreadable.yml", true, reason("reason_old_node", &[("node", "'node-odd' (kubelet version 'custom-build' unreadable)"), ("minimum", "1.29")]))]
#[case::three_named_then_counted("nodes-many-old.yml", true, reason("reason_old_nodes", &[("nodes", "'node-1' (kubelet v1.27.16), 'node-2' (kubelet v1.28.9), 'node-3' (kubelet v1.28.9) and 2 more"), ("minimum", "1.29")]))]
#[case::no_node_listed("nodes-empty.yml", true, reason("reason_no_nodes", &[]))]
#[case::lookup_refused_by_rbac("nodes-forbidden.yml", true, reason("reason_lookup_failed", &[("error", "nodes is forbidden: User \"system:serviceaccount:kubewarden:policy-server-default\" cannot list resource \"nodes\" in API group \"\" at the cluster scope")]))]
fn where_native_sidecars_cannot_run_the_sidecar_is_left_with_a_warning(
    #[case] session: &str,
    #[case] mutate: bool,
    #[case] reason: String,
) {
    let request = fixture("pod-legacy-vault-agent");
    let settings = check_nodes(with(settings(), "mutate", json!(mutate)));
    let (response, calls) = validate_in_cluster(&request, &settings, Some(session));
    assert_one_node_lookup(&calls);
    assert_accepted(&response, &[&vault_agent_left(&reason)]);
}

#[test]
fn without_access_to_nodes_the_warning_says_what_to_grant() {
    let request = fixture("pod-legacy-vault-agent");
    let (response, calls) = validate_in_cluster(&request, &converting(), None);
    assert_one_node_lookup(&calls);
    let not_granted = expected_message("not_granted", &[]);
    assert_accepted(
        &response,
        &[&vault_agent_left(&reason(
            "reason_lookup_failed",
            &[("error", &not_granted)],
        ))],
    );
}

#[rstest]
#[case::on_a_ready_node("node-c", "node-c-ready.yml", None)]
#[case::on_an_old_node("node-b", "node-b-old.yml", Some(reason("reason_pinned_node", &[("node", "'node-b' (kubelet v1.28.9)"), ("minimum", "1.29")])))]
#[case::on_a_node_the_cluster_does_not_have("ghost", "node-ghost-missing.yml", Some(reason("reason_pinned_unknown", &[("node", "ghost")])))]
fn a_pinned_pod_asks_for_its_own_node_alone(#[case] node: &str, #[case] session: &str, #[case] old: Option<String>) {
    let mut request = fixture("pod-legacy-vault-agent-pinned");
    request["object"]["spec"]["nodeName"] = json!(node);
    let (response, calls) = validate_in_cluster(&request, &converting(), Some(session));
    assert_one_node_get(&calls, node);
    match old {
        None => {
            expect_mutation(&request, &response);
        }
        Some(reason) => assert_accepted(&response, &[&vault_agent_left(&reason)]),
    }
}

#[rstest]
#[case::co_located_apps("pod-co-located-pdf")]
#[case::sidecar_image_alone_is_the_app("statefulset-vault-server")]
#[case::kind_without_pod_template("configmap-unsupported")]
#[case::pre_existing_sidecar_on_update("deployment-update-pre-existing-violation")]
#[case::pod_update("pod-update-legacy-sidecar")]
#[case::delete("pod-delete")]
#[case::native_sidecar_merely_accepted("pod-native-sidecar-vault-sync")]
fn objects_the_nodes_cannot_change_cost_no_host_call(#[case] name: &str) {
    let (_, calls) = validate_in_cluster(&fixture(name), &converting(), Some("nodes-mixed.yml"));
    assert_eq!(calls, [], "{name} must not ask the cluster");
}

#[rstest]
#[case::old_node("node-b", "node-b-old.yml", Some(reason("reason_pinned_node", &[("node", "'node-b' (kubelet v1.28.9)"), ("minimum", "1.29")])))]
#[case::ready_node("node-c", "node-c-ready.yml", None)]
fn a_pinned_native_sidecar_is_warned_about_for_one_get(
    #[case] node: &str,
    #[case] session: &str,
    #[case] reason: Option<String>,
) {
    let mut request = fixture("pod-native-sidecar-vault-sync");
    request["object"]["spec"]["nodeName"] = json!(node);
    let (response, calls) = validate_in_cluster(&request, &check_nodes(settings()), Some(session));
    assert_one_node_get(&calls, node);
    let warning = reason.map(|reason| {
        expected_message(
            "native_on_old_nodes",
            &[
                ("sidecars", "native sidecar 'vault-sync' (spec.initContainers[0])"),
                ("minimum", "1.29"),
                ("reason", &reason),
            ],
        )
    });
    let warnings: Vec<&str> = warning.iter().map(String::as_str).collect();
    assert_accepted(&response, &warnings);
}

#[test]
fn a_template_left_to_its_pods_costs_no_host_call() {
    let settings = with(converting(), "mutateTemplates", json!(false));
    let (response, calls) = validate_in_cluster(
        &fixture("deployment-legacy-vault-agent"),
        &settings,
        Some("nodes-mixed.yml"),
    );
    assert_eq!(calls, []);
    assert!(response.accepted && response.mutated_object.is_none(), "{response:?}");
}

#[test]
fn a_higher_minimum_kubelet_version_is_honoured() {
    let request = fixture("pod-legacy-vault-agent");
    let settings = with(converting(), "minimumKubeletVersion", json!("1.31"));
    let (response, _) = validate_in_cluster(&request, &settings, Some("nodes-ready.yml"));
    // nodes-ready.yml has a 1.30 EKS node: ready for 1.29, not for 1.31.
    let warning = expected_message(
        "left_for_old_nodes",
        &[
            ("containers", "container 'vault-agent' (spec.containers[1])"),
            ("spec", "spec"),
            ("minimum", "1.31"),
            (
                "reason",
                &reason(
                    "reason_old_node",
                    &[
                        (
                            "node",
                            "'ip-10-0-1-17.eu-west-1.compute.internal' (kubelet v1.30.4-eks-a737599)",
                        ),
                        ("minimum", "1.31"),
                    ],
                ),
            ),
            ("pronoun", "it"),
        ],
    );
    assert_accepted(&response, &[&warning]);
}

// ---- mutateTemplates ------------------------------------------------------------------------------------------

#[rstest]
#[case::deployment("deployment-legacy-vault-agent", "spec.template.spec", &[("vault-agent", 1)])]
#[case::cronjob("cronjob-legacy-fluent-bit", "spec.jobTemplate.spec.template.spec", &[("log-shipper", 1)])]
#[case::job("job-legacy-cloud-sql-proxy", "spec.template.spec", &[("cloud-sql-proxy", 1)])]
#[case::argo_rollout("rollout-legacy-cloud-sql-proxy", "spec.template.spec", &[("cloud-sql-proxy", 1)])]
fn without_mutate_templates_workloads_are_left_to_their_pods(
    #[case] name: &str,
    #[case] spec: &str,
    #[case] sidecars: &[(&str, usize)],
) {
    let request = fixture(name);
    let settings = with(settings(), "mutate", json!(true));
    let (response, calls) = validate_in_cluster(&request, &settings, None);
    assert!(calls.is_empty());
    let warnings: Vec<String> = sidecars
        .iter()
        .map(|(container, index)| {
            expected_message(
                "left_for_pods",
                &[("name", container), ("spec", spec), ("index", &index.to_string())],
            )
        })
        .collect();
    let warnings: Vec<&str> = warnings.iter().map(String::as_str).collect();
    assert_accepted(&response, &warnings);
}

#[test]
fn pods_are_converted_without_mutate_templates() {
    let request = fixture("pod-legacy-vault-agent");
    let (response, _) = validate_in_cluster(&request, &with(settings(), "mutate", json!(true)), None);
    let mutation = expect_mutation(&request, &response);
    assert_eq!(mutation.object["spec"]["initContainers"][0]["name"], "vault-agent");
}

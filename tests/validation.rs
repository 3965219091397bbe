//! Validation mode through the release module: the decision and the exact message for every fixture under
//! `tests/data/settings.json`, the operations that carry no decision, UPDATE semantics, other kinds, and payloads
//! that are not what Kubernetes sends (each answered, never a host error).

mod common;

use std::path::PathBuf;

use common::*;
use rstest::rstest;
use serde_json::{Value, json};

const POD: &str = "spec";
const TEMPLATE: &str = "spec.template.spec";
const CRONJOB: &str = "spec.jobTemplate.spec.template.spec";

const VAULT: &str = "hashicorp/vault:1.15.2";
const CLOUD_SQL_PROXY: &str = "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1";
const FLUENT_BIT: &str = "fluent/fluent-bit:3.1.4";

#[derive(Debug)]
enum Decision {
    Accepted { warnings: Vec<String> },
    Rejected { message: String, warnings: Vec<String> },
}

fn accepted() -> Decision {
    Decision::Accepted { warnings: Vec::new() }
}

fn rejected(message: String) -> Decision {
    Decision::Rejected {
        message,
        warnings: Vec::new(),
    }
}

/// What the policy must answer for each fixture under `tests/data/settings.json`. A new fixture without an entry
/// here fails `every_fixture_under_validation_settings`.
fn expected_under_validation_settings(fixture: &str) -> Decision {
    match fixture {
        // The two canonical shapes: a native sidecar (init container with `restartPolicy: Always`) and two
        // co-located partners.
        "pod-native-sidecar-vault-sync" => accepted(),
        "pod-co-located-pdf" => accepted(),
        // istio-init uses the proxy image as a one-shot init container; istio-proxy is already native.
        "pod-istio-native-sidecar" => accepted(),
        // Every container is a sidecar image: there is no app to support, these ARE the app.
        "statefulset-vault-server" => accepted(),
        "daemonset-fluent-bit-only" => accepted(),

        "pod-legacy-vault-agent" | "pod-legacy-vault-agent-pinned" => {
            rejected(co_located("vault-agent", "hashicorp/vault:1.15.2", "spec", 1))
        }
        // vault-agent-init (same image, one-shot) is legitimate; only vault-agent is reported.
        "deployment-legacy-vault-agent" => rejected(co_located("vault-agent", "hashicorp/vault:1.15.2", TEMPLATE, 1)),
        "job-legacy-cloud-sql-proxy" => rejected(co_located(
            "cloud-sql-proxy",
            "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1",
            TEMPLATE,
            1,
        )),
        "cronjob-legacy-fluent-bit" => rejected(co_located("log-shipper", FLUENT_BIT, CRONJOB, 1)),
        "replicaset-legacy-istio-proxy" => rejected(co_located(
            "istio-proxy",
            "gcr.io/istio-release/proxyv2:1.22.3",
            TEMPLATE,
            0,
        )),
        "daemonset-legacy-fluent-bit" => rejected(co_located("fluent-bit", FLUENT_BIT, TEMPLATE, 1)),
        // The image is a mirror that matches no pattern; the name matches.
        "replicationcontroller-legacy-vault-agent" => rejected(co_located(
            "vault-agent",
            "registry.example.com/mirror/hashicorp/vault:1.14.8",
            TEMPLATE,
            1,
        )),
        // An Argo Rollout: unknown kind, pod template at spec.template.spec.
        "rollout-legacy-cloud-sql-proxy" => rejected(co_located("cloud-sql-proxy", CLOUD_SQL_PROXY, TEMPLATE, 1)),
        // Several sidecars: one message listing each, in order.
        "statefulset-legacy-sidecars" => rejected(format!(
            "{}; {}",
            co_located("vault-agent", VAULT, TEMPLATE, 0),
            co_located("log-shipper", FLUENT_BIT, TEMPLATE, 2)
        )),
        "deployment-sidecar-restart-policy-never" => rejected(cannot_be_native(
            "log-shipper",
            FLUENT_BIT,
            TEMPLATE,
            1,
            "it sets `restartPolicy: Never` (a Kubernetes 1.34+ container restart rule) and a native sidecar needs \
             `restartPolicy: Always`",
        )),
        // Without restrictNativeSidecars the unapproved otel-collector is fine; vault-agent is not.
        "deployment-unapproved-native-sidecar" => rejected(co_located("vault-agent", VAULT, TEMPLATE, 1)),
        // UPDATE adding vault-agent to a template without one.
        "deployment-unknown-fields" => rejected(co_located("vault-agent", "hashicorp/vault:1.16.3", TEMPLATE, 1)),

        // UPDATE: only what the update adds blocks it.
        "deployment-update-pre-existing-violation" => Decision::Accepted {
            warnings: vec![pre_existing("vault-agent", VAULT, TEMPLATE, 1)],
        },
        "deployment-update-adds-violation" => Decision::Rejected {
            message: co_located("cloud-sql-proxy", CLOUD_SQL_PROXY, TEMPLATE, 2),
            warnings: vec![pre_existing("vault-agent", VAULT, TEMPLATE, 1)],
        },
        // Pods and Jobs cannot change their containers: UPDATE carries no decision, not even a warning.
        "pod-update-legacy-sidecar" => accepted(),
        "job-update-suspend" => accepted(),

        // No placement decision: DELETE, CONNECT, subresources, mirror pods.
        "pod-delete" => accepted(),
        "pod-exec-connect" => accepted(),
        "pod-status-update" => accepted(),
        "deployment-scale-subresource" => accepted(),
        "pod-mirror-static" => accepted(),

        "configmap-unsupported" => Decision::Accepted {
            warnings: vec![
                "sidecar placement not checked: kind 'ConfigMap' (group '') carries no pod template this policy knows"
                    .to_owned(),
            ],
        },
        other => panic!("no expectation for fixture '{other}': add it to expected_under_validation_settings"),
    }
}

#[track_caller]
fn assert_decision(response: &policy_host::ValidationResponse, expected: &Decision) {
    match expected {
        Decision::Accepted { warnings } => {
            let warnings: Vec<&str> = warnings.iter().map(String::as_str).collect();
            assert_accepted(response, &warnings);
        }
        Decision::Rejected { message, warnings } => {
            let warnings: Vec<&str> = warnings.iter().map(String::as_str).collect();
            assert_rejected(response, message, &warnings);
        }
    }
}

#[rstest]
fn every_fixture_under_validation_settings(#[files("tests/data/requests/*.json")] path: PathBuf) {
    let name = fixture_name(&path);
    let request = fixture(&name);
    assert_decision(
        &validate(&request, &settings()),
        &expected_under_validation_settings(&name),
    );
}

/// `#[files]` expands when the test is compiled: a fixture added later is caught here, at run time.
#[test]
fn every_fixture_on_disk_has_an_expectation() {
    let names = fixture_names();
    assert!(names.len() >= 27, "fixtures are missing: {names:?}");
    for name in names {
        assert_decision(
            &validate(&fixture(&name), &settings()),
            &expected_under_validation_settings(&name),
        );
    }
}

#[test]
fn the_issue_examples_are_fixtures() {
    let names = fixture_names();
    for required in [
        "pod-native-sidecar-vault-sync",
        "pod-co-located-pdf",
        "deployment-legacy-vault-agent",
        "pod-istio-native-sidecar",
        "job-legacy-cloud-sql-proxy",
        "cronjob-legacy-fluent-bit",
        "deployment-update-pre-existing-violation",
        "deployment-update-adds-violation",
        "statefulset-vault-server",
    ] {
        assert!(names.iter().any(|n| n == required), "missing fixture {required}");
    }
    // The two canonical examples (a native sidecar, two co-located partners) are what their names say.
    let my_app = fixture("pod-native-sidecar-vault-sync");
    let vault_sync = container(&my_app, "initContainers", "vault-sync");
    assert_eq!(vault_sync["restartPolicy"], "Always");
    assert!(
        vault_sync["image"]
            .as_str()
            .is_some_and(|i| i.starts_with("hashicorp/vault"))
    );
    assert_eq!(pod_spec(&my_app)["volumes"][0]["name"], "shared-secrets");
    assert!(pod_spec(&my_app)["volumes"][0]["emptyDir"].is_object());
    let pdf = fixture("pod-co-located-pdf");
    assert_eq!(
        container(&pdf, "containers", "pdf-engine")["ports"][0]["containerPort"],
        9000
    );
    assert_eq!(
        container(&pdf, "containers", "pdf-preview-ui")["ports"][0]["containerPort"],
        3000
    );
}

/// Every fixture is an AdmissionRequest as the API server sends it.
#[rstest]
fn fixtures_are_whole_admission_requests(#[files("tests/data/requests/*.json")] path: PathBuf) {
    let request = fixture(&fixture_name(&path));
    for field in [
        "uid",
        "kind",
        "resource",
        "requestKind",
        "requestResource",
        "name",
        "namespace",
        "operation",
        "userInfo",
        "object",
        "oldObject",
        "dryRun",
        "options",
    ] {
        assert!(request.get(field).is_some(), "{} lacks `{field}`", path.display());
    }
    match request["operation"].as_str() {
        Some("CREATE") => assert_eq!(request["oldObject"], Value::Null, "CREATE has no oldObject"),
        Some("UPDATE") => assert!(request["oldObject"].is_object() && request["object"].is_object()),
        Some("DELETE") => assert_eq!(request["object"], Value::Null, "DELETE has no object"),
        Some("CONNECT") => {}
        other => panic!("unexpected operation {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Operations and UPDATE semantics

#[test]
fn update_keeps_a_pre_existing_sidecar_when_it_moves_within_the_list() {
    // The old object had vault-agent; the update puts it first. It is the same problem, reported where it now is.
    let request = fixture("deployment-update-pre-existing-violation");
    let mut object = request["object"].clone();
    object["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .expect("containers")
        .swap(0, 1);
    let response = validate(&with_object(&request, object), &settings());
    assert_accepted(&response, &[&pre_existing("vault-agent", VAULT, TEMPLATE, 0)]);
}

#[test]
fn update_of_a_pod_adding_a_sidecar_carries_no_decision() {
    // The API server refuses this itself ("pod updates may not add or remove containers").
    let request = fixture("pod-update-legacy-sidecar");
    let mut old = request["oldObject"].clone();
    old["spec"]["containers"]
        .as_array_mut()
        .expect("containers")
        .truncate(1);
    let mut update = request.clone();
    update["oldObject"] = old;
    assert_accepted(&validate(&update, &settings()), &[]);
}

#[test]
fn update_of_a_cronjob_adding_a_sidecar_is_rejected() {
    let create = fixture("cronjob-legacy-fluent-bit");
    let mut old = create["object"].clone();
    old["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .expect("containers")
        .truncate(1);
    let mut update = create.clone();
    update["operation"] = json!("UPDATE");
    update["oldObject"] = old;
    assert_rejected(
        &validate(&update, &settings()),
        &co_located("log-shipper", FLUENT_BIT, CRONJOB, 1),
        &[],
    );
}

#[test]
fn update_of_a_cronjob_with_a_pre_existing_sidecar_is_accepted_with_a_warning() {
    let create = fixture("cronjob-legacy-fluent-bit");
    let mut update = create.clone();
    update["operation"] = json!("UPDATE");
    update["oldObject"] = create["object"].clone();
    update["object"]["spec"]["schedule"] = json!("0 3 * * *");
    assert_accepted(
        &validate(&update, &settings()),
        &[&pre_existing("log-shipper", FLUENT_BIT, CRONJOB, 1)],
    );
}

#[test]
fn delete_of_a_workload_with_a_legacy_sidecar_is_accepted() {
    let create = fixture("deployment-legacy-vault-agent");
    let mut delete = create.clone();
    delete["operation"] = json!("DELETE");
    delete["oldObject"] = create["object"].clone();
    delete["object"] = Value::Null;
    delete["options"] = json!({"kind": "DeleteOptions", "apiVersion": "meta.k8s.io/v1"});
    assert_accepted(&validate(&delete, &settings()), &[]);
}

#[test]
fn ephemeral_containers_subresource_is_not_checked() {
    let request = fixture("pod-status-update");
    let mut ephemeral = request.clone();
    ephemeral["subResource"] = json!("ephemeralcontainers");
    ephemeral["object"]["spec"]["ephemeralContainers"] =
        json!([{"name": "debugger", "image": "hashicorp/vault:1.15.2", "stdin": true, "tty": true}]);
    assert_accepted(&validate(&ephemeral, &settings()), &[]);
}

#[test]
fn the_same_pod_without_the_mirror_annotation_is_checked() {
    // Proves that pod-mirror-static is accepted because of the annotation, not because of its containers.
    let mut request = fixture("pod-mirror-static");
    request["object"]["metadata"]["annotations"]
        .as_object_mut()
        .expect("annotations")
        .remove("kubernetes.io/config.mirror");
    assert_rejected(
        &validate(&request, &settings()),
        &co_located("fluent-bit", FLUENT_BIT, POD, 1),
        &[],
    );
}

#[test]
fn dry_run_is_decided_like_a_real_request() {
    let mut request = fixture("job-legacy-cloud-sql-proxy");
    request["dryRun"] = json!(true);
    assert_rejected(
        &validate(&request, &settings()),
        &co_located("cloud-sql-proxy", CLOUD_SQL_PROXY, TEMPLATE, 1),
        &[],
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Kinds

#[test]
fn openkruise_cloneset_is_checked_like_a_deployment() {
    let mut request = fixture("deployment-legacy-vault-agent");
    for field in ["kind", "requestKind"] {
        request[field] = json!({"group": "apps.kruise.io", "version": "v1alpha1", "kind": "CloneSet"});
    }
    request["object"]["apiVersion"] = json!("apps.kruise.io/v1alpha1");
    request["object"]["kind"] = json!("CloneSet");
    assert_rejected(
        &validate(&request, &settings()),
        &co_located("vault-agent", VAULT, TEMPLATE, 1),
        &[],
    );
}

#[test]
fn a_job_of_another_api_group_without_pod_template_is_not_a_batch_job() {
    let request = json!({
        "uid": "00000000-0000-4000-8000-000000000001",
        "kind": {"group": "ci.example.com", "version": "v1", "kind": "Job"},
        "resource": {"group": "ci.example.com", "version": "v1", "resource": "jobs"},
        "name": "build-42", "namespace": "ci", "operation": "CREATE",
        "userInfo": {"username": "ci-bot"},
        "object": {"apiVersion": "ci.example.com/v1", "kind": "Job", "metadata": {"name": "build-42"},
                   "spec": {"steps": [{"name": "vault-agent", "image": "hashicorp/vault:1.15.2"}]}},
        "oldObject": null, "dryRun": false, "options": null
    });
    assert_accepted(
        &validate(&request, &settings()),
        &[
            "sidecar placement not checked: kind 'Job' (group 'ci.example.com') carries no pod template this policy knows",
        ],
    );
}

#[test]
fn a_workload_without_pod_spec_is_accepted() {
    let mut request = fixture("deployment-legacy-vault-agent");
    request["object"]["spec"]
        .as_object_mut()
        .expect("spec")
        .remove("template");
    assert_accepted(&validate(&request, &settings()), &[]);
}

// ---------------------------------------------------------------------------------------------------------------
// Settings shape the decision

#[rstest]
#[case::names_only_catches_the_mirrored_image(
    json!({"sidecarContainerNames": ["vault-agent"]}),
    "replicationcontroller-legacy-vault-agent",
    Some(co_located("vault-agent", "registry.example.com/mirror/hashicorp/vault:1.14.8", TEMPLATE, 1))
)]
#[case::images_only_misses_the_mirrored_image(
    json!({"sidecarImages": ["hashicorp/vault"]}),
    "replicationcontroller-legacy-vault-agent",
    None
)]
#[case::names_only_leaves_the_vault_server_alone(
    json!({"sidecarContainerNames": ["vault-agent"]}),
    "statefulset-vault-server",
    None
)]
#[case::a_tag_pattern_narrows(
    json!({"sidecarImages": ["fluent/fluent-bit:2.*"]}),
    "daemonset-legacy-fluent-bit",
    None
)]
#[case::a_tag_glob_matches(
    json!({"sidecarImages": ["fluent/fluent-bit:3.*"]}),
    "daemonset-legacy-fluent-bit",
    Some(co_located("fluent-bit", FLUENT_BIT, TEMPLATE, 1))
)]
#[case::the_registry_is_matched_at_a_boundary(
    json!({"sidecarImages": ["gcr.io/istio-release/proxyv2"]}),
    "replicaset-legacy-istio-proxy",
    Some(co_located("istio-proxy", "gcr.io/istio-release/proxyv2:1.22.3", TEMPLATE, 0))
)]
#[case::docker_hub_pattern_is_not_gcr(
    json!({"sidecarImages": ["istio/proxyv2"]}),
    "replicaset-legacy-istio-proxy",
    None
)]
#[case::name_glob(
    json!({"sidecarContainerNames": ["*-proxy"]}),
    "rollout-legacy-cloud-sql-proxy",
    Some(co_located("cloud-sql-proxy", CLOUD_SQL_PROXY, TEMPLATE, 1))
)]
fn settings_decide_what_is_a_sidecar(
    #[case] settings: Value,
    #[case] fixture_name: &str,
    #[case] rejection: Option<String>,
) {
    let response = validate(&fixture(fixture_name), &settings);
    match rejection {
        Some(message) => assert_rejected(&response, &message, &[]),
        None => assert_accepted(&response, &[]),
    }
}

#[test]
fn restrict_native_sidecars_reports_every_problem_in_one_message() {
    let settings = with(settings(), "restrictNativeSidecars", json!(true));
    let response = validate(&fixture("deployment-unapproved-native-sidecar"), &settings);
    assert_rejected(&response, &unapproved_native_sidecar_fixture_rejection(), &[]);
}

#[rstest]
#[case::approved_by_image("pod-native-sidecar-vault-sync")]
#[case::approved_by_name_and_image("pod-istio-native-sidecar")]
#[case::one_shot_init_containers_are_never_native_sidecars("cronjob-legacy-fluent-bit")]
fn restrict_native_sidecars_accepts_approved_ones(#[case] name: &str) {
    let mut request = fixture(name);
    // Only the native sidecars are under test here: drop the legacy ones.
    let pointer = format!("{}/containers", pod_spec_pointer(&request));
    if let Some(containers) = request["object"].pointer_mut(&pointer).and_then(Value::as_array_mut) {
        containers.truncate(1);
    }
    let settings = with(settings(), "restrictNativeSidecars", json!(true));
    assert_accepted(&validate(&request, &settings), &[]);
}

#[test]
fn restrict_native_sidecars_on_a_pod() {
    let mut request = fixture("pod-istio-native-sidecar");
    request["object"]["spec"]["initContainers"][1]["image"] = json!("example.com/mesh/envoy:1.31");
    request["object"]["spec"]["initContainers"][1]["name"] = json!("envoy");
    let settings = with(settings(), "restrictNativeSidecars", json!(true));
    assert_rejected(
        &validate(&request, &settings),
        &unapproved("envoy", "example.com/mesh/envoy:1.31", POD, 1),
        &[],
    );
}

#[test]
fn invalid_settings_reject_the_request_with_the_reason() {
    let response = validate(&fixture("pod-co-located-pdf"), &json!({}));
    assert_rejected(
        &response,
        "the policy's settings are not valid: the policy must be told which containers are sidecars: set \
         sidecarImages (image patterns) and/or sidecarContainerNames (container name patterns)",
        &[],
    );
    let response = validate(
        &fixture("pod-co-located-pdf"),
        &json!({"sidecarImages": ["hashicorp/vault"], "placement": "first"}),
    );
    assert!(!response.accepted);
    let message = response.message.expect("a message");
    assert!(
        message.starts_with("the policy's settings are not valid: invalid settings: placement: unknown value 'first'"),
        "{message}"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Payloads Kubernetes would not send: a clear answer, never a host error or a trap.

fn pod_request(spec: Value) -> Value {
    json!({
        "uid": "00000000-0000-4000-8000-00000000000a",
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "name": "odd", "namespace": "default", "operation": "CREATE",
        "userInfo": {"username": "jane.doe@example.com"},
        "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "odd", "namespace": "default"}, "spec": spec},
        "oldObject": null, "dryRun": false, "options": null
    })
}

fn deployment_request(pod_spec: Value) -> Value {
    let mut request = fixture("deployment-legacy-vault-agent");
    request["object"]["spec"]["template"]["spec"] = pod_spec;
    request
}

#[rstest]
#[case::containers_not_a_list(
    pod_request(json!({"containers": {"name": "app", "image": "nginx"}})),
    "malformed Pod: spec.containers must be a list of containers"
)]
#[case::containers_a_string(
    deployment_request(json!({"containers": "vault-agent"})),
    "malformed Deployment: spec.template.spec.containers must be a list of containers"
)]
#[case::init_containers_not_a_list(
    pod_request(json!({"containers": [{"name": "app", "image": "nginx"}], "initContainers": 7})),
    "malformed Pod: spec.initContainers must be a list of containers"
)]
#[case::container_not_an_object(
    pod_request(json!({"containers": [{"name": "app", "image": "nginx"}, "vault-agent"]})),
    "malformed Pod: spec.containers[1] must be an object"
)]
#[case::name_not_a_string(
    pod_request(json!({"containers": [{"name": 42, "image": "nginx"}]})),
    "malformed Pod: spec.containers[0].name must be a string"
)]
#[case::image_not_a_string(
    deployment_request(json!({"containers": [{"name": "app", "image": ["nginx"]}]})),
    "malformed Deployment: spec.template.spec.containers[0].image must be a string"
)]
#[case::restart_policy_not_a_string(
    pod_request(json!({"containers": [{"name": "app", "image": "nginx"}], "initContainers": [{"name": "x", "image": "x", "restartPolicy": true}]})),
    "malformed Pod: spec.initContainers[0].restartPolicy must be a string"
)]
#[case::pod_spec_not_an_object(
    pod_request(json!(["containers"])),
    "malformed Pod: spec must be an object"
)]
#[case::sidecar_without_a_name(
    pod_request(json!({"containers": [{"name": "app", "image": "nginx"}, {"image": "hashicorp/vault:1.15.2"}]})),
    "container (unnamed) (image 'hashicorp/vault:1.15.2') at spec.containers[1] is a sidecar placed as a co-located \
     container: declare it in spec.initContainers with `restartPolicy: Always` (native sidecar, Kubernetes 1.29+)"
)]
#[case::sidecar_without_an_image(
    pod_request(json!({"containers": [{"name": "app", "image": "nginx"}, {"name": "vault-agent"}]})),
    "container 'vault-agent' (no image) at spec.containers[1] is a sidecar placed as a co-located container: \
     declare it in spec.initContainers with `restartPolicy: Always` (native sidecar, Kubernetes 1.29+)"
)]
fn malformed_pod_specs_are_rejected_clearly(#[case] request: Value, #[case] message: &str) {
    let response = try_validate(&request, &settings()).expect("an answer, not a host error");
    assert_rejected(&response, message, &[]);
}

#[rstest]
#[case::container_without_name_or_image(pod_request(
    json!({"containers": [{"name": "app", "image": "nginx"}, {}]})
))]
#[case::empty_image_matches_nothing(pod_request(
    json!({"containers": [{"name": "app", "image": "nginx"}, {"name": "helper", "image": ""}]})
))]
#[case::unparsable_image_matches_nothing(pod_request(
    json!({"containers": [{"name": "app", "image": "nginx"}, {"name": "helper", "image": "::Not An Image::"}]})
))]
#[case::null_lists(pod_request(json!({"containers": null, "initContainers": null})))]
#[case::no_containers_at_all(pod_request(json!({})))]
fn odd_but_harmless_pod_specs_are_accepted(#[case] request: Value) {
    let response = try_validate(&request, &settings()).expect("an answer, not a host error");
    assert_accepted(&response, &[]);
}

#[rstest]
#[case::create_without_object("CREATE", None, "malformed admission request: CREATE Pod without an object to check")]
#[case::create_with_null_object(
    "CREATE",
    Some(Value::Null),
    "malformed admission request: CREATE Pod without an object to check"
)]
#[case::update_with_a_string_object(
    "UPDATE",
    Some(json!("a pod")),
    "malformed admission request: UPDATE Pod without an object to check"
)]
fn requests_without_an_object_are_rejected_clearly(
    #[case] operation: &str,
    #[case] object: Option<Value>,
    #[case] message: &str,
) {
    let mut request = fixture("pod-legacy-vault-agent");
    request["operation"] = json!(operation);
    match object {
        Some(object) => request["object"] = object,
        None => {
            request.as_object_mut().expect("request").remove("object");
        }
    }
    let response = try_validate(&request, &settings()).expect("an answer, not a host error");
    assert_rejected(&response, message, &[]);
}

/// After the fixed prefix comes serde_json's own error, with the line and column where reading stopped.
#[rstest]
#[case::not_json(b"this is not JSON".to_vec(), "malformed admission request: expected ident at line 1 column 2")]
#[case::empty_payload(b"".to_vec(), "malformed admission request: EOF while parsing a value at line 1 column 0")]
#[case::truncated_json(
    br#"{"request": {"uid": "1", "operation": "CRE"#.to_vec(),
    "malformed admission request: EOF while parsing a string at line 1 column 42"
)]
#[case::payload_is_a_list(b"[1, 2]".to_vec(), // serde reads a list as the payload's fields in order: the first element is taken as the request.
    "malformed admission request: invalid type: integer `1`, expected struct AdmissionRequest at line 1 column 2")]
#[case::no_request(
    br#"{"settings": {"sidecarImages": ["hashicorp/vault"]}}"#.to_vec(),
    "malformed admission request: missing field `request` at line 1 column 52"
)]
#[case::request_without_kind(
    br#"{"request": {"uid": "1", "operation": "CREATE", "object": {}}, "settings": {}}"#.to_vec(),
    "malformed admission request: missing field `kind` at line 1 column 61"
)]
#[case::unknown_operation(
    br#"{"request": {"uid": "1", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "operation": "PATCH", "object": {}}, "settings": {}}"#.to_vec(),
    "malformed admission request: unknown variant `PATCH`, expected one of `CREATE`, `UPDATE`, `DELETE`, `CONNECT` at line 1 column 100"
)]
#[case::operation_not_a_string(
    br#"{"request": {"uid": "1", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "operation": 1}, "settings": {}}"#.to_vec(),
    // serde_json's wording for an enum that is neither a string nor an object.
    "malformed admission request: expected value at line 1 column 94"
)]
fn unreadable_payloads_are_rejected_clearly(#[case] payload: Vec<u8>, #[case] message: &str) {
    let response = validate_bytes(&payload);
    assert_rejected(&response, message, &[]);
}

#[test]
fn the_module_keeps_answering_after_malformed_payloads() {
    for payload in [&b"\xff\xfe garbage"[..], b"{", b"null", b"{\"request\": null}"] {
        let response = validate_bytes(payload);
        assert!(!response.accepted, "{response:?}");
        assert!(
            response
                .message
                .as_deref()
                .is_some_and(|m| m.starts_with("malformed admission request: ")),
            "{response:?}"
        );
    }
    assert_accepted(&validate(&fixture("pod-co-located-pdf"), &settings()), &[]);
}

#[test]
fn a_payload_that_is_not_utf8_is_refused_wherever_the_bad_bytes_are() {
    // In an annotation the policy never reads: JSON is UTF-8, so the payload is not JSON at all.
    let payload = format!(
        r#"{{"request": {{"uid": "1", "kind": {{"group": "", "version": "v1", "kind": "Pod"}}, "operation": "CREATE", "object": {{"metadata": {{"annotations": {{"note": "caf?"}}}}, "spec": {{"containers": [{{"name": "app", "image": "nginx"}}]}}}}}}, "settings": {}}}"#,
        settings()
    );
    let mut bytes = payload.into_bytes();
    let at = bytes.iter().position(|&byte| byte == b'?').expect("the marked byte");
    bytes[at] = 0xe9;
    let response = validate_bytes(&bytes);
    assert!(!response.accepted);
    assert_eq!(
        response.message.as_deref(),
        Some(
            format!("malformed admission request: the payload is not UTF-8 text: invalid byte at offset {at}").as_str()
        )
    );
}

#[rstest]
#[case::in_the_pod_spec(r#""spec": DEEP"#, Some("malformed Pod: spec must be an object"))]
#[case::in_a_field_the_policy_skips(
    r#""metadata": {"labels": {}, "x": DEEP}, "spec": {"containers": [{"name": "app", "image": "nginx"}]}"#,
    None
)]
fn deeply_nested_objects_are_answered_not_trapped_on(#[case] object: &str, #[case] rejection: Option<&str>) {
    // 100,000 levels: the guest must answer from what it reads, never overflow its stack.
    let depth = 100_000;
    let object = object.replace("DEEP", &format!("{}{}", "[".repeat(depth), "]".repeat(depth)));
    let payload = format!(
        r#"{{"request": {{"uid": "1", "kind": {{"group": "", "version": "v1", "kind": "Pod"}}, "operation": "CREATE", "object": {{{object}}}}}, "settings": {}}}"#,
        settings()
    );
    let response = validate_bytes(payload.as_bytes());
    assert_eq!(response.accepted, rejection.is_none(), "{response:?}");
    assert_eq!(response.message.as_deref(), rejection);
}

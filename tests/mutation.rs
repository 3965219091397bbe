//! Mutation mode through the release module: the exact mutated object for every kind, both placements, one and
//! several sidecars, existing init containers and native sidecars, no `initContainers` yet; an object with fields no
//! typed model knows coming back intact; idempotence; when the policy must not mutate.
//!
//! Every mutated object passes through `common::check_mutation` (API server rules, patch limited to the two
//! container lists) before any assertion here sees it.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use common::*;
use rstest::rstest;
use serde_json::{Value, json};

const AFTER: &str = "afterInitContainers";
const BEFORE: &str = "beforeInitContainers";

const VAULT: &str = "hashicorp/vault:1.15.2";
const FLUENT_BIT: &str = "fluent/fluent-bit:3.1.4";
const TEMPLATE: &str = "spec.template.spec";

/// `settings-mutate.json` as it is for the default placement, with `placement` set otherwise.
fn mutate_with(placement: &str) -> Value {
    if placement == AFTER {
        mutate_settings()
    } else {
        with(mutate_settings(), "placement", json!(placement))
    }
}

/// The existing init container `name` of the fixture, unchanged.
fn init(request: &Value, name: &str) -> Value {
    container(request, "initContainers", name).clone()
}

/// The pod spec path as the messages write it.
fn spec_path(request: &Value) -> String {
    pod_spec_pointer(request).trim_start_matches('/').replace('/', ".")
}

/// The fixtures that `settings-mutate.json` converts; every other fixture gets the validation-mode answer.
const MUTATED: [&str; 13] = [
    "pod-legacy-vault-agent",
    "pod-legacy-vault-agent-pinned",
    "deployment-legacy-vault-agent",
    "deployment-unapproved-native-sidecar",
    "deployment-unknown-fields",
    "deployment-update-adds-violation",
    "replicaset-legacy-istio-proxy",
    "statefulset-legacy-sidecars",
    "daemonset-legacy-fluent-bit",
    "replicationcontroller-legacy-vault-agent",
    "job-legacy-cloud-sql-proxy",
    "cronjob-legacy-fluent-bit",
    "rollout-legacy-cloud-sql-proxy",
];

/// The request's object with nothing changed but the pod spec's two container lists: `containers` are the request's
/// containers of those names, in that order; `init_containers` its init containers of those names, except the
/// `moved` ones, which are its containers of those names, verbatim plus `restartPolicy: Always`.
fn converted(request: &Value, containers: &[&str], init_containers: &[&str], moved: &[&str]) -> Value {
    let mut object = request["object"].clone();
    let spec = object
        .pointer_mut(pod_spec_pointer(request))
        .expect("the fixture has a pod spec");
    spec["containers"] = containers
        .iter()
        .map(|name| container(request, "containers", name).clone())
        .collect();
    spec["initContainers"] = init_containers
        .iter()
        .map(|name| {
            if moved.contains(name) {
                as_native(request, name)
            } else {
                init(request, name)
            }
        })
        .collect();
    object
}

/// The whole mutated object, for every kind and both placements. The JSON patch the API server receives is the
/// host's diff of this object against the request's (`common::check_mutation` checks that it touches only the
/// two container lists); which operations that diff picks is the host's business, not the policy's.
#[rstest]
// ---- no initContainers yet: the list is created
#[case::pod_without_init_containers(
    "pod-legacy-vault-agent", AFTER, &["vault-agent"], &["reports-worker"], &["vault-agent"])]
#[case::pod_without_init_containers_before(
    "pod-legacy-vault-agent", BEFORE, &["vault-agent"], &["reports-worker"], &["vault-agent"])]
#[case::daemonset_without_init_containers(
    "daemonset-legacy-fluent-bit", AFTER, &["fluent-bit"], &["node-agent"], &["fluent-bit"])]
#[case::replication_controller_without_init_containers(
    "replicationcontroller-legacy-vault-agent", AFTER, &["vault-agent"], &["frontend"], &["vault-agent"])]
#[case::job_without_init_containers(
    "job-legacy-cloud-sql-proxy", AFTER, &["cloud-sql-proxy"], &["migrate"], &["cloud-sql-proxy"])]
#[case::argo_rollout_without_init_containers(
    "rollout-legacy-cloud-sql-proxy", AFTER, &["cloud-sql-proxy"], &["checkout"], &["cloud-sql-proxy"])]
// ---- an existing one-shot init container: after it (default) or before it, but never before a one-shot init
// ---- container with a sidecar image (a sidecar's own setup step: vault-agent-init, istio-init)
#[case::deployment_after_one_shot_init(
    "deployment-legacy-vault-agent", AFTER, &["vault-agent"], &["billing-api"], &["vault-agent-init", "vault-agent"])]
#[case::deployment_before_but_after_its_setup_step(
    "deployment-legacy-vault-agent", BEFORE, &["vault-agent"], &["billing-api"], &["vault-agent-init", "vault-agent"])]
#[case::cronjob_after_one_shot_init(
    "cronjob-legacy-fluent-bit", AFTER, &["log-shipper"], &["report"], &["wait-for-warehouse", "log-shipper"])]
#[case::cronjob_before_one_shot_init(
    "cronjob-legacy-fluent-bit", BEFORE, &["log-shipper"], &["report"], &["log-shipper", "wait-for-warehouse"])]
// ---- the sidecar was the FIRST container: the app is left alone in `containers`
#[case::replicaset_after_one_shot_init(
    "replicaset-legacy-istio-proxy", AFTER, &["istio-proxy"], &["ratings"], &["istio-init", "istio-proxy"])]
#[case::replicaset_before_but_after_its_setup_step(
    "replicaset-legacy-istio-proxy", BEFORE, &["istio-proxy"], &["ratings"], &["istio-init", "istio-proxy"])]
// ---- several sidecars (one before the app, one after), an existing native sidecar and a one-shot init container:
// ---- the moved ones keep their order; "before" means after the native sidecars and before the one-shot one
#[case::statefulset_several_after_init_containers(
    "statefulset-legacy-sidecars", AFTER, &["vault-agent", "log-shipper"], &["ledger"],
    &["istio-proxy", "init-schema", "vault-agent", "log-shipper"])]
#[case::statefulset_several_before_one_shot_init(
    "statefulset-legacy-sidecars", BEFORE, &["vault-agent", "log-shipper"], &["ledger"],
    &["istio-proxy", "vault-agent", "log-shipper", "init-schema"])]
// ---- only native sidecars so far: both placements append
#[case::deployment_after_native_sidecars(
    "deployment-unapproved-native-sidecar", AFTER, &["vault-agent"], &["search"],
    &["istio-proxy", "otel-collector", "vault-agent"])]
#[case::deployment_before_native_sidecars_still_after_them(
    "deployment-unapproved-native-sidecar", BEFORE, &["vault-agent"], &["search"],
    &["istio-proxy", "otel-collector", "vault-agent"])]
// ---- UPDATE adding a sidecar: only the new one moves, the pre-existing vault-agent stays (and is warned about)
#[case::deployment_update_after(
    "deployment-update-adds-violation", AFTER, &["cloud-sql-proxy"], &["billing-api", "vault-agent"],
    &["vault-agent-init", "cloud-sql-proxy"])]
#[case::deployment_update_before_but_after_a_setup_step(
    "deployment-update-adds-violation", BEFORE, &["cloud-sql-proxy"], &["billing-api", "vault-agent"],
    &["vault-agent-init", "cloud-sql-proxy"])]
fn exact_mutated_object(
    #[case] fixture_name: &str,
    #[case] placement: &str,
    #[case] moved: &[&str],
    #[case] containers: &[&str],
    #[case] init_containers: &[&str],
) {
    let request = fixture(fixture_name);
    let mutation = expect_mutation(&request, &validate(&request, &mutate_with(placement)));

    assert_eq!(
        mutation.object,
        converted(&request, containers, init_containers, moved),
        "mutated object for {fixture_name} ({placement})"
    );

    let mut warnings: Vec<String> = Vec::new();
    if fixture_name == "deployment-update-adds-violation" {
        warnings.push(pre_existing("vault-agent", VAULT, TEMPLATE, 1));
    }
    warnings.extend(moved.iter().map(|name| moved_warning(name)));
    assert_eq!(mutation.warnings, warnings);

    let spec = spec_path(&request);
    assert_eq!(
        mutation.audit_annotations,
        [(
            "moved-native-sidecars".to_owned(),
            format!(
                "{} moved from {spec}.containers to {spec}.initContainers with restartPolicy: Always ({placement})",
                moved.join(", ")
            )
        )]
    );
}

#[test]
fn warnings_and_audit_annotation_read_as_documented() {
    let request = fixture("deployment-legacy-vault-agent");
    let response = validate(&request, &mutate_settings());
    let mutation = expect_mutation(&request, &response);
    assert_eq!(
        mutation.warnings,
        ["moved container 'vault-agent' to initContainers as a native sidecar"]
    );
    assert_eq!(
        mutation.audit_annotations,
        [(
            "moved-native-sidecars".to_owned(),
            "vault-agent moved from spec.template.spec.containers to spec.template.spec.initContainers with \
             restartPolicy: Always (afterInitContainers)"
                .to_owned()
        )]
    );
}

#[rstest]
#[case::deployment("deployment-legacy-vault-agent")]
#[case::statefulset("statefulset-legacy-sidecars")]
#[case::cronjob("cronjob-legacy-fluent-bit")]
fn explicit_after_placement_is_the_default(#[case] name: &str) {
    let request = fixture(name);
    let default = expect_mutation(&request, &validate(&request, &mutate_settings()));
    let explicit = expect_mutation(
        &request,
        &validate(&request, &with(mutate_settings(), "placement", json!(AFTER))),
    );
    assert_eq!(default.object, explicit.object);
}

/// Moved sidecars keep their relative order (they are stopped in reverse) and sit where the placement says.
#[rstest]
#[case::after(AFTER, &["ledger"], &["istio-proxy", "init-schema", "vault-agent", "log-shipper"])]
#[case::before(BEFORE, &["ledger"], &["istio-proxy", "vault-agent", "log-shipper", "init-schema"])]
fn container_order(#[case] placement: &str, #[case] containers: &[&str], #[case] init_containers: &[&str]) {
    let request = fixture("statefulset-legacy-sidecars");
    let mutation = expect_mutation(&request, &validate(&request, &mutate_with(placement)));
    let names = |list: &str| -> Vec<String> {
        mutation.object["spec"]["template"]["spec"][list]
            .as_array()
            .expect("list")
            .iter()
            .map(|c| c["name"].as_str().expect("name").to_owned())
            .collect()
    };
    assert_eq!(names("containers"), containers);
    assert_eq!(names("initContainers"), init_containers);
}

// ---------------------------------------------------------------------------------------------------------------
// Fields unknown to any typed model come back intact

#[test]
fn unknown_fields_fixture_comes_back_intact() {
    let request = fixture("deployment-unknown-fields");
    // The fixture carries what the proof asks for.
    let spec = pod_spec(&request);
    assert!(spec["futurePodField"].is_object());
    assert!(container(&request, "containers", "vault-agent")["futureField"].is_object());
    assert!(request["object"]["metadata"]["managedFields"].is_array());
    assert!(request["object"]["status"]["conditions"].is_array());
    assert_eq!(spec["containers"][0]["resources"]["requests"]["cpu"], "500m");
    assert_eq!(spec["containers"][0]["resources"]["requests"]["memory"], "128Mi");

    for placement in [AFTER, BEFORE] {
        let mutation = expect_mutation(&request, &validate(&request, &mutate_with(placement)));
        // Written out field by field rather than derived from the fixture, so that a field lost on the way shows.
        assert_eq!(
            mutation.object["spec"]["template"]["spec"]["initContainers"],
            json!([{
                "name": "vault-agent",
                "image": "hashicorp/vault:1.16.3",
                "args": ["agent", "-config=/vault/config/agent.hcl"],
                "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                              "limits": {"cpu": "250m", "memory": "128Mi"}},
                "futureField": {"enabled": true, "budget": "500m", "weights": [1, 2.5, -3], "note": null},
                "lifecycle": {"preStop": {"sleep": {"seconds": 5}}},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent",
                "restartPolicy": "Always"
            }]),
            "{placement}"
        );

        // Everything but the two container lists is the request's object, as it was.
        let strip = |object: &Value| {
            let mut object = object.clone();
            let spec = object["spec"]["template"]["spec"].as_object_mut().expect("pod spec");
            spec.remove("containers");
            spec.remove("initContainers");
            object
        };
        assert_eq!(strip(&mutation.object), strip(&request["object"]));
        assert_eq!(
            mutation.object["spec"]["template"]["spec"]["containers"],
            json!([request["object"]["spec"]["template"]["spec"]["containers"][0]])
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Every fixture under mutate settings, and idempotence

#[rstest]
fn every_fixture_under_mutate_settings(
    #[files("tests/data/requests/*.json")] path: PathBuf,
    #[values(AFTER, BEFORE)] placement: &str,
) {
    let name = fixture_name(&path);
    let request = fixture(&name);
    let response = validate(&request, &mutate_with(placement));
    if MUTATED.contains(&name.as_str()) {
        expect_mutation(&request, &response);
    } else if name == "deployment-sidecar-restart-policy-never" {
        // With mutation on, the message says why the sidecar was not converted (its own test below).
        assert!(!response.accepted, "{name} ({placement}): {response:?}");
    } else {
        // Nothing to convert, or something that must not be converted: the validation-mode answer, word for word.
        assert_eq!(
            response.as_json(),
            validate(&request, &settings()).as_json(),
            "{name} ({placement})"
        );
    }
}

#[rstest]
fn mutated_objects_are_not_mutated_again(
    #[files("tests/data/requests/*.json")] path: PathBuf,
    #[values(AFTER, BEFORE)] placement: &str,
) {
    let name = fixture_name(&path);
    let request = fixture(&name);
    let settings = mutate_with(placement);
    let response = validate(&request, &settings);
    let Some(mutated) = response.mutated_object.clone() else {
        assert!(!MUTATED.contains(&name.as_str()), "{name} should have been mutated");
        return;
    };
    expect_mutation(&request, &response);

    // The same request again, with the object as the API server now has it.
    let again = validate(&with_object(&request, mutated.clone()), &settings);
    // The sidecar that predates the update is still where it was, and still only a warning.
    let leftover = if name == "deployment-update-adds-violation" {
        vec![pre_existing("vault-agent", VAULT, TEMPLATE, 1)]
    } else {
        Vec::new()
    };
    let leftover: Vec<&str> = leftover.iter().map(String::as_str).collect();
    assert_accepted(&again, &leftover);

    // As a CREATE, when the fixture has no pre-existing sidecar left in `containers`.
    if name != "deployment-update-adds-violation" {
        let mut create = with_object(&request, mutated);
        create["operation"] = json!("CREATE");
        create["oldObject"] = Value::Null;
        assert_accepted(&validate(&create, &settings), &[]);
    }
}

/// `#[files]` expands when the test is compiled; the list of mutated fixtures is checked against the disk at run
/// time, in both directions.
#[test]
fn the_mutated_fixtures_are_exactly_those_listed() {
    let mutated: Vec<String> = fixture_names()
        .into_iter()
        .filter(|name| validate(&fixture(name), &mutate_settings()).mutated_object.is_some())
        .collect();
    let mut listed: Vec<String> = MUTATED.iter().map(|name| (*name).to_owned()).collect();
    listed.sort();
    assert_eq!(mutated, listed);
}

#[rstest]
#[case::native_sidecar_already("pod-native-sidecar-vault-sync")]
#[case::co_located_partners("pod-co-located-pdf")]
#[case::istio_injected("pod-istio-native-sidecar")]
#[case::vault_server_alone("statefulset-vault-server")]
#[case::fluent_bit_alone("daemonset-fluent-bit-only")]
fn compliant_objects_are_not_mutated(#[case] name: &str) {
    for placement in [AFTER, BEFORE] {
        assert_accepted(&validate(&fixture(name), &mutate_with(placement)), &[]);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// When the policy must not mutate

#[rstest]
#[case::pod_image_update("pod-update-legacy-sidecar")]
#[case::job_suspended("job-update-suspend")]
fn pods_and_jobs_are_never_mutated_on_update(#[case] name: &str) {
    assert_accepted(&validate(&fixture(name), &mutate_settings()), &[]);
}

#[rstest]
#[case::pod("pod-legacy-vault-agent", "/spec/containers")]
#[case::job("job-legacy-cloud-sql-proxy", "/spec/template/spec/containers")]
fn pods_and_jobs_are_not_mutated_even_when_the_update_adds_a_sidecar(#[case] name: &str, #[case] containers: &str) {
    // The API server refuses such an update itself; the policy must not turn it into a different one.
    let create = fixture(name);
    let mut old = create["object"].clone();
    old.pointer_mut(containers)
        .and_then(Value::as_array_mut)
        .expect("containers")
        .truncate(1);
    let mut update = create.clone();
    update["operation"] = json!("UPDATE");
    update["oldObject"] = old;
    assert_accepted(&validate(&update, &mutate_settings()), &[]);
}

#[test]
fn update_keeping_the_containers_is_accepted_unchanged() {
    // Scaling and relabeling a Deployment whose legacy sidecar predates the policy: no rollout, one warning.
    let response = validate(&fixture("deployment-update-pre-existing-violation"), &mutate_settings());
    assert_accepted(&response, &[&pre_existing("vault-agent", VAULT, TEMPLATE, 1)]);
}

#[rstest]
#[case::statefulset("statefulset-legacy-sidecars", &["vault-agent", "log-shipper"], &[0, 2], TEMPLATE)]
#[case::cronjob("cronjob-legacy-fluent-bit", &["log-shipper"], &[1], "spec.jobTemplate.spec.template.spec")]
#[case::rollout("rollout-legacy-cloud-sql-proxy", &["cloud-sql-proxy"], &[1], TEMPLATE)]
fn label_edit_of_a_workload_with_legacy_sidecars_is_accepted_unchanged(
    #[case] name: &str,
    #[case] sidecars: &[&str],
    #[case] indices: &[usize],
    #[case] spec: &str,
) {
    let create = fixture(name);
    let mut update = create.clone();
    update["operation"] = json!("UPDATE");
    update["oldObject"] = create["object"].clone();
    update["object"]["metadata"]["labels"]["team"] = json!("platform");
    let warnings: Vec<String> = sidecars
        .iter()
        .zip(indices)
        .map(|(sidecar, &index)| {
            let image = container(&create, "containers", sidecar)["image"]
                .as_str()
                .expect("image")
                .to_owned();
            pre_existing(sidecar, &image, spec, index)
        })
        .collect();
    let warnings: Vec<&str> = warnings.iter().map(String::as_str).collect();
    assert_accepted(&validate(&update, &mutate_settings()), &warnings);
}

#[test]
fn a_sidecar_with_restart_policy_never_is_rejected_with_the_reason() {
    let response = validate(&fixture("deployment-sidecar-restart-policy-never"), &mutate_settings());
    assert_rejected(
        &response,
        &not_converted(
            "log-shipper",
            "fluent/fluent-bit:3.1.4",
            "spec.template.spec",
            1,
            &because_restart_policy("Never"),
        ),
        &[],
    );
}

#[test]
fn a_sidecar_with_restart_policy_rules_is_rejected_with_the_reason() {
    let mut request = fixture("deployment-sidecar-restart-policy-never");
    let sidecar = &mut request["object"]["spec"]["template"]["spec"]["containers"][1];
    sidecar.as_object_mut().expect("container").remove("restartPolicy");
    sidecar["restartPolicyRules"] = json!([{"action": "Restart", "exitCodes": {"operator": "In", "values": [42]}}]);
    assert_rejected(
        &validate(&request, &mutate_settings()),
        &not_converted(
            "log-shipper",
            FLUENT_BIT,
            TEMPLATE,
            1,
            "it sets `restartPolicyRules` (a Kubernetes 1.34+ container restart rule), which a native sidecar only \
             accepts behind a further feature gate",
        ),
        &[],
    );
}

#[test]
fn one_blocked_sidecar_blocks_the_whole_conversion_and_every_problem_is_listed() {
    let mut request = fixture("statefulset-legacy-sidecars");
    request["object"]["spec"]["template"]["spec"]["containers"][2]["restartPolicy"] = json!("OnFailure");
    assert_rejected(
        &validate(&request, &mutate_settings()),
        &format!(
            "{}; {}",
            co_located("vault-agent", VAULT, TEMPLATE, 0),
            not_converted(
                "log-shipper",
                FLUENT_BIT,
                TEMPLATE,
                2,
                "it sets `restartPolicy: OnFailure` (a Kubernetes 1.34+ container restart rule) and a native sidecar \
                 needs `restartPolicy: Always`"
            )
        ),
        &[],
    );
}

#[rstest]
#[case::after(AFTER)]
#[case::before(BEFORE)]
fn restrict_native_sidecars_with_a_fixable_sidecar_is_rejected_listing_every_problem(#[case] placement: &str) {
    let settings = with(mutate_with(placement), "restrictNativeSidecars", json!(true));
    assert_rejected(
        &validate(&fixture("deployment-unapproved-native-sidecar"), &settings),
        &unapproved_native_sidecar_fixture_rejection(),
        &[],
    );
}

#[test]
fn restrict_native_sidecars_still_mutates_when_every_native_sidecar_is_approved() {
    let request = fixture("statefulset-legacy-sidecars");
    let settings = with(mutate_settings(), "restrictNativeSidecars", json!(true));
    let mutation = expect_mutation(&request, &validate(&request, &settings));
    assert_eq!(
        mutation.warnings,
        [moved_warning("vault-agent"), moved_warning("log-shipper")]
    );
}

// ---------------------------------------------------------------------------------------------------------------
// The API server rules checker itself: it must catch what it claims to catch, and pass every fixture.

#[rstest]
fn every_fixture_object_passes_the_api_server_rules(#[files("tests/data/requests/*.json")] path: PathBuf) {
    let request = fixture(&fixture_name(&path));
    let pointer = pod_spec_pointer(&request);
    for object in [&request["object"], &request["oldObject"]] {
        if object.pointer(pointer).is_some_and(Value::is_object)
            && object.pointer(&format!("{pointer}/containers")).is_some()
        {
            // A fixture is a pod spec some supported API server accepts: `restartPolicy: Never` on a regular
            // container, for one, exists only from 1.34 (container restart rules).
            let accepted_by = apiserver_rules::KubeVersion::ALL
                .into_iter()
                .filter(|&version| apiserver_rules::pod_spec_problems_at(version, object, pointer).is_empty())
                .count();
            assert!(
                accepted_by > 0,
                "no supported API server accepts it: {:#?}",
                apiserver_rules::pod_spec_problems(object, pointer)
            );
        }
    }
}

#[rstest]
#[case::duplicate_across_lists(
    json!({"containers": [{"name": "app"}], "initContainers": [{"name": "app", "restartPolicy": "Always"}]}),
    "Duplicate value \"app\""
)]
#[case::duplicate_with_ephemeral(
    json!({"containers": [{"name": "app"}], "ephemeralContainers": [{"name": "app"}]}),
    "Duplicate value \"app\""
)]
#[case::empty_containers(
    json!({"containers": [], "initContainers": [{"name": "agent", "restartPolicy": "Always"}]}),
    "containers: Required value"
)]
#[case::missing_containers(json!({"initContainers": []}), "containers: Required value")]
#[case::name_not_a_label(json!({"containers": [{"name": "Vault_Agent"}]}), "not a DNS-1123 label")]
#[case::name_ends_with_dash(json!({"containers": [{"name": "agent-"}]}), "not a DNS-1123 label")]
#[case::name_too_long(json!({"containers": [{"name": "a".repeat(64)}]}), "not a DNS-1123 label")]
#[case::name_missing(json!({"containers": [{"image": "nginx"}]}), "name: Required value")]
#[case::probe_on_one_shot_init(
    json!({"containers": [{"name": "app"}], "initContainers": [{"name": "agent", "readinessProbe": {}}]}),
    "initContainers/0/readinessProbe: Forbidden"
)]
#[case::lifecycle_on_one_shot_init(
    json!({"containers": [{"name": "app"}], "initContainers": [{"name": "agent", "lifecycle": {}}]}),
    "initContainers/0/lifecycle: Forbidden"
)]
#[case::startup_probe_with_never(
    json!({"containers": [{"name": "app"}], "initContainers": [{"name": "agent", "restartPolicy": "Never", "startupProbe": {}}]}),
    "initContainers/0/startupProbe: Forbidden"
)]
#[case::init_restart_policy_never(
    json!({"containers": [{"name": "app"}], "initContainers": [{"name": "agent", "restartPolicy": "Never"}]}),
    "initContainers/0/restartPolicy: Unsupported value \"Never\""
)]
#[case::init_restart_policy_on_failure(
    json!({"containers": [{"name": "app"}], "initContainers": [{"name": "x", "restartPolicy": "OnFailure"}]}),
    "initContainers/0/restartPolicy: Unsupported value \"OnFailure\""
)]
fn the_api_server_rules_checker_refuses(#[case] spec: Value, #[case] problem: &str) {
    let pod = json!({"spec": spec});
    let panic = catch_unwind(AssertUnwindSafe(|| assert_valid_pod_spec(&pod, "/spec")))
        .expect_err("the checker must refuse this pod spec");
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .expect("a panic message");
    assert!(message.contains(problem), "{message:?} should mention {problem:?}");
}

#[rstest]
#[case::native_sidecar_with_probes_and_lifecycle(json!({
    "containers": [{"name": "app", "livenessProbe": {}, "startupProbe": {}}],
    "initContainers": [{"name": "agent", "restartPolicy": "Always", "readinessProbe": {}, "lifecycle": {}},
                       {"name": "setup"}]
}))]
#[case::null_init_containers(json!({"containers": [{"name": "a1"}], "initContainers": null}))]
#[case::longest_name(json!({"containers": [{"name": "a".repeat(63)}]}))]
fn the_api_server_rules_checker_accepts(#[case] spec: Value) {
    assert_valid_pod_spec(&json!({"spec": spec}), "/spec");
}

//! Shared by the wasm-host integration tests: the policy module loaded once per test binary, the fixtures of
//! `tests/data`, the expected message texts, and the API server's pod spec rules that every mutated object must
//! satisfy.
//!
//! Every call to the policy goes through [`validate`] / [`try_validate`]: whenever the policy answers with a mutated
//! object, that object is checked against the API server's rules ([`assert_valid_pod_spec`]) and the patch the host
//! would send is checked to touch nothing but the two container lists. No test can obtain a mutated object without
//! these checks.

// Each test binary uses a different part of this module.
#![allow(dead_code, unused_imports)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::mpsc::{self, Sender};
use std::thread;

pub use policy_host::Answer;
use policy_host::{
    HostCall, HostError, PolicyHost, Session, SettingsValidationResponse, ValidationResponse, policy_wasm,
};
use serde_json::{Value, json};
use sidecar_placement_policy::{nodes, oracle};

// ---------------------------------------------------------------------------------------------------------------
// The policy module, behind one host thread per test binary.
//
// `PolicyHost` is neither `Send` nor `Sync`, and libtest runs every test on its own thread: the host lives on a
// dedicated thread, compiled once, and tests hand it their calls. Calls are milliseconds; compiling the module is
// the expensive part.

type Job = Box<dyn FnOnce(&PolicyHost) + Send>;

fn host_thread() -> &'static Sender<Job> {
    static HOST: OnceLock<Sender<Job>> = OnceLock::new();
    HOST.get_or_init(|| {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready, loaded) = mpsc::channel::<Result<(), String>>();
        thread::Builder::new()
            .name("policy-host".into())
            .spawn(move || {
                let host = match policy_wasm().and_then(PolicyHost::from_file) {
                    Ok(host) => host,
                    Err(error) => {
                        let _ = ready.send(Err(error.to_string()));
                        return;
                    }
                };
                let _ = ready.send(Ok(()));
                for job in inbox {
                    job(&host);
                }
            })
            .expect("cannot start the policy host thread");
        match loaded.recv() {
            Ok(Ok(())) => jobs,
            Ok(Err(error)) => panic!("cannot load the release policy module: {error}"),
            Err(_) => panic!("the policy host thread died while loading the module"),
        }
    })
}

/// Runs `call` against the policy module; a host error (guest error, trap, unreadable answer) comes back as text.
pub fn on_host<T: Send + 'static>(
    call: impl FnOnce(&PolicyHost) -> Result<T, HostError> + Send + 'static,
) -> Result<T, String> {
    let (answer, result) = mpsc::channel();
    host_thread()
        .send(Box::new(move |host| {
            let _ = answer.send(call(host).map_err(|error| error.to_string()));
        }))
        .expect("the policy host thread is gone");
    result.recv().expect("the policy host thread stopped while answering")
}

/// `validate` through the module; `Err` only when the host reports a failure (which Kubewarden turns into an HTTP
/// 500). The answer is the oracle's ([`same_as_the_oracle`]), and a mutated answer has passed [`check_mutation`].
pub fn try_validate(request: &Value, settings: &Value) -> Result<ValidationResponse, String> {
    let payload = policy_host::validation_payload_bytes(request, settings).map_err(|error| error.to_string())?;
    let sent = payload.clone();
    let answer = on_host(move |host| host.validate_raw(&sent))?;
    same_as_the_oracle(&payload, &answer, Session::none());
    let response = read_response(&answer);
    if response.mutated_object.is_some() {
        check_mutation(request, &response);
    }
    Ok(response)
}

/// The module's answer must be the oracle's: today's `Value`-tree reading and SDK response around the same decision
/// (`sidecar_placement_policy::oracle`), computed natively with the same cluster answers. Byte for byte, but for a
/// converted object, which must be the same JSON (the splice keeps the request's own bytes).
#[track_caller]
fn same_as_the_oracle(payload: &[u8], answer: &[u8], session: Session) {
    if std::str::from_utf8(payload).is_err() {
        // Not JSON, so not compared: the module refuses it up front, wherever the bad bytes are (the oracle, a
        // tree, reads only some of them).
        let refused = br#"{"accepted":false,"message":"malformed admission request: the payload is not UTF-8 text"#;
        assert!(answer.starts_with(refused), "{}", String::from_utf8_lossy(answer));
        return;
    }
    let session = std::cell::RefCell::new(session);
    let oracle = oracle::validate(payload, |query| {
        let (operation, request) = oracle::host_request(query);
        session
            .borrow_mut()
            .answer(operation, &request)
            .map_err(|message| nodes::host_error(query, &message))
    });
    if let Err(difference) = oracle::same_answer(answer, &oracle) {
        panic!("the module's answer is not the oracle's: {difference}");
    }
}

fn read_response(answer: &[u8]) -> ValidationResponse {
    serde_json::from_slice(answer).unwrap_or_else(|error| {
        panic!(
            "the answer is not a ValidationResponse ({error}): {}",
            String::from_utf8_lossy(answer)
        )
    })
}

/// `validate` through the module; a host error fails the test.
pub fn validate(request: &Value, settings: &Value) -> ValidationResponse {
    try_validate(request, settings)
        .unwrap_or_else(|error| panic!("the host failed instead of answering (HTTP 500 in a cluster): {error}"))
}

/// `validate` with the cluster answering from the kwctl session file `tests/data/sessions/SESSION` (`None`: no
/// cluster access, as `kwctl run` without `--allow-context-aware`); returns the answer, checked as [`validate`]
/// checks it, and every Kubernetes host call the policy made.
pub fn validate_in_cluster(
    request: &Value,
    settings: &Value,
    session: Option<&str>,
) -> (ValidationResponse, Vec<HostCall>) {
    let session = match session {
        Some(name) => Session::from_file(data_dir().join("sessions").join(name))
            .unwrap_or_else(|error| panic!("session {name}: {error}")),
        None => Session::none(),
    };
    let payload = policy_host::validation_payload_bytes(request, settings).unwrap_or_else(|error| panic!("{error}"));
    let (sent, replayed) = (payload.clone(), session.clone());
    let (answer, calls) = on_host(move |host| host.validate_raw_in(&sent, replayed))
        .unwrap_or_else(|error| panic!("the host failed instead of answering (HTTP 500 in a cluster): {error}"));
    same_as_the_oracle(&payload, &answer, session);
    let response = read_response(&answer);
    if response.mutated_object.is_some() {
        check_mutation(request, &response);
    }
    (response, calls)
}

/// `validate` with arbitrary bytes; the answer must be the SDK's JSON `ValidationResponse`.
pub fn validate_bytes(payload: &[u8]) -> ValidationResponse {
    let sent = payload.to_vec();
    let answer = on_host(move |host| host.validate_raw(&sent))
        .unwrap_or_else(|error| panic!("the host failed instead of answering (HTTP 500 in a cluster): {error}"));
    same_as_the_oracle(payload, &answer, Session::none());
    read_response(&answer)
}

pub fn validate_settings(settings: &Value) -> SettingsValidationResponse {
    let settings = settings.clone();
    on_host(move |host| host.validate_settings(&settings))
        .unwrap_or_else(|error| panic!("validate_settings failed instead of answering: {error}"))
}

pub fn validate_settings_bytes(payload: &[u8]) -> SettingsValidationResponse {
    let payload = payload.to_vec();
    let answer = on_host(move |host| host.validate_settings_raw(&payload))
        .unwrap_or_else(|error| panic!("validate_settings failed instead of answering: {error}"));
    serde_json::from_slice(&answer).unwrap_or_else(|error| {
        panic!(
            "the answer is not a SettingsValidationResponse ({error}): {}",
            String::from_utf8_lossy(&answer)
        )
    })
}

pub fn protocol_version() -> String {
    on_host(|host| host.protocol_version()).unwrap_or_else(|error| panic!("protocol_version failed: {error}"))
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("data")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The AdmissionRequest `tests/data/requests/<name>.json`.
pub fn fixture(name: &str) -> Value {
    read_json(&data_dir().join("requests").join(format!("{name}.json")))
}

/// The fixture name of a path produced by `#[files("tests/data/requests/*.json")]`.
pub fn fixture_name(path: &Path) -> String {
    path.file_stem()
        .and_then(|stem| stem.to_str())
        .expect("fixture file name")
        .to_owned()
}

/// Every fixture name, sorted.
pub fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data_dir().join("requests"))
        .expect("tests/data/requests")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| fixture_name(&path))
        .collect();
    names.sort();
    names
}

/// `tests/data/settings.json`: validation mode.
pub fn settings() -> Value {
    read_json(&data_dir().join("settings.json"))
}

/// `tests/data/settings-mutate.json`: the same sidecars, `mutate: true`, default placement.
pub fn mutate_settings() -> Value {
    read_json(&data_dir().join("settings-mutate.json"))
}

/// `settings` with `key` set to `value`.
pub fn with(mut settings: Value, key: &str, value: Value) -> Value {
    settings[key] = value;
    settings
}

/// `request` with another object (for UPDATE, `oldObject` stays the same).
pub fn with_object(request: &Value, object: Value) -> Value {
    let mut request = request.clone();
    request["object"] = object;
    request
}

/// Where the request's kind keeps its pod spec, as a JSON pointer.
pub fn pod_spec_pointer(request: &Value) -> &'static str {
    match request.pointer("/kind/kind").and_then(Value::as_str) {
        Some("Pod") => "/spec",
        Some("CronJob") => "/spec/jobTemplate/spec/template/spec",
        _ => "/spec/template/spec",
    }
}

/// The pod spec of the request's object.
pub fn pod_spec(request: &Value) -> &Value {
    request["object"]
        .pointer(pod_spec_pointer(request))
        .expect("the fixture has a pod spec")
}

/// The container called `name` in `list` (`containers` / `initContainers`) of the request's object.
pub fn container<'a>(request: &'a Value, list: &str, name: &str) -> &'a Value {
    pod_spec(request)[list]
        .as_array()
        .and_then(|items| items.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no container '{name}' in {list}"))
}

/// The legacy sidecar `name` of the request's `containers` as the mutation must insert it: verbatim, plus
/// `restartPolicy: Always`.
pub fn as_native(request: &Value, name: &str) -> Value {
    let mut container = container(request, "containers", name).clone();
    container["restartPolicy"] = json!("Always");
    container
}

// ---------------------------------------------------------------------------------------------------------------
// Expected messages: the policy's wording lives once, in `tests/data/expected/messages.json`, which the kwctl tests
// (`tests/e2e/common.bash`) read too. Each function fills in one template's `{placeholders}`.

#[path = "../../src/test_messages.rs"]
mod test_messages;

/// The template `name` with every `{placeholder}` replaced (`src/test_messages.rs`, shared with the unit tests).
#[track_caller]
pub fn expected_message(name: &str, values: &[(&str, &str)]) -> String {
    test_messages::message(name, values)
}

/// Several problems in one answer, as the policy joins them.
pub fn joined(problems: &[String]) -> String {
    problems.join(&expected_message("separator", &[]))
}

/// The rejection (and pre-existing warning) text for a legacy sidecar.
pub fn co_located(name: &str, image: &str, spec: &str, index: usize) -> String {
    let index = index.to_string();
    expected_message(
        "co_located",
        &[("name", name), ("image", image), ("spec", spec), ("index", &index)],
    )
}

/// The warning for a legacy sidecar that an UPDATE did not add.
pub fn pre_existing(name: &str, image: &str, spec: &str, index: usize) -> String {
    expected_message("pre_existing", &[("message", &co_located(name, image, spec, index))])
}

/// The rejection text for a native sidecar matching neither list (`restrictNativeSidecars`).
pub fn unapproved(name: &str, image: &str, spec: &str, index: usize) -> String {
    let index = index.to_string();
    expected_message(
        "unapproved",
        &[("name", name), ("image", image), ("spec", spec), ("index", &index)],
    )
}

/// The rejection text, in validation mode, for a legacy sidecar whose own settings keep it from being a native
/// sidecar as written; `because` is the reason ([`because_restart_policy`], [`because_restart_policy_rules`]).
pub fn cannot_be_native(name: &str, image: &str, spec: &str, index: usize, because: &str) -> String {
    let index = index.to_string();
    expected_message(
        "cannot_be_native",
        &[
            ("name", name),
            ("image", image),
            ("spec", spec),
            ("index", &index),
            ("because", because),
        ],
    )
}

/// The rejection text, with mutation on, for a legacy sidecar whose own settings forbid converting it; `because` is
/// the reason ([`because_restart_policy`], [`because_restart_policy_rules`]).
pub fn not_converted(name: &str, image: &str, spec: &str, index: usize, because: &str) -> String {
    let index = index.to_string();
    expected_message(
        "not_converted",
        &[
            ("name", name),
            ("image", image),
            ("spec", spec),
            ("index", &index),
            ("because", because),
        ],
    )
}

/// Why a sidecar with `restartPolicy: Never` / `OnFailure` is not converted.
pub fn because_restart_policy(restart_policy: &str) -> String {
    expected_message("because_restart_policy", &[("restartPolicy", restart_policy)])
}

/// Why a sidecar with `restartPolicyRules` is not converted.
pub fn because_restart_policy_rules() -> String {
    expected_message("because_restart_policy_rules", &[])
}

pub fn moved_warning(name: &str) -> String {
    expected_message("moved_warning", &[("name", name)])
}

/// `validate_settings`' answer to settings that name no sidecar.
pub fn no_sidecars() -> String {
    expected_message("no_sidecars", &[])
}

/// The warning for a kind without a pod template.
pub fn unsupported_kind(kind: &str, group: &str) -> String {
    expected_message("unsupported_kind", &[("kind", kind), ("group", group)])
}

// ---------------------------------------------------------------------------------------------------------------
// Decisions

/// Accepted, unchanged, with exactly these warnings.
#[track_caller]
pub fn assert_accepted(response: &ValidationResponse, warnings: &[&str]) {
    assert!(response.accepted, "expected an acceptance, got {response:#?}");
    assert_eq!(response.message, None, "an acceptance carries no message");
    assert_eq!(response.mutated_object, None, "expected no mutation, got {response:#?}");
    assert_eq!(response.audit_annotations, None);
    assert_eq!(response.warnings(), warnings);
}

/// Rejected with exactly this message and these warnings.
#[track_caller]
pub fn assert_rejected(response: &ValidationResponse, message: &str, warnings: &[&str]) {
    assert!(!response.accepted, "expected a rejection, got {response:#?}");
    assert_eq!(response.message.as_deref(), Some(message));
    assert_eq!(response.mutated_object, None, "a rejection carries no object");
    assert_eq!(response.warnings(), warnings);
}

/// A mutation, as the API server would receive it.
#[derive(Debug)]
pub struct Mutation {
    pub object: Value,
    /// `json_patch::diff(request.object, mutated_object)`, as JSON.
    pub patch: Value,
    pub warnings: Vec<String>,
    pub audit_annotations: Vec<(String, String)>,
}

/// The answer must be a mutation; returns it, checked by [`check_mutation`].
#[track_caller]
pub fn expect_mutation(request: &Value, response: &ValidationResponse) -> Mutation {
    assert!(
        response.accepted && response.mutated_object.is_some(),
        "expected a mutation, got {response:#?}"
    );
    check_mutation(request, response)
}

/// What every mutated answer must satisfy: accepted without a message, the object valid for the API server of every
/// Kubernetes version 1.29-1.35 (default feature gates) that accepts the submitted object, and a patch that only
/// touches `containers` and `initContainers` of the pod spec.
#[track_caller]
fn check_mutation(request: &Value, response: &ValidationResponse) -> Mutation {
    assert!(response.accepted, "a mutation is an acceptance: {response:#?}");
    assert_eq!(response.message, None);
    let object = response.mutated_object.clone().expect("a mutated object");
    let pointer = pod_spec_pointer(request);
    assert_valid_for_every_version(request, &object, pointer);
    let patch = assert_patch_confined(&request["object"], &object, pointer);

    Mutation {
        object,
        patch,
        warnings: response.warnings().to_vec(),
        audit_annotations: response
            .audit_annotations
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The API server's pod spec rules a mutation must respect (pkg/apis/core/validation) and the patch confinement check:
// written once, in the `apiserver-rules` crate, which the fuzz targets (testing/fuzz/harness) check every mutation with too.

pub use apiserver_rules::{assert_patch_confined, assert_valid_pod_spec, is_dns1123_label};

/// The mutated object passes the API server of every version (1.29-1.35, default feature gates) that accepts the
/// submitted one: as a mutation of it (the API server defaulted the submitted object before the webhook ran), and
/// as an UPDATE from `oldObject` when there is one. A version that already refuses the submitted object refuses the
/// request whatever the policy does, so it cannot be blamed on the mutation.
#[track_caller]
fn assert_valid_for_every_version(request: &Value, mutated: &Value, pointer: &str) {
    let submitted = &request["object"];
    let old = request.get("oldObject").filter(|old| old.is_object());
    let refusals: Vec<String> = apiserver_rules::mutation_refusals(submitted, old, mutated, pointer)
        .into_iter()
        .map(|(version, problems)| format!("Kubernetes {version}:\n    {}", problems.join("\n    ")))
        .collect();
    assert!(
        refusals.is_empty(),
        "the API server would refuse the mutated object, which it accepts before the mutation:\n  {}\n{}",
        refusals.join("\n  "),
        mutated
            .pointer(pointer)
            .and_then(|spec| serde_json::to_string_pretty(spec).ok())
            .unwrap_or_default()
    );
}

/// The one rejection of `deployment-unapproved-native-sidecar` under `restrictNativeSidecars`, in validation and in
/// mutation mode alike: the legacy vault-agent and the unapproved native otel-collector, in one message.
pub fn unapproved_native_sidecar_fixture_rejection() -> String {
    joined(&[
        co_located("vault-agent", "hashicorp/vault:1.15.2", "spec.template.spec", 1),
        unapproved(
            "otel-collector",
            "otel/opentelemetry-collector-contrib:0.110.0",
            "spec.template.spec",
            1,
        ),
    ])
}

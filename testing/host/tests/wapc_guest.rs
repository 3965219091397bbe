//! The host against a tiny hand-written waPC guest (WebAssembly text, which wasmtime compiles
//! directly), so the waPC plumbing is tested without the policy module.
//!
//! The guest dispatches on the operation's first byte:
//! `protocol_version` answers `"v1"`; `validate_settings` answers a fixed invalid-settings
//! response; `validate` echoes its payload; `error` fails with a guest error; `trap` traps;
//! `log` makes the SDK's log host call; `hostcall` makes an unsupported host call and fails with
//! the host's error; `count` answers the number of calls so far (one digit); `grow` grows the
//! memory by two pages and answers `ok`; `oob` reads the first byte past the end of the memory
//! (and so traps); anything else answers `boom` (not JSON).

use policy_host::{EngineMode, HostError, PolicyHost};
use serde_json::json;

const SETTINGS_ANSWER: &str = r#"{"valid":false,"message":"nope"}"#;

fn guest() -> String {
    let settings_answer = SETTINGS_ANSWER.replace('"', "\\\"");
    let settings_len = SETTINGS_ANSWER.len();
    format!(
        r#"
(module
  (import "wapc" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wapc" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wapc" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wapc" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wapc" "__host_error_len" (func $host_error_len (result i32)))
  (import "wapc" "__host_error" (func $host_error (param i32)))
  (memory (export "memory") 1)
  (global $calls (mut i32) (i32.const 0))
  (data (i32.const 0) "\"v1\"")
  (data (i32.const 16) "{settings_answer}")
  (data (i32.const 64) "boom")
  (data (i32.const 80) "kubewarden")
  (data (i32.const 96) "tracing")
  (data (i32.const 112) "log")
  (data (i32.const 128) "oci")
  (data (i32.const 144) "v1/verify")
  (data (i32.const 160) "ok")
  (func (export "wapc_init"))
  (func (export "__guest_call") (param $op_len i32) (param $len i32) (result i32)
    (local $c i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (call $guest_request (i32.const 2048) (i32.const 4096))
    (local.set $c (i32.load8_u (i32.const 2048)))
    (if (i32.eq (local.get $c) (i32.const 112)) ;; p
      (then (call $guest_response (i32.const 0) (i32.const 4)) (return (i32.const 1))))
    (if (i32.eq (local.get $c) (i32.const 118)) ;; v
      (then
        (if (i32.eq (local.get $op_len) (i32.const 17))
          (then (call $guest_response (i32.const 16) (i32.const {settings_len})) (return (i32.const 1))))
        (call $guest_response (i32.const 4096) (local.get $len))
        (return (i32.const 1))))
    (if (i32.eq (local.get $c) (i32.const 101)) ;; e
      (then (call $guest_error (i32.const 64) (i32.const 4)) (return (i32.const 0))))
    (if (i32.eq (local.get $c) (i32.const 116)) ;; t
      (then unreachable))
    (if (i32.eq (local.get $c) (i32.const 108)) ;; l
      (then
        (if (call $host_call (i32.const 80) (i32.const 10) (i32.const 96) (i32.const 7)
                             (i32.const 112) (i32.const 3) (i32.const 4096) (local.get $len))
          (then (call $guest_response (i32.const 160) (i32.const 2)) (return (i32.const 1))))
        (call $guest_error (i32.const 64) (i32.const 4))
        (return (i32.const 0))))
    (if (i32.eq (local.get $c) (i32.const 104)) ;; h
      (then
        (if (call $host_call (i32.const 80) (i32.const 10) (i32.const 128) (i32.const 3)
                             (i32.const 144) (i32.const 9) (i32.const 4096) (local.get $len))
          (then (call $guest_response (i32.const 160) (i32.const 2)) (return (i32.const 1))))
        (call $host_error (i32.const 8192))
        (call $guest_error (i32.const 8192) (call $host_error_len))
        (return (i32.const 0))))
    (if (i32.eq (local.get $c) (i32.const 103)) ;; g
      (then
        (drop (memory.grow (i32.const 2)))
        (call $guest_response (i32.const 160) (i32.const 2))
        (return (i32.const 1))))
    (if (i32.eq (local.get $c) (i32.const 111)) ;; o
      (then (return (i32.load8_u (i32.mul (memory.size) (i32.const 65536))))))
    (if (i32.eq (local.get $c) (i32.const 99)) ;; c
      (then
        (i32.store8 (i32.const 176) (i32.add (i32.const 48) (global.get $calls)))
        (call $guest_response (i32.const 176) (i32.const 1))
        (return (i32.const 1))))
    (call $guest_response (i32.const 64) (i32.const 4))
    (i32.const 1))
)
"#
    )
}

fn host() -> PolicyHost {
    PolicyHost::from_bytes(guest().as_bytes()).expect("the test guest loads")
}

#[test]
fn protocol_version() {
    assert_eq!(host().protocol_version().unwrap(), "v1");
}

#[test]
fn validate_sends_request_and_settings() {
    let host = host();
    let request = json!({"uid": "u", "operation": "CREATE", "object": {"a": [1, 2]}});
    let settings = json!({"k": "v"});
    let expected = serde_json::to_vec(&json!({"request": request, "settings": settings})).unwrap();
    assert_eq!(
        host.validate_raw(&policy_host::validation_payload_bytes(&request, &settings).unwrap())
            .unwrap(),
        expected
    );
    // The echo is not a ValidationResponse: a decoding error, not a panic.
    match host.validate(&request, &settings).unwrap_err() {
        HostError::InvalidResponse { operation, body, .. } => {
            assert_eq!(operation, "validate");
            assert!(body.starts_with(r#"{"request":"#), "{body}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn validate_raw_passes_arbitrary_bytes() {
    let host = host();
    assert_eq!(host.validate_raw(b"\xff\x00garbage").unwrap(), b"\xff\x00garbage");
    assert_eq!(host.validate_raw(b"").unwrap(), b"");
}

#[test]
fn validate_settings_decodes_the_answer() {
    let host = host();
    let answer = host.validate_settings(&json!({"anything": 1})).unwrap();
    assert!(!answer.valid);
    assert_eq!(answer.message.as_deref(), Some("nope"));
    assert_eq!(host.validate_settings_raw(b"{}").unwrap(), SETTINGS_ANSWER.as_bytes());
}

#[test]
fn guest_errors_and_traps() {
    let host = host();
    match host.call("error", b"").unwrap_err() {
        HostError::Guest { operation, message } => {
            assert_eq!(operation, "error");
            assert_eq!(message, "boom");
        }
        other => panic!("unexpected {other:?}"),
    }
    match host.call("trap", b"").unwrap_err() {
        // wasmtime-provider reports a trap with `to_string()`, which keeps the backtrace but
        // drops the trap kind (`unreachable`, out of bounds, ...) that sits in the error's source.
        HostError::Guest { message, .. } => assert!(
            message.starts_with("error while executing at wasm backtrace"),
            "{message}"
        ),
        other => panic!("unexpected {other:?}"),
    }
    // The instance survives both.
    assert_eq!(host.protocol_version().unwrap(), "v1");
}

#[test]
fn non_json_answer_is_an_error() {
    let err = host()
        .call("whatever", b"")
        .map(|answer| serde_json::from_slice::<serde_json::Value>(&answer));
    assert!(err.unwrap().is_err());
}

#[test]
fn log_host_call_is_answered() {
    let host = host();
    let event = br#"{"level":"info","message":"hello from the guest"}"#;
    assert_eq!(host.call("log", event).unwrap(), b"ok");
}

#[test]
fn other_host_calls_are_refused() {
    match host().call("hostcall", b"{}").unwrap_err() {
        HostError::Guest { message, .. } => {
            assert!(message.contains("kubewarden/oci/v1/verify"), "{message}");
            assert!(message.contains("not supported by this host"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn instance_is_reused_across_calls() {
    let host = host();
    host.protocol_version().unwrap();
    host.validate_raw(b"{}").unwrap();
    assert_eq!(host.call("count", b"").unwrap(), b"3");
    assert_eq!(host.call("count", b"").unwrap(), b"4");
}

#[test]
fn module_without_guest_call_fails_to_initialise() {
    let err = PolicyHost::from_bytes(b"\0asm\x01\0\0\0").unwrap_err();
    assert!(matches!(err, HostError::Init(_)), "{err:?}");
    assert!(err.to_string().contains("__guest_call"), "{err}");
}

const PAGE: usize = 65_536;

#[test]
fn metered_memory_reports_the_guest_memory_as_it_grows() {
    let host = PolicyHost::with_engine(guest().as_bytes(), EngineMode::MeteredMemory).unwrap();
    assert_eq!(host.linear_memory_bytes(), Some(PAGE));
    assert_eq!(host.call("grow", b"").unwrap(), b"ok");
    assert_eq!(host.linear_memory_bytes(), Some(3 * PAGE));
    // The same host otherwise: the payload goes in and comes back.
    assert_eq!(host.validate_raw(b"{}").unwrap(), b"{}");
    assert_eq!(host.linear_memory_bytes(), Some(3 * PAGE));
}

#[test]
fn only_the_metered_engine_reports_memory() {
    assert_eq!(host().linear_memory_bytes(), None);
    let perf = PolicyHost::with_engine(guest().as_bytes(), EngineMode::PerfMap).unwrap();
    assert_eq!(perf.linear_memory_bytes(), None);
}

#[test]
fn out_of_bounds_access_traps_in_every_engine_mode() {
    // The metered memory has no guard pages: only explicit bounds checks stop this read.
    for mode in [EngineMode::PolicyEvaluator, EngineMode::MeteredMemory] {
        let host = PolicyHost::with_engine(guest().as_bytes(), mode).unwrap();
        for grow in [false, true] {
            if grow {
                assert_eq!(host.call("grow", b"").unwrap(), b"ok");
            }
            match host.call("oob", b"").unwrap_err() {
                HostError::Guest { message, .. } => assert!(
                    message.starts_with("error while executing at wasm backtrace"),
                    "{mode:?}: {message}"
                ),
                other => panic!("{mode:?}: unexpected {other:?}"),
            }
        }
        assert_eq!(host.protocol_version().unwrap(), "v1", "{mode:?}");
    }
}

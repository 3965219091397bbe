//! [`PolicyHost`]: the module loaded into wasmtime behind a waPC host, as policy-evaluator does.

use std::error::Error;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use serde::de::DeserializeOwned;
use serde_json::Value;
use wapc::{WapcHost, WasiParams};
use wasmtime_provider::WasmtimeEngineProviderBuilder;
use wasmtime_provider::wasmtime::Module;

use crate::cluster::{HostCall, Session};
use crate::engine::EngineMode;
use crate::memory::MemoryMeter;
use crate::payload::validation_payload_bytes;
use crate::{HostError, SettingsValidationResponse, ValidationResponse};

/// The environment variable that makes the host print the guest's log events on stderr.
pub const LOG_ENV: &str = "POLICY_HOST_LOG";

/// A policy module compiled once and instantiated once; every call reuses the same instance
/// (and so the same linear memory), like a Kubewarden policy-evaluator.
///
/// The module is built for `wasm32-wasip1`: WASI preview 1 is linked in (default WASI
/// parameters: no arguments, no environment, no preopened directory; the guest's stdout and
/// stderr are the host's).
///
/// Host calls from the guest: `kubewarden`/`tracing`/`log` (the SDK's logging) is answered with
/// an empty payload (and printed on stderr when the `POLICY_HOST_LOG` environment variable is
/// set); every other binding/namespace/operation is answered with a waPC host error.
///
/// **Linear memory size:** `wasmtime_provider::WasmtimeEngineProvider` keeps its `wasmtime::Store`
/// and `Instance` private, so the guest's memory export cannot be read. A host created with
/// [`EngineMode::MeteredMemory`] allocates the linear memory itself and reports its size
/// ([`PolicyHost::linear_memory_bytes`]); that configuration compiles explicit bounds checks, so
/// time is measured with the default [`EngineMode::PolicyEvaluator`].
///
/// `PolicyHost` is neither `Send` nor `Sync` (`WapcHost` holds the engine in a `RefCell` behind a
/// non-`Send` trait object): create one per thread.
pub struct PolicyHost {
    wapc: WapcHost,
    /// What the host callback answers to Kubernetes calls, and the calls it saw.
    cluster: Arc<Mutex<Cluster>>,
    /// Set for [`EngineMode::MeteredMemory`].
    memory: Option<MemoryMeter>,
}

impl std::fmt::Debug for PolicyHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyHost").field("wapc_id", &self.wapc.id()).finish()
    }
}

impl PolicyHost {
    /// Reads, compiles and instantiates the module at `path`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, HostError> {
        let path = path.as_ref();
        let wasm = std::fs::read(path).map_err(|source| HostError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&wasm)
    }

    /// Compiles and instantiates the module, then runs its waPC initialisation (`wapc_init`).
    pub fn from_bytes(wasm: &[u8]) -> Result<Self, HostError> {
        Self::with_engine(wasm, EngineMode::PolicyEvaluator)
    }

    /// [`PolicyHost::from_bytes`] on an engine configured for `mode`.
    pub fn with_engine(wasm: &[u8], mode: EngineMode) -> Result<Self, HostError> {
        // policy-evaluator builds the engine itself (to turn on epoch interruptions) and hands
        // it, with the module compiled once, to the provider builder.
        let (engine, memory) = mode.engine().map_err(|e| HostError::Compile(format!("{e:#}")))?;
        let module = Module::new(&engine, wasm).map_err(|e| HostError::Compile(format!("{e:#}")))?;
        let provider = WasmtimeEngineProviderBuilder::new()
            .engine(engine)
            .module(module)
            .wasi_params(WasiParams::default())
            .build_pre()?
            .rehydrate(None)?;
        let cluster = Arc::new(Mutex::new(Cluster::default()));
        let callback_cluster = Arc::clone(&cluster);
        let callback = move |id: u64, binding: &str, namespace: &str, operation: &str, payload: &[u8]| {
            let mut cluster = callback_cluster.lock().unwrap_or_else(PoisonError::into_inner);
            host_callback(&mut cluster, id, binding, namespace, operation, payload)
        };
        let wapc = WapcHost::new(Box::new(provider), Some(Box::new(callback))).map_err(HostError::Init)?;
        Ok(Self { wapc, memory, cluster })
    }

    /// The size of the guest's linear memory in bytes, for a host created with
    /// [`EngineMode::MeteredMemory`] (`None` otherwise). A wasm memory never shrinks: this is the
    /// most the guest has needed since it was loaded.
    #[must_use]
    pub fn linear_memory_bytes(&self) -> Option<usize> {
        self.memory.as_ref().map(MemoryMeter::bytes)
    }

    /// Calls the waPC function `op` with `payload` and returns the guest's answer as is.
    pub fn call(&self, op: &str, payload: &[u8]) -> Result<Vec<u8>, HostError> {
        self.wapc.call(op, payload).map_err(|e| HostError::from_call(op, e))
    }

    /// Calls `validate` with `{"request": request, "settings": settings}`.
    ///
    /// `request` is the AdmissionRequest itself (see [`crate::admission_request`] to take it
    /// out of an AdmissionReview); `settings` is the settings object (`{}` when none).
    pub fn validate(&self, request: &Value, settings: &Value) -> Result<ValidationResponse, HostError> {
        let payload = validation_payload_bytes(request, settings)?;
        self.call_json("validate", &payload)
    }

    /// Calls `validate` with the cluster answering the policy's host calls from `session` (a kwctl session file),
    /// and returns every Kubernetes call the policy made, in order. `validate` itself answers with no cluster
    /// access, as `kwctl run` without `--allow-context-aware` does.
    pub fn validate_in(
        &self,
        request: &Value,
        settings: &Value,
        session: Session,
    ) -> Result<(ValidationResponse, Vec<HostCall>), HostError> {
        self.set_session(session);
        let response = self.validate(request, settings);
        let calls = self.set_session(Session::none());
        Ok((response?, calls))
    }

    /// [`PolicyHost::validate_in`] with the payload as bytes and the answer as the guest wrote it.
    pub fn validate_raw_in(&self, payload: &[u8], session: Session) -> Result<(Vec<u8>, Vec<HostCall>), HostError> {
        self.set_session(session);
        let answer = self.validate_raw(payload);
        let calls = self.set_session(Session::none());
        Ok((answer?, calls))
    }

    /// Installs the session the next calls are answered from; returns the calls made since the last one.
    fn set_session(&self, session: Session) -> Vec<HostCall> {
        let mut cluster = self.cluster.lock().unwrap_or_else(PoisonError::into_inner);
        cluster.session = session;
        std::mem::take(&mut cluster.calls)
    }

    /// Calls `validate` with arbitrary bytes; returns the raw answer.
    pub fn validate_raw(&self, payload: &[u8]) -> Result<Vec<u8>, HostError> {
        self.call("validate", payload)
    }

    /// Calls `validate_settings` with the settings object alone.
    ///
    /// Settings that do not deserialize make the SDK answer a waPC error, returned here as
    /// [`HostError::Guest`]; Kubewarden reports that as invalid settings.
    pub fn validate_settings(&self, settings: &Value) -> Result<SettingsValidationResponse, HostError> {
        let payload = serde_json::to_vec(settings).map_err(|e| HostError::InvalidInput {
            context: "settings".to_owned(),
            message: e.to_string(),
        })?;
        self.call_json("validate_settings", &payload)
    }

    /// Calls `validate_settings` with arbitrary bytes; returns the raw answer.
    pub fn validate_settings_raw(&self, payload: &[u8]) -> Result<Vec<u8>, HostError> {
        self.call("validate_settings", payload)
    }

    /// Calls `protocol_version` (empty payload) and decodes the JSON string it answers (`"v1"`).
    pub fn protocol_version(&self) -> Result<String, HostError> {
        self.call_json("protocol_version", &[])
    }

    fn call_json<T: DeserializeOwned>(&self, op: &str, payload: &[u8]) -> Result<T, HostError> {
        let answer = self.call(op, payload)?;
        serde_json::from_slice(&answer).map_err(|e| HostError::invalid_response(op, &answer, e))
    }
}

type CallbackResult = Result<Vec<u8>, Box<dyn Error + Send + Sync>>;

/// The cluster state the host callback shares with [`PolicyHost`].
#[derive(Debug, Default)]
struct Cluster {
    session: Session,
    calls: Vec<HostCall>,
}

fn host_callback(
    cluster: &mut Cluster,
    id: u64,
    binding: &str,
    namespace: &str,
    operation: &str,
    payload: &[u8],
) -> CallbackResult {
    match (binding, namespace, operation) {
        ("kubewarden", "tracing", "log") => {
            if std::env::var_os(LOG_ENV).is_some() {
                eprintln!("{}", format_log_event(id, payload));
            }
            Ok(Vec::new())
        }
        ("kubewarden", "kubernetes", _) => {
            let request: Value = serde_json::from_slice(payload)
                .map_err(|e| format!("kubernetes/{operation}: the request is not JSON: {e}"))?;
            cluster.calls.push(HostCall {
                namespace: namespace.to_owned(),
                operation: operation.to_owned(),
                request: request.clone(),
            });
            Ok(cluster.session.answer(operation, &request)?)
        }
        _ => Err(format!(
            "host call {binding}/{namespace}/{operation} is not supported by this host \
             (policy-host answers kubewarden/tracing/log and kubewarden/kubernetes)"
        )
        .into()),
    }
}

/// One line for a log event of the SDK's `KubewardenDrain`: a JSON object with `level`,
/// `message` and the slog key/values.
pub(crate) fn format_log_event(id: u64, payload: &[u8]) -> String {
    let Ok(Value::Object(mut event)) = serde_json::from_slice::<Value>(payload) else {
        return format!("[policy {id}] {}", String::from_utf8_lossy(payload));
    };
    let mut take = |key: &str| match event.remove(key) {
        Some(Value::String(s)) => s,
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let level = take("level").to_uppercase();
    let message = take("message");
    let mut line = format!("[policy {id}] {level:<5} {message}");
    for (key, value) in &event {
        match value {
            Value::String(s) => line.push_str(&format!(" {key}={s}")),
            other => line.push_str(&format!(" {key}={other}")),
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_calls_are_answered() {
        let answer = host_callback(
            &mut Cluster::default(),
            1,
            "kubewarden",
            "tracing",
            "log",
            br#"{"level":"info","message":"hi"}"#,
        );
        assert_eq!(answer.unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn other_calls_are_refused() {
        for (binding, namespace, operation) in [
            ("kubewarden", "oci", "v1/verify"),
            ("kubewarden", "tracing", "debug"),
            ("other", "tracing", "log"),
        ] {
            let err = host_callback(&mut Cluster::default(), 1, binding, namespace, operation, b"{}").unwrap_err();
            let text = err.to_string();
            assert!(text.contains(&format!("{binding}/{namespace}/{operation}")), "{text}");
            assert!(text.contains("not supported by this host"), "{text}");
        }
    }

    #[test]
    fn log_lines() {
        let line = format_log_event(
            3,
            br#"{"level":"warning","message":"odd container","column":5,"container":"istio-proxy"}"#,
        );
        assert_eq!(line, "[policy 3] WARNING odd container column=5 container=istio-proxy");
        assert_eq!(format_log_event(0, b"not json"), "[policy 0] not json");
    }

    #[test]
    fn garbage_is_not_a_module() {
        let err = PolicyHost::from_bytes(b"definitely not wasm").unwrap_err();
        assert!(matches!(err, HostError::Compile(_)), "{err:?}");
        let err = PolicyHost::from_file("/nonexistent/policy.wasm").unwrap_err();
        assert!(matches!(err, HostError::Read { .. }), "{err:?}");
    }
}

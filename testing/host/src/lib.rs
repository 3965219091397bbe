//! Runs the policy's compiled `.wasm` the way Kubewarden's policy-evaluator does: wasmtime
//! through `wasmtime_provider::WasmtimeEngineProviderBuilder`, behind a `wapc::WapcHost`, the
//! module compiled once and its instance reused across calls, WASI preview 1 linked in.
//!
//! ```no_run
//! use policy_host::{PolicyHost, policy_wasm};
//! use serde_json::json;
//!
//! let host = PolicyHost::from_file(policy_wasm()?)?;
//! assert_eq!(host.protocol_version()?, "v1");
//! let request = json!({"uid": "1", "operation": "CREATE", "object": {}});
//! let response = host.validate(&request, &json!({}))?;
//! println!("accepted: {}", response.accepted);
//! # Ok::<(), policy_host::HostError>(())
//! ```

mod cluster;
mod engine;
mod error;
mod host;
mod locate;
mod memory;
mod payload;
mod response;

pub use cluster::{HostCall, Session, not_granted};
pub use engine::EngineMode;
pub use error::HostError;
pub use host::{LOG_ENV, PolicyHost};
pub use locate::{POLICY_WASM_ENV, policy_wasm, release_module, workspace_root};
pub use payload::{admission_request, validation_payload, validation_payload_bytes};
pub use response::{Answer, SettingsValidationResponse, ValidationResponse};

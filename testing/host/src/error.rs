//! The one error type of the crate.

use std::path::PathBuf;

/// Everything that can go wrong while loading or calling the policy module.
///
/// A guest that answers garbage is an error ([`HostError::InvalidResponse`]), never a panic.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// A file (the module, a request, the settings) could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// wasmtime refused the module (not WebAssembly, unsupported feature, ...).
    #[error("cannot compile the WebAssembly module: {0}")]
    Compile(String),

    /// The engine provider could not link or instantiate the module
    /// (a missing import, no `__guest_call` export, ...).
    #[error("cannot prepare the WebAssembly module: {0}")]
    Provider(#[from] wasmtime_provider::errors::Error),

    /// waPC initialisation (`_start` / `wapc_init`) failed or trapped.
    #[error("cannot initialise the waPC module: {0}")]
    Init(#[source] wapc::errors::Error),

    /// The guest answered the call with a waPC error, or trapped. `message` is what the guest
    /// reported, or for a trap (a panic in a `panic = "abort"` guest is an `unreachable` trap)
    /// wasmtime's `error while executing at wasm backtrace: ...`: wasmtime-provider keeps only
    /// the error's `Display`, so the trap kind itself is not in the message.
    /// Kubewarden turns this into an HTTP 500 for `validate` and into "invalid settings" for
    /// `validate_settings`.
    #[error("guest call `{operation}` failed: {message}")]
    Guest { operation: String, message: String },

    /// Any other waPC failure while calling the guest.
    #[error("waPC call `{operation}` failed: {source}")]
    Call {
        operation: String,
        #[source]
        source: wapc::errors::Error,
    },

    /// The guest answered bytes that are not the JSON the protocol asks for.
    #[error("guest call `{operation}` answered an invalid response ({source}): {body}")]
    InvalidResponse {
        operation: String,
        /// The answer, lossily decoded as UTF-8 and truncated for display.
        body: String,
        #[source]
        source: serde_json::Error,
    },

    /// A JSON document (request, settings) is not what was expected.
    #[error("{context}: {message}")]
    InvalidInput { context: String, message: String },

    /// `cargo build` of the policy module could not be run or failed.
    #[error("`{command}` failed: {detail}")]
    Build {
        command: String,
        /// cargo's stderr, or why cargo could not be started.
        detail: String,
    },
}

impl HostError {
    pub(crate) fn invalid_response(operation: &str, body: &[u8], source: serde_json::Error) -> Self {
        const MAX: usize = 512;
        let text = String::from_utf8_lossy(body);
        let body = if text.chars().count() > MAX {
            let cut: String = text.chars().take(MAX).collect();
            format!("{cut}... ({} bytes)", body.len())
        } else {
            text.into_owned()
        };
        HostError::InvalidResponse {
            operation: operation.to_owned(),
            body,
            source,
        }
    }

    pub(crate) fn from_call(operation: &str, error: wapc::errors::Error) -> Self {
        match error {
            wapc::errors::Error::GuestCallFailure(message) => HostError::Guest {
                operation: operation.to_owned(),
                message,
            },
            source => HostError::Call {
                operation: operation.to_owned(),
                source,
            },
        }
    }
}

//! The sidecar placement policy in the browser.
//!
//! The same core as the Kubewarden module (`sidecar-placement-policy` without its `kubewarden` feature) behind one
//! JavaScript function:
//!
//! ```js
//! import init, { evaluate } from "./sidecar_placement_web.js";
//! await init();
//! const r = evaluate(manifestYaml, settingsYaml, "CREATE", "v1.30.2, v1.28.9"); // operation and nodes optional
//! r.decision; r.message; r.warnings; r.settingsError; r.error; r.errorLine; r.nodesError;
//! r.mutatedManifest; r.view; r.fixError; r.patch;
//! ```
//!
//! Everything but the binding itself is plain Rust ([`evaluate`] returns an [`Outcome`]), tested natively.

mod outcome;

pub use outcome::{Decision, InputError, LineChange, Outcome, ViewLine, evaluate};

/// The wasm-bindgen export: [`evaluate`] with its [`Outcome`] handed over as a plain JS object.
#[cfg(target_arch = "wasm32")]
mod bindings {
    use wasm_bindgen::prelude::*;

    /// `evaluate(manifest, settings, operation?, nodes?)`: manifest and settings are YAML or JSON text; `operation`
    /// is `CREATE` (default), `UPDATE`, `DELETE` or `CONNECT`; `nodes` lists the cluster's kubelet versions
    /// (`v1.30.2, worker-b=v1.28.9`; empty: nodes not checked). Never throws: unreadable input comes back in
    /// `error` / `settingsError` / `nodesError`, with the line in `errorLine` / `settingsErrorLine`.
    #[wasm_bindgen(js_name = evaluate)]
    pub fn evaluate(manifest: &str, settings: &str, operation: Option<String>, nodes: Option<String>) -> JsValue {
        let outcome = crate::evaluate(manifest, settings, operation.as_deref(), nodes.as_deref());
        // JSON.parse builds plain objects and arrays; the record has only string keys, so serializing cannot fail.
        match serde_json::to_string(&outcome) {
            Ok(json) => js_sys::JSON::parse(&json).unwrap_or_else(|error| error),
            Err(error) => JsValue::from_str(&error.to_string()),
        }
    }
}

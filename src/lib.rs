//! Sidecar placement policy: sidecars belong in `initContainers` with `restartPolicy: Always` (native sidecars,
//! Kubernetes 1.29+), not next to the app in `containers`.
//!
//! The crate is a pure core over the workload's JSON plus thin adapters:
//! - [`settings`]: what users configure, compiled once into a [`settings::Policy`];
//! - [`image`]: Docker/OCI image references and the patterns that match them;
//! - [`workload`]: where each kind keeps its pod spec;
//! - [`rules`]: which containers are misplaced, and how to say so;
//! - [`nodes`]: whether the cluster's kubelets can run native sidecars (`checkNodes`);
//! - [`mutation`]: moving legacy sidecars into `initContainers`, in place, losing nothing;
//! - [`admission`]: one admission request decided (operations, subresources, UPDATE semantics);
//! - [`verdict`]: the answer, independent of its delivery;
//! - `kubewarden` (feature `kubewarden`, on by default): the waPC entry points Kubewarden calls.
//!
//! The browser build (`web/`) uses the same core with the `kubewarden` feature off.

pub mod admission;
pub mod image;
pub mod mutation;
pub mod nodes;
pub mod rules;
pub mod settings;
pub mod verdict;
pub mod workload;

#[cfg(feature = "kubewarden")]
mod kubewarden;

pub use admission::{AdmissionRequest, Operation, evaluate};
pub use nodes::{Node, NodeLookup};
pub use settings::{Placement, Policy, Settings, SettingsError};
pub use verdict::Verdict;

/// The name serde gives a unit variant (`CREATE`, `afterInitContainers`): the one spelling of every name that
/// settings and requests carry, reused in messages instead of being written a second time.
pub fn wire_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(other) => other.to_string(),
        Err(error) => format!("<{error}>"),
    }
}

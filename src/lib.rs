//! Sidecar placement policy: sidecars belong in `initContainers` with `restartPolicy: Always` (native sidecars,
//! Kubernetes 1.29+), not next to the app in `containers`.
//!
//! The crate is a pure core plus thin adapters:
//! - [`settings`]: what users configure, compiled once into a [`settings::Policy`];
//! - [`image`]: Docker/OCI image references and the patterns that match them;
//! - [`view`]: the object as the decision reads it, straight from the request's bytes;
//! - [`workload`]: where each kind keeps its pod spec;
//! - [`rules`]: which containers are misplaced, and how to say so;
//! - [`nodes`]: whether the cluster's kubelets can run native sidecars (`checkNodes`);
//! - [`quantity`] and [`resources`]: pod-level resources a conversion must stay within;
//! - [`mutation`]: which sidecars move where, carried out by splicing the object's own text;
//! - [`admission`]: one request decided (operations, subresources, UPDATE, when to ask the cluster);
//! - [`verdict`]: the answer, independent of its delivery; [`response`]: the answer as Kubewarden's JSON;
//! - `kubewarden` (feature `kubewarden`, on by default): the waPC entry points Kubewarden calls.
//!
//! The browser build (`web/`) and the command-line tool (`cli/`) use the same core with `kubewarden` off.

pub mod admission;
pub mod image;
pub mod mutation;
pub mod nodes;
pub mod quantity;
pub mod resources;
pub mod response;
pub mod rules;
mod scan;
pub mod settings;
pub mod verdict;
pub mod view;
pub mod workload;

#[cfg(feature = "kubewarden")]
mod kubewarden;

/// Today's reading and writing (a `serde_json::Value` tree, the SDK's response type) around the same decision: the
/// test oracle the byte-level path is checked against. Native builds with the `oracle` feature only.
#[cfg(all(feature = "oracle", not(target_arch = "wasm32")))]
pub mod oracle;

#[cfg(test)]
mod test_messages;

/// `haystack` split around the first (or with `last`, the last) occurrence of `needle`, by a plain window scan:
/// `str::split_once` with a `&str` pattern links the Two-Way searcher, about 2.5 KB of the module, for the few short
/// messages the policy looks into.
pub(crate) fn split_around<'a>(haystack: &'a str, needle: &str, last: bool) -> Option<(&'a str, &'a str)> {
    let mut windows = haystack.as_bytes().windows(needle.len().max(1));
    let matches = |window: &[u8]| window == needle.as_bytes();
    let at = if last {
        windows.rposition(matches)
    } else {
        windows.position(matches)
    }?;
    Some((haystack.get(..at)?, haystack.get(at + needle.len()..)?))
}

pub use admission::{AdmissionRequest, OFFLINE, Operation, evaluate};
pub use nodes::{Kubelet, LookupError, Node, NodeLookup, NodeQuery};
pub use settings::{Placement, Policy, Settings, SettingsError};
pub use verdict::Verdict;

/// The name serde gives a unit variant (`CREATE`, `afterInitContainers`): the one spelling of every name that
/// settings and requests carry, reused in messages instead of being written a second time.
pub fn wire_name<T: serde::Serialize>(value: &T) -> String {
    // Written as JSON text (no `Value` tree, which the module would otherwise carry only for this): a unit variant
    // is a JSON string.
    match serde_json::to_string(value) {
        Ok(json) => json.trim_matches('"').to_owned(),
        Err(error) => format!("<{error}>"),
    }
}

/// Reads JSON text with the one reader the module uses for every input (`serde_json`'s slice reader), so that each
/// view's deserializer is compiled once.
pub(crate) fn read_json<'a, T: serde::Deserialize<'a>>(text: &'a str) -> serde_json::Result<T> {
    serde_json::from_slice(text.as_bytes())
}

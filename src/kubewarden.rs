//! The waPC entry points Kubewarden calls: they only translate between the host and [`crate::response`].

use std::collections::BTreeSet;

use kubewarden_policy_sdk::host_capabilities::kubernetes::{GetResourceRequest, ListAllResourcesRequest};
use kubewarden_policy_sdk::protocol_version_guest;
use wapc_guest::{CallResult, register_function};

use crate::nodes::{self, LookupError, NODE_API_VERSION, NODE_FIELD_MASKS, NODE_KIND, NodeLookup, NodeQuery};
use crate::response;

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings);
    register_function("protocol_version", protocol_version_guest);
}

fn validate(payload: &[u8]) -> CallResult {
    Ok(response::validate(payload, ask_cluster))
}

fn validate_settings(payload: &[u8]) -> CallResult {
    Ok(response::validate_settings(payload))
}

/// The policy's one question about Nodes, as one host call: `list_resources_all` of `v1/Node` for every node, or
/// `get_resource` of the Node a Pod is pinned to. Both are trimmed by field masks to the two fields the policy reads,
/// and the answer is handed to the core as the host sent it: [`nodes::readiness`] reads it in one pass, which is
/// why the SDK's typed `list_all_resources::<Node>` is not used (it deserializes every node into a `k8s_openapi`
/// Node; BENCHMARKS.md has the measurement).
fn ask_cluster(query: NodeQuery<'_>) -> NodeLookup {
    let field_masks = Some(
        NODE_FIELD_MASKS
            .iter()
            .map(|mask| (*mask).to_owned())
            .collect::<BTreeSet<_>>(),
    );
    let (operation, request) = match query {
        NodeQuery::All => (
            "list_resources_all",
            serde_json::to_vec(&ListAllResourcesRequest {
                api_version: NODE_API_VERSION.to_owned(),
                kind: NODE_KIND.to_owned(),
                label_selector: None,
                field_selector: None,
                field_masks,
            }),
        ),
        NodeQuery::Named(name) => (
            "get_resource",
            serde_json::to_vec(&GetResourceRequest {
                api_version: NODE_API_VERSION.to_owned(),
                kind: NODE_KIND.to_owned(),
                name: name.to_owned(),
                namespace: None,
                disable_cache: false,
                field_masks,
            }),
        ),
    };
    let request = request.map_err(|error| LookupError::Unreadable(error.to_string()))?;
    wapc_guest::host_call("kubewarden", "kubernetes", operation, &request)
        .map_err(|error| nodes::host_error(query, &error.to_string()))
}

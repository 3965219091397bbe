//! `checkNodes`: what the Node lookup costs a conversion as the cluster grows.
//!
//! A Pod with a legacy `vault-agent` is converted with `checkNodes: true` while the host answers the policy's
//! `list_resources_all` for `v1/Node` with a NodeList of N ready nodes (masked to name and kubelet version, as
//! policy-server sends it), next to the same conversion without `checkNodes` and a Pod without sidecars with
//! `checkNodes: true`, which must cost no lookup at all. Every answer is checked before anything is timed.

use std::time::{Duration, Instant};

use policy_host::{EngineMode, HostCall, PolicyHost, Session, ValidationResponse};
use serde_json::{Value, json};

use crate::payload::{IMAGE_PATTERNS, VAULT_AGENT, app_container, vault_agent};
use crate::{Budget, Error, Stats};

/// Nodes in the answer.
pub const NODE_COUNTS: [usize; 3] = [10, 1_000, 5_000];

/// What one row measured.
#[derive(Debug, Clone)]
pub struct NodeCase {
    /// What is decided, for the report.
    pub label: String,
    /// Size of the NodeList the host copies into the guest.
    pub answer_bytes: usize,
    pub policy: Stats,
}

/// The kubelet versions of a realistic fleet: managed-service builds, all able to run native sidecars.
const KUBELETS: [&str; 4] = ["v1.30.4-eks-a737599", "v1.31.0+k3s1", "v1.32.1-gke.1002000", "v1.33.2"];

/// A NodeList of `count` ready nodes, as the host sends it after the field masks.
pub fn node_list(count: usize) -> String {
    let items: Vec<Value> = (0..count)
        .map(|i| {
            json!({"metadata": {"name": format!("ip-10-{}-{}-{}.eu-west-1.compute.internal", i / 65_536, (i / 256) % 256, i % 256)},
                   "status": {"nodeInfo": {"kubeletVersion": KUBELETS[i % KUBELETS.len()]}}})
        })
        .collect();
    json!({"apiVersion": "v1", "kind": "NodeList", "metadata": {"resourceVersion": "48213"}, "items": items})
        .to_string()
}

/// The request the policy sends for the Node list.
fn lookup() -> Value {
    json!({"api_version": "v1", "kind": "Node", "label_selector": null, "field_selector": null,
           "field_masks": ["metadata.name", "status.nodeInfo.kubeletVersion"]})
}

fn pod_request(with_agent: bool) -> Value {
    let mut containers = vec![app_container(0), app_container(1)];
    if with_agent {
        containers.insert(1, vault_agent());
    }
    let gvk = json!({"group": "", "version": "v1", "kind": "Pod"});
    json!({
        "uid": "5d0c3f0e-6f8a-4f4e-8a34-2b7a1f9c0d11",
        "kind": gvk, "requestKind": gvk,
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "name": "checkout-7d9f8b6c5-x2k4q", "namespace": "shop", "operation": "CREATE",
        "object": {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": "checkout-7d9f8b6c5-x2k4q", "namespace": "shop"},
                   "spec": {"containers": containers}},
    })
}

fn payload(with_agent: bool, check_nodes: bool) -> Result<Vec<u8>, Error> {
    let settings = json!({"sidecarImages": IMAGE_PATTERNS, "mutate": true, "checkNodes": check_nodes});
    Ok(policy_host::validation_payload_bytes(
        &pod_request(with_agent),
        &settings,
    )?)
}

/// One call with `answer` (if any) as the cluster; the guest's time only, and what it asked.
fn call(host: &PolicyHost, payload: &[u8], answer: Option<&str>) -> Result<(Duration, Vec<u8>, Vec<HostCall>), Error> {
    let session = match answer {
        Some(list) => Session::answering("list_resources_all", lookup(), list.to_owned())?,
        None => Session::none(),
    };
    let start = Instant::now();
    let (answer, calls) = host.validate_raw_in(payload, session)?;
    Ok((start.elapsed(), answer, calls))
}

fn check(label: &str, answer: &[u8], calls: &[HostCall], converted: bool, lookups: usize) -> Result<(), Error> {
    let response: ValidationResponse = serde_json::from_slice(answer)?;
    let moved = response.mutated_object.as_ref().is_some_and(|object| {
        object["spec"]["initContainers"][0]["name"] == VAULT_AGENT
            && object["spec"]["initContainers"][0]["restartPolicy"] == "Always"
    });
    if !response.accepted || moved != converted || calls.len() != lookups {
        return Err(format!(
            "{label}: expected {} with {lookups} lookup(s), got {} lookup(s) and {}",
            if converted {
                "a conversion"
            } else {
                "a plain acceptance"
            },
            calls.len(),
            String::from_utf8_lossy(answer)
        )
        .into());
    }
    Ok(())
}

/// Times every row `iterations` times, interleaved so that machine noise hits all rows alike.
pub fn run(host: &PolicyHost, iterations: usize) -> Result<Vec<NodeCase>, Error> {
    struct Row {
        label: String,
        payload: Vec<u8>,
        answer: Option<String>,
        converted: bool,
    }
    let mut rows = vec![
        Row {
            label: "conversion, checkNodes off".into(),
            payload: payload(true, false)?,
            answer: None,
            converted: true,
        },
        Row {
            label: "no sidecar, checkNodes on (no lookup)".into(),
            payload: payload(false, true)?,
            answer: None,
            converted: false,
        },
    ];
    for count in NODE_COUNTS {
        rows.push(Row {
            label: format!("conversion, checkNodes on, {} nodes", crate::report::thousands(count)),
            payload: payload(true, true)?,
            answer: Some(node_list(count)),
            converted: true,
        });
    }
    for row in &rows {
        let (_, answer, calls) = call(host, &row.payload, row.answer.as_deref())?;
        check(
            &row.label,
            &answer,
            &calls,
            row.converted,
            usize::from(row.answer.is_some()),
        )?;
    }
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(iterations); rows.len()];
    for _ in 0..iterations {
        for (row, samples) in rows.iter().zip(&mut samples) {
            samples.push(call(host, &row.payload, row.answer.as_deref())?.0);
        }
    }
    Ok(rows
        .into_iter()
        .zip(samples)
        .map(|(row, samples)| NodeCase {
            answer_bytes: row.answer.as_ref().map_or(0, String::len),
            label: row.label,
            policy: Stats::of(samples),
        })
        .collect())
}

/// `--profile nodes`: the conversion with a 5,000-node lookup in a loop for `seconds`, in an engine that writes a
/// perf map; the answer is checked first.
pub fn profile(wasm: &[u8], budget: Budget) -> Result<Stats, Error> {
    let host = PolicyHost::with_engine(wasm, EngineMode::PerfMap)?;
    let payload = payload(true, true)?;
    let list = node_list(5_000);
    let (_, answer, calls) = call(&host, &payload, Some(&list))?;
    check("conversion, 5,000 nodes", &answer, &calls, true, 1)?;
    let samples = budget.spend(|| Ok(call(&host, &payload, Some(&list))?.0))?;
    Ok(Stats::of(samples))
}

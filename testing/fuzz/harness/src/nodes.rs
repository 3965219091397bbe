//! Target `node_list`: any bytes as the host's answer about Nodes. The hand-written scanner that reads it
//! (`src/scan.rs`) must accept exactly what serde accepts (`src/nodes/reference.rs`) and read the same nodes,
//! as a NodeList and as one Node.

/// Panics when the scanner and serde read `bytes` differently.
pub fn node_list(bytes: &[u8]) {
    if let Err(difference) = sidecar_placement_policy::nodes::reference::agrees(bytes) {
        panic!("{difference}\ninput: {}", String::from_utf8_lossy(bytes));
    }
}

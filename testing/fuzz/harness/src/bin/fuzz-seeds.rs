//! `fuzz-seeds CORPUS_ROOT`: writes the starting corpus of the raw-input targets (`make fuzz` runs it): every
//! request of `tests/data/requests` under the test settings, in validation and mutation mode, with and without
//! `checkNodes`, for `decision_json`, and as the waPC payload for `differential`, plus variants of the converted Pod
//! with pod-level resources and `resizePolicy`; the README's pattern/image pairs for `image`. The structured targets
//! need no seeds: any bytes make a pod spec (with resources and resizePolicy among what they draw).

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// `sidecarImages` pattern and image pairs of the README's table, both matching and not.
const IMAGE_PAIRS: &[(&str, &str)] = &[
    ("hashicorp/vault", "hashicorp/vault:1.15.2"),
    (
        "hashicorp/vault",
        "docker.io/hashicorp/vault@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ),
    ("hashicorp/vault", "index.docker.io/hashicorp/vault:1.15"),
    ("nginx", "docker.io/library/nginx:1.25"),
    ("docker.io/istio/proxyv2", "docker.io.evil.com/istio/proxyv2:1.22"),
    ("istio/proxyv2", "gcr.io/istio-release/proxyv2:1.22"),
    ("*/istio-release/proxyv2", "gcr.io/istio-release/proxyv2:1.22"),
    ("fluent/fluent-bit:3.*", "fluent/fluent-bit:3.1.4"),
    ("fluent/fluent-bit:3.*", "fluent/fluent-bit:2.2"),
    ("hashicorp/vault:1.15", "hashicorp/vault:1.15.2"),
    ("localhost:5000/agent", "localhost:5000/agent:v1"),
    ("ghcr.io/acme/*", "ghcr.io/acme/log-shipper:2"),
    ("[::1]:5000/agent", "[::1]:5000/agent:v1"),
];

fn main() {
    let root = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| exit("usage: fuzz-seeds CORPUS_ROOT (e.g. testing/fuzz/corpus)"));
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tests/data");
    let read = |path: &Path| -> Value {
        let text = fs::read_to_string(path).unwrap_or_else(|e| exit(&format!("cannot read {}: {e}", path.display())));
        serde_json::from_str(&text).unwrap_or_else(|e| exit(&format!("{} is not JSON: {e}", path.display())))
    };
    let validate = read(&data.join("settings.json"));
    let mutate = read(&data.join("settings-mutate.json"));
    let mut before = mutate.clone();
    before["placement"] = json!("beforeInitContainers");
    let mut check_nodes = mutate.clone();
    check_nodes["checkNodes"] = json!(true);
    let mut restrict = validate.clone();
    restrict["restrictNativeSidecars"] = json!(true);
    let settings = [
        ("validate", validate, None),
        ("restrict", restrict, None),
        ("mutate", mutate, None),
        ("before", before, None),
        (
            "nodes-ready",
            check_nodes.clone(),
            Some(node_list(&["v1.30.4", "v1.33.1+k3s1"])),
        ),
        (
            "nodes-old",
            check_nodes,
            Some(node_list(&["v1.30.4", "v1.28.5-eks-4f1a2b"])),
        ),
    ];

    let decision = root.join("decision_json");
    let differential = root.join("differential");
    let mut requests: Vec<PathBuf> = fs::read_dir(data.join("requests"))
        .unwrap_or_else(|e| exit(&format!("cannot list tests/data/requests: {e}")))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    requests.sort();
    let mut written = 0;
    for path in &requests {
        let full = read(path);
        // Only what the decision reads: smaller inputs mutate faster.
        let mut request = json!({});
        for field in ["kind", "operation", "subResource", "object", "oldObject"] {
            if let Some(value) = full.get(field) {
                request[field] = value.clone();
            }
        }
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("request");
        let mut variants = vec![(stem.to_owned(), request.clone())];
        if let Some(spec) = request
            .pointer("/object/spec")
            .filter(|spec| spec.get("containers").is_some())
        {
            variants.push((format!("{stem}-resources"), with_pod_resources(&request, spec)));
            variants.push((format!("{stem}-resize"), with_resize_policy(&request)));
        }
        for (stem, request) in &variants {
            for (name, settings, nodes) in &settings {
                let payload = json!({"request": request, "settings": settings});
                write(
                    &differential.join(format!("seed-{stem}-{name}.json")),
                    payload.to_string().as_bytes(),
                );
                written += 1;
                seed_decision(&decision, stem, name, request, settings, nodes.as_ref());
                written += 1;
            }
        }
    }

    let image = root.join("image");
    for (index, (pattern, reference)) in IMAGE_PAIRS.iter().enumerate() {
        write(
            &image.join(format!("seed-{index:02}.txt")),
            format!("{pattern}\n{reference}").as_bytes(),
        );
        written += 1;
    }

    let lists = root.join("node_list");
    for (index, list) in node_lists().iter().enumerate() {
        write(&lists.join(format!("seed-{index:02}.json")), list.as_bytes());
        written += 1;
    }
    println!("fuzz-seeds: {written} seeds under {}", root.display());
}

/// NodeLists as policy-server sends them (whole metadata whatever the masks: labels, annotations with escapes and
/// UTF-8, numbers of every form), compact and pretty-printed, and the trimmed ones of the session files.
fn node_lists() -> Vec<String> {
    let full = json!({
        "metadata": {"name": "ip-10-0-1-7.eu-west-1.compute.internal", "uid": "1b6e", "resourceVersion": "48213",
                     "labels": {"kubernetes.io/arch": "amd64", "topology.kubernetes.io/zone": "eu-west-1a"},
                     "annotations": {"csi.volume.kubernetes.io/nodeid": "{\"ebs.csi.aws.com\":\"i-0a1b\"}",
                                     "note": "café \u{1}\t\n"}},
        "status": {"capacity": {"cpu": "2", "pods": 110}, "allocatable": {"ratio": -1.5e-3, "big": 1.0e300},
                   "nodeInfo": {"kubeletVersion": "v1.28.9-eks-036c24b"}, "images": null, "ok": true}
    });
    let ready = node_list(&["v1.30.4", "v1.33.1+k3s1"]);
    let old = node_list(&["v1.30.4", "v1.28.5-eks-4f1a2b", "garbage", ""]);
    let with_full = json!({"apiVersion": "v1", "kind": "NodeList", "metadata": {"resourceVersion": "1"},
                           "items": [full.clone(), ready["items"][0].clone(), full]});
    let mut lists: Vec<String> = [&ready, &old, &with_full].iter().map(|list| list.to_string()).collect();
    lists.extend(
        [&ready, &with_full]
            .iter()
            .filter_map(|list| serde_json::to_string_pretty(list).ok()),
    );
    lists.push(r#"{"kind":"NodeList","items":null}"#.to_owned());
    lists
}

/// The request with pod-level resources on its Pod: an app of 500m, its containers of 250m each, a one-shot init
/// container of 1 cpu, and a pod request of 1500m (what `beforeInitContainers` can exceed).
fn with_pod_resources(request: &Value, spec: &Value) -> Value {
    let mut request = request.clone();
    let cpu = |cpu: &str| json!({"requests": {"cpu": cpu, "memory": "64Mi"}});
    let mut spec = spec.clone();
    spec["resources"] = json!({"requests": {"cpu": "1500m", "memory": "1Gi"}});
    if let Some(containers) = spec.get_mut("containers").and_then(Value::as_array_mut) {
        for container in containers {
            container["resources"] = cpu("250m");
        }
    }
    let init = json!({"name": "migrate", "image": "acme/migrate:1", "resources": cpu("1")});
    match spec.get_mut("initContainers").and_then(Value::as_array_mut) {
        Some(list) => list.push(init),
        None => spec["initContainers"] = json!([init]),
    }
    request["object"]["spec"] = spec;
    request
}

/// The request with `resizePolicy` on every container of its Pod.
fn with_resize_policy(request: &Value) -> Value {
    let mut request = request.clone();
    if let Some(containers) = request
        .pointer_mut("/object/spec/containers")
        .and_then(Value::as_array_mut)
    {
        for container in containers {
            container["resizePolicy"] = json!([{"resourceName": "cpu", "restartPolicy": "NotRequired"}]);
        }
    }
    request
}

fn seed_decision(dir: &Path, stem: &str, name: &str, request: &Value, settings: &Value, nodes: Option<&Value>) {
    let mut input = json!({"request": request, "settings": settings});
    if let Some(nodes) = nodes {
        input["nodes"] = nodes.clone();
    }
    write(
        &dir.join(format!("seed-{stem}-{name}.json")),
        input.to_string().as_bytes(),
    );
}

fn node_list(versions: &[&str]) -> Value {
    let items: Vec<Value> = versions
        .iter()
        .enumerate()
        .map(|(index, version)| {
            json!({"metadata": {"name": format!("node-{index}")}, "status": {"nodeInfo": {"kubeletVersion": version}}})
        })
        .collect();
    json!({"apiVersion": "v1", "kind": "NodeList", "items": items})
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| exit(&format!("cannot create {}: {e}", parent.display())));
    }
    fs::write(path, bytes).unwrap_or_else(|e| exit(&format!("cannot write {}: {e}", path.display())));
}

fn exit(message: &str) -> ! {
    eprintln!("fuzz-seeds: {message}");
    std::process::exit(2)
}

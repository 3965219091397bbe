//! `make cli-bench`: `sidecar-placement check` over generated manifests in one directory, objects per second.
//!
//! `bench_check BINARY [N] [KIND]` writes N files (default 10,000) into a fresh directory, then runs the release
//! binary three times and prints the median as a markdown table row. KIND is
//! - `deployments` (default): one small Deployment per file, half of them with a legacy vault-agent;
//! - `mixed`: Deployments (four containers, comments, probes), Pods with a native sidecar, CronJobs, Services;
//! - `crds`: one large CustomResourceDefinition per file (an OpenAPI schema of about 20 KB), no pod template:
//!   what reading a repository of CRDs costs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const SETTINGS: &str = "sidecarImages:\n  - hashicorp/vault\n  - \"*/istio-release/proxyv2\"\n  - fluent/fluent-bit:3.*\nsidecarContainerNames:\n  - istio-proxy\n";

fn deployment(index: usize) -> String {
    let sidecar = if index.is_multiple_of(2) {
        "        # renders secrets for the app\n        - name: vault-agent\n          image: hashicorp/vault:1.15.2\n          args: [agent, -config=/etc/vault/agent.hcl]\n"
    } else {
        ""
    };
    format!(
        "# generated deployment {index}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{index}\n  labels:\n    app.kubernetes.io/name: app-{index}\nspec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: app-{index}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: app-{index}\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/team/app-{index}:1.{index}\n          ports:\n            - containerPort: 8080\n          env:\n            - name: MODE\n              value: \"production\"\n          resources:\n            requests: {{cpu: 100m, memory: 128Mi}}\n          readinessProbe:\n            httpGet: {{path: /ready, port: 8080}}\n{sidecar}        - name: metrics\n          image: prom/statsd-exporter:v0.26.0\n"
    )
}

fn pod(index: usize) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{index}\nspec:\n  initContainers:\n  - name: istio-proxy\n    image: docker.io/istio/proxyv2:1.22.0\n    restartPolicy: Always\n  containers:\n  - name: app\n    image: nginx:1.25\n"
    )
}

fn cronjob(index: usize) -> String {
    format!(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: job-{index}\nspec:\n  schedule: \"*/5 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n          - name: job\n            image: example/job:{index}\n          - name: logs\n            image: fluent/fluent-bit:3.1.4\n"
    )
}

fn small_deployment(index: usize) -> String {
    let sidecar = if index.is_multiple_of(2) {
        "      - name: vault-agent\n        image: hashicorp/vault:1.15.2\n"
    } else {
        ""
    };
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{index}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: example/app:{index}\n{sidecar}"
    )
}

/// A CRD whose schema has `fields` properties, each with a description and a nested object, as operators ship them.
fn crd(index: usize, fields: usize) -> String {
    let mut text = format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets{index}.example.com\nspec:\n  group: example.com\n  names: {{kind: Widget{index}, plural: widgets{index}}}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n"
    );
    for field in 0..fields {
        text.push_str(&format!(
            "          field{field}:\n            description: \"Field {field} of the widget: what it configures, its default, and which other fields it interacts with.\"\n            type: object\n            properties:\n              enabled: {{type: boolean, default: false}}\n              mode: {{type: string, enum: [fast, safe, off]}}\n              limit: {{type: integer, minimum: 0, maximum: 65535}}\n"
        ));
    }
    text
}

fn service(index: usize) -> String {
    format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{index}\nspec:\n  ports:\n  - port: 80\n")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let binary = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/release/sidecar-placement".to_owned()),
    );
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let kind = args.next().unwrap_or_else(|| "deployments".to_owned());
    let root = std::env::temp_dir().join(format!("sidecar-placement-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let dir = root.join("manifests");
    std::fs::create_dir_all(&dir).expect("bench directory");
    let mut bytes = 0;
    for index in 0..count {
        let text = match (kind.as_str(), index % 10) {
            ("deployments", _) => small_deployment(index),
            ("crds", _) => crd(index, 60),
            (_, 0..=5) => deployment(index),
            (_, 6 | 7) => pod(index),
            (_, 8) => cronjob(index),
            _ => service(index),
        };
        bytes += text.len();
        std::fs::write(dir.join(format!("manifest-{index:05}.yaml")), text).expect("manifest written");
    }
    let settings = root.join("settings.yaml");
    std::fs::write(&settings, SETTINGS).expect("settings written");
    let mut runs: Vec<(f64, f64, String)> = (0..5).map(|_| run(&binary, &settings, &dir)).collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (seconds, _, summary) = &runs[2];
    let mut cpu: Vec<f64> = runs.iter().map(|run| run.1).collect();
    cpu.sort_by(f64::total_cmp);
    let cpu = cpu[2];
    let objects: f64 = summary
        .split(", ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    println!(
        "| manifests | files | bytes | summary | wall (median of 5) | objects/s | CPU (median of 5) | objects per CPU second |"
    );
    println!("|---|---:|---:|---|---:|---:|---:|---:|");
    println!(
        "| {kind} | {count} | {bytes} | {summary} | {:.3} s | {:.0} | {:.2} s | {:.0} |",
        seconds,
        objects / seconds,
        cpu,
        objects / cpu
    );
    let _ = std::fs::remove_dir_all(&root);
}

/// User and system CPU seconds of the children that ended so far (Linux: /proc/self/stat, in clock ticks of 10 ms);
/// the CPU a run took, whatever else the machine was doing.
fn children_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(") ").next().unwrap_or_default().split(' ').collect();
    // After the command name: state is field 3, cutime field 16, cstime field 17 (1-based, man 5 proc).
    let tick = |index: usize| fields.get(index).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    tick(13) + tick(14)
}

fn run(binary: &Path, settings: &Path, dir: &Path) -> (f64, f64, String) {
    let cpu_before = children_cpu();
    let started = Instant::now();
    let output = Command::new(binary)
        .args(["check", "--settings"])
        .arg(settings)
        .arg(dir)
        .stderr(Stdio::inherit())
        .output()
        .expect("the binary runs");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "the check ran: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    (
        seconds,
        children_cpu() - cpu_before,
        stdout.lines().last().unwrap_or_default().to_owned(),
    )
}

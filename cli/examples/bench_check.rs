//! `make cli-bench`: `sidecar-placement check` over 10,000 generated manifests in one directory, objects per second.
//!
//! Writes N files (default 10,000) into a fresh directory: Deployments (half with a legacy vault-agent, a few
//! comments and four containers), Pods with a native sidecar, CronJobs, and Services (no pod template), then runs
//! the release binary given as the first argument three times and prints the median as a markdown table row.

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
    let root = std::env::temp_dir().join(format!("sidecar-placement-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let dir = root.join("manifests");
    std::fs::create_dir_all(&dir).expect("bench directory");
    let mut bytes = 0;
    for index in 0..count {
        let text = match index % 10 {
            0..=5 => deployment(index),
            6 | 7 => pod(index),
            8 => cronjob(index),
            _ => service(index),
        };
        bytes += text.len();
        std::fs::write(dir.join(format!("manifest-{index:05}.yaml")), text).expect("manifest written");
    }
    let settings = root.join("settings.yaml");
    std::fs::write(&settings, SETTINGS).expect("settings written");
    let mut runs: Vec<(f64, String)> = (0..3).map(|_| run(&binary, &settings, &dir)).collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (seconds, summary) = &runs[1];
    let objects: f64 = summary
        .split(", ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    println!("| files | bytes | summary | median of 3 | objects/s |");
    println!("|---:|---:|---|---:|---:|");
    println!(
        "| {count} | {bytes} | {summary} | {:.3} s | {:.0} |",
        seconds,
        objects / seconds
    );
    let _ = std::fs::remove_dir_all(&root);
}

fn run(binary: &Path, settings: &Path, dir: &Path) -> (f64, String) {
    let started = Instant::now();
    let output = Command::new(binary)
        .args(["check", "--settings"])
        .arg(settings)
        .arg(dir)
        .stderr(Stdio::inherit())
        .output()
        .expect("the binary runs");
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(output.status.code(), Some(1), "the generated manifests have findings");
    let stdout = String::from_utf8_lossy(&output.stdout);
    (seconds, stdout.lines().last().unwrap_or_default().to_owned())
}

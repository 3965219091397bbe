#!/usr/bin/env python3
"""`make bench-server`: what an admission request costs in the real policy-server when the policy checks nodes.

For each node count it starts a loopback Kubernetes API serving that many realistic Nodes (kube-api-nodes.py, every
kubelet v1.31.x, so the cluster is ready for native sidecars), then policy-server (2 workers) serving two policies:
the sidecar policy with `checkNodes: true` and the floor module (testing/bench/floor: parse the request, accept).
Every scenario's AdmissionReview is checked first (a conversion must come back as a patch, the others allowed
without one), so a misconfiguration cannot produce fast garbage; then `hey` loads each policy with the same request,
floor and policy alternating (floor, policy, policy, floor) so that drift on a shared machine hits both alike.
Prints a markdown report (the tables of BENCHMARKS.md) on stdout, progress on stderr.

Tools come from PATH or from the variables POLICY_SERVER, KUBE_API_NODES, KWCTL, HEY. When one is missing the
benchmark is skipped (exit 0) with a message saying how to get it, unless BENCH_REQUIRED=1 (then exit 1).
Python 3 standard library only.
"""

import argparse
import base64
import datetime
import http.client
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(HERE, ".."))
from provenance import load_average, measured_commit, version  # noqa: E402

SIDECAR_SETTINGS = {
    "sidecarImages": ["hashicorp/vault"],
    "sidecarContainerNames": ["vault-agent"],
    "mutate": True,
    "checkNodes": True,
}
# The floor module answers protocol_version like the policy; policy-server needs a module annotated with it.
FLOOR_METADATA = """\
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    resources: ["pods"]
    operations: ["CREATE", "UPDATE"]
mutating: false
backgroundAudit: false
executionMode: kubewarden-wapc
policyType: kubernetes
"""

TOOLS = {
    # variable: (default command, what it is, how to get it)
    "POLICY_SERVER": (
        "policy-server",
        "Kubewarden's policy-server",
        "take a release binary from https://github.com/kubewarden/kubewarden-controller/releases "
        "(crates/policy-server) and put it on PATH, or set POLICY_SERVER=/path/to/policy-server",
    ),
    "KUBE_API_NODES": (
        "kube-api-nodes.py",
        "the loopback Kubernetes API serving Nodes",
        "put kube-api-nodes.py (the shared tools) on PATH, or set KUBE_API_NODES=/path/to/kube-api-nodes.py",
    ),
    "KWCTL": (
        "kwctl",
        "kwctl, to annotate both modules: policy-server refuses a module without metadata",
        "take a release binary from https://github.com/kubewarden/kubewarden-controller/releases and put it on "
        "PATH as 'kwctl', or set KWCTL=/path/to/kwctl",
    ),
    "HEY": (
        "hey",
        "the HTTP load generator hey",
        "apt-get install hey (Debian and Ubuntu), or 'go install github.com/rakyll/hey@latest', or set HEY=/path/to/hey",
    ),
}


def log(message):
    print(f"bench-server: {message}", file=sys.stderr, flush=True)


class Failure(Exception):
    """A wrong answer, a tool that failed, a server that never became ready."""


# ---- the requests ---------------------------------------------------------------------------------------------


def app_container():
    return {
        "name": "reports-worker",
        "image": "ghcr.io/acme/reports-worker:1.9.0",
        "env": [{"name": "VAULT_SECRETS_DIR", "value": "/vault/secrets"}],
        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
        "volumeMounts": [{"name": "vault-secrets", "mountPath": "/vault/secrets", "readOnly": True}],
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
    }


def vault_agent():
    return {
        "name": "vault-agent",
        "image": "hashicorp/vault:1.15.2",
        "args": ["agent", "-config=/vault/config/agent.hcl"],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        "volumeMounts": [{"name": "vault-secrets", "mountPath": "/vault/secrets"}],
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
    }


def istio_proxy():
    """A native sidecar whose image the settings do not name (docker.io/istio/proxyv2 is not in sidecarImages)."""
    return {
        "name": "istio-proxy",
        "image": "docker.io/istio/proxyv2:1.22.0",
        "restartPolicy": "Always",
        "args": ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local"],
        "ports": [{"name": "http-envoy-prom", "containerPort": 15090, "protocol": "TCP"}],
        "readinessProbe": {"httpGet": {"path": "/healthz/ready", "port": 15021, "scheme": "HTTP"}, "periodSeconds": 15},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
        "volumeMounts": [{"name": "istio-envoy", "mountPath": "/etc/istio/proxy"}],
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
    }


def pod_review(uid, name, containers, init_containers=None, node_name=None):
    """An AdmissionReview of a Pod CREATE, as the API server sends it."""
    spec = {
        "containers": containers,
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "securityContext": {},
        "schedulerName": "default-scheduler",
        "serviceAccountName": "reports-worker",
        "volumes": [
            {"name": "vault-secrets", "emptyDir": {"medium": "Memory"}},
            {"name": "istio-envoy", "emptyDir": {"medium": "Memory"}},
        ],
    }
    if init_containers:
        spec = {"initContainers": init_containers, **spec}
    if node_name:
        spec["nodeName"] = node_name
    pod = {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "namespace": "analytics",
            "creationTimestamp": None,
            "labels": {"app.kubernetes.io/name": "reports-worker"},
        },
        "spec": spec,
        "status": {},
    }
    core = {"group": "", "version": "v1"}
    request = {
        "uid": uid,
        "kind": {**core, "kind": "Pod"},
        "resource": {**core, "resource": "pods"},
        "requestKind": {**core, "kind": "Pod"},
        "requestResource": {**core, "resource": "pods"},
        "name": name,
        "namespace": "analytics",
        "operation": "CREATE",
        "userInfo": {"username": "jane.doe@example.com", "groups": ["platform-team", "system:authenticated"]},
        "object": pod,
        "oldObject": None,
        "dryRun": False,
        "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1", "fieldManager": "kubectl"},
    }
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


# (key, label in the table, the review, whether the policy must answer with a conversion)
SCENARIOS = [
    (
        "conversion",
        "(a) conversion: `vault-agent` in `containers`",
        pod_review("a0000000-0000-4000-8000-000000000001", "conversion", [app_container(), vault_agent()]),
        True,
    ),
    (
        "native",
        "(b) native sidecar only (image not named)",
        pod_review("b0000000-0000-4000-8000-000000000002", "native", [app_container()], [istio_proxy()]),
        False,
    ),
    (
        "plain",
        "(c) no sidecar",
        pod_review("c0000000-0000-4000-8000-000000000003", "plain", [app_container()]),
        False,
    ),
    (
        "pinned",
        "(d) conversion, pinned (`spec.nodeName: node-1`)",
        pod_review(
            "d0000000-0000-4000-8000-000000000004", "pinned", [app_container(), vault_agent()], node_name="node-1"
        ),
        True,
    ),
]


def check_answer(body, review, policy, conversion):
    """Raises Failure unless `body` is the answer the scenario expects from `policy` ("sidecar" or "floor")."""
    try:
        response = json.loads(body)["response"]
    except (ValueError, KeyError, TypeError) as error:
        raise Failure(f"{policy}: not an AdmissionReview answer ({error}): {body[:300]!r}") from None
    where = f"{policy}, scenario {review['request']['name']}"
    if response.get("uid") != review["request"]["uid"]:
        raise Failure(f"{where}: answer for uid {response.get('uid')!r}")
    if response.get("allowed") is not True:
        raise Failure(f"{where}: not allowed: {json.dumps(response.get('status'))}")
    patch = response.get("patch")
    warnings = response.get("warnings") or []
    if policy == "floor" or not conversion:
        if patch:
            raise Failure(f"{where}: unexpected patch {base64.b64decode(patch)[:300]!r}")
        if policy != "floor" and warnings:
            raise Failure(f"{where}: unexpected warnings {warnings}")
        return
    if response.get("patchType") != "JSONPatch" or not patch:
        raise Failure(f"{where}: no conversion (no patch); warnings: {warnings}")
    operations = json.loads(base64.b64decode(patch))
    moved = [
        container
        for op in operations
        if op.get("op") == "add" and op.get("path", "").startswith("/spec/initContainers")
        for container in (op["value"] if isinstance(op.get("value"), list) else [op.get("value")])
        if isinstance(container, dict)
    ]
    if not any(c.get("name") == "vault-agent" and c.get("restartPolicy") == "Always" for c in moved):
        raise Failure(f"{where}: the patch does not make vault-agent a native sidecar: {operations}")


# ---- processes ------------------------------------------------------------------------------------------------


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """The processes this run started; each is stopped by its own pid."""

    def __init__(self):
        self.running = []

    def start(self, argv, log_path, env=None):
        out = open(log_path, "wb")
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        out.close()
        self.running.append(process)
        return process

    def stop(self, process):
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process in self.running:
            self.running.remove(process)

    def stop_all(self):
        for process in list(reversed(self.running)):
            self.stop(process)


def wait_http(port, path, deadline, process, what, log_path):
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Failure(f"{what} exited with {process.returncode}:\n{tail(log_path)}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                connection.close()
                return
            connection.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise Failure(f"{what} not ready on port {port}{path}:\n{tail(log_path)}")


def tail(path, lines=20):
    try:
        with open(path, "rb") as f:
            return "\n".join(f.read().decode(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


# policy-server colours its log even when it goes to a file.
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


class LogWatch:
    """Reads what policy-server logged since the last look: errors and non-200 answers mean the timing is void."""

    def __init__(self, path):
        self.path = path
        self.offset = 0

    def skip(self):
        self.offset = os.path.getsize(self.path)

    def problems(self):
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            text = ANSI_ESCAPE.sub("", f.read().decode(errors="replace"))
            self.offset = f.tell()
        return [
            line
            for line in text.splitlines()
            if " ERROR " in line or " WARN " in line or (" status=" in line and " status=200" not in line)
        ]


# ---- load -----------------------------------------------------------------------------------------------------


class Endpoint:
    def __init__(self, port, policy):
        self.port = port
        self.policy = policy
        self.url = f"http://127.0.0.1:{port}/validate/{policy}"
        self.path = f"/validate/{policy}"


def post(connection, endpoint, body):
    connection.request("POST", endpoint.path, body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    if response.status != 200:
        raise Failure(f"{endpoint.url}: HTTP {response.status}: {data[:300]!r}")
    return data


def sequential(endpoints, body, count):
    """Median time of `count` requests sent one at a time on a kept-alive connection, endpoints interleaved."""
    times = {e.policy: [] for e in endpoints}
    connections = {e.policy: http.client.HTTPConnection("127.0.0.1", e.port, timeout=30) for e in endpoints}
    for e in endpoints:  # connect, warm
        post(connections[e.policy], e, body)
    for _ in range(count):
        for e in endpoints:
            start = time.perf_counter()
            post(connections[e.policy], e, body)
            times[e.policy].append(time.perf_counter() - start)
    for connection in connections.values():
        connection.close()
    return {policy: statistics.median(samples) for policy, samples in times.items()}


def hey(tool, endpoint, body_path, seconds, connections):
    """One hey run: per-request (latency seconds) list and the run's wall time as hey saw it."""
    argv = [tool, "-z", f"{seconds}s", "-c", str(connections), "-m", "POST", "-T", "application/json"]
    argv += ["-D", body_path, "-o", "csv", endpoint.url]
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        raise Failure(f"hey failed ({result.returncode}): {result.stderr.strip()}")
    latencies, end, statuses = [], 0.0, {}
    for line in result.stdout.splitlines()[1:]:
        fields = line.split(",")
        if len(fields) < 8:
            continue
        latency, status, offset = float(fields[0]), fields[6], float(fields[7])
        statuses[status] = statuses.get(status, 0) + 1
        latencies.append(latency)
        end = max(end, offset + latency)
    if not latencies:
        raise Failure(f"hey: no request completed against {endpoint.url}: {result.stderr.strip()}")
    if set(statuses) != {"200"}:
        raise Failure(f"hey: {endpoint.url} answered {statuses}")
    return latencies, end


def percentile(sorted_values, q):
    """Nearest rank: the smallest value with at least q of the values at or below it."""
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))]


class Load:
    """The requests/s and latency percentiles of the runs that make up one measurement."""

    def __init__(self):
        self.latencies = []
        self.seconds = 0.0

    def add(self, latencies, seconds):
        self.latencies += latencies
        self.seconds += seconds

    def rate(self):
        return len(self.latencies) / self.seconds

    def p(self, q):
        return percentile(sorted(self.latencies), q)


# ---- one cluster size -----------------------------------------------------------------------------------------


def write_cluster(directory, nodes, api_port):
    # Every kubelet a v1.31 patch release: ready for native sidecars (1.29+), so the policy converts.
    with open(os.path.join(directory, "nodes.json"), "w") as f:
        json.dump([[f"node-{i}", f"v1.31.{i % 10}"] for i in range(1, nodes + 1)], f)
    kubeconfig = os.path.join(directory, "kubeconfig")
    with open(kubeconfig, "w") as f:
        f.write(
            "apiVersion: v1\nkind: Config\ncurrent-context: local\n"
            f'clusters: [{{name: local, cluster: {{server: "http://127.0.0.1:{api_port}"}}}}]\n'
            "contexts: [{name: local, context: {cluster: local, user: local}}]\n"
            "users: [{name: local, user: {token: unused}}]\n"
        )
    return kubeconfig


def write_policies(directory, policy_module, floor_module):
    """policies.yml in policy-server's own format (what the controller writes from a ClusterAdmissionPolicy)."""
    path = os.path.join(directory, "policies.yml")
    with open(path, "w") as f:
        f.write(
            "sidecar:\n"
            f"  module: file://{policy_module}\n"
            f"  settings: {json.dumps(SIDECAR_SETTINGS)}\n"
            "  allowedToMutate: true\n"
            "  contextAwareResources: [{apiVersion: v1, kind: Node}]\n"
            # list_resources_all: the whole NodeList; get_resource: one Node (spec.nodeName). policies.yml grants
            # nothing by default (the controller grants "*" to cluster-wide policies).
            "  hostCapabilities: [kubernetes/list_resources_all, kubernetes/get_resource]\n"
            "floor:\n"
            f"  module: file://{floor_module}\n"
            "  settings: {}\n"
        )
    return path


def run_size(args, tools, work, nodes, modules, processes):
    directory = os.path.join(work, f"nodes-{nodes}")
    os.makedirs(directory)
    api_port, port, ready_port = free_port(), free_port(), free_port()
    kubeconfig = write_cluster(directory, nodes, api_port)
    policies = write_policies(directory, *modules)

    log(f"{nodes} nodes: starting the API and policy-server")
    api_log = os.path.join(directory, "kube-api.log")
    api_env = {k: v for k, v in os.environ.items() if k != "FAKE_MINIMAL"}
    if args.minimal_nodes:
        api_env["FAKE_MINIMAL"] = "1"  # Nodes of a name and a kubelet version only
    api = processes.start(
        [sys.executable, tools["KUBE_API_NODES"], str(api_port), os.path.join(directory, "nodes.json")],
        api_log,
        env=api_env,
    )
    wait_http(api_port, "/api/v1/nodes?limit=1", time.monotonic() + 60, api, "kube-api-nodes.py", api_log)
    server_log = os.path.join(directory, "policy-server.log")
    env = dict(os.environ, KUBECONFIG=kubeconfig)
    argv = [tools["POLICY_SERVER"], "--policies", policies, "--addr", "127.0.0.1", "--port", str(port)]
    argv += ["--readiness-probe-port", str(ready_port), "--workers", str(args.workers)]
    argv += ["--policies-download-dir", os.path.join(directory, "download")]
    argv += ["--sigstore-cache-dir", os.path.join(directory, "sigstore")]
    server = processes.start(argv, server_log, env=env)
    started = time.monotonic()
    wait_http(ready_port, "/readiness", started + 120, server, "policy-server", server_log)
    startup = time.monotonic() - started
    watch = LogWatch(server_log)
    watch.skip()  # start-up warnings (no Sigstore trust root) are not about the requests

    policy, floor = Endpoint(port, "sidecar"), Endpoint(port, "floor")
    bodies = {}
    first_lookup = None
    for key, _, review, conversion in SCENARIOS:
        body = json.dumps(review).encode()
        path = os.path.join(directory, f"{key}.json")
        with open(path, "wb") as f:
            f.write(body)
        bodies[key] = (body, path)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start = time.perf_counter()
        answer = post(connection, policy, body)  # the first lookup also fills policy-server's Node cache
        if first_lookup is None:
            first_lookup = time.perf_counter() - start
        check_answer(answer, review, "sidecar", conversion)
        check_answer(post(connection, floor, body), review, "floor", False)
        connection.close()
    problems = watch.problems()
    if problems:
        raise Failure("policy-server logged errors while answering the checks:\n" + "\n".join(problems[:10]))

    log(f"{nodes} nodes: one request at a time, {args.sequential} each")
    alone = sequential([policy, floor], bodies["conversion"][0], args.sequential)

    rows = []
    half = max(1, args.seconds // 2)
    for key, label, review, conversion in SCENARIOS:
        body, path = bodies[key]
        log(f"{nodes} nodes, {key}: hey -c {args.connections}, 2 x {half} s per module")
        hey(tools["HEY"], policy, path, 1, args.connections)  # warm-up: connections, caches
        hey(tools["HEY"], floor, path, 1, args.connections)
        watch.skip()
        load = {"sidecar": Load(), "floor": Load()}
        for endpoint in (floor, policy, policy, floor):
            load[endpoint.policy].add(*hey(tools["HEY"], endpoint, path, half, args.connections))
        problems = watch.problems()
        if problems:
            raise Failure(f"policy-server logged errors under load ({key}):\n" + "\n".join(problems[:10]))
        # Still the right answer after the load.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        check_answer(post(connection, policy, body), review, "sidecar", conversion)
        connection.close()
        rows.append((label, load["sidecar"], load["floor"]))

    memory = rss_mib(server.pid)
    processes.stop(server)
    processes.stop(api)
    return {
        "nodes": nodes,
        "rows": rows,
        "alone": alone,
        "startup": startup,
        "first": first_lookup,
        "rss": memory,
    }


# ---- report ---------------------------------------------------------------------------------------------------


def ms(seconds, decimals=2):
    """Milliseconds; hey reports latencies to 0.1 ms, so its figures get one decimal."""
    return f"{seconds * 1000:.{decimals}f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"


def machine():
    cores = os.cpu_count()
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return cores, cpu


def report(args, tools, results, load_before, load_after, started, policy_bytes):
    cores, cpu = machine()
    if args.minimal_nodes:
        nodes = "minimal Nodes (name and kubelet version only, `--minimal-nodes`);"
    else:
        nodes = "realistic Nodes (labels, addresses, capacity, conditions: kube-api-nodes.py's default);"
    out = []
    out.append(
        f"Run on {started:%Y-%m-%d %H:%M} UTC by `make bench-server` (`BENCH_SERVER_SECONDS={args.seconds}`): "
        f"{cores} cores ({cpu}), load average (1/5/15 min) {load_before} before the run, {load_after} after; "
        f"{version(tools['POLICY_SERVER'])} with `--workers {args.workers}`, hey with {args.connections} "
        f"connections on the same machine; {nodes} the policy at commit {measured_commit()} "
        f"(policy.wasm {policy_bytes:,} bytes, annotated with `kwctl annotate`)."
    )
    out.append("")
    out.append(
        "| nodes | scenario | policy req/s | floor req/s | policy / floor | policy p50 | policy p99 | "
        "floor p50 | floor p99 |"
    )
    out.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for result in results:
        for label, policy, floor in result["rows"]:
            out.append(
                f"| {result['nodes']:,} | {label} | {policy.rate():,.0f} | {floor.rate():,.0f} | "
                f"{policy.rate() / floor.rate():.2f} | {ms(policy.p(0.5), 1)} | {ms(policy.p(0.99), 1)} | "
                f"{ms(floor.p(0.5), 1)} | {ms(floor.p(0.99), 1)} |"
            )
    out.append("")
    out.append(
        f"One request at a time (scenario (a), kept-alive connection, median of {args.sequential}, policy and floor "
        "interleaved); the first request after start-up is the one that fills policy-server's Node cache:"
    )
    out.append("")
    out.append(
        "| nodes | policy, alone | floor, alone | first request (cache fill) | policy-server ready after | "
        "policy-server RSS after the run |"
    )
    out.append("|---:|---:|---:|---:|---:|---:|")
    for result in results:
        rss = f"{result['rss']:.0f} MiB" if result["rss"] is not None else "unknown"
        out.append(
            f"| {result['nodes']:,} | {ms(result['alone']['sidecar'])} | {ms(result['alone']['floor'])} | "
            f"{ms(result['first'])} | {result['startup']:.1f} s | {rss} |"
        )
    return "\n".join(out) + "\n"


# ---- main -----------------------------------------------------------------------------------------------------


def find_tools():
    found, missing = {}, []
    for variable, (default, what, how) in TOOLS.items():
        command = os.environ.get(variable) or default
        path = shutil.which(command)
        if path is None:
            missing.append(f"'{command}' not found ({what}): {how}")
        else:
            found[variable] = path
    return found, missing


def annotate(kwctl, home, metadata, readme, module, output):
    argv = [kwctl, "annotate", "-m", metadata]
    if readme:
        argv += ["-u", readme]
    argv += ["-o", output, module]
    env = dict(os.environ, HOME=home, XDG_CACHE_HOME=home, XDG_DATA_HOME=home, XDG_CONFIG_HOME=home)
    result = subprocess.run(argv, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise Failure(f"kwctl annotate {module} failed: {result.stderr.strip()}")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", default=os.path.join(ROOT, "policy.wasm"), help="the release module (not annotated)")
    parser.add_argument("--floor", required=True, help="the floor module (testing/bench/floor, release)")
    parser.add_argument("--metadata", default=os.path.join(ROOT, "metadata.yml"))
    parser.add_argument("--readme", default=os.path.join(ROOT, "README.md"))
    parser.add_argument("--nodes", default="10,1000,5000", help="node counts, comma-separated")
    parser.add_argument("--seconds", type=int, default=10, help="hey time per module and scenario (two halves)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="policy-server --workers")
    parser.add_argument("--sequential", type=int, default=21, help="requests sent one at a time, per module")
    parser.add_argument(
        "--build", action="append", default=[], help="a shell command that builds the modules, run after the tool check"
    )
    parser.add_argument(
        "--minimal-nodes", action="store_true", help="Nodes of a name and a kubelet version only (FAKE_MINIMAL=1)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, policies.yml)")
    args = parser.parse_args()
    try:
        args.node_counts = [int(n.replace("_", "")) for n in args.nodes.split(",") if n.strip()]
    except ValueError:
        parser.error(f"--nodes: not a list of numbers: {args.nodes!r}")
    if not args.node_counts or min(args.node_counts) < 1:
        parser.error("--nodes: at least one count, each at least 1 (scenario (d) pins node-1)")
    return args


def main():
    args = parse_args()
    tools, missing = find_tools()
    if missing:
        required = os.environ.get("BENCH_REQUIRED")
        for line in missing:
            log(line)
        if required:
            log("FAILED: tools missing and BENCH_REQUIRED is set")
            return 1
        log("SKIPPED (nothing was run)")
        return 0
    for command in args.build:
        log(f"building: {command}")
        # Its output goes to stderr: stdout is the report.
        if subprocess.run(command, shell=True, cwd=ROOT, stdout=sys.stderr).returncode != 0:
            log(f"FAILED: {command}")
            return 1

    processes = Processes()

    def stop(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    work = tempfile.mkdtemp(prefix="bench-server-")
    try:
        home = os.path.join(work, "home")
        os.makedirs(home)
        policy_module = os.path.join(work, "annotated-policy.wasm")
        floor_module = os.path.join(work, "annotated-floor.wasm")
        floor_metadata = os.path.join(work, "floor-metadata.yml")
        with open(floor_metadata, "w") as f:
            f.write(FLOOR_METADATA)
        annotate(tools["KWCTL"], home, args.metadata, args.readme, os.path.abspath(args.policy), policy_module)
        annotate(tools["KWCTL"], home, floor_metadata, None, os.path.abspath(args.floor), floor_module)
        started = datetime.datetime.now(datetime.timezone.utc)
        load_before = load_average()
        results = []
        for nodes in args.node_counts:
            results.append(run_size(args, tools, work, nodes, (policy_module, floor_module), processes))
        load_after = load_average()
        policy_bytes = os.path.getsize(args.policy)
        sys.stdout.write(report(args, tools, results, load_before, load_after, started, policy_bytes))
        return 0
    except Failure as error:
        log(f"FAILED: {error}")
        return 1
    finally:
        processes.stop_all()
        if args.keep:
            log(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bats
# What a release and its users do with the module, against an OCI registry on loopback: `make push` (kwctl push),
# `kwctl pull`, and `kwctl run registry://...`, on a rejection and a mutation, and the ready-to-apply manifests of
# policies/ with their module pointed at that registry. `make e2e-tests` runs this file.
#
# The registry is Debian's docker-registry (apt-get install docker-registry), started by setup_file on a free
# 127.0.0.1 port with its configuration and storage in a temporary folder, and stopped by teardown_file, which bats
# runs whatever happened before. Without docker-registry every test here is skipped with that message, unless
# E2E_REQUIRED is set (CI, releases): then they fail.

bats_require_minimum_version 1.5.0
load common

REPOSITORY=policies/sidecar-placement
TEMPLATE=spec.template.spec
VAULT=hashicorp/vault:1.15.2
DOCKER_REGISTRY=${DOCKER_REGISTRY:-docker-registry}

# registry_get PORT PATH: the HTTP answer (headers and body) of the registry for GET PATH, through bash's /dev/tcp.
registry_get() {
  timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n" "$2" "$1" >&3
    cat <&3' _ "$1" "$2" 2>/dev/null | tr -d '\r'
}

port_in_use() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# The registry we started is the one answering on $1.
registry_answers() {
  kill -0 "$REGISTRY_PID" 2>/dev/null && registry_get "$1" /v2/ | grep -qi '^docker-distribution-api-version: registry/2.0'
}

stop_registry() {
  [ -n "${REGISTRY_PID:-}" ] || return 0
  kill "$REGISTRY_PID" 2>/dev/null || true
  local tries=0
  while kill -0 "$REGISTRY_PID" 2>/dev/null && [ $((tries += 1)) -le 50 ]; do sleep 0.1; done
  kill -9 "$REGISTRY_PID" 2>/dev/null || true
  REGISTRY_PID=
}

# Starts docker-registry on a free port of 127.0.0.1; exports REGISTRY (host:port) and REGISTRY_PID. A port taken
# between the check and the start makes the registry exit: then another port is tried.
start_registry() {
  local dir="$BATS_FILE_TMPDIR/registry" attempt port tries
  mkdir -p "$dir/storage"
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    port_in_use "$port" && continue
    cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
    # fd 3 closed: bats waits for every process holding it.
    "$DOCKER_REGISTRY" serve "$dir/config.yml" >"$dir/registry.log" 2>&1 3>&- &
    export REGISTRY_PID=$!
    tries=0
    while kill -0 "$REGISTRY_PID" 2>/dev/null && [ $((tries += 1)) -le 100 ]; do
      if registry_answers "$port"; then
        export REGISTRY="127.0.0.1:$port"
        return 0
      fi
      sleep 0.1
    done
    stop_registry
  done
  echo "could not start $DOCKER_REGISTRY on 127.0.0.1 after $attempt attempts; its log:" >&2
  cat "$dir/registry.log" >&2
  return 1
}

setup_file() {
  cd "$BATS_TEST_DIRNAME/../.." || return 1
  require_module_and_jq
  private_kwctl_home
  if ! command -v "$DOCKER_REGISTRY" >/dev/null 2>&1; then
    local how="apt-get install docker-registry (Debian's OCI registry; these tests start it on 127.0.0.1)"
    if [ -n "${E2E_REQUIRED:-}" ]; then
      echo "$DOCKER_REGISTRY is missing and E2E_REQUIRED is set: $how" >&2
      return 1
    fi
    # bats cannot skip from setup_file: setup skips each test.
    export REGISTRY_SKIPPED="$DOCKER_REGISTRY is missing: $how"
    return 0
  fi
  start_registry
  # A registry on loopback speaks plain HTTP: kwctl must be told it is an insecure source.
  export SOURCES="$BATS_FILE_TMPDIR/sources.yml"
  printf 'insecure_sources: ["%s"]\n' "$REGISTRY" >"$SOURCES"
  VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
  export MODULE="registry://$REGISTRY/$REPOSITORY:v$VERSION"
  export PUSHED="$BATS_FILE_TMPDIR/pushed"
}

teardown_file() {
  stop_registry
}

setup() {
  cd "$BATS_TEST_DIRNAME/../.." || return 1
  if [ -n "${REGISTRY_SKIPPED:-}" ]; then
    skip "$REGISTRY_SKIPPED"
  fi
}

# The tests after the first use what it pushed.
need_pushed_module() {
  [ -f "$PUSHED" ] || { echo "the module was not pushed: see the 'make push' test" >&2; return 1; }
}

@test "make push: the annotated module goes to the OCI registry as the tag v<version>" {
  # What a release runs (REGISTRY=... make push), without rebuilding the module under test.
  run make --no-print-directory --assume-old=annotated-policy.wasm push REGISTRY="$REGISTRY/$REPOSITORY" \
    KWCTL_SOURCES="$SOURCES"
  echo "$output"
  [ "$status" -eq 0 ]
  # Seen from the registry's own API, not from kwctl.
  run registry_get "${REGISTRY#*:}" "/v2/$REPOSITORY/tags/list"
  echo "$output"
  jq -e --arg tag "${MODULE##*:}" '.tags == [$tag]' <<<"$(sed -n '/^{/,$p' <<<"$output")"
  touch "$PUSHED"
}

@test "kwctl pull: the module comes back byte for byte, into the store and to a file" {
  need_pushed_module
  run --separate-stderr "$KWCTL" pull --sources-path "$SOURCES" "$MODULE"
  echo "$output $stderr"
  [ "$status" -eq 0 ]
  run --separate-stderr "$KWCTL" policies
  echo "$output"
  grep -qF "$MODULE" <<<"$output"
  run --separate-stderr "$KWCTL" pull --sources-path "$SOURCES" --output-path "$BATS_TEST_TMPDIR/pulled.wasm" "$MODULE"
  [ "$status" -eq 0 ]
  cmp "$POLICY" "$BATS_TEST_TMPDIR/pulled.wasm"
}

@test "kwctl run registry://: a Deployment's legacy vault-agent is rejected with the fix" {
  need_pushed_module
  want=$(expected co_located name=vault-agent image="$VAULT" spec="$TEMPLATE" index=1)
  POLICY=$MODULE evaluate deployment-legacy-vault-agent.json --sources-path "$SOURCES" --settings-path "$SETTINGS"
  allowed false
  message_is "$want"
  no_patch
}

@test "kwctl run registry://: with mutate, the vault-agent becomes a native sidecar through a JSON Patch" {
  need_pushed_module
  want=$(expected moved_warning name=vault-agent)
  POLICY=$MODULE evaluate deployment-legacy-vault-agent.json --sources-path "$SOURCES" --settings-path "$MUTATE_SETTINGS"
  allowed true
  warnings_are "$want"
  vault_agent_converted
}

# The cluster a manifest with spec.contextAwareResources (checkNodes) sees: kwctl replays this session instead of
# connecting to one (every kubelet ready).
READY_NODES=tests/data/sessions/nodes-ready.yml

# run_manifest MANIFEST REQUEST: kwctl runs the policy manifest (its module pointed at the local registry, its own
# settings and context-aware resources) on REQUEST (a fixture name or a path).
run_manifest() {
  local manifest published cluster=()
  manifest="$BATS_TEST_TMPDIR/$(basename "$1")"
  published="registry://ghcr.io/sidecar-placement/$REPOSITORY:${MODULE##*:}"
  grep -qF "module: $published" "$1" || { echo "$1 does not name $published" >&2; return 1; }
  sed "s#$published#$MODULE#" "$1" >"$manifest"
  if grep -q '^ *contextAwareResources:' "$1"; then
    cluster=(--replay-host-capabilities-interactions "$READY_NODES")
  fi
  POLICY=$manifest evaluate "$2" --sources-path "$SOURCES" "${cluster[@]}"
}

@test "policies/: every ready-to-apply manifest runs from the registry with its own settings" {
  need_pushed_module
  local manifest
  for manifest in policies/*.yaml; do
    [ "$manifest" != policies/policy-server.yaml ] || continue   # the PolicyServer, not a policy
    echo "== $manifest"
    run_manifest "$manifest" pod-co-located-pdf.json
    allowed true
    no_patch
  done
}

# pod_from_template REQUEST: the Pod CREATE request a workload controller sends for the pod template of REQUEST.
pod_from_template() {
  jq '(.name + "-x7k2p") as $name
    | .kind = {group: "", version: "v1", kind: "Pod"} | .requestKind = .kind
    | .resource = {group: "", version: "v1", resource: "pods"} | .requestResource = .resource
    | .name = $name
    | .object = {apiVersion: "v1", kind: "Pod",
                 metadata: ((.object.spec.template.metadata // {}) + {name: $name, namespace: .namespace}),
                 spec: .object.spec.template.spec}' "$REQUESTS/$1"
}

@test "policies/cloud-sql-proxy.yaml: a Job's Pod gets its legacy proxy moved into initContainers" {
  need_pushed_module
  pod="$BATS_TEST_TMPDIR/pod-of-job-legacy-cloud-sql-proxy.json"
  pod_from_template job-legacy-cloud-sql-proxy.json >"$pod"
  run_manifest policies/cloud-sql-proxy.yaml "$pod"
  allowed true
  patch >"$BATS_TEST_TMPDIR/patch.json"
  cat "$BATS_TEST_TMPDIR/patch.json"
  jq -e 'length > 0 and all(.[]; .path | test("^/spec/(initContainers|containers)(/|$)"))' "$BATS_TEST_TMPDIR/patch.json"
  patched "$pod" "$BATS_TEST_TMPDIR/patch.json" >"$BATS_TEST_TMPDIR/object.json"
  jq -e --slurpfile before "$pod" '
    $before[0].object.spec as $old | .spec as $new
    | ($new.containers | map(.name)) == ["migrate"]
      and $new.initContainers == [$old.containers[1] + {restartPolicy: "Always"}]
      and del(.spec.containers, .spec.initContainers) == ($before[0].object | del(.spec.containers, .spec.initContainers))
  ' "$BATS_TEST_TMPDIR/object.json"
}

@test "policies/mutate.yaml (checkNodes): the manifest grants the Node listing; every kubelet ready, the Pod is converted" {
  # The conversion needs the policy's one Node listing to be answered (replayed): a manifest without
  # spec.contextAwareResources, or a module asking for something else, leaves the sidecar with a warning instead.
  need_pushed_module
  want=$(expected moved_warning name=vault-agent)
  run_manifest policies/mutate.yaml pod-legacy-vault-agent.json
  allowed true
  warnings_are "$want"
  patch >"$BATS_TEST_TMPDIR/patch.json"
  cat "$BATS_TEST_TMPDIR/patch.json"
  patched pod-legacy-vault-agent.json "$BATS_TEST_TMPDIR/patch.json" >"$BATS_TEST_TMPDIR/object.json"
  jq -e --slurpfile before "$REQUESTS/pod-legacy-vault-agent.json" '
    $before[0].object.spec as $old | .spec as $new
    | ($new.containers | map(.name)) == ($old.containers | map(.name) | map(select(. != "vault-agent")))
      and ($new.initContainers | last) == ($old.containers[] | select(.name == "vault-agent") | . + {restartPolicy: "Always"})
  ' "$BATS_TEST_TMPDIR/object.json"
}

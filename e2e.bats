#!/usr/bin/env bats
# End-to-end tests: the annotated module run by `kwctl run`, the way Kubewarden's policy server runs it, on the
# admission requests of tests/data/requests. Run them with `make e2e-tests`, which builds and annotates the
# module first. Needs kwctl, bats and jq (yq for the policies/ test).
#
# Each test prints kwctl's output first, so a failing check shows what kwctl answered.

REQUESTS=tests/data/requests
SETTINGS=tests/data/settings.json
MUTATE_SETTINGS=tests/data/settings-mutate.json
POLICY=annotated-policy.wasm

setup_file() {
  cd "$BATS_TEST_DIRNAME" || return 1
  if [ ! -f "$POLICY" ]; then
    echo "$POLICY is missing: run 'make e2e-tests' (it annotates the module first)" >&2
    return 1
  fi
  if ! command -v jq >/dev/null 2>&1; then
    echo "jq is needed to read kwctl's answers (apt-get install jq)" >&2
    return 1
  fi
}

setup() {
  cd "$BATS_TEST_DIRNAME" || return 1
}

# evaluate REQUEST [kwctl run options...]
# Runs the policy on tests/data/requests/REQUEST; sets $status and $output (bats `run`) and $response, the
# AdmissionResponse JSON kwctl printed (its last line starting with `{`; logs may precede it).
evaluate() {
  local request="$REQUESTS/$1"
  shift
  if [ ! -f "$request" ]; then
    echo "fixture $request does not exist" >&2
    return 1
  fi
  run kwctl run --request-path "$request" "$@" "$POLICY"
  echo "kwctl run $request $*"
  echo "status = $status"
  echo "output = $output"
  response=$(printf '%s\n' "$output" | grep '^{' | tail -n 1)
}

# The decision: allowed true / false.
allowed() {
  [ "$status" -eq 0 ] && [ "$(jq -r '.allowed' <<<"$response")" = "$1" ]
}

# The rejection message contains every argument (fixed strings).
message_has() {
  local message text
  message=$(jq -r '.status.message // ""' <<<"$response")
  for text in "$@"; do
    if ! grep -qF -- "$text" <<<"$message"; then
      echo "message does not contain: $text" >&2
      return 1
    fi
  done
}

# Some warning contains the argument.
warning_has() {
  jq -r '.warnings // [] | .[]' <<<"$response" | grep -qF -- "$1"
}

# The response carries a JSON Patch; prints it decoded.
patch() {
  [ "$(jq -r '.patchType // ""' <<<"$response")" = "JSONPatch" ] || return 1
  jq -r '.patch' <<<"$response" | base64 -d
}

no_patch() {
  [ "$(jq -r '.patch // ""' <<<"$response")" = "" ]
}

# --- validation (tests/data/settings.json) ------------------------------------------------------------------

@test "Pod: a native sidecar (vault-sync in initContainers, restartPolicy Always) is accepted" {
  evaluate pod-native-sidecar-vault-sync.json --settings-path "$SETTINGS"
  allowed true
  no_patch
}

@test "Pod: co-located containers that are not sidecars (pdf-engine, pdf-preview-ui) are accepted" {
  evaluate pod-co-located-pdf.json --settings-path "$SETTINGS"
  allowed true
}

@test "Pod: Istio-injected pod with istio-init and a native istio-proxy is accepted" {
  evaluate pod-istio-native-sidecar.json --settings-path "$SETTINGS"
  allowed true
}

@test "Pod: a legacy vault-agent in containers is rejected" {
  evaluate pod-legacy-vault-agent.json --settings-path "$SETTINGS"
  allowed false
  message_has "vault-agent" "spec.containers[" "declare it in spec.initContainers" 'restartPolicy: Always'
}

@test "Deployment: a legacy vault-agent is rejected with its path and the fix" {
  evaluate deployment-legacy-vault-agent.json --settings-path "$SETTINGS"
  allowed false
  message_has "container 'vault-agent'" "hashicorp/vault:1.15.2" "spec.template.spec.containers[1]" \
    "declare it in spec.template.spec.initContainers" 'restartPolicy: Always' "Kubernetes 1.29+"
}

@test "ReplicaSet: a legacy istio-proxy is rejected" {
  evaluate replicaset-legacy-istio-proxy.json --settings-path "$SETTINGS"
  allowed false
  message_has "istio-proxy" "declare it in spec.template.spec.initContainers"
}

@test "ReplicationController: a legacy vault-agent is rejected" {
  evaluate replicationcontroller-legacy-vault-agent.json --settings-path "$SETTINGS"
  allowed false
  message_has "vault-agent" "declare it in spec.template.spec.initContainers"
}

@test "StatefulSet: every legacy sidecar is listed in one rejection" {
  evaluate statefulset-legacy-sidecars.json --settings-path "$SETTINGS"
  allowed false
  message_has "declare it in spec.template.spec.initContainers"
}

@test "StatefulSet: a Vault server (hashicorp/vault as the only container) is accepted" {
  evaluate statefulset-vault-server.json --settings-path "$SETTINGS"
  allowed true
}

@test "DaemonSet: a legacy fluent-bit is rejected" {
  evaluate daemonset-legacy-fluent-bit.json --settings-path "$SETTINGS"
  allowed false
  message_has "fluent-bit" "declare it in"
}

@test "DaemonSet: fluent-bit as the only container (the node agent) is accepted" {
  evaluate daemonset-fluent-bit-only.json --settings-path "$SETTINGS"
  allowed true
}

@test "Job: a legacy cloud-sql-proxy is rejected" {
  evaluate job-legacy-cloud-sql-proxy.json --settings-path "$SETTINGS"
  allowed false
  message_has "cloud-sql-proxy" "spec.template.spec.containers[1]" "declare it in spec.template.spec.initContainers"
}

@test "CronJob: a legacy log shipper is rejected at its jobTemplate path" {
  evaluate cronjob-legacy-fluent-bit.json --settings-path "$SETTINGS"
  allowed false
  message_has "log-shipper" "spec.jobTemplate.spec.template.spec.containers[1]" \
    "declare it in spec.jobTemplate.spec.template.spec.initContainers"
}

@test "Rollout (any kind with spec.template.spec): a legacy cloud-sql-proxy is rejected" {
  evaluate rollout-legacy-cloud-sql-proxy.json --settings-path "$SETTINGS"
  allowed false
  message_has "cloud-sql-proxy" "declare it in spec.template.spec.initContainers"
}

@test "UPDATE: a violation the old object already had is accepted with a warning" {
  evaluate deployment-update-pre-existing-violation.json --settings-path "$SETTINGS"
  allowed true
  warning_has "already so before this update"
}

@test "UPDATE: a violation the update introduces is rejected" {
  evaluate deployment-update-adds-violation.json --settings-path "$SETTINGS"
  allowed false
  message_has "declare it in"
}

@test "Deployment: restrictNativeSidecars also rejects a native sidecar that matches neither list" {
  # Without restrictNativeSidecars the unlisted native sidecar is no problem (the fixture's legacy vault-agent
  # may still be). `! cmd` would not fail a bats test, hence the if.
  evaluate deployment-unapproved-native-sidecar.json --settings-path "$SETTINGS"
  [ "$status" -eq 0 ]
  if jq -r '.status.message // ""' <<<"$response" | grep -qF "native sidecar not approved"; then return 1; fi

  evaluate deployment-unapproved-native-sidecar.json \
    --settings-json "$(jq -c '. + {restrictNativeSidecars: true}' "$SETTINGS")"
  allowed false
  message_has "native sidecar not approved: container 'otel-collector'"
}

@test "Not checked: DELETE, CONNECT, subresources, mirror pods; other kinds get a warning" {
  for request in pod-delete.json pod-exec-connect.json pod-status-update.json deployment-scale-subresource.json \
    pod-mirror-static.json; do
    evaluate "$request" --settings-path "$SETTINGS"
    allowed true
    no_patch
  done
  evaluate configmap-unsupported.json --settings-path "$SETTINGS"
  allowed true
  warning_has "ConfigMap"
}

# --- mutation (tests/data/settings-mutate.json: the same lists with mutate: true) ---------------------------

@test "mutate: a Deployment's legacy vault-agent becomes a native sidecar through a JSON Patch" {
  evaluate deployment-legacy-vault-agent.json --settings-path "$MUTATE_SETTINGS"
  allowed true
  patch >"$BATS_TEST_TMPDIR/patch.json"
  cat "$BATS_TEST_TMPDIR/patch.json"
  # Operations on the two container lists of the pod template, and nothing else.
  jq -e 'length > 0 and all(.[]; .path | test("^/spec/template/spec/(initContainers|containers)(/|$)"))' \
    "$BATS_TEST_TMPDIR/patch.json"
  grep -qF '"restartPolicy":"Always"' "$BATS_TEST_TMPDIR/patch.json"
  grep -qF '/spec/template/spec/initContainers' "$BATS_TEST_TMPDIR/patch.json"
  grep -qF '"vault-agent"' "$BATS_TEST_TMPDIR/patch.json"
  warning_has "moved container 'vault-agent' to initContainers as a native sidecar"
}

@test "mutate: a Job's legacy cloud-sql-proxy is moved before the one-shot init containers (beforeInitContainers)" {
  evaluate job-legacy-cloud-sql-proxy.json \
    --settings-json "$(jq -c '. + {placement: "beforeInitContainers"}' "$MUTATE_SETTINGS")"
  allowed true
  patch >"$BATS_TEST_TMPDIR/patch.json"
  cat "$BATS_TEST_TMPDIR/patch.json"
  grep -qF '"restartPolicy":"Always"' "$BATS_TEST_TMPDIR/patch.json"
  grep -qF 'initContainers' "$BATS_TEST_TMPDIR/patch.json"
  grep -qF '"cloud-sql-proxy"' "$BATS_TEST_TMPDIR/patch.json"
}

@test "mutate: a CronJob's legacy log shipper is moved inside its jobTemplate" {
  evaluate cronjob-legacy-fluent-bit.json --settings-path "$MUTATE_SETTINGS"
  allowed true
  patch >"$BATS_TEST_TMPDIR/patch.json"
  cat "$BATS_TEST_TMPDIR/patch.json"
  jq -e 'all(.[]; .path | startswith("/spec/jobTemplate/spec/template/spec/"))' "$BATS_TEST_TMPDIR/patch.json"
  grep -qF '"restartPolicy":"Always"' "$BATS_TEST_TMPDIR/patch.json"
  grep -qF 'initContainers' "$BATS_TEST_TMPDIR/patch.json"
}

@test "mutate: a compliant Pod is accepted unchanged" {
  evaluate pod-native-sidecar-vault-sync.json --settings-path "$MUTATE_SETTINGS"
  allowed true
  no_patch
}

@test "mutate: a sidecar with restartPolicy Never is rejected, not rewritten" {
  evaluate deployment-sidecar-restart-policy-never.json --settings-path "$MUTATE_SETTINGS"
  allowed false
  no_patch
  message_has "not converted" "restartPolicy: Never"
}

@test "mutate: a Pod UPDATE is never mutated (its containers cannot change)" {
  evaluate pod-update-legacy-sidecar.json --settings-path "$MUTATE_SETTINGS"
  no_patch
}

# --- settings -------------------------------------------------------------------------------------------------

@test "settings: naming no sidecar at all is refused" {
  evaluate pod-co-located-pdf.json --settings-json '{}'
  echo "$output"
  [ "$status" -ne 0 ]
  grep -qF "must be told which containers are sidecars" <<<"$output"
}

@test "settings: an unknown key is refused and named" {
  evaluate pod-co-located-pdf.json --settings-json '{"sidecarImages": ["hashicorp/vault"], "sidecarImage": []}'
  [ "$status" -ne 0 ]
  grep -qF "sidecarImage" <<<"$output"
}

@test "settings: every manifest in policies/ is accepted by kwctl" {
  if ! command -v yq >/dev/null 2>&1; then
    skip "yq is not installed"
  fi
  local manifest settings
  for manifest in policies/*.yaml; do
    settings="$BATS_TEST_TMPDIR/$(basename "$manifest")"
    # YAML out is fine: --settings-path takes YAML.
    yq '.spec.settings // {}' "$manifest" >"$settings"
    echo "== $manifest"
    cat "$settings"
    evaluate pod-co-located-pdf.json --settings-path "$settings"
    allowed true
  done
}

# --- the annotated module -------------------------------------------------------------------------------------

@test "annotate: the module carries metadata.yml (version and mutating flag)" {
  run kwctl inspect -o yaml "$POLICY"
  echo "$output"
  [ "$status" -eq 0 ]
  version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
  grep -Eq "io\.kubewarden\.policy\.version: ['\"]?${version//./\\.}['\"]?$" <<<"$output"
  grep -Eq "^mutating: true" <<<"$output"
}

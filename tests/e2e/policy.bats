#!/usr/bin/env bats
# End-to-end tests: the annotated module run by `kwctl run`, the way Kubewarden's policy server runs it, on the
# admission requests of tests/data/requests. Run them with `make e2e-tests`, which builds and annotates the
# module first and also runs the other files of tests/e2e (nodes, packaging, registry). Needs kwctl, bats and jq.
#
# Expected messages come from tests/data/expected/messages.json (shared with the wasm-host tests). Each test prints
# kwctl's output first, so a failing check shows what kwctl answered.

bats_require_minimum_version 1.5.0
load common

POD=spec
TEMPLATE=spec.template.spec
CRONJOB=spec.jobTemplate.spec.template.spec
VAULT=hashicorp/vault:1.15.2
CLOUD_SQL_PROXY=gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1
FLUENT_BIT=fluent/fluent-bit:3.1.4

setup_file() {
  cd "$BATS_TEST_DIRNAME/../.." || return 1
  require_module_and_jq
  private_kwctl_home
}

setup() {
  cd "$BATS_TEST_DIRNAME/../.." || return 1
}

# co_located NAME IMAGE SPEC INDEX: the rejection of a legacy sidecar.
co_located() {
  expected co_located name="$1" image="$2" spec="$3" index="$4"
}

# --- validation (tests/data/settings.json) ------------------------------------------------------------------

@test "Pod: a native sidecar (vault-sync in initContainers, restartPolicy Always) is accepted" {
  evaluate pod-native-sidecar-vault-sync.json --settings-path "$SETTINGS"
  allowed true
  no_patch
  warnings_are
}

@test "Pod: co-located containers that are not sidecars (pdf-engine, pdf-preview-ui) are accepted" {
  evaluate pod-co-located-pdf.json --settings-path "$SETTINGS"
  allowed true
  warnings_are
}

@test "Pod: Istio-injected pod with istio-init and a native istio-proxy is accepted" {
  evaluate pod-istio-native-sidecar.json --settings-path "$SETTINGS"
  allowed true
  warnings_are
}

@test "Pod: a legacy vault-agent in containers is rejected" {
  want=$(co_located vault-agent "$VAULT" "$POD" 1)
  evaluate pod-legacy-vault-agent.json --settings-path "$SETTINGS"
  allowed false
  message_is "$want"
}

@test "Deployment: a legacy vault-agent is rejected with its path and the fix" {
  want=$(co_located vault-agent "$VAULT" "$TEMPLATE" 1)
  evaluate deployment-legacy-vault-agent.json --settings-path "$SETTINGS"
  allowed false
  message_is "$want"
  no_patch
}

@test "ReplicaSet: a legacy istio-proxy is rejected" {
  want=$(co_located istio-proxy gcr.io/istio-release/proxyv2:1.22.3 "$TEMPLATE" 0)
  evaluate replicaset-legacy-istio-proxy.json --settings-path "$SETTINGS"
  allowed false
  message_is "$want"
}

@test "ReplicationController: a legacy vault-agent from a mirror is rejected (matched by name)" {
  want=$(co_located vault-agent registry.example.com/mirror/hashicorp/vault:1.14.8 "$TEMPLATE" 1)
  evaluate replicationcontroller-legacy-vault-agent.json --settings-path "$SETTINGS"
  allowed false
  message_is "$want"
}

@test "StatefulSet: every legacy sidecar is listed in one rejection" {
  want=$(joined "$(co_located vault-agent "$VAULT" "$TEMPLATE" 0)" "$(co_located log-shipper "$FLUENT_BIT" "$TEMPLATE" 2)")
  evaluate statefulset-legacy-sidecars.json --settings-path "$SETTINGS"
  allowed false
  message_is "$want"
}

@test "StatefulSet: a Vault server (hashicorp/vault as the only container) is accepted" {
  evaluate statefulset-vault-server.json --settings-path "$SETTINGS"
  allowed true
}

@test "DaemonSet: a legacy fluent-bit is rejected" {
  want=$(co_located fluent-bit "$FLUENT_BIT" "$TEMPLATE" 1)
  evaluate daemonset-legacy-fluent-bit.json --settings-path "$SETTINGS"
  allowed false
  message_is "$want"
}

@test "DaemonSet: fluent-bit as the only container (the node agent) is accepted" {
  evaluate daemonset-fluent-bit-only.json --settings-path "$SETTINGS"
  allowed true
}

@test "Job: a legacy cloud-sql-proxy is rejected" {
  want=$(co_located cloud-sql-proxy "$CLOUD_SQL_PROXY" "$TEMPLATE" 1)
  evaluate job-legacy-cloud-sql-proxy.json --settings-path "$SETTINGS"
  allowed false
  message_is "$want"
}

@test "CronJob: a legacy log shipper is rejected at its jobTemplate path" {
  want=$(co_located log-shipper "$FLUENT_BIT" "$CRONJOB" 1)
  evaluate cronjob-legacy-fluent-bit.json --settings-path "$SETTINGS"
  allowed false
  message_is "$want"
}

@test "Rollout (any kind with spec.template.spec): a legacy cloud-sql-proxy is rejected" {
  want=$(co_located cloud-sql-proxy "$CLOUD_SQL_PROXY" "$TEMPLATE" 1)
  evaluate rollout-legacy-cloud-sql-proxy.json --settings-path "$SETTINGS"
  allowed false
  message_is "$want"
}

@test "UPDATE: a violation the old object already had is accepted with a warning" {
  want=$(expected pre_existing message="$(co_located vault-agent "$VAULT" "$TEMPLATE" 1)")
  evaluate deployment-update-pre-existing-violation.json --settings-path "$SETTINGS"
  allowed true
  warnings_are "$want"
}

@test "UPDATE: a violation the update introduces is rejected; the old one stays a warning" {
  want=$(co_located cloud-sql-proxy "$CLOUD_SQL_PROXY" "$TEMPLATE" 2)
  warning=$(expected pre_existing message="$(co_located vault-agent "$VAULT" "$TEMPLATE" 1)")
  evaluate deployment-update-adds-violation.json --settings-path "$SETTINGS"
  allowed false
  message_is "$want"
  warnings_are "$warning"
}

@test "Deployment: restrictNativeSidecars also rejects a native sidecar that matches neither list" {
  without=$(co_located vault-agent "$VAULT" "$TEMPLATE" 1)
  with=$(joined "$without" \
    "$(expected unapproved name=otel-collector image=otel/opentelemetry-collector-contrib:0.110.0 spec="$TEMPLATE" index=1)")

  evaluate deployment-unapproved-native-sidecar.json --settings-path "$SETTINGS"
  allowed false
  message_is "$without"

  evaluate deployment-unapproved-native-sidecar.json \
    --settings-json "$(jq -c '. + {restrictNativeSidecars: true}' "$SETTINGS")"
  allowed false
  message_is "$with"
}

@test "Not checked: DELETE, CONNECT, subresources, mirror pods; other kinds get a warning" {
  for request in pod-delete.json pod-exec-connect.json pod-status-update.json deployment-scale-subresource.json \
    pod-mirror-static.json; do
    evaluate "$request" --settings-path "$SETTINGS"
    allowed true
    no_patch
    warnings_are
  done
  want=$(expected unsupported_kind kind=ConfigMap group=)
  evaluate configmap-unsupported.json --settings-path "$SETTINGS"
  allowed true
  warnings_are "$want"
}

# --- mutation (tests/data/settings-mutate.json: the same lists with mutate: true) ---------------------------

@test "mutate: a Deployment's legacy vault-agent becomes a native sidecar through a JSON Patch" {
  want=$(expected moved_warning name=vault-agent)
  evaluate deployment-legacy-vault-agent.json --settings-path "$MUTATE_SETTINGS"
  allowed true
  warnings_are "$want"
  vault_agent_converted
}

@test "mutate: a Job's legacy cloud-sql-proxy is moved before the one-shot init containers (beforeInitContainers)" {
  evaluate job-legacy-cloud-sql-proxy.json \
    --settings-json "$(jq -c '. + {placement: "beforeInitContainers"}' "$MUTATE_SETTINGS")"
  allowed true
  patch >"$BATS_TEST_TMPDIR/patch.json"
  cat "$BATS_TEST_TMPDIR/patch.json"
  patched job-legacy-cloud-sql-proxy.json "$BATS_TEST_TMPDIR/patch.json" >"$BATS_TEST_TMPDIR/object.json"
  jq -e --slurpfile before "$REQUESTS/job-legacy-cloud-sql-proxy.json" '
    ($before[0].object.spec.template.spec) as $old | .spec.template.spec as $new
    | ($new.containers | map(.name)) == ["migrate"]
      and $new.initContainers == [$old.containers[1] + {restartPolicy: "Always"}]
  ' "$BATS_TEST_TMPDIR/object.json"
}

@test "mutate: a CronJob's legacy log shipper is moved inside its jobTemplate" {
  evaluate cronjob-legacy-fluent-bit.json --settings-path "$MUTATE_SETTINGS"
  allowed true
  patch >"$BATS_TEST_TMPDIR/patch.json"
  cat "$BATS_TEST_TMPDIR/patch.json"
  jq -e 'length > 0 and all(.[]; .path | startswith("/spec/jobTemplate/spec/template/spec/"))' \
    "$BATS_TEST_TMPDIR/patch.json"
  patched cronjob-legacy-fluent-bit.json "$BATS_TEST_TMPDIR/patch.json" >"$BATS_TEST_TMPDIR/object.json"
  jq -e --slurpfile before "$REQUESTS/cronjob-legacy-fluent-bit.json" '
    ($before[0].object.spec.jobTemplate.spec.template.spec) as $old | .spec.jobTemplate.spec.template.spec as $new
    | ($new.containers | map(.name)) == ["report"]
      and ($new.initContainers | map([.name, .restartPolicy])) == [["wait-for-warehouse", null], ["log-shipper", "Always"]]
      and $new.initContainers[1] == $old.containers[1] + {restartPolicy: "Always"}
  ' "$BATS_TEST_TMPDIR/object.json"
}

@test "mutate: a compliant Pod is accepted unchanged" {
  evaluate pod-native-sidecar-vault-sync.json --settings-path "$MUTATE_SETTINGS"
  allowed true
  no_patch
}

@test "mutate: a sidecar with restartPolicy Never is rejected, not rewritten" {
  want=$(expected not_converted name=log-shipper image="$FLUENT_BIT" spec="$TEMPLATE" index=1 \
    because="$(expected because_restart_policy restartPolicy=Never)")
  evaluate deployment-sidecar-restart-policy-never.json --settings-path "$MUTATE_SETTINGS"
  allowed false
  no_patch
  message_is "$want"
}

@test "mutate: a Pod UPDATE is never mutated (its containers cannot change)" {
  evaluate pod-update-legacy-sidecar.json --settings-path "$MUTATE_SETTINGS"
  allowed true
  no_patch
}

# --- settings -------------------------------------------------------------------------------------------------

@test "settings: naming no sidecar at all is refused with the policy's message" {
  want=$(expected no_sidecars)
  evaluate pod-co-located-pdf.json --settings-json '{}'
  [ "$status" -ne 0 ]
  grep -qF "Provided settings are not valid: $want" <<<"$stderr"
}

@test "settings: an unknown key is refused and named" {
  evaluate pod-co-located-pdf.json --settings-json '{"sidecarImages": ["hashicorp/vault"], "sidecarImage": []}'
  [ "$status" -ne 0 ]
  grep -qF 'Provided settings are not valid: invalid settings: unknown field `sidecarImage`' <<<"$stderr"
}

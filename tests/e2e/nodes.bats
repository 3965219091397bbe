#!/usr/bin/env bats
# checkNodes through real kwctl: the annotated module asks the cluster for its Nodes (a context-aware policy), and
# kwctl answers from the session files of tests/data/sessions/ (--replay-host-capabilities-interactions), the same
# files the wasm-host tests (tests/nodes.rs) replay. kwctl compares every request the policy sends with the recorded
# one, field masks included, so these tests also pin the exact host call. Run with `make e2e-tests`.

bats_require_minimum_version 1.5.0
load common

SESSIONS=tests/data/sessions
CHECK_NODES_SETTINGS=tests/data/settings-check-nodes.json

setup_file() {
  cd "$BATS_TEST_DIRNAME/../.." || return 1
  require_module_and_jq
  private_kwctl_home
}

setup() {
  cd "$BATS_TEST_DIRNAME/../.." || return 1
}

# in_cluster SESSION REQUEST [kwctl run options...]: the policy with checkNodes, the cluster replayed from SESSION.
in_cluster() {
  local session=$1
  shift
  local request=$1
  shift
  evaluate "$request" --allow-context-aware --replay-host-capabilities-interactions "$SESSIONS/$session" "$@"
}

# left_in_place REASON: the warning for pod-legacy-vault-agent.json's vault-agent, neither rejected nor converted.
left_in_place() {
  expected left_for_old_nodes containers="container 'vault-agent' (spec.containers[1])" spec=spec minimum=1.29 \
    reason="$1" pronoun=it
}

old_node_b() {
  expected reason_old_node node="'node-b' (kubelet v1.28.9)" minimum=1.29
}

@test "checkNodes, ready cluster (EKS, k3s, GKE kubelets): the legacy vault-agent is converted as without checkNodes" {
  in_cluster nodes-ready.yml pod-legacy-vault-agent.json --settings-path "$CHECK_NODES_SETTINGS"
  allowed true
  warnings_are "$(expected moved_warning name=vault-agent)"
  patch >"$BATS_TEST_TMPDIR/patch.json"
  patched pod-legacy-vault-agent.json "$BATS_TEST_TMPDIR/patch.json" >"$BATS_TEST_TMPDIR/object.json"
  jq -e '.spec.initContainers == [.spec.initContainers[0]] and .spec.initContainers[0].name == "vault-agent"
         and .spec.initContainers[0].restartPolicy == "Always" and ([.spec.containers[].name] == ["reports-worker"])' \
    "$BATS_TEST_TMPDIR/object.json"
}

@test "checkNodes, a node still on kubelet 1.28: the sidecar is neither converted nor rejected, with a warning" {
  in_cluster nodes-mixed.yml pod-legacy-vault-agent.json --settings-path "$CHECK_NODES_SETTINGS"
  allowed true
  no_patch
  warnings_are "$(left_in_place "$(old_node_b)")"
}

@test "checkNodes in validating mode, a node still on kubelet 1.28: accepted with the same warning" {
  in_cluster nodes-mixed.yml pod-legacy-vault-agent.json \
    --settings-json "$(jq -c '.checkNodes = true' "$SETTINGS")"
  allowed true
  warnings_are "$(left_in_place "$(old_node_b)")"
}

@test "checkNodes, a Pod pinned (spec.nodeName) to a ready node of a mixed cluster is converted" {
  in_cluster nodes-mixed.yml pod-legacy-vault-agent-pinned.json --settings-path "$CHECK_NODES_SETTINGS"
  allowed true
  warnings_are "$(expected moved_warning name=vault-agent)"
  patch | jq -e 'any(.[]; .path | startswith("/spec/initContainers"))'
}

@test "checkNodes, an unreadable kubelet version counts as not ready" {
  in_cluster nodes-unreadable.yml pod-legacy-vault-agent.json --settings-path "$CHECK_NODES_SETTINGS"
  allowed true
  no_patch
  warnings_are "$(left_in_place "$(expected reason_old_node \
    node="'node-odd' (kubelet version 'custom-build' unreadable)" minimum=1.29)")"
}

@test "checkNodes, the lookup refused by RBAC: the warning quotes the error and says what to grant" {
  in_cluster nodes-forbidden.yml pod-legacy-vault-agent.json --settings-path "$CHECK_NODES_SETTINGS"
  allowed true
  no_patch
  warnings_are "$(left_in_place "$(expected reason_lookup_failed \
    error='nodes is forbidden: User "system:serviceaccount:kubewarden:policy-server-default" cannot list resource "nodes" in API group "" at the cluster scope')")"
}

@test "checkNodes, the cluster lists no Node: not ready" {
  in_cluster nodes-empty.yml pod-legacy-vault-agent.json --settings-path "$CHECK_NODES_SETTINGS"
  allowed true
  no_patch
  warnings_are "$(left_in_place "$(expected reason_no_nodes)")"
}

@test "checkNodes without --allow-context-aware: kwctl denies the lookup and the warning says what to grant" {
  evaluate pod-legacy-vault-agent.json --settings-path "$CHECK_NODES_SETTINGS"
  allowed true
  no_patch
  warnings_are "$(left_in_place "$(expected reason_lookup_failed error="$(expected not_granted)")")"
}

@test "checkNodes, a native sidecar on a mixed cluster: accepted with a warning that it hangs in Init there" {
  in_cluster nodes-mixed.yml pod-native-sidecar-vault-sync.json \
    --settings-json "$(jq -c '.checkNodes = true' "$SETTINGS")"
  allowed true
  warnings_are "$(expected native_on_old_nodes sidecars="native sidecar 'vault-sync' (spec.initContainers[0])" \
    minimum=1.29 reason="$(old_node_b)")"
}

@test "checkNodes, an object without sidecars makes no host call (an empty session would fail any call)" {
  printf '[]\n' >"$BATS_TEST_TMPDIR/no-calls.yml"
  evaluate pod-co-located-pdf.json --allow-context-aware \
    --replay-host-capabilities-interactions "$BATS_TEST_TMPDIR/no-calls.yml" --settings-path "$CHECK_NODES_SETTINGS"
  allowed true
  no_patch
  warnings_are
  # A call would have been answered "the list of recorded responses is empty" and turned into a warning.
  [[ $stderr != *"recorded responses is empty"* ]]
}

@test "mutate without mutateTemplates: a Deployment's template is left to its Pods, with a warning per sidecar" {
  evaluate deployment-legacy-vault-agent.json --settings-json "$(jq -c '.mutate = true' "$SETTINGS")"
  allowed true
  no_patch
  warnings_are "$(expected left_for_pods name=vault-agent spec=spec.template.spec index=1)"
}

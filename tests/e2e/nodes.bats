#!/usr/bin/env bats
# checkNodes through real kwctl, a smoke test of each host call and outcome (tests/nodes.rs holds the full matrix):
# the annotated module asks the cluster for its Nodes (a context-aware policy), and kwctl answers from the session
# files of tests/data/sessions/ (--replay-host-capabilities-interactions). kwctl compares every request the policy
# sends with the recorded one, field masks included, so these tests also pin the exact host calls: a list of every
# Node, or one get_resource for a Pod pinned to a node. Run with `make e2e-tests`.

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

# no_host_call REQUEST SETTINGS_JSON: the policy decides REQUEST without asking the cluster (an empty session would
# fail any call, which the policy would turn into a warning).
no_host_call() {
  printf '[]\n' >"$BATS_TEST_TMPDIR/no-calls.yml"
  evaluate "$1" --allow-context-aware --replay-host-capabilities-interactions "$BATS_TEST_TMPDIR/no-calls.yml" \
    --settings-json "$2"
  [[ $stderr != *"recorded responses is empty"* ]]
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

@test "checkNodes, a Pod pinned to a ready node: one get_resource of that Node, and the sidecar is converted" {
  in_cluster node-c-ready.yml pod-legacy-vault-agent-pinned.json --settings-path "$CHECK_NODES_SETTINGS"
  allowed true
  warnings_are "$(expected moved_warning name=vault-agent)"
  patch | jq -e 'any(.[]; .path | startswith("/spec/initContainers"))'
}

@test "checkNodes, a Pod pinned to a node on kubelet 1.28: one get_resource, and the sidecar is left with a warning" {
  jq '.object.spec.nodeName = "node-b"' "$REQUESTS/pod-legacy-vault-agent-pinned.json" >"$BATS_TEST_TMPDIR/pinned.json"
  evaluate "$BATS_TEST_TMPDIR/pinned.json" --allow-context-aware \
    --replay-host-capabilities-interactions "$SESSIONS/node-b-old.yml" --settings-path "$CHECK_NODES_SETTINGS"
  allowed true
  no_patch
  warnings_are "$(left_in_place "$(expected reason_pinned_node node="'node-b' (kubelet v1.28.9)" minimum=1.29)")"
}

@test "checkNodes, a Pod pinned to a node the cluster does not have: kwctl's 'Cannot find' is read as no such node" {
  jq '.object.spec.nodeName = "ghost"' "$REQUESTS/pod-legacy-vault-agent-pinned.json" >"$BATS_TEST_TMPDIR/pinned.json"
  evaluate "$BATS_TEST_TMPDIR/pinned.json" --allow-context-aware \
    --replay-host-capabilities-interactions "$SESSIONS/node-ghost-missing.yml" --settings-path "$CHECK_NODES_SETTINGS"
  allowed true
  no_patch
  warnings_are "$(left_in_place "$(expected reason_pinned_unknown node=ghost)")"
}

@test "checkNodes without --allow-context-aware: kwctl denies the lookup and the warning says what to grant" {
  evaluate pod-legacy-vault-agent.json --settings-path "$CHECK_NODES_SETTINGS"
  allowed true
  no_patch
  warnings_are "$(left_in_place "$(expected reason_lookup_failed error="$(expected not_granted)")")"
}

@test "checkNodes, a native sidecar that is merely accepted makes no host call" {
  no_host_call pod-native-sidecar-vault-sync.json "$(jq -c '.checkNodes = true' "$SETTINGS")"
  allowed true
  warnings_are
}

@test "checkNodes, an object without sidecars makes no host call" {
  no_host_call pod-co-located-pdf.json "$(cat "$CHECK_NODES_SETTINGS")"
  allowed true
  no_patch
  warnings_are
}

@test "mutate without mutateTemplates: a Deployment's template is left to its Pods, with no host call" {
  no_host_call deployment-legacy-vault-agent.json "$(jq -c '.mutate = true | .checkNodes = true' "$SETTINGS")"
  allowed true
  no_patch
  warnings_are "$(expected left_for_pods name=vault-agent spec=spec.template.spec index=1)"
}

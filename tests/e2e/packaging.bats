#!/usr/bin/env bats
# The Kubewarden packaging, checked with real kwctl (`make e2e-tests` runs this file): the annotated module carries
# metadata.yml, `kwctl annotate` has nothing to warn about (every host capability the module calls is declared, and
# nothing else), and the committed artifacthub-pkg.yml is what `make artifacthub` (kwctl scaffold artifacthub)
# generates. Needs kwctl, jq, and python3 with PyYAML to read YAML as data (apt-get install python3-yaml).

bats_require_minimum_version 1.5.0
load common

setup_file() {
  cd "$BATS_TEST_DIRNAME/../.." || return 1
  require_module_and_jq
  private_kwctl_home
}

setup() {
  cd "$BATS_TEST_DIRNAME/../.." || return 1
}

# annotate METADATA: `kwctl annotate` as the Makefile runs it, on policy.wasm, into a temporary file.
# Sets $status, $output and $stderr.
annotate() {
  run --separate-stderr "$KWCTL" annotate -m "$1" -u README.md -o "$BATS_TEST_TMPDIR/annotated.wasm" policy.wasm
  echo "kwctl annotate -m $1: status $status"
  echo "stdout = $output"
  echo "stderr = $stderr"
}

# kwctl compares hostCapabilities with the capabilities the module calls from 1.35 on; older ones have nothing to say.
need_capability_check() {
  local version
  version=$("$KWCTL" --version 2>/dev/null | sed -n 's/^kwctl \([0-9]*\.[0-9]*\).*/\1/p')
  if [ -z "$version" ] || [ "${version%%.*}" -lt 1 ] || { [ "${version%%.*}" -eq 1 ] && [ "${version#*.}" -lt 35 ]; }; then
    missing_tool "kwctl 1.35 or later (this is '$("$KWCTL" --version 2>/dev/null | sed -n 1p)')" \
      "it checks hostCapabilities against the module; take a newer release"
  fi
}

# kwctl's log lines at WARN level (or anything calling itself a warning).
warnings_in() {
  grep -iE '(^|[^a-z])(warn|warning)([^a-z]|$)' <<<"$1" || true
}

@test "annotate: kwctl annotate has nothing to warn about (host capabilities declared exactly as the module calls them)" {
  [ -f policy.wasm ] || { echo "policy.wasm is missing: run 'make e2e-tests'" >&2; return 1; }
  need_capability_check
  annotate metadata.yml
  [ "$status" -eq 0 ]
  [ -z "$(warnings_in "$stderr")" ]
}

@test "annotate: the warning check above sees kwctl's warnings (a capability the module never calls is reported)" {
  # Control for the test above: the same metadata.yml, declaring one more host capability. If kwctl changed how it
  # reports warnings, the test above could no longer fail; this one fails instead.
  need_capability_check
  need_python_yaml
  "$PYTHON_YAML" -c 'import sys, yaml
metadata = yaml.safe_load(open(sys.argv[1]))
metadata["hostCapabilities"] = metadata.get("hostCapabilities", []) + ["crypto/v1/is_certificate_trusted"]
yaml.safe_dump(metadata, open(sys.argv[2], "w"))' metadata.yml "$BATS_TEST_TMPDIR/metadata.yml"
  annotate "$BATS_TEST_TMPDIR/metadata.yml"
  [ "$status" -eq 0 ]
  warnings_in "$stderr" | grep -F 'crypto/v1/is_certificate_trusted'
}

@test "annotate: the module carries metadata.yml, and README.md as its usage" {
  need_python_yaml
  run --separate-stderr "$KWCTL" inspect -o yaml "$POLICY"
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/inspect.yml"
  yaml_json "$BATS_TEST_TMPDIR/inspect.yml" >"$BATS_TEST_TMPDIR/inspect.json"
  yaml_json metadata.yml >"$BATS_TEST_TMPDIR/metadata.json"
  # Every field of metadata.yml as written; kwctl adds protocolVersion, its own version and the usage annotation.
  jq -n --slurpfile inspected "$BATS_TEST_TMPDIR/inspect.json" --slurpfile metadata "$BATS_TEST_TMPDIR/metadata.json" \
    --rawfile readme README.md '
    ($inspected[0] | del(.protocolVersion, .annotations["io.kubewarden.kwctl"], .annotations["io.kubewarden.policy.usage"]))
      as $carried
    | if $carried == $metadata[0] then empty else {carried: $carried, metadata: $metadata[0]} end,
      if ($inspected[0].annotations["io.kubewarden.policy.usage"] | rtrimstr("\n")) == ($readme | rtrimstr("\n"))
      then empty else "io.kubewarden.policy.usage is not README.md" end' >"$BATS_TEST_TMPDIR/differences"
  cat "$BATS_TEST_TMPDIR/differences"
  [ ! -s "$BATS_TEST_TMPDIR/differences" ]
  # What this policy relies on, spelled out.
  jq -e '.mutating == true and .contextAwareResources == [{apiVersion: "v1", kind: "Node"}]
    and .hostCapabilities == ["kubernetes/get_resource", "kubernetes/list_resources_all"] and .protocolVersion == "v1"' \
    "$BATS_TEST_TMPDIR/inspect.json"
}

@test "artifacthub: the committed artifacthub-pkg.yml is what 'make artifacthub' generates (createdAt aside)" {
  need_python_yaml
  generated="$BATS_TEST_TMPDIR/artifacthub-pkg.yml"
  run make --no-print-directory artifacthub ARTIFACTHUB_OUTPUT="$generated"
  echo "$output"
  [ "$status" -eq 0 ]
  yaml_json artifacthub-pkg.yml | jq -S 'del(.createdAt)' >"$BATS_TEST_TMPDIR/committed.json"
  yaml_json "$generated" | jq -S 'del(.createdAt)' >"$BATS_TEST_TMPDIR/generated.json"
  fields=$(differing_fields "$BATS_TEST_TMPDIR/committed.json" "$BATS_TEST_TMPDIR/generated.json")
  if [ -n "$fields" ]; then
    echo "artifacthub-pkg.yml differs from kwctl scaffold artifacthub in: $(tr '\n' ' ' <<<"$fields")" >&2
    echo "run 'make artifacthub' and commit artifacthub-pkg.yml" >&2
    diff -u <(jq . "$BATS_TEST_TMPDIR/committed.json") <(jq . "$BATS_TEST_TMPDIR/generated.json") >&2 || true
    return 1
  fi
  # The comparison itself is not vacuous: both sides hold the package.
  jq -e '.name == "sidecar-placement" and (.annotations | length) > 0' "$BATS_TEST_TMPDIR/generated.json"
}

@test "scaffold: the README's kwctl scaffold manifest --settings-path gives a policy whose settings the module accepts" {
  need_python_yaml
  run --separate-stderr "$KWCTL" scaffold manifest -t ClusterAdmissionPolicy --settings-path "$SETTINGS" "$POLICY"
  [ "$status" -eq 0 ]
  printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/manifest.yml"
  yaml_json "$BATS_TEST_TMPDIR/manifest.yml" | jq -c '.spec.settings' >"$BATS_TEST_TMPDIR/settings.json"
  jq -e --slurpfile wanted "$SETTINGS" '. == $wanted[0]' "$BATS_TEST_TMPDIR/settings.json"
  evaluate pod-co-located-pdf.json --settings-path "$BATS_TEST_TMPDIR/settings.json"
  allowed true
  # Without --settings-path, kwctl writes `settings: {}`, which the policy refuses: what the README warns about.
  run --separate-stderr "$KWCTL" scaffold manifest -t ClusterAdmissionPolicy "$POLICY"
  printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/bare.yml"
  [ "$(yaml_json "$BATS_TEST_TMPDIR/bare.yml" | jq -c '.spec.settings')" = "{}" ]
  evaluate pod-co-located-pdf.json --settings-json '{}'
  [ "$status" -ne 0 ]
  [[ $stderr$output == *"must be told which containers are sidecars"* ]]
}

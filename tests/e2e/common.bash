# Shared by the bats files of tests/e2e (policy.bats, nodes.bats, packaging.bats, registry.bats): loaded with
# `load common`.
# Runs from the repository root. Needs kwctl and jq; `make e2e-tests` checks for kwctl and bats before it starts.

# The kwctl to test (the Makefile passes its KWCTL).
KWCTL=${KWCTL:-kwctl}
POLICY=annotated-policy.wasm
REQUESTS=tests/data/requests
SETTINGS=tests/data/settings.json
MUTATE_SETTINGS=tests/data/settings-mutate.json
# The policy's wording, shared with the wasm-host tests (tests/common/mod.rs).
MESSAGES=tests/data/expected/messages.json

# missing_tool WHAT HOW: a tool a test file needs is absent. Skips the calling test (or, from setup_file, every test
# of the file) with a message saying how to install it; with E2E_REQUIRED set (CI, releases) it fails instead.
missing_tool() {
  if [ -n "${E2E_REQUIRED:-}" ]; then
    echo "$1 is missing and E2E_REQUIRED is set: $2" >&2
    return 1
  fi
  skip "$1 is missing: $2"
}

# kwctl keeps its store, cache and sources under $HOME (or XDG_*): give every test file its own, so that runs share
# no pulled module and never touch the user's.
private_kwctl_home() {
  export HOME="$BATS_FILE_TMPDIR/home"
  export XDG_CACHE_HOME="$HOME/.cache" XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share"
  mkdir -p "$XDG_CACHE_HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
  # kwctl's own warnings (no Sigstore trust root offline, ...) without a stack trace each: readable failures.
  export RUST_BACKTRACE=0
}

# request_path REQUEST: a fixture name (tests/data/requests/REQUEST) or a path (anything with a /).
request_path() {
  case $1 in
    */*) printf '%s' "$1" ;;
    *) printf '%s' "$REQUESTS/$1" ;;
  esac
}

# The annotated module and jq, which every file needs.
require_module_and_jq() {
  if [ ! -f "$POLICY" ]; then
    echo "$POLICY is missing: run 'make e2e-tests' (it annotates the module first)" >&2
    return 1
  fi
  if ! command -v jq >/dev/null 2>&1; then
    echo "jq is needed to read kwctl's answers (apt-get install jq)" >&2
    return 1
  fi
}

# expected NAME [KEY=VALUE...]: the message NAME of tests/data/expected/messages.json with each {KEY} replaced by
# VALUE. Fails on an unknown name, a KEY the template lacks, or a placeholder left unfilled.
expected() {
  local name=$1 text pair key value
  shift
  if ! text=$(jq -er --arg name "$name" '.[$name] | strings' "$MESSAGES"); then
    echo "no message '$name' in $MESSAGES" >&2
    return 1
  fi
  for pair in "$@"; do
    key=${pair%%=*}
    value=${pair#*=}
    if [[ $text != *"{$key}"* ]]; then
      echo "message '$name' has no placeholder {$key}" >&2
      return 1
    fi
    text=${text//"{$key}"/"$value"}
  done
  if [[ $text =~ \{[A-Za-z0-9]+\} ]]; then
    echo "message '$name': ${BASH_REMATCH[0]} is not filled in" >&2
    return 1
  fi
  printf '%s' "$text"
}

# joined MESSAGE...: several problems in one answer, as the policy joins them.
joined() {
  local separator result="" message
  separator=$(expected separator)
  for message in "$@"; do
    result+="${result:+$separator}$message"
  done
  printf '%s' "$result"
}

# evaluate REQUEST [kwctl run options...]: runs $POLICY (a file or a registry:// URI) on the request (request_path).
# Sets $status, $output (kwctl's stdout: the AdmissionResponse), $stderr (its logs) and $response (the JSON).
evaluate() {
  local request
  request=$(request_path "$1")
  shift
  if [ ! -f "$request" ]; then
    echo "fixture $request does not exist" >&2
    return 1
  fi
  run --separate-stderr "$KWCTL" run --request-path "$request" "$@" "$POLICY"
  echo "kwctl run --request-path $request $* $POLICY"
  echo "status = $status"
  echo "stdout = $output"
  echo "stderr = $stderr"
  response=$(printf '%s\n' "$output" | grep '^{' | tail -n 1)
}

# allowed true|false: kwctl answered, and that is the decision.
allowed() {
  [ "$status" -eq 0 ] && [ "$(jq -r '.allowed' <<<"$response")" = "$1" ]
}

# message_is TEXT: the rejection message, exactly.
message_is() {
  local message
  message=$(jq -r '.status.message // ""' <<<"$response")
  if [ "$message" != "$1" ]; then
    printf 'message:  %s\nexpected: %s\n' "$message" "$1" >&2
    return 1
  fi
}

# warnings_are TEXT...: the warnings, exactly and in order.
warnings_are() {
  local actual wanted
  actual=$(jq -c '.warnings // []' <<<"$response")
  wanted=$(jq -cn '$ARGS.positional' --args "$@")
  if [ "$actual" != "$wanted" ]; then
    printf 'warnings: %s\nexpected: %s\n' "$actual" "$wanted" >&2
    return 1
  fi
}

# patch: the response carries a JSON Patch; prints it decoded.
patch() {
  [ "$(jq -r '.patchType // ""' <<<"$response")" = "JSONPatch" ] || { echo "no JSONPatch in the response" >&2; return 1; }
  jq -r '.patch' <<<"$response" | base64 -d
}

no_patch() {
  [ "$(jq -r '.patch // ""' <<<"$response")" = "" ] || { echo "unexpected patch: $(patch)" >&2; return 1; }
}

# patched REQUEST PATCH_FILE: the request's object after the RFC 6902 patch (add, remove, replace), as the API server
# would store it. Fails on any other operation or a path that does not resolve.
patched() {
  jq --slurpfile patch "$2" '
    def pointer: if . == "" then [] else ltrimstr("/") | split("/") | map(gsub("~1"; "/") | gsub("~0"; "~")) end;
    # JSON Pointer segments to jq path components: numbers inside arrays ("-" is the end of the array).
    def resolve($document):
      reduce .[] as $segment ([];
        . as $path | ($document | getpath($path)) as $container
        | $path + [if ($container | type) == "array"
                   then (if $segment == "-" then ($container | length) else ($segment | tonumber) end)
                   else $segment end]);
    reduce $patch[0][] as $operation (.object;
      . as $document
      | ($operation.path | pointer | resolve($document)) as $path
      | if $operation.op == "add" then
          ($document | getpath($path[:-1])) as $parent
          | if ($parent | type) == "array"
            then setpath($path[:-1]; $parent[:$path[-1]] + [$operation.value] + $parent[$path[-1]:])
            else setpath($path; $operation.value) end
        elif ($document | getpath($path[:-1]) | has($path[-1]) | not) then
          error("\($operation.op) \($operation.path): no such value")
        elif $operation.op == "remove" then delpaths([$path])
        elif $operation.op == "replace" then setpath($path; $operation.value)
        else error("unexpected patch operation \($operation.op)") end)
  ' "$(request_path "$1")"
}

# yaml_json FILE: the YAML document FILE as JSON (keys sorted), through Python's PyYAML (Debian: python3-yaml).
# Call need_python_yaml first (in setup_file or the test).
yaml_json() {
  "$PYTHON_YAML" -c 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout, sort_keys=True, default=str)' "$1"
}

# need_python_yaml: finds a python3 that can import yaml (the first python3 on PATH may be a pyenv or venv one
# without it, while Debian's python3-yaml serves /usr/bin/python3); missing_tool otherwise.
need_python_yaml() {
  local candidate
  for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c 'import yaml' >/dev/null 2>&1; then
      PYTHON_YAML=$candidate
      return 0
    fi
  done
  missing_tool "python3 with PyYAML" "apt-get install python3-yaml (or pip install pyyaml)"
}

# differing_fields A.json B.json: the paths (a.b.0.c) of every value that differs between two JSON documents.
differing_fields() {
  jq -rn --slurpfile a "$1" --slurpfile b "$2" '
    def leaves: [paths(type != "object" and type != "array" or length == 0)];
    ($a[0] | leaves) + ($b[0] | leaves) | unique[]
    | select(. as $path | (try ($a[0] | getpath($path)) catch {mismatch: $path})
                            != (try ($b[0] | getpath($path)) catch {mismatch: $path}))
    | map(tostring) | join(".")'
}

# vault_agent_converted: the answer converts deployment-legacy-vault-agent.json as the policy must. The patch touches
# the pod template's two container lists and nothing else, and the object the API server stores has vault-agent
# verbatim plus restartPolicy Always after the one-shot init container, and is otherwise unchanged.
vault_agent_converted() {
  local fixture=deployment-legacy-vault-agent.json
  patch >"$BATS_TEST_TMPDIR/patch.json"
  cat "$BATS_TEST_TMPDIR/patch.json"
  jq -e 'length > 0 and all(.[]; .path | test("^/spec/template/spec/(initContainers|containers)(/|$)"))' \
    "$BATS_TEST_TMPDIR/patch.json"
  patched "$fixture" "$BATS_TEST_TMPDIR/patch.json" >"$BATS_TEST_TMPDIR/object.json"
  jq -e --slurpfile before "$REQUESTS/$fixture" '
    ($before[0].object.spec.template.spec) as $old | .spec.template.spec as $new
    | ($new.containers | map(.name)) == ["billing-api"]
      and $new.initContainers == $old.initContainers + [($old.containers[1] + {restartPolicy: "Always"})]
      and (del(.spec.template.spec.containers, .spec.template.spec.initContainers)
           == ($before[0].object | del(.spec.template.spec.containers, .spec.template.spec.initContainers)))
  ' "$BATS_TEST_TMPDIR/object.json"
}

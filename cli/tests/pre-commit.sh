#!/usr/bin/env bash
# pre-commit end to end (`make pre-commit-tests`, part of `make test`): the hooks of .pre-commit-hooks.yaml, from a
# copy of this checkout as it is (uncommitted changes included), run by the real pre-commit (PyPI) in a temporary git
# repository holding a Deployment with a legacy sidecar, with the settings passed through `args` as users write it:
#   - sidecar-placement-check fails and names the container;
#   - sidecar-placement-fix rewrites the file (and fails, as pre-commit fails every hook that modifies files);
#   - then both pass, and the file holds the native sidecar.
# The hooks build the CLI with cargo in pre-commit's clone; SIDECAR_PLACEMENT_PROFILE=dev and the workspace's target
# directory let that build reuse the dependencies `cargo test` built.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The hooks' repository: this checkout's files as they are now, committed in a repository of their own.
mkdir "$work/hooks"
(cd "$root" && { git ls-files -z; git ls-files -z --others --exclude-standard; } | tar --null -T - -cf -) \
  | tar -xf - -C "$work/hooks"
git -C "$work/hooks" init -q
git -C "$work/hooks" add -A
git -C "$work/hooks" -c user.name=test -c user.email=test@example.com commit -qm hooks
rev=$(git -C "$work/hooks" rev-parse HEAD)

# The user's repository.
mkdir "$work/project"
cd "$work/project"
git init -q
cat > settings.yaml <<'YAML'
sidecarContainerNames: [vault-agent]
YAML
cat > deployment.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: example/app:1
        # renders the app's secrets
        - name: vault-agent
          image: hashicorp/vault:1.15.2
YAML
cat > .pre-commit-config.yaml <<YAML
repos:
  - repo: $work/hooks
    rev: $rev
    hooks:
      - id: sidecar-placement-check
        args: [--settings, settings.yaml]
      - id: sidecar-placement-fix
        args: [--settings, settings.yaml]
YAML
git add -A

export PRE_COMMIT_HOME="$work/cache" SIDECAR_PLACEMENT_PROFILE="${SIDECAR_PLACEMENT_PROFILE:-dev}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
failed=0
expect() {  # expect STATUS DESCRIPTION COMMAND...: the command's exit status must be STATUS
  local status=$1 what=$2; shift 2
  local output code=0
  output=$("$@" 2>&1) || code=$?
  if [ "$code" -ne "$status" ]; then
    echo "not ok: $what: exit $code, expected $status" >&2; echo "$output" >&2; failed=1; return 1
  fi
  echo "ok: $what"
  printf '%s\n' "$output" > "$work/last"
}

started=$(date +%s)
expect 1 "the check hook fails on a legacy sidecar" pre-commit run sidecar-placement-check --all-files || true
grep -q "deployment.yaml:12:9: Deployment web: container 'vault-agent'" "$work/last" \
  || { echo "not ok: the check hook names the container:" >&2; cat "$work/last" >&2; failed=1; }
expect 1 "the fix hook rewrites the file (pre-commit fails a hook that modifies files)" \
  pre-commit run sidecar-placement-fix --all-files || true
grep -q "files were modified by this hook" "$work/last" \
  || { echo "not ok: pre-commit saw the file change:" >&2; cat "$work/last" >&2; failed=1; }
if ! grep -q "^      initContainers:" deployment.yaml || ! grep -q "restartPolicy: Always" deployment.yaml; then
  echo "not ok: deployment.yaml was not converted:" >&2; cat deployment.yaml >&2; failed=1
fi
expect 0 "then both hooks pass" pre-commit run --all-files || true
echo "pre-commit end to end: $(( $(date +%s) - started )) s"
if [ "$failed" -ne 0 ]; then echo "pre-commit: 0 passed, 1 failed" >&2; exit 1; fi
echo "pre-commit: 1 passed, 0 failed"

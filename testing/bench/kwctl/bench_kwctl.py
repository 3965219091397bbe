#!/usr/bin/env python3
"""`make bench-kwctl`: `kwctl bench` on the annotated module for a validate, a reject and a mutate request.

Each case is first run once with `kwctl run` and its decision checked (accepted without a patch, rejected, accepted
with a JSON patch), so that the benchmark cannot time an error path; then `kwctl bench` times it. Prints a markdown
table of the figures kwctl reports (validate and validate_settings: min, median, mean, max, standard deviation,
iterations). kwctl keeps its caches under a temporary HOME. Python 3 standard library only.
"""

import argparse
import base64
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(HERE, ".."))
from provenance import cpu_model, load_average, measured_commit, version  # noqa: E402
DATA = os.path.join(ROOT, "tests", "data")

# (name, what, request, settings, expected decision)
CASES = [
    (
        "validate",
        "Pod without sidecars (`pod-co-located-pdf.json`), `settings.json`",
        "requests/pod-co-located-pdf.json",
        "settings.json",
        "accept",
    ),
    (
        "reject",
        "Pod with a legacy `vault-agent` (`pod-legacy-vault-agent.json`), `settings.json` (mutate off)",
        "requests/pod-legacy-vault-agent.json",
        "settings.json",
        "reject",
    ),
    (
        "mutate",
        "the same Pod, `settings-mutate.json` (mutate on)",
        "requests/pod-legacy-vault-agent.json",
        "settings-mutate.json",
        "mutate",
    ),
]

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
# `validate [25.2 thousand iterations in 4.15s with 100.0 samples]:`
HEADER = re.compile(r"^(validate_settings|validate) \[(.+?) iterations in (\S+) with (\S+) samples\]:")
# `elapsed [min mean max]: [120.12µs 184.00µs 593.07µs] (sample data: med = 164.13µs, var = ..., stddev = 67.18µs)`
ELAPSED = re.compile(
    r"elapsed\s+\[min mean max\]:\s+\[(\S+) (\S+) (\S+)\] \(sample data: med = (\S+), var = [^,]+, stddev = ([^)]+)\)"
)


def log(message):
    print(f"bench-kwctl: {message}", file=sys.stderr, flush=True)


class Failure(Exception):
    pass


def kwctl(args, env, *argv):
    result = subprocess.run([args.kwctl, *argv], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise Failure(f"kwctl {' '.join(argv)} failed ({result.returncode}):\n{result.stderr.strip()[-2000:]}")
    return result.stdout


def check_decision(args, env, name, request, settings, expected):
    output = kwctl(args, env, "run", "-r", request, "-s", settings, args.module)
    lines = [line for line in output.splitlines() if line.startswith("{")]
    if not lines:
        raise Failure(f"{name}: kwctl run printed no answer: {output[-500:]}")
    answer = json.loads(lines[-1])
    allowed, patch = answer.get("allowed"), answer.get("patch")
    decision = "reject" if allowed is False else ("mutate" if patch else "accept")
    if decision != expected:
        raise Failure(f"{name}: expected {expected}, kwctl run answered {json.dumps(answer)[:500]}")
    if patch:
        json.loads(base64.b64decode(patch))  # a readable JSON patch


def bench(args, env, request, settings):
    argv = ["bench", "-r", request, "-s", settings]
    if args.warm_up:
        argv += ["--warm-up-time", str(args.warm_up)]
    if args.measurement:
        argv += ["--measurement-time", str(args.measurement)]
    output = ANSI_ESCAPE.sub("", kwctl(args, env, *argv, args.module))
    figures, current = {}, None
    for line in output.splitlines():
        header = HEADER.match(line.strip())
        if header:
            current = header.group(1)
            figures[current] = {"iterations": header.group(2), "seconds": header.group(3)}
            continue
        elapsed = ELAPSED.search(line)
        if elapsed and current:
            low, mean, high, median, stddev = elapsed.groups()
            figures[current].update(min=low, mean=mean, max=high, median=median, stddev=stddev.strip())
            current = None
    for function in ("validate", "validate_settings"):
        if "median" not in figures.get(function, {}):
            raise Failure(f"could not read kwctl bench's figures for {function}:\n{output[-1500:]}")
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kwctl", default=os.environ.get("KWCTL", "kwctl"))
    parser.add_argument("--module", default=os.path.join(ROOT, "annotated-policy.wasm"))
    parser.add_argument("--warm-up", type=int, default=0, help="kwctl bench --warm-up-time (default: kwctl's)")
    parser.add_argument("--measurement", type=int, default=0, help="kwctl bench --measurement-time")
    args = parser.parse_args()
    path = shutil.which(args.kwctl)
    if path is None:
        log(f"'{args.kwctl}' not found")
        return 1
    args.kwctl = path
    if not os.path.isfile(args.module):
        log(f"no module at {args.module} (make annotated-policy.wasm)")
        return 1

    home = tempfile.mkdtemp(prefix="bench-kwctl-")
    env = dict(os.environ, HOME=home, XDG_CACHE_HOME=home, XDG_DATA_HOME=home, XDG_CONFIG_HOME=home, NO_COLOR="1")
    try:
        started = datetime.datetime.now(datetime.timezone.utc)
        load_before = load_average()
        rows = []
        for name, what, request, settings, expected in CASES:
            request, settings = os.path.join(DATA, request), os.path.join(DATA, settings)
            check_decision(args, env, name, request, settings, expected)
            log(f"{name}: decision checked ({expected}); kwctl bench")
            rows.append((name, what, bench(args, env, request, settings)))
        load_after = load_average()
    except Failure as error:
        log(f"FAILED: {error}")
        return 1
    finally:
        shutil.rmtree(home, ignore_errors=True)

    print(
        f"Run on {started:%Y-%m-%d %H:%M} UTC by `make bench-kwctl`: {os.cpu_count()} cores ({cpu_model()}), load "
        f"average (1/5/15 min) {load_before} before, {load_after} after; {version(args.kwctl, 'kwctl, unknown version')}, the module of "
        f"`make annotated-policy.wasm` ({os.path.getsize(args.module):,} bytes) at commit {measured_commit()}. "
        "Figures as kwctl reports them (its samples are means over batches of calls)."
    )
    print()
    print(
        "| case | request and settings | validate median | mean | min | max | std. dev. | iterations "
        "| validate_settings median |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, what, figures in rows:
        v, s = figures["validate"], figures["validate_settings"]
        print(
            f"| {name} | {what} | {v['median']} | {v['mean']} | {v['min']} | {v['max']} | {v['stddev']} | "
            f"{v['iterations']} | {s['median']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

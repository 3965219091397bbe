"""Where a benchmark's figures come from, as make bench-server and make bench-kwctl print it above their tables:
the commit measured (and what was uncommitted), the machine's load, a tool's version."""

import os
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def git(*argv):
    result = subprocess.run(["git", "-C", ROOT, *argv], capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else ""


def measured_commit():
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock", "metadata.yml")
    if changed:
        return f"`{commit}` plus uncommitted changes to {', '.join(sorted({l[3:] for l in changed.splitlines()}))}"
    return f"`{commit}`"


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def version(tool, unknown="unknown"):
    result = subprocess.run([tool, "--version"], capture_output=True, text=True)
    return (result.stdout.strip().splitlines() or [unknown])[0]

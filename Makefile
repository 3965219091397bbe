# Targets follow the official Kubewarden Rust policies. `make run` and `make test` need only rustup + cargo;
# kwctl and bats targets say how to get them when they are missing.
SHELL := /bin/bash
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
REGISTRY ?= ghcr.io/sidecar-placement/policies/sidecar-placement
WASM_TARGET := wasm32-wasip1
MODULE := target/$(WASM_TARGET)/release/sidecar_placement_policy.wasm
SOURCES := $(shell find src -name '*.rs') Cargo.toml

.PHONY: all
all: policy.wasm

.PHONY: wasm-target
wasm-target:
	@rustup target list --installed | grep -qx '$(WASM_TARGET)' || rustup target add $(WASM_TARGET)

policy.wasm: $(SOURCES) | wasm-target
	cargo build --target $(WASM_TARGET) --release -p sidecar-placement-policy --lib
	cp $(MODULE) policy.wasm

.PHONY: fmt
fmt:
	cargo fmt --all -- --check

.PHONY: lint
lint:
	cargo clippy --workspace --all-targets -- -D warnings

.PHONY: unit-tests
unit-tests:
	cargo test --lib -p sidecar-placement-policy

.PHONY: wasm-tests
wasm-tests: policy.wasm
	POLICY_WASM=$(CURDIR)/policy.wasm cargo test --workspace --tests

.PHONY: test
test: fmt lint unit-tests wasm-tests

.PHONY: run
run: policy.wasm
	@cargo run --quiet -p policy-host --bin run -- --wasm policy.wasm --settings tests/data/settings.json tests/data/requests/*.json

.PHONY: clean
clean:
	cargo clean
	rm -f policy.wasm annotated-policy.wasm

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

# $(call need-kwctl,<what is skipped or fails>): fail when kwctl is missing.
define need-kwctl
	@command -v $(KWCTL) >/dev/null 2>&1 || { \
	  echo "error: '$(KWCTL)' not found, needed to $(1)." >&2; \
	  echo "  $(KWCTL_INSTALL)" >&2; \
	  exit 1; }
endef

annotated-policy.wasm: policy.wasm metadata.yml $(wildcard README.md)
	$(call need-kwctl,annotate the module with metadata.yml)
	$(KWCTL) annotate -m metadata.yml -u README.md -o annotated-policy.wasm policy.wasm

# bats over `kwctl run` on tests/data. Skips (exit 0) when kwctl or bats is missing, unless E2E_REQUIRED=1.
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
	$(MAKE) --no-print-directory annotated-policy.wasm && $(BATS) e2e.bats

# artifacthub-pkg.yml is tracked: `make artifacthub` always regenerates it (commit the result);
# `make artifacthub-pkg.yml VERSION=x.y.z` is the form kubewarden/github-actions' check-artifacthub runs.
# Recent kwctl reads the version from metadata.yml, older kwctl needs --version: both are handled.
define scaffold-artifacthub
	$(call need-kwctl,generate artifacthub-pkg.yml)
	@if [ "$(VERSION)" != "$(METADATA_VERSION)" ]; then \
	  echo "error: VERSION=$(VERSION) but metadata.yml has io.kubewarden.policy.version: $(METADATA_VERSION);" \
	       "bump Cargo.toml and metadata.yml together" >&2; exit 1; fi
	@version_flag=""; \
	if $(KWCTL) scaffold artifacthub --help 2>/dev/null | grep -q -- '--version'; then version_flag="--version $(VERSION)"; fi; \
	set -x; $(KWCTL) scaffold artifacthub --metadata-path metadata.yml --questions-path questions-ui.yml $$version_flag \
	  --output artifacthub-pkg.yml
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
	$(KWCTL) push annotated-policy.wasm $(REGISTRY):v$(VERSION)

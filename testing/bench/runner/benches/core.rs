//! `make bench-core`: the native core without wasm, so that a regression in the core shows on its own.
//!
//! - image matching: one image against 50 patterns (exact, registry globs, tag globs, digests; none matches, so
//!   every pattern is tried), with and without parsing the image;
//! - one request decided through the public API (`evaluate`) on the bench's realistic Deployment of 300 (and
//!   3000) containers: all compliant, a legacy sidecar rejected, and converted (planning and applying the move);
//! - the same with a sidecar in every tenth container (messages and moves that grow with the findings);
//! - the baseline every accepted request pays inside `evaluate`: dropping the request's JSON tree.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;
use sidecar_bench::payload::{IMAGE_PATTERNS, Variant, deployment, deployment_with_many_agents};
use sidecar_placement_policy::image::{ImagePattern, ImageReference};
use sidecar_placement_policy::{AdmissionRequest, NodeLookup, Operation, Settings, evaluate};

/// 50 patterns in the forms users write; none matches [`IMAGE`].
fn patterns() -> Vec<ImagePattern> {
    let mut patterns = Vec::new();
    for i in 0..10 {
        patterns.push(format!("registry.example.com/team-{i}/agent"));
        patterns.push(format!("*/mesh-{i}/proxy"));
        patterns.push(format!("docker.io/vendor-{i}/sidecar:1.*"));
        patterns.push(format!("ghcr.io/acme-{i}/*"));
        patterns.push(format!("quay.io/ops/collector-{i}@sha256:{:064x}", i + 1));
    }
    patterns
        .iter()
        .map(|p| ImagePattern::parse(p).unwrap_or_else(|e| panic!("pattern {p}: {e}")))
        .collect()
}

const IMAGE: &str = "registry.example.com/shop/checkout-service:1.4.2";

fn image_matching(c: &mut Criterion) {
    let patterns = patterns();
    assert_eq!(patterns.len(), 50);
    let image = ImageReference::parse(IMAGE).expect("image");
    assert!(!patterns.iter().any(|p| p.matches(&image)));

    let mut group = c.benchmark_group("image");
    group.bench_function("parse one image", |b| {
        b.iter(|| ImageReference::parse(std::hint::black_box(IMAGE)))
    });
    group.bench_function("match one image against 50 patterns", |b| {
        b.iter(|| patterns.iter().any(|p| p.matches(std::hint::black_box(&image))))
    });
    group.bench_function("parse and match against 50 patterns", |b| {
        b.iter(|| {
            let image = ImageReference::parse(std::hint::black_box(IMAGE)).expect("image");
            patterns.iter().any(|p| p.matches(&image))
        })
    });
    group.finish();
}

fn decide(c: &mut Criterion) {
    let mut group = c.benchmark_group("evaluate");
    group.sample_size(20);
    for containers in [300, 3000] {
        group.throughput(Throughput::Elements(containers as u64));
        for variant in Variant::ALL {
            let policy = policy(variant.mutate());
            let object = deployment(containers, variant.has_vault_agent());
            let verdict = evaluate(request(object.clone()), &policy, no_nodes);
            match variant {
                Variant::Validate => assert!(verdict.is_accepted() && verdict.mutated_object().is_none()),
                Variant::Reject => assert!(verdict.message().is_some_and(|m| m.contains("vault-agent"))),
                Variant::Mutate => assert!(verdict.mutated_object().is_some()),
            }
            // The request owns its object (a mutation edits it in place): each run gets a fresh copy, untimed.
            group.bench_function(format!("{} {containers} containers", variant.name()), |b| {
                b.iter_batched(
                    || request(object.clone()),
                    |request| evaluate(request, &policy, no_nodes),
                    BatchSize::LargeInput,
                )
            });
        }
    }
    group.finish();
}

fn policy(mutate: bool) -> sidecar_placement_policy::Policy {
    Settings {
        sidecar_images: IMAGE_PATTERNS.map(str::to_owned).to_vec(),
        mutate,
        mutate_templates: mutate,
        ..Settings::default()
    }
    .compile()
    .expect("settings")
}

fn many_sidecars(c: &mut Criterion) {
    let mut group = c.benchmark_group("every tenth container a sidecar");
    group.sample_size(20);
    for containers in [300, 3000] {
        group.throughput(Throughput::Elements(containers as u64));
        let object = deployment_with_many_agents(containers, 10);
        for mutate in [false, true] {
            let policy = policy(mutate);
            let verdict = evaluate(request(object.clone()), &policy, no_nodes);
            let expected = if mutate {
                verdict.warnings().len()
            } else {
                verdict
                    .message()
                    .map_or(0, |m| m.matches("is a sidecar placed").count())
            };
            assert_eq!(expected, containers / 10, "{:?}", verdict.message());
            let name = if mutate { "mutate" } else { "reject" };
            group.bench_function(format!("{name} {containers} containers"), |b| {
                b.iter_batched(
                    || request(object.clone()),
                    |request| evaluate(request, &policy, no_nodes),
                    BatchSize::LargeInput,
                )
            });
        }
    }
    group.finish();
}

/// What `evaluate` pays on every accepted request besides its own work: the request's tree is dropped inside it.
fn baseline(c: &mut Criterion) {
    let mut group = c.benchmark_group("baseline");
    group.sample_size(20);
    for containers in [300, 3000] {
        let object = deployment(containers, false);
        group.bench_function(format!("drop the {containers}-container object"), |b| {
            b.iter_batched(|| object.clone(), drop, BatchSize::LargeInput)
        });
    }
    group.finish();
}

/// The benchmark's settings do not check nodes, so the policy never calls this lookup.
fn no_nodes() -> NodeLookup {
    Err("the benchmark has no cluster".to_owned())
}

fn request(object: Value) -> AdmissionRequest {
    AdmissionRequest::for_manifest(object, Operation::Create, Value::Null)
}

criterion_group!(benches, image_matching, decide, many_sidecars, baseline);
criterion_main!(benches);

//! The report: markdown tables, and PASS/FAIL per performance target.

use std::fmt::Write;
use std::time::Duration;

use crate::payload::{IMAGE_PATTERNS, Variant};
use crate::{Report, SizeRun};

/// `validate` and reject read only what the decision needs: they must cost less than parsing the request.
pub const VALIDATE_LIMIT: f64 = 0.8;
/// A mutation also writes the whole object back: it may cost at most this many times the floor.
pub const MUTATE_LIMIT: f64 = 1.1;
/// Per-container cost at 3000 containers against 300: linear growth keeps it near 1 (a quadratic step makes it ~10).
pub const GROWTH_LIMIT: f64 = 1.5;
/// `policy.wasm` as `make policy.wasm` builds it: 300 KB.
pub const SIZE_LIMIT: usize = 300_000;
/// The Node lookup of a conversion, with 5,000 nodes in the host's answer: what it adds to the request.
pub const LOOKUP_LIMIT: Duration = Duration::from_millis(1);
/// The NodeList size the lookup target reads.
const LOOKUP_NODES: &str = "5,000 nodes";
/// The sizes the growth target compares.
const GROWTH_FROM: usize = 300;
const GROWTH_TO: usize = 3000;

/// One target and how the run fared.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    /// `None` when this run did not measure it (sizes left out).
    pub pass: Option<bool>,
    pub detail: String,
}

impl Target {
    fn verdict(&self) -> &'static str {
        match self.pass {
            Some(true) => "PASS",
            Some(false) => "FAIL",
            None => "SKIP",
        }
    }
}

/// The targets, evaluated on `report`.
pub fn targets(report: &Report) -> Vec<Target> {
    let mut targets = Vec::new();
    for (variant, limit) in [
        (Variant::Validate, VALIDATE_LIMIT),
        (Variant::Reject, VALIDATE_LIMIT),
        (Variant::Mutate, MUTATE_LIMIT),
    ] {
        let worst = report
            .sizes
            .iter()
            .map(|size| (size.containers, size.case(variant).ratio()))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        targets.push(Target {
            name: format!("{} ≤ {limit}× floor at every size", variant.name()),
            pass: worst.map(|(_, ratio)| ratio <= limit),
            detail: worst.map_or_else(
                || "no size run".to_owned(),
                |(containers, ratio)| format!("worst {ratio:.2}× at {containers} containers"),
            ),
        });
    }

    let size = |containers| report.sizes.iter().find(|size| size.containers == containers);
    let growth = match (size(GROWTH_FROM), size(GROWTH_TO)) {
        (Some(from), Some(to)) => {
            let ratios: Vec<(Variant, f64)> = Variant::ALL
                .iter()
                .map(|&variant| {
                    (
                        variant,
                        per_container_growth(from, to, |s| s.case(variant).policy.median),
                    )
                })
                .collect();
            let floor = per_container_growth(from, to, |s| s.case(Variant::Validate).floor.median);
            let worst = ratios.iter().map(|(_, r)| *r).fold(0.0, f64::max);
            let listed: Vec<String> = ratios.iter().map(|(v, r)| format!("{} {r:.2}×", v.name())).collect();
            Target {
                name: format!(
                    "linear growth: per-container cost at {GROWTH_TO} ≤ {GROWTH_LIMIT}× the one at {GROWTH_FROM} containers"
                ),
                pass: Some(worst <= GROWTH_LIMIT),
                detail: format!("{} (floor {floor:.2}×)", listed.join(", ")),
            }
        }
        _ => Target {
            name: format!("linear growth ({GROWTH_FROM} vs {GROWTH_TO} containers)"),
            pass: None,
            detail: format!("needs sizes {GROWTH_FROM} and {GROWTH_TO}"),
        },
    };
    targets.push(growth);

    targets.push(Target {
        name: format!("policy.wasm ≤ {} KB", SIZE_LIMIT / 1000),
        pass: Some(report.policy.bytes <= SIZE_LIMIT),
        detail: format!("{} bytes", thousands(report.policy.bytes)),
    });

    let floor_memory = |containers| {
        report
            .floor
            .memory_after
            .iter()
            .find(|(size, _)| *size == containers)
            .map(|(_, bytes)| *bytes)
    };
    let over: Vec<String> = report
        .policy
        .memory_after
        .iter()
        .filter(|(containers, bytes)| floor_memory(*containers).is_some_and(|floor| *bytes > floor))
        .map(|(containers, _)| containers.to_string())
        .collect();
    targets.push(Target {
        name: "peak linear memory ≤ the floor's at every size".to_owned(),
        pass: (!report.policy.memory_after.is_empty()).then_some(over.is_empty()),
        detail: if over.is_empty() {
            "at or below the floor at every size".to_owned()
        } else {
            format!("above the floor at {} containers", over.join(", "))
        },
    });

    let off = report.nodes.first().map(|case| case.policy.median);
    let lookup = report.nodes.iter().find(|case| case.label.ends_with(LOOKUP_NODES));
    targets.push(match (off, lookup) {
        (Some(off), Some(lookup)) => {
            let cost = lookup.policy.median.saturating_sub(off);
            Target {
                name: format!(
                    "a Node lookup answered with {LOOKUP_NODES} ≤ {}",
                    duration(LOOKUP_LIMIT)
                ),
                pass: Some(cost <= LOOKUP_LIMIT),
                detail: format!("{} over the conversion without it", duration(cost)),
            }
        }
        _ => Target {
            name: format!("a Node lookup answered with {LOOKUP_NODES}"),
            pass: None,
            detail: "not measured".to_owned(),
        },
    });
    targets
}

/// (cost(to) / to) / (cost(from) / from).
fn per_container_growth(from: &SizeRun, to: &SizeRun, cost: impl Fn(&SizeRun) -> Duration) -> f64 {
    let per = |size: &SizeRun| cost(size).as_secs_f64() / size.containers as f64;
    per(to) / per(from)
}

/// The whole report as markdown.
pub fn markdown(report: &Report, machine: &str) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "{machine}");
    if report.quick {
        let _ = writeln!(w, "**`--quick` run: a few iterations only, the figures are rough.**\n");
    }
    let _ = writeln!(
        w,
        "Settings: `sidecarImages` = {}; `mutate` and `mutateTemplates` false for validate and reject, true for \
         mutate.\n",
        IMAGE_PATTERNS.map(|p| format!("`{p}`")).join(", ")
    );

    let _ = writeln!(w, "### `validate`, median time per request\n");
    let _ = writeln!(
        w,
        "| containers | payload | floor | validate | × floor | reject | × floor | mutate | × floor |"
    );
    let _ = writeln!(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for size in &report.sizes {
        let validate = size.case(Variant::Validate);
        let reject = size.case(Variant::Reject);
        let mutate = size.case(Variant::Mutate);
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {:.2} | {} | {:.2} | {} | {:.2} |",
            size.containers,
            bytes(validate.payload_bytes),
            duration(validate.floor.median),
            duration(validate.policy.median),
            validate.ratio(),
            duration(reject.policy.median),
            reject.ratio(),
            duration(mutate.policy.median),
            mutate.ratio(),
        );
    }
    let _ = writeln!(
        w,
        "\nThe floor column is the floor on the validate payload; each ratio divides by the floor's median on that \
         case's own payload (the reject and mutate payloads carry the vault-agent).\n"
    );

    let _ = writeln!(w, "### Spread\n");
    let _ = writeln!(
        w,
        "| containers | case | payload bytes | iterations | floor median | floor p90 | policy median | policy p90 | × floor |"
    );
    let _ = writeln!(w, "|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for size in &report.sizes {
        for case in &size.cases {
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {:.2} |",
                size.containers,
                case.variant.name(),
                thousands(case.payload_bytes),
                size.iterations,
                duration(case.floor.median),
                duration(case.floor.p90),
                duration(case.policy.median),
                duration(case.policy.p90),
                case.ratio(),
            );
        }
    }

    if let Some(baseline) = report.nodes.first() {
        let _ = writeln!(w, "\n### `checkNodes`: the Node lookup, median time per request\n");
        let _ = writeln!(
            w,
            "A Pod of three containers (one a legacy `vault-agent`), `mutate: true`; the host answers the lookup with \
             N ready nodes, masked to name and kubelet version as policy-server sends them. Ratios divide by the \
             first row.\n"
        );
        let _ = writeln!(w, "| case | NodeList | policy median | policy p90 | × checkNodes off |");
        let _ = writeln!(w, "|---|---:|---:|---:|---:|");
        for case in &report.nodes {
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {:.2} |",
                case.label,
                if case.answer_bytes == 0 {
                    "no lookup".to_owned()
                } else {
                    bytes(case.answer_bytes)
                },
                duration(case.policy.median),
                duration(case.policy.p90),
                case.policy.median.as_secs_f64() / baseline.policy.median.as_secs_f64(),
            );
        }
    }

    let _ = writeln!(w, "\n### Module\n");
    let _ = writeln!(w, "| | policy.wasm | floor |");
    let _ = writeln!(w, "|---|---:|---:|");
    let (p, f) = (&report.policy, &report.floor);
    let _ = writeln!(
        w,
        "| module size | {} B | {} B |",
        thousands(p.bytes),
        thousands(f.bytes)
    );
    let _ = writeln!(
        w,
        "| load (`PolicyHost::from_bytes`: compile, instantiate, `wapc_init`), median | {} | {} |",
        duration(p.load),
        duration(f.load)
    );
    let _ = writeln!(
        w,
        "| linear memory after `wapc_init` (metered engine) | {} | {} |",
        bytes(p.memory_after_init),
        bytes(f.memory_after_init)
    );
    for ((containers, policy), (_, floor)) in p.memory_after.iter().zip(&f.memory_after) {
        let _ = writeln!(
            w,
            "| linear memory after the {containers}-container cases (peak so far) | {} | {} |",
            bytes(*policy),
            bytes(*floor)
        );
    }

    let _ = writeln!(w, "\n### Targets\n");
    for target in targets(report) {
        let _ = writeln!(w, "- **{}** {}: {}", target.verdict(), target.name, target.detail);
    }
    out
}

/// `12.3 µs`, `4.56 ms`, `1.23 s`.
pub fn duration(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros < 1_000.0 {
        format!("{micros:.1} µs")
    } else if micros < 1_000_000.0 {
        format!("{:.2} ms", micros / 1e3)
    } else {
        format!("{:.2} s", micros / 1e6)
    }
}

/// `812 B`, `12.3 KiB`, `4.56 MiB`.
pub fn bytes(n: usize) -> String {
    let n = n as f64;
    if n < 1024.0 {
        format!("{n} B")
    } else if n < 1024.0 * 1024.0 {
        format!("{:.1} KiB", n / 1024.0)
    } else {
        format!("{:.2} MiB", n / (1024.0 * 1024.0))
    }
}

/// `276,636`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(276_636), "276,636");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(duration(Duration::from_nanos(12_345)), "12.3 µs");
        assert_eq!(duration(Duration::from_micros(4_560)), "4.56 ms");
        assert_eq!(bytes(2048), "2.0 KiB");
    }
}

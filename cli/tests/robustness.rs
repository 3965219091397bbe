//! Never trap, and `check` and `fix` agree: every golden input, damaged line by line (a line removed, doubled,
//! indented, commented out, ...), is checked and fixed without a panic; every finding `check` reports as a legacy
//! sidecar is what `fix` converts, and `fix` converts nothing else; whatever `fix` writes reads back as the policy's
//! conversion (`edit::apply` verifies that itself) and is left alone by a second `fix`.

mod common;

use std::fs;

use sidecar_placement_manifests::{Manifests, OFFLINE, Request, Rule, edit, evaluate, findings, policy, settings};
use sidecar_placement_policy::settings::{Policy, Settings};
use sidecar_placement_policy::verdict::{Conversion, Verdict};

fn settings() -> Settings {
    settings::read(&fs::read_to_string(common::data().join("settings.yaml")).expect("settings")).expect("settings")
}

fn variants(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut variants = vec![text.to_owned()];
    for index in 0..lines.len() {
        let with = |replacement: &str| {
            let mut copy: Vec<&str> = lines.clone();
            copy[index] = replacement;
            copy.concat()
        };
        variants.push(with(""));
        variants.push(with(&format!("{0}{0}", lines[index])));
        variants.push(with(&format!(" {}", lines[index])));
        variants.push(with(&format!("# {}", lines[index])));
        variants.push(with(&lines[index].replace(": ", ":")));
        variants.push(lines[..index].concat());
    }
    variants
}

/// What `fix` decides for a file: each object's conversion, or `None` when some object is refused.
fn conversions(manifests: &Manifests, policy: &Policy) -> Option<Vec<(usize, Conversion)>> {
    let mut conversions = Vec::new();
    for (index, object) in manifests.objects().iter().enumerate() {
        match evaluate(Request::create(object.value), policy, OFFLINE) {
            Verdict::Reject { .. } => return None,
            Verdict::Mutate { conversion, .. } => conversions.push((index, conversion)),
            Verdict::Accept { .. } => {}
        }
    }
    Some(conversions)
}

#[test]
fn damaged_inputs_never_trap_and_check_and_fix_agree() {
    let settings = settings();
    let check_policy = policy::for_check(&settings).expect("policy");
    let fix_policy = policy::for_fix(&settings, None).expect("policy");
    let (mut files, mut converted, mut refused_edits, mut objects) = (0, 0, 0, 0);
    for entry in fs::read_dir(common::data().join("fix")).expect("data") {
        let text = fs::read_to_string(entry.expect("entry").path()).expect("text");
        files += 1;
        for variant in variants(&text) {
            let Ok(manifests) = Manifests::parse(&variant) else {
                continue;
            };
            for object in manifests.objects() {
                objects += 1;
                let found = match evaluate(Request::create(object.value), &check_policy, OFFLINE) {
                    Verdict::Reject {
                        message,
                        findings: found,
                        ..
                    } => findings(&object, &found, &message, check_policy.remedy().wording()),
                    Verdict::Accept { .. } => Vec::new(),
                    Verdict::Mutate { .. } => panic!("check converted:\n{variant}"),
                };
                let convertible: Vec<&str> = found
                    .iter()
                    .filter(|f| f.rule == Rule::LegacySidecar)
                    .map(|f| f.pointer.as_str())
                    .collect();
                match evaluate(Request::create(object.value), &fix_policy, OFFLINE) {
                    Verdict::Mutate { conversion, .. } => {
                        let moved: Vec<String> = conversion
                            .plan
                            .moved()
                            .iter()
                            .map(|index| format!("{}/containers/{index}", conversion.spec.pointer()))
                            .collect();
                        assert_eq!(moved, convertible, "fix moves what check finds convertible:\n{variant}");
                        assert_eq!(
                            found.len(),
                            convertible.len(),
                            "and check finds nothing else:\n{variant}"
                        );
                    }
                    Verdict::Reject { .. } => assert!(
                        found.iter().any(|f| f.rule != Rule::LegacySidecar),
                        "fix refuses only what check finds it cannot convert:\n{variant}"
                    ),
                    Verdict::Accept { .. } => {
                        assert!(
                            found.is_empty(),
                            "fix leaves alone what check finds nothing in:\n{variant}"
                        )
                    }
                }
            }
            let Some(conversions) = conversions(&manifests, &fix_policy) else {
                continue;
            };
            if conversions.is_empty() {
                continue;
            }
            let conversions: Vec<(usize, &Conversion)> = conversions.iter().map(|(i, c)| (*i, c)).collect();
            match edit::apply(&manifests, &conversions) {
                Ok(edited) => {
                    converted += 1;
                    let again = Manifests::parse(&edited.text).expect("a converted text reads back");
                    assert_eq!(
                        self::conversions(&again, &fix_policy).map(|c| c.len()),
                        Some(0),
                        "fixing a fixed text changes it again:\n{}",
                        edited.text
                    );
                    let found: usize = again
                        .objects()
                        .iter()
                        .filter(|o| {
                            !matches!(
                                evaluate(Request::create(o.value), &check_policy, OFFLINE),
                                Verdict::Accept { .. }
                            )
                        })
                        .count();
                    assert_eq!(found, 0, "check finds nothing in what fix wrote:\n{}", edited.text);
                }
                Err(error) => {
                    refused_edits += 1;
                    assert!(!error.message.is_empty(), "a refused edit says why");
                }
            }
        }
    }
    assert!(
        files > 10 && converted > 100 && objects > 1000,
        "{files} files, {objects} objects, {converted} conversions, {refused_edits} refused edits"
    );
}

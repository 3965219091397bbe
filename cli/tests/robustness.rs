//! Never trap: every golden input, damaged line by line (a line removed, doubled, indented, commented out), is
//! checked and fixed without a panic, and whatever `fix` converts reads back as the policy's conversion (which `fix`
//! verifies itself before it returns a text).

mod common;

use std::fs;

use serde_json::Value;
use sidecar_placement_manifests::{Fix, Manifests, check, fix, policy};
use sidecar_placement_policy::settings::Settings;

fn settings() -> Settings {
    let text = fs::read_to_string(common::data().join("settings.yaml")).expect("settings");
    let value: Value = serde_norway::from_str(&text).expect("settings yaml");
    Settings::from_json(value.to_string().as_bytes()).expect("settings")
}

fn variants(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut variants = Vec::new();
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

#[test]
fn damaged_inputs_never_trap() {
    let settings = settings();
    let check_policy = policy::for_check(&settings).expect("policy");
    let fix_policy = policy::for_fix(&settings, None).expect("policy");
    let mut files = 0;
    let mut converted = 0;
    for entry in fs::read_dir(common::data().join("fix")).expect("data") {
        let text = fs::read_to_string(entry.expect("entry").path()).expect("text");
        files += 1;
        for variant in variants(&text) {
            let Ok(manifests) = Manifests::parse(&variant) else {
                continue;
            };
            let _ = check(&manifests, &check_policy);
            if let Ok(Fix::Converted { edited, .. }) = fix(&manifests, &fix_policy) {
                converted += 1;
                let again = Manifests::parse(&edited.text).expect("a converted text reads back");
                assert!(
                    matches!(fix(&again, &fix_policy), Ok(Fix::Unchanged)),
                    "fixing a fixed text changes it again:\n{}",
                    edited.text
                );
            }
        }
    }
    assert!(files > 10 && converted > 100, "{files} files, {converted} conversions");
}

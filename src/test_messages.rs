//! The policy's wording as the tests pin it: `tests/data/expected/messages.json`, the one place every test (unit,
//! wasm host, kwctl) reads a message template from. The integration tests include this file too
//! (`tests/common/mod.rs`).

use std::sync::OnceLock;

use serde_json::{Map, Value};

fn templates() -> &'static Map<String, Value> {
    static TEMPLATES: OnceLock<Map<String, Value>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/expected/messages.json");
        let text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{path}: {error}"));
        match serde_json::from_str(&text) {
            Ok(Value::Object(templates)) => templates,
            other => panic!("{path} is not an object of named messages: {other:?}"),
        }
    })
}

/// The template `name` with each `{placeholder}` of `values` filled in; a missing template, a value for a
/// placeholder the template lacks, or a placeholder left unfilled fails the test.
#[track_caller]
pub(crate) fn message(name: &str, values: &[(&str, &str)]) -> String {
    let mut text = templates()
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no message '{name}' in tests/data/expected/messages.json"))
        .to_owned();
    for (key, value) in values {
        let placeholder = format!("{{{key}}}");
        assert!(
            text.contains(&placeholder),
            "message '{name}' has no placeholder {placeholder}"
        );
        text = text.replace(&placeholder, value);
    }
    let unfilled = text.match_indices('{').find_map(|(open, _)| {
        let close = open + text[open..].find('}')?;
        let inner = &text[open + 1..close];
        (!inner.is_empty() && inner.chars().all(|c| c.is_ascii_alphanumeric())).then(|| &text[open..=close])
    });
    if let Some(placeholder) = unfilled {
        panic!("message '{name}': {placeholder} is not filled in");
    }
    text
}

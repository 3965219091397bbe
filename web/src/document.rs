//! Reading the text of an editor: YAML or JSON, with the line of the first error.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

/// An input that could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub message: String,
    /// 1-based line of the error in the editor's text, when the parser knows it.
    pub line: Option<usize>,
}

impl InputError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            line: None,
        }
    }

    fn at(message: String, line: Option<usize>) -> Self {
        Self { message, line }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A text that opens with `{` or `[` is first read as JSON (exact JSON errors, tabs allowed), then as a YAML flow
/// collection; everything else is YAML.
fn looks_like_json(text: &str) -> bool {
    text.trim_start().starts_with(['{', '['])
}

/// Reads `text` as JSON or YAML into `T`. An empty text (or one of only YAML comments) is `T` read from `null`.
/// Messages carry the parser's own "at line L column C"; `line` repeats the line for the page to point at.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, InputError> {
    if looks_like_json(text) {
        return serde_json::from_str(text).or_else(|json_error| {
            // `{kind: Pod}` is YAML, not JSON; when neither reads it, the JSON error is the helpful one.
            serde_norway::from_str(text).map_err(|_| {
                let line = (json_error.line() > 0).then_some(json_error.line());
                InputError::at(json_error.to_string(), line)
            })
        });
    }
    if is_blank_yaml(text) {
        return serde_json::from_value(Value::Null).map_err(|error| InputError::new(error.to_string()));
    }
    serde_norway::from_str(text).map_err(|error| {
        let line = error.location().map(|location| location.line());
        InputError::at(error.to_string(), line)
    })
}

/// Whether a YAML text holds no document at all (only blank lines and comments); serde_norway reports such a text
/// as "EOF while parsing a value" instead of `null`.
fn is_blank_yaml(text: &str) -> bool {
    text.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with('#') || line == "---" || line == "..."
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case::yaml("kind: Pod\nspec:\n  containers: []\n", json!({"kind": "Pod", "spec": {"containers": []}}))]
    #[case::json("{\n\t\"kind\": \"Pod\"\n}", json!({"kind": "Pod"}))]
    #[case::yaml_flow_mapping("{kind: Pod}", json!({"kind": "Pod"}))]
    #[case::empty("", Value::Null)]
    #[case::only_comments("# nothing here\n\n", Value::Null)]
    #[case::document_marker("---\nkind: Pod\n", json!({"kind": "Pod"}))]
    fn readable(#[case] text: &str, #[case] expected: Value) {
        assert_eq!(parse::<Value>(text).expect("readable"), expected);
    }

    #[rstest]
    #[case::bad_indentation("kind: Pod\nspec:\n  containers:\n  - name: a\n   image: b\n", 5)]
    #[case::mapping_in_scalar("kind: Pod\nmetadata:\n  name: a: b\n", 3)]
    #[case::unclosed_flow("kind: Pod\nspec: {containers: [\n", 3)]
    #[case::bad_json("{\n  \"kind\": \"Pod\",\n  \"spec\": [}\n", 3)]
    #[case::bad_json_is_reported_as_json("{\n  \"kind\": \"Pod\"\n  \"spec\": 1\n}\n", 3)]
    fn unreadable_with_line(#[case] text: &str, #[case] line: usize) {
        let error = parse::<Value>(text).expect_err("unreadable");
        assert_eq!(error.line, Some(line), "{error:?}");
        assert!(error.message.contains(&format!("line {line}")), "{error:?}");
    }

    #[test]
    fn several_documents_are_refused() {
        let error = parse::<Value>("kind: Pod\n---\nkind: Pod\n").expect_err("two documents");
        assert!(error.message.contains("more than one document"), "{error:?}");
    }
}

//! A file of manifests: its documents, the Kubernetes objects in them (a `kind: List` counts as its items), each
//! object's value and where its parts are written.

use std::cell::OnceCell;
use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use crate::spans::{self, Node, NodeKind};
use crate::text::{LineKind, Lines, Position, line_kind};

/// A file that could not be read, with the parser's message and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// What the parser said, without its own position.
    pub message: String,
    /// Where, when the parser knows it.
    pub position: Option<Position>,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(at) => write!(f, "line {} column {}: {}", at.line, at.column, self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ReadError {}

/// Every document of a file: its values, and where everything is written (read only when a finding or an edit
/// needs a position: most files of a repository have no finding, and reading positions costs a second parse).
#[derive(Debug)]
pub struct Manifests<'a> {
    pub(crate) lines: Lines<'a>,
    values: Vec<Value>,
    /// The root node of each document; `None` for a document whose positions are unknown (an empty one, or JSON
    /// the span parser cannot read).
    nodes: OnceCell<Result<Vec<Option<Node>>, ReadError>>,
}

/// One Kubernetes object of a file: a document, or an item of a `kind: List`.
#[derive(Debug, Clone, Copy)]
pub struct Object<'m> {
    /// 0-based index of its document in the file.
    pub document: usize,
    /// 0-based index in the `items` of a `kind: List`, when it is one.
    pub item: Option<usize>,
    /// The object.
    pub value: &'m Value,
    manifests: &'m Manifests<'m>,
}

/// Whether a text is JSON rather than YAML (JSON is read by serde_json, which reports JSON's own errors).
fn looks_like_json(text: &str) -> bool {
    text.trim_start_matches('\u{feff}').trim_start().starts_with(['{', '['])
}

impl<'a> Manifests<'a> {
    /// Reads every document of `text` (YAML, several documents split by `---`, or JSON).
    pub fn parse(text: &'a str) -> Result<Self, ReadError> {
        let lines = Lines::new(text);
        let values = if looks_like_json(text) {
            let value: Value = serde_json::from_str(text).map_err(|error| ReadError {
                message: strip_position(&error.to_string()),
                position: (error.line() > 0).then_some(Position {
                    line: error.line(),
                    column: error.column().max(1),
                }),
            })?;
            vec![value]
        } else {
            yaml_values(text)?
        };
        Ok(Self {
            lines,
            values,
            nodes: OnceCell::new(),
        })
    }

    /// The root node of every document, read on first use.
    pub(crate) fn nodes(&self) -> Result<&[Option<Node>], &ReadError> {
        let nodes = self.nodes.get_or_init(|| {
            let json = looks_like_json(self.lines.text());
            match spans::documents(&self.lines) {
                Ok(nodes) if nodes.len() == self.values.len() => Ok(nodes),
                // JSON with tab indentation is JSON but not YAML: its findings point at line 1, and it is not edited.
                Ok(_) | Err(_) if json => Ok(vec![None; self.values.len()]),
                Ok(nodes) => Err(ReadError {
                    message: format!(
                        "the YAML readers disagree on the number of documents ({} and {}); please report this file",
                        self.values.len(),
                        nodes.len()
                    ),
                    position: None,
                }),
                Err(error) => Err(ReadError {
                    message: error.message,
                    position: Some(Position {
                        line: error.line,
                        column: error.column,
                    }),
                }),
            }
        });
        nodes.as_ref().map(Vec::as_slice)
    }

    /// The node of an object: its document's root, or the item of a `kind: List`.
    pub(crate) fn node(&self, document: usize, item: Option<usize>) -> Option<&Node> {
        let root = self.nodes().ok()?.get(document)?.as_ref()?;
        match item {
            None => Some(root),
            Some(item) => root.get("items")?.items()?.get(item),
        }
    }

    /// How many documents the file has (empty ones included).
    pub fn document_count(&self) -> usize {
        self.values.len()
    }

    /// The Kubernetes objects: every document that is a mapping, with a `kind: List` replaced by its items.
    pub fn objects(&self) -> Vec<Object<'_>> {
        let mut objects = Vec::new();
        for (document, value) in self.values.iter().enumerate() {
            let object = |value, item| Object {
                document,
                item,
                value,
                manifests: self,
            };
            match list_items(value) {
                Some(items) => objects.extend(
                    items
                        .iter()
                        .enumerate()
                        .filter(|(_, value)| value.is_object())
                        .map(|(item, value)| object(value, Some(item))),
                ),
                None if value.is_object() => objects.push(object(value, None)),
                None => {}
            }
        }
        objects
    }
}

/// The items of a `kind: List` (what `kubectl get -o yaml` writes).
fn list_items(value: &Value) -> Option<&Vec<Value>> {
    (value.get("kind").and_then(Value::as_str) == Some("List"))
        .then(|| value.get("items").and_then(Value::as_array))
        .flatten()
}

fn yaml_values(text: &str) -> Result<Vec<Value>, ReadError> {
    let mut values = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let value = Value::deserialize(document).map_err(|error| ReadError {
            message: strip_position(&error.to_string()),
            position: error.location().map(|at| Position {
                line: at.line(),
                column: at.column(),
            }),
        })?;
        values.push(value);
    }
    Ok(values)
}

/// Parsers append " at line L column C"; the position is reported separately.
fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

impl Object<'_> {
    /// Where its parts are written; `None` when that is unknown.
    pub(crate) fn node(&self) -> Option<&Node> {
        self.manifests.node(self.document, self.item)
    }

    /// Where the object starts (line 1 when its positions are unknown).
    pub fn position(&self) -> Position {
        self.node()
            .map(|node| self.manifests.position(node.start))
            .unwrap_or(Position { line: 1, column: 1 })
    }

    /// Where the part at `pointer` (`/spec/containers/1`) is written; for an entry of a block sequence, where its
    /// `-` is. Falls back to the object's own position.
    pub fn position_of(&self, pointer: &str) -> Position {
        let Some(node) = self.node().and_then(|node| node.pointer(pointer)) else {
            return self.position();
        };
        let byte = self.manifests.dash_before(node.start).unwrap_or(node.start);
        self.manifests.position(byte)
    }
}

impl Manifests<'_> {
    pub(crate) fn position(&self, byte: usize) -> Position {
        let line = self.lines.line_of(byte);
        let line_start = self.line_start(line);
        let column = self.lines.text()[line_start..byte.max(line_start)].chars().count() + 1;
        Position { line: line + 1, column }
    }

    pub(crate) fn line_start(&self, line: usize) -> usize {
        self.lines.start(line)
    }

    /// For a node that is an entry of a block sequence: the byte offset of its `-`, found by reading back over
    /// spaces, line breaks and comments. `None` when something else stands before the node (an anchor, a tag).
    pub(crate) fn dash_before(&self, start: usize) -> Option<usize> {
        let mut line = self.lines.line_of(start);
        let mut until = start - self.line_start(line);
        loop {
            let content = self.lines.content(line);
            let prefix = &content[..until.min(content.len())];
            let code = prefix.find('#').map_or(prefix, |hash| &prefix[..hash]);
            let trimmed = code.trim_end();
            if trimmed.ends_with('-') && trimmed[..trimmed.len() - 1].trim().is_empty() {
                return Some(self.line_start(line) + trimmed.len() - 1);
            }
            if !trimmed.trim().is_empty() || line == 0 {
                return None;
            }
            line -= 1;
            until = usize::MAX;
        }
    }

    pub(crate) fn kind(&self, line: usize) -> LineKind {
        line_kind(self.lines.content(line))
    }
}

/// The kinds of nodes an edit must refuse, named for messages.
pub(crate) fn describe(node: &Node) -> &'static str {
    match node.kind {
        NodeKind::Mapping { flow: true, .. } => "a flow mapping ({...})",
        NodeKind::Sequence { flow: true, .. } => "a flow sequence ([...])",
        NodeKind::Mapping { .. } => "a mapping",
        NodeKind::Sequence { .. } => "a list",
        NodeKind::Alias => "an alias (*name)",
        NodeKind::Scalar { .. } => "a scalar",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documents_lists_and_positions() {
        let text = "# first\napiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n  -   name: b\n---\n---\nkind: List\nitems:\n- kind: Pod\n  spec:\n    containers:\n      - # the agent\n        name: c\n";
        let manifests = Manifests::parse(text).expect("readable");
        assert_eq!(manifests.document_count(), 3);
        let objects = manifests.objects();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].position(), Position { line: 2, column: 1 });
        assert_eq!(
            objects[0].position_of("/spec/containers/1"),
            Position { line: 7, column: 3 }
        );
        assert_eq!((objects[1].document, objects[1].item), (2, Some(0)));
        assert_eq!(objects[1].value["spec"]["containers"][0], json!({"name": "c"}));
        assert_eq!(
            objects[1].position_of("/spec/containers/0"),
            Position { line: 15, column: 7 }
        );
    }

    #[test]
    fn json_is_read_as_json() {
        let text = "{\n\t\"kind\": \"Pod\",\n\t\"spec\": {\"containers\": [{\"name\": \"a\"}]}\n}\n";
        let manifests = Manifests::parse(text).expect("readable");
        assert_eq!(manifests.objects()[0].value["kind"], "Pod");
    }

    #[test]
    fn errors_have_their_line() {
        let error = Manifests::parse("kind: Pod\nspec:\n  a: b\n c: d\n").expect_err("broken");
        assert_eq!(error.position.map(|p| p.line), Some(4), "{error}");
        let error = Manifests::parse("{\"kind\": \"Pod\",\n\"spec\": }").expect_err("broken");
        assert_eq!(error.position.map(|p| p.line), Some(2), "{error}");
    }

    #[test]
    fn non_ascii_columns_count_characters() {
        let text = "metadata: {name: é}\nkind: Pod\nspec:\n  containers:\n  - name: ü\n  - name: x\n";
        let manifests = Manifests::parse(text).expect("readable");
        assert_eq!(
            manifests.objects()[0].position_of("/spec/containers/1"),
            Position { line: 6, column: 3 }
        );
    }
}

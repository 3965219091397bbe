//! A file of manifests: its documents, the Kubernetes objects in them (a `kind: List` counts as its items), each
//! object's value and where its parts are written.

use std::cell::OnceCell;
use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use crate::spans::{self, Node};
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
pub(crate) fn looks_like_json(text: &str) -> bool {
    text.trim_start_matches('\u{feff}').trim_start().starts_with(['{', '['])
}

impl<'a> Manifests<'a> {
    /// Reads every document of `text` (YAML, several documents split by `---`, or JSON).
    ///
    /// YAML is read once for values and positions together: by the simple reader (`simple`) when it is in the
    /// form most manifests are written in, else by saphyr-parser, with the same result. What saphyr-parser refuses
    /// is read by libyaml (serde_norway) if libyaml can, with positions unknown (findings then point at the first
    /// line of their document, and the file is not edited); what both refuse is reported with libyaml's words.
    /// JSON is read by serde_json, and its positions only when a finding or an edit needs them.
    pub fn parse(text: &'a str) -> Result<Self, ReadError> {
        let lines = Lines::new(text);
        let nodes = OnceCell::new();
        let values = if looks_like_json(text) {
            match serde_json::from_str(text) {
                Ok(value) => vec![value],
                // `{kind: Pod}` is YAML, not JSON; when neither reads it, the JSON error is the helpful one.
                Err(error) => yaml_values(text).map_err(|_| ReadError {
                    message: strip_position(&error.to_string()),
                    position: (error.line() > 0).then_some(Position {
                        line: error.line(),
                        column: error.column().max(1),
                    }),
                })?,
            }
        } else {
            match spans::read(&lines) {
                Ok(documents) => {
                    let _ = nodes.set(Ok(documents.nodes));
                    documents.values
                }
                Err(position_error) => {
                    let values = yaml_values(text)?;
                    let _ = nodes.set(Err(ReadError {
                        message: position_error.message,
                        position: Some(Position {
                            line: position_error.line,
                            column: position_error.column,
                        }),
                    }));
                    values
                }
            }
        };
        Ok(Self { lines, values, nodes })
    }

    /// The root node of every document; for JSON, read on first use.
    pub(crate) fn nodes(&self) -> Result<&[Option<Node>], &ReadError> {
        let nodes = self.nodes.get_or_init(|| match spans::read(&self.lines) {
            Ok(documents) if documents.nodes.len() == self.values.len() => Ok(documents.nodes),
            // JSON with tab indentation is JSON but not YAML: its findings point at line 1, and it is not edited.
            _ => Ok(vec![None; self.values.len()]),
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

    /// The value of every document, in order (`null` for an empty one).
    pub fn documents(&self) -> &[Value] {
        &self.values
    }

    /// The reason the positions of this file cannot be read, when they cannot: such a file is still checked (its
    /// findings point at the first line of their document), but never edited.
    pub fn positions_error(&self) -> Option<&ReadError> {
        self.nodes().err()
    }

    /// A key written twice in one mapping, at or below `pointer` in document `index`: the key, and where its first
    /// and second entries are. `None` also when positions are unknown.
    pub(crate) fn key_twice(&self, index: usize, pointer: &str) -> Option<(String, Position, Position)> {
        let root = self.nodes().ok()?.get(index)?.as_ref()?.pointer(pointer)?;
        let (first, second) = root.key_twice()?;
        Some((
            first.key.clone(),
            self.lines.position(first.key_start),
            self.lines.position(second.key_start),
        ))
    }

    /// Where document `index` starts: its first line that is neither blank nor a comment.
    pub fn document_position(&self, index: usize) -> Option<Position> {
        let lines = &self.lines;
        let start = *self.document_starts()?.get(index)?;
        (start..lines.len())
            .find(|&line| matches!(line_kind(lines.content(line)), LineKind::Content(_)))
            .map(|line| Position {
                line: line + 1,
                column: 1,
            })
    }

    /// The 0-based line where each document's own lines start (after its `---`), when the `---` lines of the text
    /// account for every document; found without the position parser, so that a document is located even when
    /// that parser refuses the file.
    fn document_starts(&self) -> Option<Vec<usize>> {
        let lines = &self.lines;
        let mut starts = Vec::with_capacity(self.values.len());
        let mut content_before_marker = false;
        for line in 0..lines.len() {
            let content = lines.content(line);
            let marker = content
                .strip_prefix("---")
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']));
            if marker {
                if starts.is_empty() && content_before_marker {
                    starts.push(0);
                }
                starts.push(line + 1);
            } else if starts.is_empty()
                && matches!(line_kind(content), LineKind::Content(_))
                && !content.starts_with('%')
            {
                content_before_marker = true;
            }
        }
        if starts.is_empty() {
            starts.push(0);
        } else if content_before_marker && starts[0] != 0 {
            starts.insert(0, 0);
        }
        (starts.len() == self.values.len()).then_some(starts)
    }

    /// The Kubernetes objects: every document that is a mapping with a `kind`, with a `kind: List` replaced by its
    /// items (a settings file or a pre-commit configuration among the manifests is not an object).
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
                        .filter(|(_, value)| is_object(value))
                        .map(|(item, value)| object(value, Some(item))),
                ),
                None if is_object(value) => objects.push(object(value, None)),
                None => {}
            }
        }
        objects
    }
}

/// A Kubernetes object: a mapping with a `kind`.
fn is_object(value: &Value) -> bool {
    value.get("kind").is_some_and(Value::is_string)
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
pub(crate) fn strip_position(message: &str) -> String {
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

    /// Where the object starts; when its positions are unknown, the first line of its document.
    pub fn position(&self) -> Position {
        if let Some(node) = self.node() {
            return self.manifests.lines.position(node.start);
        }
        self.manifests
            .document_position(self.document)
            .unwrap_or(Position { line: 1, column: 1 })
    }

    /// `kind`.
    pub fn kind(&self) -> Option<&str> {
        self.value.get("kind").and_then(Value::as_str)
    }

    /// `metadata.name`.
    pub fn name(&self) -> Option<&str> {
        self.value.pointer("/metadata/name").and_then(Value::as_str)
    }

    /// `metadata.namespace`.
    pub fn namespace(&self) -> Option<&str> {
        self.value.pointer("/metadata/namespace").and_then(Value::as_str)
    }

    /// The template this document was rendered from, as `helm template` writes it above each document
    /// (`# Source: CHART/templates/FILE.yaml`).
    pub fn source(&self) -> Option<&str> {
        let lines = &self.manifests.lines;
        let start = *self.manifests.document_starts()?.get(self.document)?;
        (start..lines.len())
            .map(|line| lines.content(line))
            .take_while(|content| !matches!(line_kind(content), LineKind::Content(_)))
            .find_map(|content| content.trim_start().strip_prefix("# Source:"))
            .map(str::trim)
            .filter(|source| !source.is_empty())
    }

    /// Where the part at `pointer` (`/spec/containers/1`) is written; for an entry of a block sequence, where its
    /// `-` is. Falls back to the object's own position.
    pub fn position_of(&self, pointer: &str) -> Position {
        let Some(node) = self.node().and_then(|node| node.pointer(pointer)) else {
            return self.position();
        };
        let byte = self.manifests.dash_before(node.start).unwrap_or(node.start);
        self.manifests.lines.position(byte)
    }
}

impl Manifests<'_> {
    /// For a node that is an entry of a block sequence: the byte offset of its `-`, found by reading back over
    /// spaces, line breaks and comments. `None` when something else stands before the node (an anchor, a tag).
    pub(crate) fn dash_before(&self, start: usize) -> Option<usize> {
        let mut line = self.lines.line_of(start);
        let mut until = self.lines.column(start);
        loop {
            let content = self.lines.content(line);
            let prefix = &content[..until.min(content.len())];
            let code = prefix.find('#').map_or(prefix, |hash| &prefix[..hash]);
            let trimmed = code.trim_end();
            if trimmed.ends_with('-') && trimmed[..trimmed.len() - 1].trim().is_empty() {
                return Some(self.lines.start(line) + trimmed.len() - 1);
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
        let error = Manifests::parse("{\"kind\": \"Pod\",\n\"spec\": [}").expect_err("broken");
        assert_eq!(error.position.map(|p| p.line), Some(2), "{error}");
    }

    #[test]
    fn yaml_that_libyaml_refuses_is_read_by_the_yaml_1_2_parser() {
        // A ServiceEntry of a service mesh's test data: kubectl reads it; libyaml stops at "found unexpected ':'".
        let text = "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: e}\nspec:\n  addresses: [1.2.3.4, 001:db8::]\n  ports: [{number: 80, name: http}]\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: x:1.0\n";
        let manifests = Manifests::parse(text).expect("readable");
        let objects = manifests.objects();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].value["spec"]["ports"][0]["number"], 80);
        assert_eq!(objects[1].value["spec"]["containers"][0]["image"], "x:1.0");
        assert_eq!(
            objects[1].position_of("/spec/containers/0"),
            Position { line: 14, column: 3 }
        );
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

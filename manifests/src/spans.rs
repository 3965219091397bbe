//! One reading of a YAML stream with saphyr-parser: every document's value, and a tree of spans that says where
//! each node is written and how (block or flow), so that a finding can point at its line and an edit can splice the
//! text. Both come from the same events, in one pass.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::{Map, Value};

use crate::text::Lines;

/// One node of a document, with its byte span in the file.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Byte offset where the node's content starts (for a block collection: its first key or item content).
    pub start: usize,
    /// Byte offset just past the node (for block collections the parser reports where the next token starts).
    pub end: usize,
    pub kind: NodeKind,
}

#[derive(Debug, Clone)]
pub(crate) enum NodeKind {
    Scalar { plain_null: bool },
    Alias,
    Mapping { flow: bool, entries: Vec<Entry> },
    Sequence { flow: bool, items: Vec<Node> },
}

/// A mapping entry: its key as text (empty for a key that is not a scalar), where the key starts, its value.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub key: String,
    pub key_start: usize,
    pub value: Node,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Mapping { entries, .. } => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.kind {
            NodeKind::Mapping { entries, .. } => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn items(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Sequence { items, .. } => Some(items),
            _ => None,
        }
    }

    /// The first two entries with the same key in this mapping or in any collection below it.
    pub fn key_twice(&self) -> Option<(&Entry, &Entry)> {
        match &self.kind {
            NodeKind::Mapping { entries, .. } => entries
                .iter()
                .enumerate()
                .find_map(|(at, second)| {
                    entries[..at]
                        .iter()
                        .find(|first| !first.key.is_empty() && first.key == second.key)
                        .map(|first| (first, second))
                })
                .or_else(|| entries.iter().find_map(|entry| entry.value.key_twice())),
            NodeKind::Sequence { items, .. } => items.iter().find_map(Node::key_twice),
            _ => None,
        }
    }

    /// What kind of node this is, named for messages that refuse to edit it.
    pub fn describe(&self) -> &'static str {
        match self.kind {
            NodeKind::Mapping { flow: true, .. } => "a flow mapping ({...})",
            NodeKind::Sequence { flow: true, .. } => "a flow sequence ([...])",
            NodeKind::Mapping { .. } => "a mapping",
            NodeKind::Sequence { .. } => "a list",
            NodeKind::Alias => "an alias (*name)",
            NodeKind::Scalar { .. } => "a scalar",
        }
    }

    /// The node at a JSON pointer (`/spec/containers/1`), following mappings by key and sequences by index.
    pub fn pointer(&self, pointer: &str) -> Option<&Node> {
        if pointer.is_empty() {
            return Some(self);
        }
        let mut node = self;
        for token in pointer.strip_prefix('/')?.split('/') {
            let token = token.replace("~1", "/").replace("~0", "~");
            node = match &node.kind {
                NodeKind::Mapping { .. } => node.get(&token)?,
                NodeKind::Sequence { items, .. } => items.get(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }
}

/// Why the span tree could not be built: the parser's message and where.
#[derive(Debug, Clone)]
pub(crate) struct SpanError {
    pub message: String,
    /// 1-based line and column.
    pub line: usize,
    pub column: usize,
}

/// Every document of the text: its value, and its root node (`None` for an empty document).
pub(crate) struct Documents {
    pub values: Vec<Value>,
    pub nodes: Vec<Option<Node>>,
}

/// Reads every document of the text. Plain scalars are resolved by the YAML 1.2 core schema (null, booleans,
/// integers, floats, else strings); aliases take their anchor's value; a key that is not a scalar is refused, as
/// Kubernetes refuses it (it is what `{{ ... }}` of an unrendered Helm template reads as).
pub(crate) fn read(lines: &Lines) -> Result<Documents, SpanError> {
    // Most manifests are in the simple form, read without the parser's events (the same values and spans).
    if let Some(documents) = crate::simple::read(lines) {
        return Ok(documents);
    }
    read_events(lines)
}

/// [`read`], by saphyr-parser's events, whatever the YAML.
pub(crate) fn read_events(lines: &Lines) -> Result<Documents, SpanError> {
    let mut events = Events {
        parser: Parser::new_from_str(lines.text()),
        lines,
        anchors: HashMap::new(),
    };
    let mut documents = Documents {
        values: Vec::new(),
        nodes: Vec::new(),
    };
    loop {
        match events.next()? {
            (Event::StreamEnd, _) => return Ok(documents),
            (Event::DocumentStart(_), _) => {
                let (event, span) = events.next()?;
                if matches!(event, Event::DocumentEnd) {
                    documents.values.push(Value::Null);
                    documents.nodes.push(None);
                    continue;
                }
                let (root, value) = events.node(event, span)?;
                let is_null = matches!(root.kind, NodeKind::Scalar { plain_null: true });
                documents.values.push(value);
                documents.nodes.push((!is_null).then_some(root));
                match events.next()? {
                    (Event::DocumentEnd, _) => {}
                    (_, span) => return Err(events.error("expected the end of the document", span)),
                }
            }
            _ => {}
        }
    }
}

struct Events<'a, 'l> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    lines: &'l Lines<'a>,
    /// The value of every anchor seen, for the aliases that follow.
    anchors: HashMap<usize, Value>,
}

impl<'a> Events<'a, '_> {
    fn next(&mut self) -> Result<(Event<'a>, Span), SpanError> {
        match self.parser.next_event() {
            Some(Ok((event, span))) => Ok((event, span)),
            Some(Err(error)) => Err(SpanError {
                message: error.info().to_owned(),
                line: error.marker().line(),
                column: error.marker().col() + 1,
            }),
            None => Ok((Event::StreamEnd, Span::default())),
        }
    }

    fn error(&self, message: &str, span: Span) -> SpanError {
        SpanError {
            message: message.to_owned(),
            line: span.start.line(),
            column: span.start.col() + 1,
        }
    }

    /// The node that starts with `event`, and its value.
    fn node(&mut self, event: Event<'a>, span: Span) -> Result<(Node, Value), SpanError> {
        let start = self.lines.byte(span.start.index());
        // A collection's start event spans its `{` or `[` in flow style, and its anchor or tag if it has one.
        let end = self.lines.byte(span.end.index());
        let flow = end > start && self.lines.text()[..end].ends_with(['{', '[']);
        let (kind, value, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let plain = style == ScalarStyle::Plain;
                let plain_null = plain && matches!(&*text, "" | "~" | "null" | "Null" | "NULL");
                let is_str = tag.as_ref().is_some_and(|tag| tag.suffix == "str");
                let value = if plain && !is_str {
                    plain_scalar(&text)
                } else {
                    Value::String(text.into_owned())
                };
                (NodeKind::Scalar { plain_null }, value, anchor)
            }
            Event::Alias(anchor) => (
                NodeKind::Alias,
                self.anchors.get(&anchor).cloned().unwrap_or(Value::Null),
                0,
            ),
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                let mut values = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        let end = self.lines.byte(span.end.index());
                        let node = Node {
                            start,
                            end,
                            kind: NodeKind::Sequence { flow, items },
                        };
                        return Ok((node, self.anchored(anchor, Value::Array(values))));
                    }
                    let (item, value) = self.node(event, span)?;
                    items.push(item);
                    values.push(value);
                }
            }
            Event::MappingStart(anchor, _) => {
                let mut entries = Vec::new();
                let mut map = Map::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::MappingEnd) {
                        let end = self.lines.byte(span.end.index());
                        let node = Node {
                            start,
                            end,
                            kind: NodeKind::Mapping { flow, entries },
                        };
                        return Ok((node, self.anchored(anchor, Value::Object(map))));
                    }
                    let (key_node, key) = self.node(event, span)?;
                    let Some(key) = key_string(key) else {
                        return Err(self.error("a key that is a list or a mapping: not a Kubernetes manifest", span));
                    };
                    let (event, span) = self.next()?;
                    let (value_node, value) = self.node(event, span)?;
                    entries.push(Entry {
                        key: key.clone(),
                        key_start: key_node.start,
                        value: value_node,
                    });
                    map.insert(key, value);
                }
            }
            _ => return Err(self.error("unexpected YAML event", span)),
        };
        let node = Node {
            start,
            end: self.lines.byte(span.end.index()),
            kind,
        };
        Ok((node, self.anchored(anchor, value)))
    }

    /// `value`, remembered under `anchor` when it has one.
    fn anchored(&mut self, anchor: usize, value: Value) -> Value {
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        value
    }
}

/// A mapping key as the text of a JSON key; `None` for a list or a mapping.
pub(crate) fn key_string(key: Value) -> Option<String> {
    match key {
        Value::String(key) => Some(key),
        Value::Null => Some("null".to_owned()),
        Value::Bool(_) | Value::Number(_) => Some(key.to_string()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// A plain scalar by the YAML 1.2 core schema: null, booleans, integers (decimal, `0o` octal, `0x` hexadecimal),
/// floats, else a string.
pub(crate) fn plain_scalar(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Value::String(text.to_owned());
    }
    let integer = if let Some(hex) = text.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()
    } else if let Some(octal) = text.strip_prefix("0o") {
        i64::from_str_radix(octal, 8).ok()
    } else if text.bytes().skip(1).all(|b| b.is_ascii_digit()) {
        text.parse::<i64>().ok()
    } else {
        None
    };
    if let Some(integer) = integer {
        return Value::from(integer);
    }
    let float_like = text.bytes().any(|b| b.is_ascii_digit())
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
    match text.parse::<f64>() {
        Ok(float) if float_like => {
            serde_json::Number::from_f64(float).map_or_else(|| Value::String(text.to_owned()), Value::Number)
        }
        _ => Value::String(text.to_owned()),
    }
}

//! Where every node of a YAML stream is: a tree of spans built from saphyr-parser's events.
//!
//! Values come from serde_norway (see the crate doc); this tree only says where things are written and how
//! (block or flow), so that a finding can point at its line and an edit can splice the text.

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

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

/// The root node of every document in the text, in order (`None` for an empty document).
pub(crate) fn documents(lines: &Lines) -> Result<Vec<Option<Node>>, SpanError> {
    let mut events = Events {
        parser: Parser::new_from_str(lines.text()),
        lines,
    };
    let mut documents = Vec::new();
    loop {
        match events.next()? {
            (Event::StreamEnd, _) => return Ok(documents),
            (Event::DocumentStart(_), _) => {
                let (event, span) = events.next()?;
                if matches!(event, Event::DocumentEnd) {
                    documents.push(None);
                    continue;
                }
                let root = events.node(event, span)?;
                let is_null = matches!(root.kind, NodeKind::Scalar { plain_null: true });
                documents.push((!is_null).then_some(root));
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

    fn node(&mut self, event: Event<'a>, span: Span) -> Result<Node, SpanError> {
        let start = self.lines.byte(span.start.index());
        // A collection's start event spans its `{` or `[` in flow style, and its anchor or tag if it has one.
        let end = self.lines.byte(span.end.index());
        let flow = end > start && self.lines.text()[..end].ends_with(['{', '[']);
        let kind = match event {
            Event::Scalar(value, style, ..) => NodeKind::Scalar {
                plain_null: style == ScalarStyle::Plain && matches!(&*value, "" | "~" | "null" | "Null" | "NULL"),
            },
            Event::Alias(_) => NodeKind::Alias,
            Event::SequenceStart(..) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        let end = self.lines.byte(span.end.index());
                        return Ok(Node {
                            start,
                            end,
                            kind: NodeKind::Sequence { flow, items },
                        });
                    }
                    items.push(self.node(event, span)?);
                }
            }
            Event::MappingStart(..) => {
                let mut entries = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::MappingEnd) {
                        let end = self.lines.byte(span.end.index());
                        return Ok(Node {
                            start,
                            end,
                            kind: NodeKind::Mapping { flow, entries },
                        });
                    }
                    let key = match &event {
                        Event::Scalar(key, ..) => key.to_string(),
                        _ => String::new(),
                    };
                    let key_node = self.node(event, span)?;
                    let (event, span) = self.next()?;
                    let value = self.node(event, span)?;
                    entries.push(Entry {
                        key,
                        key_start: key_node.start,
                        value,
                    });
                }
            }
            _ => return Err(self.error("unexpected YAML event", span)),
        };
        Ok(Node {
            start,
            end: self.lines.byte(span.end.index()),
            kind,
        })
    }
}

/// The value of every document, read by the position parser: for a text the value reader refuses although it is
/// YAML (libyaml, under serde_norway, refuses `[1.2.3.4, 001:db8::]`, which the YAML 1.2 parser and Kubernetes' own
/// reader accept). Plain scalars are resolved by the YAML 1.2 core schema; aliases are resolved to their anchor's
/// value.
pub(crate) fn values(text: &str) -> Result<Vec<serde_json::Value>, SpanError> {
    let lines = Lines::new(text);
    let mut events = Events {
        parser: Parser::new_from_str(text),
        lines: &lines,
    };
    let mut anchors = std::collections::HashMap::new();
    let mut documents = Vec::new();
    loop {
        match events.next()? {
            (Event::StreamEnd, _) => return Ok(documents),
            (Event::DocumentStart(_), _) => {
                let (event, span) = events.next()?;
                if matches!(event, Event::DocumentEnd) {
                    documents.push(serde_json::Value::Null);
                    continue;
                }
                documents.push(events.value(event, span, &mut anchors)?);
                events.next()?;
            }
            _ => {}
        }
    }
}

impl<'a> Events<'a, '_> {
    fn value(
        &mut self,
        event: Event<'a>,
        span: Span,
        anchors: &mut std::collections::HashMap<usize, serde_json::Value>,
    ) -> Result<serde_json::Value, SpanError> {
        use serde_json::Value;
        let (value, anchor) = match event {
            Event::Scalar(text, style, anchor, _) => {
                let value = if style == ScalarStyle::Plain {
                    plain_scalar(&text)
                } else {
                    Value::String(text.into_owned())
                };
                (value, anchor)
            }
            Event::Alias(anchor) => return Ok(anchors.get(&anchor).cloned().unwrap_or(Value::Null)),
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.value(event, span, anchors)?);
                }
                (Value::Array(items), anchor)
            }
            Event::MappingStart(anchor, _) => {
                let mut map = serde_json::Map::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::MappingEnd) {
                        break;
                    }
                    let key = match self.value(event, span, anchors)? {
                        Value::String(key) => key,
                        Value::Null => "null".to_owned(),
                        other => other.to_string(),
                    };
                    let (event, span) = self.next()?;
                    let value = self.value(event, span, anchors)?;
                    map.insert(key, value);
                }
                (Value::Object(map), anchor)
            }
            _ => return Err(self.error("unexpected YAML event", span)),
        };
        if anchor > 0 {
            anchors.insert(anchor, value.clone());
        }
        Ok(value)
    }
}

/// A plain scalar by the YAML 1.2 core schema: null, booleans, integers, floats, else a string.
fn plain_scalar(text: &str) -> serde_json::Value {
    use serde_json::Value;
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let integer = if let Some(hex) = text.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()
    } else if let Some(octal) = text.strip_prefix("0o") {
        i64::from_str_radix(octal, 8).ok()
    } else if text.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'+') {
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
            serde_json::Number::from_f64(float).map_or(Value::String(text.to_owned()), Value::Number)
        }
        _ => Value::String(text.to_owned()),
    }
}

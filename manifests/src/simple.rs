//! A fast reader for the YAML that manifests are nearly always written in: block mappings and sequences indented with
//! spaces, plain keys, one-line plain and quoted scalars (no escapes), one-line flow collections, comments and `---`
//! between documents; ASCII text with `\n` line breaks. It gives exactly what [`crate::spans::read`] gives from
//! saphyr-parser's events (the same values, the same spans), about ten times faster; anything else (anchors, tags,
//! block scalars, multi-line scalars, escapes, empty values, tabs, CRLF, non-ASCII text, errors) is not read here
//! (`None`) and goes to saphyr-parser, which also words the errors. The tests compare both readers on every manifest
//! of the repository and on mutations of them.

use serde_json::{Map, Value};

use crate::spans::{Documents, Entry, Node, NodeKind, key_string, plain_scalar};
use crate::text::Lines;

/// Every document of the text, when all of it is in the simple form; `None` otherwise.
pub(crate) fn read(lines: &Lines) -> Option<Documents> {
    let text = lines.text();
    // Printable ASCII and `\n` only: no tab, CR, BOM, control or non-ASCII character to treat as YAML does.
    if !text.bytes().all(|b| b == b'\n' || (b' '..=b'~').contains(&b)) {
        return None;
    }
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        lines,
        line: 0,
    };
    let mut documents = Documents {
        values: Vec::new(),
        nodes: Vec::new(),
    };
    // A `---` whose document has no content yet: an empty document, unless content follows.
    let mut open = false;
    loop {
        match reader.peek()? {
            Peek::End => {
                if open {
                    documents.values.push(Value::Null);
                    documents.nodes.push(None);
                }
                return Some(documents);
            }
            Peek::Marker => {
                if open {
                    documents.values.push(Value::Null);
                    documents.nodes.push(None);
                }
                open = true;
                reader.line += 1;
            }
            Peek::Line(indent) => {
                let (node, value) = reader.block_node(indent)?;
                if matches!(reader.peek()?, Peek::Line(_)) {
                    return None;
                }
                documents.values.push(value);
                documents.nodes.push(Some(node));
                open = false;
            }
        }
    }
}

/// What the next line that is neither blank nor a comment is.
#[derive(Clone, Copy)]
enum Peek {
    End,
    /// `---` alone (a comment may follow).
    Marker,
    /// Content, at this indentation.
    Line(usize),
}

struct Reader<'a, 'l> {
    text: &'a str,
    bytes: &'a [u8],
    lines: &'l Lines<'a>,
    /// The line being read.
    line: usize,
}

impl Reader<'_, '_> {
    /// Byte offsets of the start and end (without its line break) of the current line.
    fn bounds(&self) -> (usize, usize) {
        let start = self.lines.start(self.line);
        (start, start + self.lines.content(self.line).len())
    }

    /// Moves to the next line with content (from the current one); `None` for what is not simple.
    fn peek(&mut self) -> Option<Peek> {
        while self.line < self.lines.len() {
            let content = self.lines.content(self.line).as_bytes();
            let indent = content.iter().take_while(|&&b| b == b' ').count();
            if indent == content.len() || content[indent] == b'#' {
                self.line += 1;
                continue;
            }
            if indent == 0 {
                if content.starts_with(b"---") && (content.len() == 3 || content[3] == b' ') {
                    let rest = content[3..].trim_ascii_start();
                    return (rest.is_empty() || rest[0] == b'#').then_some(Peek::Marker);
                }
                if content.starts_with(b"...") || content[0] == b'%' {
                    return None;
                }
            }
            return Some(Peek::Line(indent));
        }
        Some(Peek::End)
    }

    /// Where the token after a block collection starts: what saphyr-parser's end of the collection spans.
    fn next_token(&mut self) -> Option<usize> {
        Some(match self.peek()? {
            Peek::End => self.text.len(),
            Peek::Marker => self.lines.start(self.line),
            Peek::Line(indent) => self.lines.start(self.line) + indent,
        })
    }

    /// Whether the current line has a sequence entry's `-` at `column`.
    fn dash_at(&self, column: usize) -> bool {
        let (start, end) = self.bounds();
        let at = start + column;
        at < end && self.bytes[at] == b'-' && (at + 1 == end || self.bytes[at + 1] == b' ')
    }

    /// The block collection whose first key or `-` is at `column` of the current line.
    fn block_node(&mut self, column: usize) -> Option<(Node, Value)> {
        if self.dash_at(column) {
            return self.block_sequence(column, false);
        }
        let (start, end) = self.bounds();
        key_at(self.bytes, start + column, end)?;
        self.block_mapping(column)
    }

    fn block_mapping(&mut self, column: usize) -> Option<(Node, Value)> {
        let start = self.lines.start(self.line) + column;
        let mut entries = Vec::new();
        let mut map = Map::new();
        loop {
            let (line_start, end) = self.bounds();
            let key_start = line_start + column;
            let (key_end, after) = key_at(self.bytes, key_start, end)?;
            let key = key_string(plain_scalar(&self.text[key_start..key_end]))?;
            let (value_node, value) = self.value(column, after, end, true)?;
            entries.push(Entry {
                key: key.clone(),
                key_start,
                value: value_node,
            });
            map.insert(key, value);
            match self.peek()? {
                Peek::Line(indent) if indent == column => {}
                Peek::Line(indent) if indent > column => return None,
                _ => break,
            }
        }
        let node = Node {
            start,
            end: self.next_token()?,
            kind: NodeKind::Mapping { flow: false, entries },
        };
        Some((node, Value::Object(map)))
    }

    /// A block sequence whose first `-` is at `column`; `indentless` when it is a mapping's value at the mapping's
    /// own column (saphyr-parser's span for it then starts at its first item, else at its first `-`).
    fn block_sequence(&mut self, column: usize, indentless: bool) -> Option<(Node, Value)> {
        let first_dash = self.lines.start(self.line) + column;
        let mut items: Vec<Node> = Vec::new();
        let mut values = Vec::new();
        loop {
            let (line_start, end) = self.bounds();
            let dash = line_start + column;
            let at = skip_spaces(self.bytes, dash + 1, end);
            let (item, value) = if at < end && self.bytes[at] == b'-' && (at + 1 == end || self.bytes[at + 1] == b' ') {
                return None;
            } else if at < end && self.bytes[at] != b'#' && key_at(self.bytes, at, end).is_some() {
                self.block_mapping(at - line_start)?
            } else if indentless && items.is_empty() && (at == end || self.bytes[at] == b'#') {
                // Its span would start where saphyr-parser's empty first item does.
                return None;
            } else {
                self.value(column, dash + 1, end, false)?
            };
            items.push(item);
            values.push(value);
            match self.peek()? {
                Peek::Line(indent) if indent == column && self.dash_at(column) => {}
                Peek::Line(indent) if indent > column => return None,
                _ => break,
            }
        }
        let node = Node {
            start: if indentless { items[0].start } else { first_dash },
            end: self.next_token()?,
            kind: NodeKind::Sequence { flow: false, items },
        };
        Some((node, Value::Array(values)))
    }

    /// The value after a key's `:` or a sequence entry's `-` (at byte `from` of the current line, which ends at
    /// `end`), in a collection at `column`: on the same line, or a block collection on the lines below (at the same
    /// column too, for a sequence in a mapping, when `indentless`). Moves past it.
    fn value(&mut self, column: usize, from: usize, end: usize, indentless: bool) -> Option<(Node, Value)> {
        let at = skip_spaces(self.bytes, from, end);
        if at == end || self.bytes[at] == b'#' {
            self.line += 1;
            return match self.peek()? {
                Peek::Line(indent) if indent > column => self.block_node(indent),
                Peek::Line(indent) if indent == column && indentless && self.dash_at(column) => {
                    self.block_sequence(column, true)
                }
                // An empty value: saphyr-parser's span for it is left to saphyr-parser.
                _ => None,
            };
        }
        let (node, value, after) = self.inline(at, end, false)?;
        let rest = skip_spaces(self.bytes, after, end);
        if rest < end && (rest == after || self.bytes[rest] != b'#') {
            return None;
        }
        self.line += 1;
        // A more indented line would continue a plain scalar (or be an error): not simple.
        match self.peek()? {
            Peek::Line(indent) if indent > column => None,
            _ => Some((node, value)),
        }
    }

    /// A scalar or flow collection starting at byte `at` of a line ending at `end`; with the byte just past it.
    fn inline(&self, at: usize, end: usize, flow: bool) -> Option<(Node, Value, usize)> {
        let bytes = self.bytes;
        let scalar = |start, end| Node {
            start,
            end,
            kind: NodeKind::Scalar { plain_null: false },
        };
        match bytes[at] {
            quote @ (b'"' | b'\'') => {
                let close = at + 1 + bytes[at + 1..end].iter().position(|&b| b == quote)?;
                let inside = &self.text[at + 1..close];
                if quote == b'"' && inside.contains('\\') {
                    return None;
                }
                // Followed by anything but the end of its line or of its flow item (`''`, spaces, a comment):
                // saphyr-parser's span for it then reaches further, as spans of its own.
                let next = close + 1;
                if next < end && !(flow && matches!(bytes[next], b',' | b']' | b'}')) {
                    return None;
                }
                Some((scalar(at, close + 1), Value::String(inside.to_owned()), close + 1))
            }
            b'{' | b'[' => self.flow(at, end),
            b'|' | b'>' | b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b'?' | b':' | b',' | b']' | b'}' | b'#' | b'-'
            | b' ' => {
                // `-` alone is an entry; `-1`, `--flag` are scalars, read as such by the plain case below.
                if bytes[at] == b'-' && at + 1 < end && !matches!(bytes[at + 1], b' ' | b',' | b']' | b'}') {
                    self.plain(at, end, flow)
                } else {
                    None
                }
            }
            _ => self.plain(at, end, flow),
        }
    }

    /// A plain scalar: to the end of the line (or, in a flow collection, to `,`, `]` or `}`), before a comment,
    /// trailing spaces excluded. Anything that could make it something else (`: `, `#`, brackets) is not simple.
    fn plain(&self, at: usize, end: usize, flow: bool) -> Option<(Node, Value, usize)> {
        let bytes = self.bytes;
        let mut stop = at;
        while stop < end {
            match bytes[stop] {
                b',' | b']' | b'}' if flow => break,
                b'[' | b']' | b'{' | b'}' | b'#' => return None,
                b':' if flow || stop + 1 == end || bytes[stop + 1] == b' ' => return None,
                b' ' if stop + 1 < end && bytes[stop + 1] == b'#' => break,
                _ => stop += 1,
            }
        }
        let text = self.text[at..stop].trim_end_matches(' ');
        let node = Node {
            start: at,
            end: at + text.len(),
            kind: NodeKind::Scalar {
                plain_null: matches!(text, "" | "~" | "null" | "Null" | "NULL"),
            },
        };
        Some((node, plain_scalar(text), at + text.len()))
    }

    /// A flow collection that closes on its line: `{key: value, ...}` or `[item, ...]`.
    fn flow(&self, open: usize, end: usize) -> Option<(Node, Value, usize)> {
        let bytes = self.bytes;
        let mapping = bytes[open] == b'{';
        let close = if mapping { b'}' } else { b']' };
        let mut at = skip_spaces(bytes, open + 1, end);
        let mut entries = Vec::new();
        let mut map = Map::new();
        let mut items = Vec::new();
        let mut values = Vec::new();
        if at < end && bytes[at] == close {
            at += 1;
        } else {
            loop {
                if at >= end {
                    return None;
                }
                if mapping {
                    let (key_end, after) = key_at(bytes, at, end)?;
                    if after == end || bytes[after] != b' ' {
                        return None;
                    }
                    let key = key_string(plain_scalar(&self.text[at..key_end]))?;
                    let value_at = skip_spaces(bytes, after, end);
                    if value_at >= end || matches!(bytes[value_at], b',' | b'}' | b']') {
                        return None;
                    }
                    let (node, value, after) = self.inline(value_at, end, true)?;
                    entries.push(Entry {
                        key: key.clone(),
                        key_start: at,
                        value: node,
                    });
                    map.insert(key, value);
                    at = after;
                } else {
                    let (node, value, after) = self.inline(at, end, true)?;
                    if key_at(bytes, at, end).is_some() {
                        return None;
                    }
                    items.push(node);
                    values.push(value);
                    at = after;
                }
                at = skip_spaces(bytes, at, end);
                match bytes.get(at) {
                    Some(&b) if b == close && at < end => {
                        at += 1;
                        break;
                    }
                    Some(b',') if at < end => {
                        at = skip_spaces(bytes, at + 1, end);
                        if at >= end || matches!(bytes[at], b',' | b']' | b'}') {
                            return None;
                        }
                    }
                    _ => return None,
                }
            }
        }
        let (kind, value) = if mapping {
            (NodeKind::Mapping { flow: true, entries }, Value::Object(map))
        } else {
            (NodeKind::Sequence { flow: true, items }, Value::Array(values))
        };
        Some((
            Node {
                start: open,
                end: at,
                kind,
            },
            value,
            at,
        ))
    }
}

fn skip_spaces(bytes: &[u8], mut at: usize, end: usize) -> usize {
    while at < end && bytes[at] == b' ' {
        at += 1;
    }
    at
}

/// A plain key at `at` (letters, digits, `_`, `.`, `/`, `-` not first) followed by `:` and a space or the end of
/// the line: where the key ends, and the byte after its `:`.
fn key_at(bytes: &[u8], at: usize, end: usize) -> Option<(usize, usize)> {
    let first = *bytes.get(at).filter(|_| at < end)?;
    if !(first.is_ascii_alphanumeric() || matches!(first, b'_' | b'.' | b'/')) {
        return None;
    }
    let mut key_end = at + 1;
    while key_end < end
        && (bytes[key_end].is_ascii_alphanumeric() || matches!(bytes[key_end], b'_' | b'.' | b'/' | b'-'))
    {
        key_end += 1;
    }
    (key_end < end && bytes[key_end] == b':' && (key_end + 1 == end || bytes[key_end + 1] == b' '))
        .then_some((key_end, key_end + 1))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::spans::read_events;

    /// Both readers on `text`: when the simple one reads it, saphyr-parser's events give the same documents.
    fn same(text: &str) -> bool {
        let lines = Lines::new(text);
        let Some(simple) = read(&lines) else {
            return false;
        };
        let events = read_events(&lines).unwrap_or_else(|error| panic!("{error:?} for a text read as simple:\n{text}"));
        assert_eq!(
            format!("{:?}", simple.values),
            format!("{:?}", events.values),
            "values of:\n{text}"
        );
        assert_eq!(
            format!("{:?}", simple.nodes),
            format!("{:?}", events.nodes),
            "spans of:\n{text}"
        );
        true
    }

    fn manifests_below(dir: &Path, texts: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" && name != "node_modules" {
                    manifests_below(&path, texts);
                }
            } else if name.ends_with(".yaml") || name.ends_with(".yml") {
                texts.extend(std::fs::read_to_string(&path).ok());
            }
        }
    }

    const SAMPLES: &[&str] = &[
        "a: 1\nb:\n  c: x y  # comment\n  d:\n  - e\n  - f: \"q\"\n    g: [1, {h: i}]\n  -   k: l\n\n# end\nm: {}\nn:\n- x\n",
        "# c\n---\na:\n  b: 1\n# x\n\n---\nc:\n- 1\n# trailing\n\n",
        "---\n---\na: 1\n---\n",
        "a: 1\n---\n",
        "---\n",
        "# only a comment\n",
        "",
        "- a\n- b: c\n  d: e\n-   - f\n",
        "a:\n  - # the agent\n    name: c\n",
        "a: 'it''s'\nb: \"x\\ny\"\nc: 'x'\n",
        "a: 0x1F\nb: 0o17\nc: 1e3\nd: .5\ne: -1\nf: +2\ng: ~\nh: null\ni: True\nj: 1.2.3\nk: --flag\nl: -\n",
        "1: a\ntrue: b\nnull: c\n1.5: d\n",
        "a: b c: d\n",
        "a: b\n  c\n",
        "a: [b, c,]\nd: {e: f, }\n",
        "a: [b, c\n  , d]\n",
        "a: x#y\nb: \"x\" # c\nc: \"x\"#c\n",
        "a: {b: [1, 2], c: {d: \"e f\"}, g: []}\n",
        "a: b\n a: c\n",
        "a:\n  b: 1\n c: 2\n",
        "a:\n- b\n - c\n",
        "a: 1\na: 2\n",
        "  a: 1\n  b: 2\n",
        "a: b\n...\n",
        "a: b # c\n  d\n",
        "a: -b\nc: - d\n",
        "a: [-b, -1]\n",
        "a: {b: -}\n",
        "key with space: 1\n",
        "a: http://x.y/z\nb: [http://x]\n",
        "---\na: 1\n--- # c\nb: 2\n",
        "a:   \n  b: 1\n",
        "a: b \n",
        // The shapes `make cli-bench` generates.
        "# generated deployment 1\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-1\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/team/app-1:1.1\n          env:\n            - name: MODE\n              value: \"production\"\n          resources:\n            requests: {cpu: 100m, memory: 128Mi}\n          readinessProbe:\n            httpGet: {path: /ready, port: 8080}\n        # renders secrets for the app\n        - name: vault-agent\n          image: hashicorp/vault:1.15.2\n          args: [agent, -config=/etc/vault/agent.hcl]\n",
        "apiVersion: batch/v1\nkind: CronJob\nspec:\n  schedule: \"*/5 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: job\n            image: example/job:1\n",
        "spec:\n  names: {kind: Widget1, plural: widgets1}\n  versions:\n  - name: v1\n    schema:\n      openAPIV3Schema:\n        properties:\n          field0:\n            description: \"Field 0 of the widget: what it configures.\"\n            properties:\n              enabled: {type: boolean, default: false}\n              mode: {type: string, enum: [fast, safe, off]}\n              limit: {type: integer, minimum: 0, maximum: 65535}\n",
    ];

    #[test]
    fn the_simple_reader_agrees_with_saphyr_parser() {
        for sample in &SAMPLES[SAMPLES.len() - 3..] {
            assert!(same(sample), "read as simple:\n{sample}");
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut texts: Vec<String> = SAMPLES.iter().map(|text| (*text).to_owned()).collect();
        manifests_below(&root, &mut texts);
        assert!(texts.len() > 50, "the repository's manifests are found");
        let (mut read, mut variants) = (0, 0);
        for text in &texts {
            read += usize::from(same(text));
            // Every line removed, indented by one more or one less space, or cut in half.
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            for index in 0..lines.len() {
                let line = lines[index];
                let cut = &line[..line.floor_char_boundary(line.len() / 2)];
                for replacement in [
                    String::new(),
                    format!(" {line}"),
                    line.replacen(' ', "", 1),
                    format!("{cut}\n"),
                ] {
                    let mut variant = lines[..index].concat();
                    variant.push_str(&replacement);
                    variant.push_str(&lines[index + 1..].concat());
                    variants += usize::from(same(&variant));
                }
            }
        }
        assert!(read > texts.len() / 2, "{read} of {} texts read as simple", texts.len());
        assert!(variants > 1000, "{variants} variants read as simple");
    }
}

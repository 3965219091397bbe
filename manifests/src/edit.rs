//! The conversion as a text edit: whole lines move, everything else stays byte for byte.
//!
//! A block-sequence entry owns the lines from its `-` to its last line that is content or a comment indented
//! deeper than the `-`, plus the comment lines directly above its `-` (no blank line between) that are not
//! indented deeper than it. Those lines leave `containers` and arrive, re-indented to the target sequence, as one
//! block at the plan's index of `initContainers`, each entry followed by `restartPolicy: Always` at its keys'
//! indentation. A missing `initContainers:` is written right before `containers:` (and the comments directly above
//! it), at its indentation and in its sequence style.

use std::collections::{BTreeMap, BTreeSet};

use crate::file::{Manifests, describe};
use crate::spans::{Node, NodeKind};
use crate::text::{LineKind, Position};

const CONTAINERS: &str = "containers";
const INIT_CONTAINERS: &str = "initContainers";
const RESTART_POLICY: &str = "restartPolicy";

/// One conversion: in object `object` (an index into [`Manifests::objects`]), the pod spec at `spec` (a JSON
/// pointer) moves the entries `moved` of `containers` (ascending) to index `insert_at` of `initContainers`.
#[derive(Debug, Clone, Copy)]
pub struct Move<'p> {
    pub object: usize,
    pub spec: &'p str,
    pub moved: &'p [usize],
    pub insert_at: usize,
}

/// The text after the edit, and which lines changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    pub text: String,
    /// Every line of the output and every line that left, in reading order: what a diff view shows.
    pub view: Vec<ViewLine>,
    /// 1-based lines of the input that left (the moved entries, with their comments).
    pub left: Vec<usize>,
    /// 1-based lines of the output that are new or changed (the moved entries where they arrived, the added
    /// `restartPolicy` lines, a new `initContainers:` key).
    pub arrived: Vec<usize>,
}

/// A line of [`Edited::view`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewLine {
    /// The line without its line break.
    pub text: String,
    pub change: Change,
}

/// What happened to a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// As it was.
    Kept,
    /// Moved out of `containers` (shown where it was).
    Left,
    /// New or changed: a moved line where it arrived, `restartPolicy: Always`, a new `initContainers:` key.
    Arrived,
}

/// Why an edit cannot be made without changing more than the moved lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditError {
    pub message: String,
    pub position: Option<Position>,
}

/// The line operations of every move, applied in one pass.
#[derive(Default)]
pub(crate) struct LineEdits {
    removed: BTreeSet<usize>,
    /// Before which input line (the line count for the end) which new lines go.
    inserted: BTreeMap<usize, Vec<String>>,
    replaced: BTreeMap<usize, String>,
}

impl LineEdits {
    /// New lines before input line `at` (the line count for the end), after those already planned there.
    pub(crate) fn insert(&mut self, at: usize, lines: Vec<String>) {
        self.inserted.entry(at).or_default().extend(lines);
    }

    pub(crate) fn replace(&mut self, line: usize, text: String) {
        self.replaced.insert(line, text);
    }

    pub(crate) fn remove(&mut self, manifests: &Manifests, line: usize) -> Result<(), EditError> {
        if self.removed.insert(line) {
            Ok(())
        } else {
            Err(refuse(
                manifests,
                manifests.lines.start(line),
                "internal error: a line moves twice".to_owned(),
            ))
        }
    }
}

/// Applies `moves` to the text of `manifests`.
pub fn apply(manifests: &Manifests, moves: &[Move]) -> Result<Edited, EditError> {
    let objects = manifests.objects();
    let mut edits = LineEdits::default();
    for step in moves {
        let object = objects.get(step.object).ok_or_else(|| EditError {
            message: "internal error: the move names an object the file does not have".to_owned(),
            position: None,
        })?;
        if let Err(error) = manifests.nodes() {
            return Err(EditError {
                message: format!("the positions in this file cannot be read: {}", error.message),
                position: error.position,
            });
        }
        let root = object.node().ok_or_else(|| EditError {
            message: "the positions in this file are unknown (JSON that is not also YAML, e.g. tab-indented): it \
                      cannot be rewritten in place"
                .to_owned(),
            position: Some(object.position()),
        })?;
        plan_move(manifests, root, step, &mut edits)?;
    }
    Ok(edits.write(manifests))
}

/// The lines of one block-sequence entry.
#[derive(Debug, Clone, Copy)]
struct EntryLines {
    /// First line: the first comment above the `-`, or the `-` line.
    first: usize,
    dash: usize,
    last: usize,
    /// Column (bytes, all spaces before it) of the `-`.
    dash_column: usize,
    /// Column of the entry's first key.
    key_column: usize,
}

pub(crate) fn refuse(manifests: &Manifests, byte: usize, message: String) -> EditError {
    EditError {
        message,
        position: Some(manifests.position(byte)),
    }
}

fn plan_move(manifests: &Manifests, root: &Node, step: &Move, edits: &mut LineEdits) -> Result<(), EditError> {
    let spec_path = step.spec.trim_start_matches('/').replace('/', ".");
    let spec = root.pointer(step.spec).ok_or_else(|| {
        refuse(
            manifests,
            root.start,
            format!("{spec_path} is not written in this file"),
        )
    })?;
    if matches!(spec.kind, NodeKind::Mapping { flow: true, .. }) {
        return crate::edit_json::plan(manifests, spec, &spec_path, step.moved, step.insert_at, edits);
    }
    if !matches!(spec.kind, NodeKind::Mapping { flow: false, .. }) {
        return Err(refuse(
            manifests,
            spec.start,
            format!(
                "{spec_path} is written as {}: only block style is rewritten in place (write it as `key: value` lines)",
                describe(spec)
            ),
        ));
    }
    let containers_entry = spec.entry(CONTAINERS).ok_or_else(|| {
        refuse(
            manifests,
            spec.start,
            format!("{spec_path}.containers is not written in this file"),
        )
    })?;
    let containers = block_entries(manifests, &containers_entry.value, &format!("{spec_path}.containers"))?;
    let source_dash = containers.first().map_or(0, |e| e.dash_column);

    // Where the block goes, and at which column its `-` stands.
    let (insert_before, target_dash) = match spec.entry(INIT_CONTAINERS) {
        None => {
            let key_line = manifests.lines.line_of(containers_entry.key_start);
            let key_column = containers_entry.key_start - manifests.lines.start(key_line);
            let at = comments_above(manifests, key_line, key_column, true);
            let quote = match manifests.lines.text().as_bytes().get(containers_entry.key_start) {
                Some(b'"') => "\"",
                Some(b'\'') => "'",
                _ => "",
            };
            let key = format!("{}{quote}{INIT_CONTAINERS}{quote}:", " ".repeat(key_column));
            edits.inserted.entry(at).or_default().push(key);
            (at, source_dash)
        }
        Some(init) => match &init.value.kind {
            NodeKind::Sequence { flow: false, .. } => {
                let entries = block_entries(manifests, &init.value, &format!("{spec_path}.initContainers"))?;
                let at = match entries.get(step.insert_at) {
                    Some(entry) => entry.first,
                    None => entries.last().map_or(0, |e| e.last + 1),
                };
                (at, entries.first().map_or(source_dash, |e| e.dash_column))
            }
            NodeKind::Scalar { plain_null: true } | NodeKind::Sequence { flow: true, .. }
                if init.value.items().is_none_or(<[Node]>::is_empty) =>
            {
                // `initContainers:`, `initContainers: null` or `initContainers: []`: the value goes, the list
                // follows the key in the style of `containers`.
                let key_line = manifests.lines.line_of(init.key_start);
                if manifests.lines.line_of(init.value.start) != key_line {
                    return Err(refuse(
                        manifests,
                        init.key_start,
                        format!(
                            "{spec_path}.initContainers has an empty value on another line: write it as `initContainers: []`"
                        ),
                    ));
                }
                let start = manifests.lines.start(key_line);
                let line = manifests.lines.content(key_line);
                let (from, to) = (init.value.start - start, (init.value.end - start).min(line.len()));
                let value = line.get(from..to).unwrap_or_default();
                if !value.is_empty() {
                    let head = line[..from].trim_end();
                    let tail = &line[to..];
                    edits.replaced.insert(key_line, format!("{head}{tail}"));
                }
                let key_column = init.key_start - start;
                let offset = source_dash.saturating_sub(containers_key_column(manifests, containers_entry.key_start));
                (key_line + 1, key_column + offset)
            }
            _ => {
                return Err(refuse(
                    manifests,
                    init.value.start,
                    format!(
                        "{spec_path}.initContainers is written as {}: only block style is rewritten in place",
                        describe(&init.value)
                    ),
                ));
            }
        },
    };

    let mut block = Vec::new();
    for &index in step.moved {
        let entry = containers.get(index).ok_or_else(|| {
            refuse(
                manifests,
                containers_entry.key_start,
                format!("{spec_path}.containers has no entry {index}"),
            )
        })?;
        let node = containers_entry.value.items().and_then(|items| items.get(index));
        let has_restart_policy = node.is_some_and(|node| node.entry(RESTART_POLICY).is_some());
        for line in entry.first..=entry.last {
            if !edits.removed.insert(line) {
                return Err(refuse(
                    manifests,
                    manifests.lines.start(line),
                    "internal error: a line moves twice".to_owned(),
                ));
            }
            block.push(reindent(manifests.lines.content(line), entry.dash_column, target_dash));
        }
        if !has_restart_policy {
            let column = (entry.key_column + target_dash).saturating_sub(entry.dash_column);
            block.push(format!("{}{RESTART_POLICY}: Always", " ".repeat(column)));
        }
    }
    edits.inserted.entry(insert_before).or_default().extend(block);
    Ok(())
}

fn containers_key_column(manifests: &Manifests, key_start: usize) -> usize {
    key_start - manifests.lines.start(manifests.lines.line_of(key_start))
}

/// Moves a line from one indentation to another; blank lines stay as they are.
pub(crate) fn reindent(line: &str, from: usize, to: usize) -> String {
    if line.trim().is_empty() || from == to {
        return line.to_owned();
    }
    if to > from {
        format!("{}{line}", " ".repeat(to - from))
    } else {
        let spaces = line.len() - line.trim_start_matches(' ').len();
        line[spaces.min(from - to)..].to_owned()
    }
}

/// The first line of the comment lines directly above `line` (no blank line between) that are indented at most
/// `column` (exactly `column` when `exact`): they belong to what `line` starts.
fn comments_above(manifests: &Manifests, line: usize, column: usize, exact: bool) -> usize {
    let mut first = line;
    while first > 0 {
        match manifests.kind(first - 1) {
            LineKind::Comment(indent) if indent == column || (!exact && indent <= column) => first -= 1,
            _ => break,
        }
    }
    first
}

/// The lines of every entry of a block sequence of block mappings.
fn block_entries(manifests: &Manifests, list: &Node, path: &str) -> Result<Vec<EntryLines>, EditError> {
    let NodeKind::Sequence { flow: false, items } = &list.kind else {
        return Err(refuse(
            manifests,
            list.start,
            format!(
                "{path} is written as {}: only block style is rewritten in place",
                describe(list)
            ),
        ));
    };
    let mut entries: Vec<EntryLines> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        if !matches!(item.kind, NodeKind::Mapping { flow: false, .. }) {
            return Err(refuse(
                manifests,
                item.start,
                format!(
                    "{path}[{index}] is written as {}: only block style is rewritten in place",
                    describe(item)
                ),
            ));
        }
        let dash_byte = manifests.dash_before(item.start).ok_or_else(|| {
            refuse(
                manifests,
                item.start,
                format!("{path}[{index}] starts with an anchor or a tag: it is not moved"),
            )
        })?;
        let dash = manifests.lines.line_of(dash_byte);
        let dash_column = dash_byte - manifests.lines.start(dash);
        let key_line = manifests.lines.line_of(item.start);
        let key_column = item.start - manifests.lines.start(key_line);
        let first = if index == 0 {
            comments_above(manifests, dash, usize::MAX, false)
        } else {
            comments_above(manifests, dash, dash_column, false)
        };
        entries.push(EntryLines {
            first,
            dash,
            last: dash,
            dash_column,
            key_column,
        });
    }
    // An entry ends at its last content line (or deeper comment) before the next entry or the first line that is
    // content at or left of its `-`.
    let line_count = manifests.lines.len();
    for index in 0..entries.len() {
        let bound = entries.get(index + 1).map_or(line_count, |next| next.first);
        let entry = &mut entries[index];
        let mut line = entry.dash + 1;
        while line < bound {
            match manifests.kind(line) {
                LineKind::Content(indent) if indent <= entry.dash_column => break,
                LineKind::Content(_) => entry.last = line,
                LineKind::Comment(indent) if indent > entry.dash_column => entry.last = line,
                _ => {}
            }
            line += 1;
        }
    }
    Ok(entries)
}

impl LineEdits {
    fn write(self, manifests: &Manifests) -> Edited {
        let lines = &manifests.lines;
        let newline = lines.newline();
        let count = lines.len();
        let ends_with_newline = lines.text().ends_with('\n') || lines.text().is_empty();
        // (text, the input line it is, whether it is new or changed)
        let mut out: Vec<(&str, Option<usize>, bool)> = Vec::with_capacity(count + 8);
        let mut left = Vec::new();
        let mut view = Vec::with_capacity(count + 8);
        let mut show = |text: &str, change| {
            view.push(ViewLine {
                text: text.to_owned(),
                change,
            })
        };
        for line in 0..=count {
            if let Some(new) = self.inserted.get(&line) {
                for text in new {
                    show(text, Change::Arrived);
                    out.push((text.as_str(), None, true));
                }
            }
            if line == count {
                break;
            }
            if self.removed.contains(&line) {
                left.push(line + 1);
                show(lines.content(line), Change::Left);
            } else if let Some(text) = self.replaced.get(&line) {
                show(lines.content(line), Change::Left);
                show(text, Change::Arrived);
                out.push((text, Some(line), true));
            } else {
                show(lines.content(line), Change::Kept);
                out.push((lines.content(line), Some(line), false));
            }
        }
        // A kept line keeps its own line break; a new one gets the file's. A file without a final line break keeps
        // ending without one.
        let mut text = String::with_capacity(lines.text().len() + 64);
        let mut arrived = Vec::new();
        for (index, (line, original, new)) in out.iter().enumerate() {
            text.push_str(line);
            if *new {
                arrived.push(index + 1);
            }
            if index + 1 < out.len() || ends_with_newline {
                let own = original
                    .map(|l| &lines.full(l)[lines.content(l).len()..])
                    .filter(|b| !b.is_empty());
                text.push_str(own.unwrap_or(newline));
            }
        }
        Edited {
            text,
            view,
            left,
            arrived,
        }
    }
}

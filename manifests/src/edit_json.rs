//! The conversion as a text edit on JSON (and on flow-style YAML written the way JSON is pretty-printed): whole
//! lines move, and only the commas that the move makes wrong or missing change.
//!
//! It applies when the pod spec is a `{...}` mapping whose `"containers"` key starts its line and whose container
//! entries each own their lines: `{` first on its line, `}` last (before an optional `,`). `kubectl get -o json`,
//! `jq` and most editors write JSON that way. A moved entry keeps its lines, re-indented to `initContainers`, and
//! gets `"restartPolicy": "Always"` as its last key; a new `"initContainers": [...]` goes right before
//! `"containers"`. Anything else (several entries on a line, a one-line `{"containers": [...]}`) is refused with the
//! reason, and the file is left as it is.

use crate::edit::{EditError, LineEdits, refuse};
use crate::file::{Manifests, describe};
use crate::spans::{Entry, Node, NodeKind};

const RESTART_POLICY: &str = "restartPolicy";

/// The lines of one `{...}` entry of a flow sequence.
#[derive(Debug, Clone, Copy)]
struct FlowEntry {
    first: usize,
    last: usize,
    /// Column of the `{`.
    column: usize,
    /// Column of the entry's first key, if it has one on a line of its own or after the `{`.
    key_column: Option<usize>,
    /// Whether `}` is alone on its line (after indentation), so that a key can be added on a line before it.
    close_alone: bool,
    /// Byte column of the `}` on the last line.
    close_column: usize,
    has_restart_policy: bool,
}

fn first_on_line(manifests: &Manifests, byte: usize) -> bool {
    let line = manifests.lines.line_of(byte);
    manifests.lines.text()[manifests.lines.start(line)..byte]
        .trim()
        .is_empty()
}

fn flow_entries(manifests: &Manifests, list: &Node, path: &str) -> Result<Vec<FlowEntry>, EditError> {
    let NodeKind::Sequence { flow: true, items } = &list.kind else {
        return Err(refuse(
            manifests,
            list.start,
            format!(
                "{path} is written as {}, in a {{...}} pod spec: it is not rewritten in place",
                describe(list)
            ),
        ));
    };
    let text = manifests.lines.text();
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let own_lines = || {
                refuse(
                    manifests,
                    item.start,
                    format!(
                        "{path}[{index}] shares its lines with other entries: only entries written on lines of their \
                         own are moved (pretty-print the file, e.g. with jq, then run fix again)"
                    ),
                )
            };
            let NodeKind::Mapping { flow: true, entries } = &item.kind else {
                return Err(own_lines());
            };
            let close = item.end.saturating_sub(1);
            if text.as_bytes().get(close) != Some(&b'}') || !first_on_line(manifests, item.start) {
                return Err(own_lines());
            }
            let last = manifests.lines.line_of(close);
            let after = &manifests.lines.content(last)[close + 1 - manifests.lines.start(last)..];
            if !after.trim_start().trim_start_matches(',').trim().is_empty() {
                return Err(own_lines());
            }
            let first = manifests.lines.line_of(item.start);
            let column = item.start - manifests.lines.start(first);
            Ok(FlowEntry {
                first,
                last,
                column,
                key_column: entries.first().map(|entry: &Entry| {
                    entry.key_start - manifests.lines.start(manifests.lines.line_of(entry.key_start))
                }),
                close_alone: first_on_line(manifests, close) && last != first,
                close_column: close - manifests.lines.start(last),
                has_restart_policy: entries.iter().any(|entry| entry.key == RESTART_POLICY),
            })
        })
        .collect()
}

fn reindent(line: &str, from: usize, to: usize) -> String {
    crate::edit::reindent(line, from, to)
}

/// `line` with its `,` after the entry's `}` present or not.
fn with_comma(line: &str, close_column: usize, comma: bool) -> String {
    let (head, tail) = line.split_at((close_column + 1).min(line.len()));
    let tail = tail.trim_start().strip_prefix(',').unwrap_or(tail.trim_start());
    format!(
        "{head}{}{}",
        if comma { "," } else { "" },
        if tail.trim().is_empty() { "" } else { tail }
    )
}

/// The entry's lines, moved from column `from` to `to`, with `"restartPolicy": "Always"` as its last key and a `,`
/// after it when `comma`.
fn moved_lines(manifests: &Manifests, entry: &FlowEntry, to: usize, comma: bool) -> Vec<String> {
    let from = entry.column;
    let mut lines: Vec<String> = (entry.first..=entry.last)
        .map(|line| reindent(manifests.lines.content(line), from, to))
        .collect();
    let shift = |column: usize| (column + to).saturating_sub(from);
    let close_column = shift(entry.close_column);
    let policy = "\"restartPolicy\": \"Always\"";
    if !entry.has_restart_policy {
        if entry.close_alone && lines.len() >= 2 {
            let field = lines.len() - 2;
            let trimmed = lines[field].trim_end().to_owned();
            if !trimmed.trim_start().starts_with('{') {
                lines[field] = format!("{trimmed},");
            }
            let column = entry.key_column.map_or(close_column + 2, shift);
            let line = format!("{}{policy}", " ".repeat(column));
            lines.insert(lines.len() - 1, line);
        } else if let Some(last) = lines.last_mut() {
            let (head, tail) = last.split_at(close_column.min(last.len()));
            let head = head.trim_end();
            let separator = if head.ends_with('{') { "" } else { ", " };
            *last = format!("{head}{separator}{policy}{tail}");
        }
    }
    let close_column = lines.last().and_then(|line| line.rfind('}')).unwrap_or(close_column);
    if let Some(last) = lines.last_mut() {
        *last = with_comma(last, close_column, comma);
    }
    lines
}

/// Plans the move in a `{...}` pod spec.
pub(crate) fn plan(
    manifests: &Manifests,
    spec: &Node,
    spec_path: &str,
    moved: &[usize],
    insert_at: usize,
    edits: &mut LineEdits,
) -> Result<(), EditError> {
    let containers_entry = spec.entry("containers").ok_or_else(|| {
        refuse(
            manifests,
            spec.start,
            format!("{spec_path}.containers is not written in this file"),
        )
    })?;
    let containers = flow_entries(manifests, &containers_entry.value, &format!("{spec_path}.containers"))?;
    let source_column = containers.first().map_or(0, |e| e.column);
    for &index in moved {
        if index >= containers.len() {
            return Err(refuse(
                manifests,
                containers_entry.key_start,
                format!("{spec_path}.containers has no entry {index}"),
            ));
        }
    }

    // What stays in `containers`: its new last entry loses its comma.
    if let Some(last_kept) = (0..containers.len()).rev().find(|index| !moved.contains(index))
        && moved.iter().any(|&index| index > last_kept)
    {
        let entry = &containers[last_kept];
        edits.replace(
            entry.last,
            with_comma(manifests.lines.content(entry.last), entry.close_column, false),
        );
    }
    for &index in moved {
        let entry = &containers[index];
        for line in entry.first..=entry.last {
            edits.remove(manifests, line)?;
        }
    }

    let key_line = manifests.lines.line_of(containers_entry.key_start);
    let key_column = containers_entry.key_start - manifests.lines.start(key_line);
    let block = |edits: &mut LineEdits, at: usize, to: usize, comma_after_last: bool| {
        let mut lines = Vec::new();
        for (position, &index) in moved.iter().enumerate() {
            let last = position + 1 == moved.len();
            lines.extend(moved_lines(
                manifests,
                &containers[index],
                to,
                !last || comma_after_last,
            ));
        }
        edits.insert(at, lines);
    };
    match spec.entry("initContainers") {
        None => {
            if !first_on_line(manifests, containers_entry.key_start) {
                return Err(refuse(
                    manifests,
                    containers_entry.key_start,
                    format!(
                        "{spec_path}.containers does not start its line: initContainers cannot be written before it"
                    ),
                ));
            }
            let indent = " ".repeat(key_column);
            edits.insert(key_line, vec![format!("{indent}\"initContainers\": [")]);
            block(edits, key_line, source_column, false);
            edits.insert(key_line, vec![format!("{indent}],")]);
        }
        Some(init) => match &init.value.kind {
            NodeKind::Sequence { flow: true, items } if !items.is_empty() => {
                let entries = flow_entries(manifests, &init.value, &format!("{spec_path}.initContainers"))?;
                let target = entries.first().map_or(source_column, |e| e.column);
                match entries.get(insert_at) {
                    Some(entry) => block(edits, entry.first, target, true),
                    None => {
                        let last = entries.last().copied().ok_or_else(|| {
                            refuse(manifests, init.key_start, "internal error: an empty list".to_owned())
                        })?;
                        edits.replace(
                            last.last,
                            with_comma(manifests.lines.content(last.last), last.close_column, true),
                        );
                        block(edits, last.last + 1, target, false);
                    }
                }
            }
            NodeKind::Sequence { flow: true, .. } | NodeKind::Scalar { plain_null: true } => {
                // `"initContainers": []` or `null`, on one line: the value opens a list that the entries follow.
                let line = manifests.lines.line_of(init.value.start);
                let start = manifests.lines.start(line);
                let content = manifests.lines.content(line);
                let (from, to) = (init.value.start - start, (init.value.end - start).min(content.len()));
                if manifests.lines.line_of(init.value.end.saturating_sub(1)) != line || from >= to {
                    return Err(refuse(
                        manifests,
                        init.value.start,
                        format!("{spec_path}.initContainers is empty across lines: write it as `[]` on one line"),
                    ));
                }
                let init_key_column = init.key_start - manifests.lines.start(manifests.lines.line_of(init.key_start));
                edits.replace(line, format!("{}[", &content[..from]));
                let target = (init_key_column + source_column).saturating_sub(key_column);
                block(edits, line + 1, target, false);
                edits.insert(
                    line + 1,
                    vec![format!("{}]{}", " ".repeat(init_key_column), &content[to..])],
                );
            }
            _ => {
                return Err(refuse(
                    manifests,
                    init.value.start,
                    format!(
                        "{spec_path}.initContainers is written as {}: it is not rewritten in place",
                        describe(&init.value)
                    ),
                ));
            }
        },
    }
    Ok(())
}

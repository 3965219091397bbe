//! The conversion as a text edit on JSON (and on flow-style YAML written the way JSON is pretty-printed): whole
//! lines move, and only the commas that the move makes wrong or missing change.
//!
//! It applies when the pod spec is a `{...}` mapping whose `"containers"` key starts its line and whose container
//! entries each own their lines: `{` first on its line, `}` last (before an optional `,`). `kubectl get -o json`,
//! `jq` and most editors write JSON that way. A moved entry keeps its lines, re-indented to `initContainers`, and
//! gets `"restartPolicy": "Always"` as its last key; a new `"initContainers": [...]` goes right before
//! `"containers"`. Anything else (several entries on a line, a one-line `{"containers": [...]}`) is refused with the
//! reason, and the file is left as it is.

use sidecar_placement_policy::rules::ContainerList;

use super::{ALWAYS, EditError, LineEdits, Move, RESTART_POLICY, refuse, reindent};
use crate::file::Manifests;
use crate::spans::{Node, NodeKind};

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

fn flow_entries(manifests: &Manifests, list: &Node, path: &str) -> Result<Vec<FlowEntry>, EditError> {
    let NodeKind::Sequence { flow: true, items } = &list.kind else {
        return Err(refuse(
            manifests,
            list.start,
            format!(
                "{path} is written as {}, in a {{...}} pod spec: it is not rewritten in place",
                list.describe()
            ),
        ));
    };
    let lines = &manifests.lines;
    let text = lines.text();
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
            let indentation = &lines.content(lines.line_of(item.start))[..lines.column(item.start)];
            if indentation.contains('\t') {
                return Err(refuse(
                    manifests,
                    item.start,
                    format!(
                        "{path}[{index}] is indented with tabs: only entries indented with spaces are moved (re-indent \
                         the file, e.g. with jq, then run fix again)"
                    ),
                ));
            }
            let NodeKind::Mapping { flow: true, entries } = &item.kind else {
                return Err(own_lines());
            };
            let close = item.end.saturating_sub(1);
            if text.as_bytes().get(close) != Some(&b'}') || !lines.starts_line(item.start) {
                return Err(own_lines());
            }
            let last = lines.line_of(close);
            let after = &lines.content(last)[lines.column(close) + 1..];
            if !after.trim_start().trim_start_matches(',').trim().is_empty() {
                return Err(own_lines());
            }
            let first = lines.line_of(item.start);
            Ok(FlowEntry {
                first,
                last,
                column: lines.column(item.start),
                key_column: entries.first().map(|entry| lines.column(entry.key_start)),
                close_alone: lines.starts_line(close) && last != first,
                close_column: lines.column(close),
                has_restart_policy: entries.iter().any(|entry| entry.key == RESTART_POLICY),
            })
        })
        .collect()
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
    let policy = format!("\"{RESTART_POLICY}\": \"{ALWAYS}\"");
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
pub(super) fn plan(manifests: &Manifests, step: &Move, edits: &mut LineEdits) -> Result<(), EditError> {
    let lines = &manifests.lines;
    let containers_path = step.list_path(ContainerList::Containers);
    let init_path = step.list_path(ContainerList::InitContainers);
    let moved = step.plan.moved();
    let containers_entry = step.containers(manifests)?;
    let containers = flow_entries(manifests, &containers_entry.value, &containers_path)?;
    let source_column = containers.first().map_or(0, |e| e.column);
    if let Some(&index) = moved.iter().find(|&&index| index >= containers.len()) {
        return Err(refuse(
            manifests,
            containers_entry.key_start,
            format!("{containers_path} has no entry {index}"),
        ));
    }

    // What stays in `containers`: its new last entry loses its comma.
    if let Some(last_kept) = (0..containers.len()).rev().find(|index| !moved.contains(index))
        && moved.iter().any(|&index| index > last_kept)
    {
        let entry = &containers[last_kept];
        edits.replace(
            entry.last,
            with_comma(lines.content(entry.last), entry.close_column, false),
        );
    }
    for &index in moved {
        let entry = &containers[index];
        for line in entry.first..=entry.last {
            edits.remove(manifests, line)?;
        }
    }

    let key_line = lines.line_of(containers_entry.key_start);
    let key_column = lines.column(containers_entry.key_start);
    let block = |edits: &mut LineEdits, at: usize, to: usize, comma_after_last: bool| {
        let mut block = Vec::new();
        for (position, &index) in moved.iter().enumerate() {
            let last = position + 1 == moved.len();
            block.extend(moved_lines(
                manifests,
                &containers[index],
                to,
                !last || comma_after_last,
            ));
        }
        edits.insert(at, block);
    };
    let init_key = ContainerList::InitContainers.field();
    match step.spec.entry(init_key) {
        None => {
            if !lines.starts_line(containers_entry.key_start) {
                return Err(refuse(
                    manifests,
                    containers_entry.key_start,
                    format!("{containers_path} does not start its line: {init_key} cannot be written before it"),
                ));
            }
            let indent = " ".repeat(key_column);
            edits.insert(key_line, vec![format!("{indent}\"{init_key}\": [")]);
            block(edits, key_line, source_column, false);
            edits.insert(key_line, vec![format!("{indent}],")]);
        }
        Some(init) => match &init.value.kind {
            NodeKind::Sequence { flow: true, items } if !items.is_empty() => {
                let entries = flow_entries(manifests, &init.value, &init_path)?;
                let target = entries.first().map_or(source_column, |e| e.column);
                match entries.get(step.plan.insert_at()) {
                    Some(entry) => block(edits, entry.first, target, true),
                    None => {
                        let last = entries.last().copied().ok_or_else(|| {
                            refuse(manifests, init.key_start, "internal error: an empty list".to_owned())
                        })?;
                        edits.replace(last.last, with_comma(lines.content(last.last), last.close_column, true));
                        block(edits, last.last + 1, target, false);
                    }
                }
            }
            NodeKind::Sequence { flow: true, .. } | NodeKind::Scalar { plain_null: true } => {
                // `"initContainers": []` or `null`, on one line: the value opens a list that the entries follow.
                let line = lines.line_of(init.value.start);
                let content = lines.content(line);
                let (from, to) = (
                    lines.column(init.value.start),
                    (init.value.end - lines.start(line)).min(content.len()),
                );
                if lines.line_of(init.value.end.saturating_sub(1)) != line || from >= to {
                    return Err(refuse(
                        manifests,
                        init.value.start,
                        format!("{init_path} is empty across lines: write it as `[]` on one line"),
                    ));
                }
                let init_key_column = lines.column(init.key_start);
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
                        "{init_path} is written as {}: it is not rewritten in place",
                        init.value.describe()
                    ),
                ));
            }
        },
    }
    Ok(())
}

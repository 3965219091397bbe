//! The move in a block-YAML pod spec.
//!
//! A block-sequence entry owns the lines from its `-` to its last line that is content or a comment indented
//! deeper than the `-`, plus the comment lines directly above its `-` (no blank line between) that are not
//! indented deeper than it. Those lines leave `containers` and arrive, re-indented to the target sequence, as one
//! block at the plan's index of `initContainers`, each entry followed by `restartPolicy: Always` at its keys'
//! indentation. A missing `initContainers:` is written right before `containers:` (and the comments directly above
//! it), at its indentation and in its sequence style.

use sidecar_placement_policy::rules::ContainerList;

use super::{ALWAYS, EditError, LineEdits, Move, RESTART_POLICY, refuse, reindent};
use crate::file::Manifests;
use crate::spans::{Node, NodeKind};
use crate::text::LineKind;

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

/// Plans the move in a block pod spec.
pub(super) fn plan(manifests: &Manifests, step: &Move, edits: &mut LineEdits) -> Result<(), EditError> {
    let lines = &manifests.lines;
    let containers_path = step.list_path(ContainerList::Containers);
    let init_path = step.list_path(ContainerList::InitContainers);
    let containers_entry = step.containers(manifests)?;
    let containers = block_entries(manifests, &containers_entry.value, &containers_path)?;
    let source_dash = containers.first().map_or(0, |e| e.dash_column);

    // Where the block goes, and at which column its `-` stands.
    let (insert_before, target_dash) = match step.spec.entry(ContainerList::InitContainers.field()) {
        None => {
            let key_line = lines.line_of(containers_entry.key_start);
            let key_column = lines.column(containers_entry.key_start);
            let at = comments_above(manifests, key_line, key_column, true);
            let quote = match lines.text().as_bytes().get(containers_entry.key_start) {
                Some(b'"') => "\"",
                Some(b'\'') => "'",
                _ => "",
            };
            let key = format!(
                "{}{quote}{}{quote}:",
                " ".repeat(key_column),
                ContainerList::InitContainers.field()
            );
            edits.insert(at, vec![key]);
            (at, source_dash)
        }
        Some(init) => match &init.value.kind {
            NodeKind::Sequence { flow: false, .. } => {
                let entries = block_entries(manifests, &init.value, &init_path)?;
                let at = match entries.get(step.plan.insert_at()) {
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
                let key_line = lines.line_of(init.key_start);
                if lines.line_of(init.value.start) != key_line {
                    return Err(refuse(
                        manifests,
                        init.key_start,
                        format!("{init_path} has an empty value on another line: write it as `initContainers: []`"),
                    ));
                }
                let start = lines.start(key_line);
                let line = lines.content(key_line);
                let (from, to) = (init.value.start - start, (init.value.end - start).min(line.len()));
                let value = line.get(from..to).unwrap_or_default();
                if !value.is_empty() {
                    let head = line[..from].trim_end();
                    let tail = &line[to..];
                    edits.replace(key_line, format!("{head}{tail}"));
                }
                let offset = source_dash.saturating_sub(lines.column(containers_entry.key_start));
                (key_line + 1, lines.column(init.key_start) + offset)
            }
            _ => {
                return Err(refuse(
                    manifests,
                    init.value.start,
                    format!(
                        "{init_path} is written as {}: only block style is rewritten in place",
                        init.value.describe()
                    ),
                ));
            }
        },
    };

    let mut block = Vec::new();
    for &index in step.plan.moved() {
        let entry = containers.get(index).ok_or_else(|| {
            refuse(
                manifests,
                containers_entry.key_start,
                format!("{containers_path} has no entry {index}"),
            )
        })?;
        let node = containers_entry.value.items().and_then(|items| items.get(index));
        let has_restart_policy = node.is_some_and(|node| node.entry(RESTART_POLICY).is_some());
        for line in entry.first..=entry.last {
            edits.remove(manifests, line)?;
            block.push(reindent(lines.content(line), entry.dash_column, target_dash));
        }
        if !has_restart_policy {
            let column = (entry.key_column + target_dash).saturating_sub(entry.dash_column);
            block.push(format!("{}{RESTART_POLICY}: {ALWAYS}", " ".repeat(column)));
        }
    }
    edits.insert(insert_before, block);
    Ok(())
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
    let lines = &manifests.lines;
    let NodeKind::Sequence { flow: false, items } = &list.kind else {
        return Err(refuse(
            manifests,
            list.start,
            format!(
                "{path} is written as {}: only block style is rewritten in place",
                list.describe()
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
                    item.describe()
                ),
            ));
        }
        let anchor_or_tag = lines.text()[item.start..].starts_with(['&', '!']);
        let dash_byte = manifests
            .dash_before(item.start)
            .filter(|_| !anchor_or_tag)
            .ok_or_else(|| {
                refuse(
                    manifests,
                    item.start,
                    format!("{path}[{index}] starts with an anchor or a tag: it is not moved"),
                )
            })?;
        let dash = lines.line_of(dash_byte);
        let dash_column = lines.column(dash_byte);
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
            key_column: lines.column(item.start),
        });
    }
    // An entry ends at its last content line (or deeper comment) before the next entry or the first line that is
    // content at or left of its `-`.
    let line_count = lines.len();
    for index in 0..entries.len() {
        let bound = entries.get(index + 1).map_or(line_count, |next| next.first);
        let entry = &mut entries[index];
        for line in entry.dash + 1..bound {
            match manifests.kind(line) {
                LineKind::Content(indent) if indent <= entry.dash_column => break,
                LineKind::Content(_) => entry.last = line,
                LineKind::Comment(indent) if indent > entry.dash_column => entry.last = line,
                _ => {}
            }
        }
    }
    Ok(entries)
}

//! The core's conversion carried out as a text edit: whole lines move, everything else stays byte for byte.
//!
//! [`apply`] takes what the core decided (a [`Conversion`] per converted object: the pod spec and its
//! [`MovePlan`]) and decides nothing itself. The pod spec's style picks the editor: block YAML in [`block`], a
//! `{...}` pod spec (JSON, or flow YAML written the way JSON is pretty-printed) in [`flow`]. Both plan line
//! operations into one [`LineEdits`], written out in one pass. The edited text is read back and must give exactly
//! the objects the core's own [`MovePlan::splice`] makes of the originals; if it does not, nothing is converted.

mod block;
mod flow;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use sidecar_placement_policy::mutation::MovePlan;
// RESTART_POLICY and ALWAYS: the key and value that make an init container a native sidecar, as the core spells them.
use sidecar_placement_policy::rules::{ALWAYS, ContainerList, RESTART_POLICY};
use sidecar_placement_policy::verdict::Conversion;
use sidecar_placement_policy::workload::PodSpecPath;

use crate::file::Manifests;
use crate::spans::{Entry, Node, NodeKind};
use crate::text::Position;

/// The text after the edit, and what happened to each line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    pub text: String,
    /// Every line of the output and every line that left, in reading order: what a diff view shows.
    pub view: Vec<ViewLine>,
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

/// One conversion located in the text: the pod spec's node and the core's plan, as the core made it.
struct Move<'a> {
    /// The pod spec as written.
    spec: &'a Node,
    /// Where the pod spec is in the object.
    path: PodSpecPath,
    /// Which entries of `containers` move (strictly ascending) and where they land in `initContainers`.
    plan: &'a MovePlan,
}

impl<'a> Move<'a> {
    /// `spec.template.spec.containers` or `...initContainers`, as messages name a list.
    fn list_path(&self, list: ContainerList) -> String {
        format!("{}.{}", self.path.display(), list.field())
    }

    /// The pod spec's `containers` entry, which every move starts from.
    fn containers(&self, manifests: &Manifests) -> Result<&'a Entry, EditError> {
        self.spec.entry(ContainerList::Containers.field()).ok_or_else(|| {
            refuse(
                manifests,
                self.spec.start,
                format!(
                    "{} is not written in this file",
                    self.list_path(ContainerList::Containers)
                ),
            )
        })
    }
}

/// Applies the core's conversions (`(index into Manifests::objects, conversion)`) to the text of `manifests`, and
/// checks that the result reads back as the core's mutation of every object.
pub fn apply(manifests: &Manifests, conversions: &[(usize, &Conversion)]) -> Result<Edited, EditError> {
    if let Some(error) = manifests.positions_error() {
        return Err(EditError {
            message: format!(
                "the positions in this file cannot be read, so it is not edited: {}",
                error.message
            ),
            position: error.position,
        });
    }
    let objects = manifests.objects();
    let mut edits = LineEdits::default();
    for &(index, conversion) in conversions {
        let object = objects.get(index).ok_or_else(|| EditError {
            message: "internal error: the conversion names an object the file does not have".to_owned(),
            position: None,
        })?;
        let root = object.node().ok_or_else(|| EditError {
            message: "the positions in this file are unknown (JSON that is not also YAML, e.g. tab-indented): it \
                      cannot be rewritten in place"
                .to_owned(),
            position: Some(object.position()),
        })?;
        let path = conversion.spec;
        let spec = root.pointer(path.pointer()).ok_or_else(|| {
            refuse(
                manifests,
                root.start,
                format!("{} is not written in this file", path.display()),
            )
        })?;
        let step = Move {
            spec,
            path,
            plan: &conversion.plan,
        };
        match spec.kind {
            NodeKind::Mapping { flow: false, .. } => block::plan(manifests, &step, &mut edits)?,
            NodeKind::Mapping { flow: true, .. } => flow::plan(manifests, &step, &mut edits)?,
            _ => {
                return Err(refuse(
                    manifests,
                    spec.start,
                    format!(
                        "{} is written as {}: only a mapping is rewritten in place",
                        path.display(),
                        spec.describe()
                    ),
                ));
            }
        }
    }
    let edited = edits.write(manifests);
    verify(manifests, conversions, &edited.text)?;
    Ok(edited)
}

/// The edited text must read as the core's conversion, object for object: the original values with each plan
/// carried out by the core's own [`MovePlan::splice`].
fn verify(manifests: &Manifests, conversions: &[(usize, &Conversion)], text: &str) -> Result<(), EditError> {
    let mismatch = |detail: String| EditError {
        message: format!(
            "the rewritten text would not read as the policy's conversion ({detail}); the file is left as it is, \
             please report it"
        ),
        position: None,
    };
    let mut expected: Vec<Value> = manifests.objects().iter().map(|o| o.value.clone()).collect();
    for &(index, conversion) in conversions {
        let object = expected
            .get_mut(index)
            .ok_or_else(|| mismatch(format!("no object {index}")))?;
        let converted = conversion
            .plan
            .splice(&object.to_string(), conversion.spec)
            .map_err(|error| mismatch(error.to_string()))?;
        *object = serde_json::from_str(&converted).map_err(|error| mismatch(error.to_string()))?;
    }
    let reread = Manifests::parse(text).map_err(|error| mismatch(format!("it does not parse: {error}")))?;
    let objects = reread.objects();
    if objects.len() != expected.len() {
        return Err(mismatch(format!(
            "{} objects instead of {}",
            objects.len(),
            expected.len()
        )));
    }
    match objects
        .iter()
        .zip(&expected)
        .position(|(object, expected)| object.value != expected)
    {
        Some(index) => Err(mismatch(format!("object {} differs", index + 1))),
        None => Ok(()),
    }
}

/// An edit refused because of what is written at byte offset `byte`.
fn refuse(manifests: &Manifests, byte: usize, message: String) -> EditError {
    EditError {
        message,
        position: Some(manifests.lines.position(byte)),
    }
}

/// Moves a line from one indentation to another; blank lines stay as they are.
fn reindent(line: &str, from: usize, to: usize) -> String {
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

/// The line operations of every move, applied in one pass.
#[derive(Default)]
struct LineEdits {
    removed: BTreeSet<usize>,
    /// Before which input line (the line count for the end) which new lines go.
    inserted: BTreeMap<usize, Vec<String>>,
    replaced: BTreeMap<usize, String>,
}

impl LineEdits {
    /// New lines before input line `at` (the line count for the end), after those already planned there.
    fn insert(&mut self, at: usize, lines: Vec<String>) {
        self.inserted.entry(at).or_default().extend(lines);
    }

    /// Input line `line` written as `text` instead.
    fn replace(&mut self, line: usize, text: String) {
        self.replaced.insert(line, text);
    }

    /// Input line `line` leaves.
    fn remove(&mut self, manifests: &Manifests, line: usize) -> Result<(), EditError> {
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

    fn write(self, manifests: &Manifests) -> Edited {
        let lines = &manifests.lines;
        let newline = lines.newline();
        let count = lines.len();
        let ends_with_newline = lines.text().ends_with('\n') || lines.text().is_empty();
        // (text, the input line it is)
        let mut out: Vec<(&str, Option<usize>)> = Vec::with_capacity(count + 8);
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
                    out.push((text.as_str(), None));
                }
            }
            if line == count {
                break;
            }
            if self.removed.contains(&line) {
                show(lines.content(line), Change::Left);
            } else if let Some(text) = self.replaced.get(&line) {
                show(lines.content(line), Change::Left);
                show(text, Change::Arrived);
                out.push((text, Some(line)));
            } else {
                show(lines.content(line), Change::Kept);
                out.push((lines.content(line), Some(line)));
            }
        }
        // A kept line keeps its own line break; a new one gets the file's. A file without a final line break keeps
        // ending without one.
        let mut text = String::with_capacity(lines.text().len() + 64);
        for (index, (line, original)) in out.iter().enumerate() {
            text.push_str(line);
            if index + 1 < out.len() || ends_with_newline {
                let own = original
                    .map(|l| &lines.full(l)[lines.content(l).len()..])
                    .filter(|b| !b.is_empty());
                text.push_str(own.unwrap_or(newline));
            }
        }
        Edited { text, view }
    }
}

#[cfg(test)]
mod tests {
    //! Every refusal of the text edit, each with its reason and where: what cannot be rewritten keeping everything
    //! else byte for byte is left alone and said so.

    use rstest::rstest;
    use sidecar_placement_policy::settings::Settings;

    use super::*;
    use crate::{OFFLINE, Request, evaluate, policy};

    /// The core's conversions of every object of `text`, applied to its text.
    fn fix(text: &str) -> Result<Edited, EditError> {
        let settings = Settings {
            sidecar_images: vec!["hashicorp/vault".to_owned()],
            ..Settings::default()
        };
        let policy = policy::for_fix(&settings, None).expect("policy");
        let manifests = Manifests::parse(text).expect("readable");
        let conversions: Vec<(usize, Conversion)> = manifests
            .objects()
            .iter()
            .enumerate()
            .filter_map(
                |(index, object)| match evaluate(Request::create(object.value), &policy, OFFLINE) {
                    sidecar_placement_policy::Verdict::Mutate { conversion, .. } => Some((index, conversion)),
                    _ => None,
                },
            )
            .collect();
        assert!(!conversions.is_empty(), "the core converts something in:\n{text}");
        let conversions: Vec<(usize, &Conversion)> = conversions.iter().map(|(i, c)| (*i, c)).collect();
        apply(&manifests, &conversions)
    }

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n";

    #[rstest]
    #[case::spec_is_an_alias(
        "x-spec: &spec\n  containers:\n  - name: app\n  - name: v\n    image: hashicorp/vault\napiVersion: v1\nkind: Pod\nspec: *spec\n",
        "spec is written as an alias (*name): only a mapping is rewritten in place",
        8
    )]
    #[case::containers_as_an_alias(
        "x: &list\n- name: app\n- name: v\n  image: hashicorp/vault\napiVersion: v1\nkind: Pod\nspec:\n  containers: *list\n",
        "spec.containers is written as an alias (*name): only block style is rewritten in place",
        8
    )]
    #[case::flow_sequence_in_block_spec(
        "spec:\n  containers: [{name: app}, {name: v, image: hashicorp/vault}]\n",
        "spec.containers is written as a flow sequence ([...]): only block style is rewritten in place",
        6
    )]
    #[case::flow_mapping_entry(
        "spec:\n  containers:\n  - name: app\n  - {name: v, image: hashicorp/vault}\n",
        "spec.containers[1] is written as a flow mapping ({...}): only block style is rewritten in place",
        8
    )]
    #[case::entry_with_a_tag(
        "spec:\n  containers:\n  - name: app\n  - !!map\n    name: v\n    image: hashicorp/vault\n",
        "spec.containers[1] starts with an anchor or a tag: it is not moved",
        8
    )]
    #[case::entry_with_an_anchor(
        "spec:\n  containers:\n  - name: app\n  - &agent\n    name: v\n    image: hashicorp/vault\n",
        "spec.containers[1] starts with an anchor or a tag: it is not moved",
        8
    )]
    #[case::empty_init_containers_on_another_line(
        "spec:\n  initContainers:\n    []\n  containers:\n  - name: app\n  - name: v\n    image: hashicorp/vault\n",
        "spec.initContainers has an empty value on another line: write it as `initContainers: []`",
        6
    )]
    #[case::init_containers_as_an_alias(
        "x: &none []\napiVersion: v1\nkind: Pod\nspec:\n  initContainers: *none\n  containers:\n  - name: app\n  - name: v\n    image: hashicorp/vault\n",
        "spec.initContainers is written as an alias (*name): only block style is rewritten in place",
        5
    )]
    #[case::json_on_one_line(
        "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"spec\": {\"containers\": [{\"name\": \"app\"}, {\"name\": \"v\", \"image\": \"hashicorp/vault\"}]}}\n",
        "spec.containers[0] shares its lines with other entries: only entries written on lines of their own are moved",
        1
    )]
    #[case::json_key_that_does_not_start_its_line(
        "{\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n \"spec\": {\"restartPolicy\": \"Always\", \"containers\": [\n  {\"name\": \"app\"},\n  {\"name\": \"v\", \"image\": \"hashicorp/vault\"}\n ]}\n}\n",
        "spec.containers does not start its line: initContainers cannot be written before it",
        2
    )]
    #[case::json_empty_init_containers_across_lines(
        "{\n \"apiVersion\": \"v1\",\n \"kind\": \"Pod\",\n \"spec\": {\n  \"initContainers\": [\n  ],\n  \"containers\": [\n   {\"name\": \"app\"},\n   {\"name\": \"v\", \"image\": \"hashicorp/vault\"}\n  ]\n }\n}\n",
        "spec.initContainers is empty across lines: write it as `[]` on one line",
        5
    )]
    #[case::json_indented_with_tabs(
        "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Pod\",\n\t\"spec\": {\n\t\t\"containers\": [\n\t\t\t{\"name\": \"app\"},\n\t\t\t{\"name\": \"v\", \"image\": \"hashicorp/vault\"}\n\t\t]\n\t}\n}\n",
        "spec.containers[0] is indented with tabs: only entries indented with spaces are moved",
        6
    )]
    fn what_cannot_be_rewritten_in_place_is_refused_with_the_reason(
        #[case] body: &str,
        #[case] message: &str,
        #[case] line: usize,
    ) {
        let text = if body.starts_with('{') || body.starts_with("x") {
            body.to_owned()
        } else {
            format!("{POD}{body}")
        };
        let error = fix(&text).expect_err("refused");
        assert!(error.message.contains(message), "{error:?}\n{text}");
        assert_eq!(error.position.map(|p| p.line), Some(line), "{error:?}\n{text}");
    }
}

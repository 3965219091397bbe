//! What a run found, printed as text (`FILE:LINE:COL: KIND NAMESPACE/NAME: MESSAGE`), JSON or SARIF 2.1.0, and
//! the exit status it comes to.

use std::io::Write;

use std::collections::HashMap;

use serde_json::{Value, json};
use sidecar_placement_manifests::{Finding, Moved, Position, Rule};

use crate::owners::Owners;

/// Exit statuses: nothing found, findings (or a conversion refused, or one `fix --diff` would make), and a usage
/// error, bad settings or an input that could not be read.
pub const CLEAN: u8 = 0;
pub const FOUND: u8 = 1;
pub const FAILED: u8 = 2;

/// How `check` prints its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
}

/// A finding in a file.
#[derive(Debug, Clone)]
pub struct Problem {
    pub file: String,
    pub finding: Finding,
    /// The object's `metadata.uid`.
    pub uid: Option<String>,
    /// How many other objects it owns (in the input) had the same problem, reported through this one instead.
    pub folded: usize,
}

/// Everything a run saw.
#[derive(Debug, Default)]
pub struct Report {
    files: usize,
    objects: usize,
    problems: Vec<Problem>,
    /// Every object read and its owners, to report a finding through its top-most owner.
    owners: Owners,
    /// Inputs that could not be read, parsed or written: reported on standard error as they happen.
    failures: usize,
    /// Files found by walking a directory that are not manifests (Helm templates, broken files): skipped.
    skipped: usize,
    /// `fix`: files converted, sidecars moved, files whose conversion was refused.
    converted_files: usize,
    moved: usize,
    refused_files: usize,
    /// `fix --diff`: some file would change.
    would_change: bool,
}

impl Report {
    /// A file read, with its objects.
    pub fn file(&mut self, objects: usize) {
        self.files += 1;
        self.objects += objects;
    }

    /// An object read: its uid and its owners' uids, if it has them.
    pub fn object(&mut self, object: &Value) {
        self.owners.add(object);
    }

    pub fn problem(&mut self, file: &str, finding: Finding, uid: Option<&str>) {
        self.problems.push(Problem {
            file: file.to_owned(),
            finding,
            uid: uid.map(str::to_owned),
            folded: 0,
        });
    }

    /// The problems to print: those of an object whose owner is also in the input are folded into the top-most
    /// owner's (or, when it has none, into those of the highest object under it that has some), with the count.
    fn folded(&self) -> Vec<Problem> {
        // For each top-most owner: the depth and uid of the object whose problems are reported, and the other
        // objects with problems under it.
        let mut chosen: HashMap<&str, (usize, &str, Vec<&str>)> = HashMap::new();
        for uid in self.problems.iter().filter_map(|p| p.uid.as_deref()) {
            let (root, depth) = self.owners.root(uid);
            let entry = chosen.entry(root).or_insert((depth, uid, Vec::new()));
            if entry.1 == uid || entry.2.contains(&uid) {
                continue;
            }
            if depth < entry.0 {
                let previous = std::mem::replace(&mut entry.1, uid);
                entry.0 = depth;
                entry.2.push(previous);
            } else {
                entry.2.push(uid);
            }
        }
        self.problems
            .iter()
            .filter_map(|problem| {
                let Some(uid) = problem.uid.as_deref() else {
                    return Some(problem.clone());
                };
                let (depth_uid, others) = match chosen.get(self.owners.root(uid).0) {
                    Some((_, reported, others)) => (*reported, others.len()),
                    None => (uid, 0),
                };
                (depth_uid == uid).then(|| Problem {
                    folded: others,
                    ..problem.clone()
                })
            })
            .collect()
    }

    /// An input that could not be read, parsed or written; printed at once, the run goes on.
    pub fn failed(&mut self, name: &str, position: Option<Position>, message: &str) {
        self.failures += 1;
        eprintln!("{}: error: {message}", located(name, position));
    }

    /// A file found by walking a directory that is not a manifest; printed at once, the exit status is not touched.
    pub fn skipped(&mut self, name: &str, position: Option<Position>, message: &str) {
        self.skipped += 1;
        eprintln!("{}: skipped: {message}", located(name, position));
    }

    /// `fix`: a file left as it is because some problem cannot be converted.
    pub fn refused(&mut self, name: &str, problems: Vec<Finding>) {
        self.refused_files += 1;
        for finding in problems {
            eprintln!(
                "{}: not converted: {}",
                located(name, Some(finding.position)),
                said(&finding)
            );
            self.problem(name, finding, None);
        }
        eprintln!("{name}: left as it is: the conversion is refused for the reasons above");
    }

    /// `fix`: a file converted (or that would be, with `--diff`).
    pub fn converted(&mut self, name: &str, moved: &[Moved], diff: bool) {
        self.converted_files += 1;
        self.moved += moved.len();
        self.would_change |= diff;
        let verb = if diff { "would move" } else { "moved" };
        for Moved { quoted_name, position } in moved {
            eprintln!(
                "{}: {verb} container {quoted_name} to initContainers as a native sidecar",
                located(name, Some(*position))
            );
        }
    }

    /// 0 nothing found, 1 findings, refused conversions or (with `fix --diff`) a change to make, 2 when some input
    /// failed.
    pub fn status(&self) -> u8 {
        if self.failures > 0 {
            FAILED
        } else if !self.problems.is_empty() || self.would_change {
            FOUND
        } else {
            CLEAN
        }
    }

    /// `check`'s output.
    pub fn print(&self, format: Format, out: &mut impl Write) {
        let problems = self.folded();
        let written = match format {
            Format::Text => self.print_text(&problems, out),
            Format::Json => writeln!(out, "{}", pretty(&Value::Array(problems.iter().map(to_json).collect()))),
            Format::Sarif => writeln!(out, "{}", pretty(&sarif(&problems))),
        };
        if written.is_err() {
            eprintln!("sidecar-placement: cannot write the report to standard output");
        }
    }

    fn print_text(&self, problems: &[Problem], out: &mut impl Write) -> std::io::Result<()> {
        for problem in problems {
            writeln!(
                out,
                "{}: {}{}",
                located(&problem.file, Some(problem.finding.position)),
                said(&problem.finding),
                folded(problem.folded)
            )?;
        }
        writeln!(
            out,
            "{}, {}, {}{}",
            count(self.files, "file"),
            count(self.objects, "object"),
            count(problems.len(), "finding"),
            self.tail()
        )
    }

    /// `fix`'s summary, on standard error when standard output carries a diff or the fixed text.
    pub fn print_fix(&self, diff: bool, to_stderr: bool, out: &mut impl Write) {
        let files = |n| count(n, "file");
        let line = format!(
            "{}, {}: {} {} in {}{}{}",
            files(self.files),
            count(self.objects, "object"),
            count(self.moved, "sidecar"),
            if diff { "would move" } else { "moved" },
            files(self.converted_files),
            if self.refused_files > 0 {
                format!(
                    ", {} left as {}",
                    files(self.refused_files),
                    if self.refused_files == 1 { "it is" } else { "they are" }
                )
            } else {
                String::new()
            },
            self.tail()
        );
        if to_stderr || writeln!(out, "{line}").is_err() {
            eprintln!("{line}");
        }
    }

    /// `, N skipped, N errors` when there were any.
    fn tail(&self) -> String {
        let mut tail = String::new();
        if self.skipped > 0 {
            tail.push_str(&format!(", {} skipped", self.skipped));
        }
        if self.failures > 0 {
            tail.push_str(&format!(", {}", count(self.failures, "error")));
        }
        tail
    }
}

/// `FILE:LINE:COL`, or `FILE` when the position is unknown.
fn located(name: &str, position: Option<Position>) -> String {
    match position {
        Some(at) => format!("{name}:{}:{}", at.line, at.column),
        None => name.to_owned(),
    }
}

/// `Deployment monitoring/web: MESSAGE (from chart/templates/web.yaml)`: which object, what the core said, and the
/// template it came from.
fn said(finding: &Finding) -> String {
    let object = match (&finding.namespace, &finding.name) {
        (Some(namespace), Some(name)) => format!("{} {namespace}/{name}", finding.kind),
        (None, Some(name)) => format!("{} {name}", finding.kind),
        (_, None) => finding.kind.clone(),
    };
    let source = finding
        .source
        .as_deref()
        .map(|source| format!(" (from {source})"))
        .unwrap_or_default();
    format!("{object}: {}{source}", finding.message)
}

/// ` (also in 3 objects it owns)`: the objects whose findings were reported through this one.
fn folded(count: usize) -> String {
    match count {
        0 => String::new(),
        1 => " (also in 1 object it owns)".to_owned(),
        n => format!(" (also in {n} objects it owns)"),
    }
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// A finding as JSON. `line`, `column`, `document` and `item` all count from 1.
fn to_json(
    Problem {
        file, finding, folded, ..
    }: &Problem,
) -> Value {
    json!({
        "file": file,
        "line": finding.position.line,
        "column": finding.position.column,
        "document": finding.document + 1,
        "item": finding.item.map(|item| item + 1),
        "kind": finding.kind,
        "namespace": finding.namespace,
        "name": finding.name,
        "source": finding.source,
        "container": finding.container,
        "image": finding.image,
        "path": finding.path,
        "pointer": finding.pointer,
        "rule": finding.rule.id(),
        "message": finding.message,
        "folded": folded,
    })
}

/// SARIF 2.1.0 as GitHub code scanning reads it: one rule per kind of problem, a physical location per result (the
/// template a rendered object came from, when it says so: that is the file a person edits).
fn sarif(problems: &[Problem]) -> Value {
    let rules: Vec<Value> = Rule::ALL
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id(),
                "shortDescription": {"text": rule.summary()},
                "helpUri": "https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/",
                "defaultConfiguration": {"level": "error"},
            })
        })
        .collect();
    let results: Vec<Value> = problems
        .iter()
        .map(
            |Problem {
                 file,
                 finding,
                 folded: count,
                 ..
             }| {
                let location = match &finding.source {
                    Some(source) => json!({"artifactLocation": {"uri": uri(source)}}),
                    None => json!({
                        "artifactLocation": {"uri": uri(file)},
                        "region": {"startLine": finding.position.line, "startColumn": finding.position.column},
                    }),
                };
                json!({
                    "ruleId": finding.rule.id(),
                    "ruleIndex": Rule::ALL.iter().position(|rule| *rule == finding.rule).unwrap_or_default(),
                    "level": "error",
                    "message": {"text": format!("{}{}", said(finding), folded(*count))},
                    "locations": [{"physicalLocation": location}],
                })
            },
        )
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "sidecar-placement",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/sidecar-placement/sidecar-placement-policy",
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

/// A relative URI reference for a path as given (`./deploy/app.yaml` → `deploy/app.yaml`), as code scanning
/// resolves it against the repository root.
fn uri(file: &str) -> String {
    let path = file.replace('\\', "/");
    let path = path.trim_start_matches("./");
    if path == "-" {
        "stdin".to_owned()
    } else {
        path.replace(' ', "%20")
    }
}

/// A unified diff of one file, as `git diff` prints it (`a/` and `b/` before a relative path; an absolute path is
/// printed as it is, as `diff -u` does).
pub fn diff(name: &str, before: &str, after: &str, out: &mut impl Write) {
    let diff = similar::TextDiff::from_lines(before, after);
    let (old, new) = if name.starts_with('/') {
        (name.to_owned(), name.to_owned())
    } else {
        (format!("a/{name}"), format!("b/{name}"))
    };
    let text = diff.unified_diff().context_radius(3).header(&old, &new).to_string();
    let _ = out.write_all(text.as_bytes());
}

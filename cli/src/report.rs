//! What a run found, printed as text (`FILE:LINE:COL: MESSAGE`), JSON or SARIF 2.1.0, and its exit status.

use std::io::Write;

use serde_json::{Value, json};
use sidecar_placement_manifests::{Finding, Position, Rule};

use crate::inputs::Input;
use crate::{FAILED, FOUND};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

/// Everything a run saw.
#[derive(Debug, Default)]
pub struct Report {
    files: usize,
    objects: usize,
    problems: Vec<Problem>,
    /// Inputs that could not be read, parsed or written: reported on standard error as they happen.
    failures: usize,
    /// `fix`: files converted, sidecars moved, files whose conversion was refused.
    converted_files: usize,
    moved: usize,
    refused_files: usize,
}

impl Report {
    pub fn file(&mut self, objects: usize) {
        self.files += 1;
        self.objects += objects;
    }

    pub fn problem(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// An input that could not be read, parsed or written; printed at once, the run goes on.
    pub fn unreadable(&mut self, input: &Input, position: Option<Position>, message: &str) {
        self.failures += 1;
        match position {
            Some(at) => eprintln!("{}:{}:{}: error: {message}", input.name(), at.line, at.column),
            None => eprintln!("{}: error: {message}", input.name()),
        }
    }

    /// `fix`: a file left as it is because some problem cannot be converted.
    pub fn refused(&mut self, input: &Input, problems: Vec<Finding>) {
        self.refused_files += 1;
        for finding in problems {
            eprintln!(
                "{}:{}:{}: not converted: {}",
                input.name(),
                finding.position.line,
                finding.position.column,
                finding.message
            );
            self.problems.push(Problem {
                file: input.name(),
                finding,
            });
        }
        eprintln!(
            "{}: left as it is: the conversion is refused for the reasons above",
            input.name()
        );
    }

    /// `fix`: a file converted (or that would be, with `--diff`).
    pub fn converted(&mut self, input: &Input, moved: Vec<Finding>) {
        self.converted_files += 1;
        self.moved += moved.len();
        for finding in moved {
            eprintln!(
                "{}:{}:{}: moved container {} to initContainers as a native sidecar",
                input.name(),
                finding.position.line,
                finding.position.column,
                finding
                    .container
                    .as_deref()
                    .map_or("(unnamed)".to_owned(), |name| format!("'{name}'")),
            );
        }
    }

    /// 0 nothing found, 1 findings or refused conversions, 2 when some input failed.
    pub fn status(&self) -> u8 {
        if self.failures > 0 {
            FAILED
        } else if !self.problems.is_empty() {
            FOUND
        } else {
            0
        }
    }

    /// `check`'s output.
    pub fn print(&self, format: Format, out: &mut impl Write) {
        let written = match format {
            Format::Text => self.print_text(out),
            Format::Json => writeln!(
                out,
                "{}",
                pretty(&Value::Array(self.problems.iter().map(to_json).collect()))
            ),
            Format::Sarif => writeln!(out, "{}", pretty(&sarif(&self.problems))),
        };
        if written.is_err() {
            eprintln!("sidecar-placement: cannot write the report to standard output");
        }
    }

    fn print_text(&self, out: &mut impl Write) -> std::io::Result<()> {
        for Problem { file, finding } in &self.problems {
            writeln!(
                out,
                "{file}:{}:{}: {}",
                finding.position.line, finding.position.column, finding.message
            )?;
        }
        writeln!(
            out,
            "{}, {}, {}{}",
            count(self.files, "file"),
            count(self.objects, "object"),
            count(self.problems.len(), "finding"),
            if self.failures > 0 {
                format!(", {}", count(self.failures, "error"))
            } else {
                String::new()
            }
        )
    }

    /// `fix`'s summary, on standard error when standard output carries a diff or the fixed text.
    pub fn print_fix(&self, to_stderr: bool, out: &mut impl Write) {
        let line = format!(
            "{}, {}: {} moved in {}{}{}",
            count(self.files, "file"),
            count(self.objects, "object"),
            count(self.moved, "sidecar"),
            count(self.converted_files, "file"),
            if self.refused_files > 0 {
                format!(", {} left as they are", count(self.refused_files, "file"))
            } else {
                String::new()
            },
            if self.failures > 0 {
                format!(", {}", count(self.failures, "error"))
            } else {
                String::new()
            }
        );
        if to_stderr || writeln!(out, "{line}").is_err() {
            eprintln!("{line}");
        }
    }
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn to_json(Problem { file, finding }: &Problem) -> Value {
    json!({
        "file": file,
        "line": finding.position.line,
        "column": finding.position.column,
        "document": finding.document,
        "item": finding.item,
        "kind": finding.kind,
        "name": finding.name,
        "container": finding.container,
        "image": finding.image,
        "path": finding.path,
        "pointer": finding.pointer,
        "rule": finding.rule.id(),
        "message": finding.message,
    })
}

/// SARIF 2.1.0 as GitHub code scanning reads it: one rule per kind of problem, a physical location per result.
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
        .map(|Problem { file, finding }| {
            json!({
                "ruleId": finding.rule.id(),
                "ruleIndex": Rule::ALL.iter().position(|rule| *rule == finding.rule).unwrap_or_default(),
                "level": "error",
                "message": {"text": finding.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(file)},
                        "region": {"startLine": finding.position.line, "startColumn": finding.position.column},
                    }
                }],
            })
        })
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

/// A unified diff of one file, as `git diff` prints it.
pub fn diff(name: &str, before: &str, after: &str, out: &mut impl Write) {
    let diff = similar::TextDiff::from_lines(before, after);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string();
    let _ = out.write_all(text.as_bytes());
}

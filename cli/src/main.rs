//! `sidecar-placement`: the sidecar placement policy over Kubernetes manifest files, offline.
//!
//! A thin adapter: files come from [`inputs`], settings from [`settings`], every decision from the policy's core
//! through `sidecar-placement-manifests` (one `evaluate` per object, the same call the playground makes), every
//! conversion is the core's plan carried out by `edit::apply`, and [`report`] prints what came of it and owns the
//! exit status.

mod inputs;
mod owners;
mod report;
mod settings;

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use sidecar_placement_manifests::{Manifests, OFFLINE, Request, edit, evaluate, findings, moved, policy};
use sidecar_placement_policy::settings::{Placement, Policy, Settings, SettingsError};
use sidecar_placement_policy::verdict::{Conversion, Verdict};

use crate::inputs::{Input, InputError};
use crate::report::{FAILED, Format, Report};

const EXAMPLES: &str = "\
Examples:
  sidecar-placement check --settings policies/protect.yaml deploy/
  helm template my-release ./chart | sidecar-placement check --settings settings.yaml -
  kubectl get pods,deployments,statefulsets,daemonsets,replicasets,jobs,cronjobs -A -o yaml | sidecar-placement check --settings settings.yaml -
  sidecar-placement check --settings settings.yaml --format sarif . > sidecar-placement.sarif
  sidecar-placement fix --settings settings.yaml --diff deploy/
  sidecar-placement fix --settings settings.yaml --placement beforeInitContainers deploy/

Exit status: 0 nothing found, 1 findings (or a conversion that was refused, or one that fix --diff would make),
2 usage error, bad settings, or an input that could not be read. Files found in a directory that are not
manifests (Helm templates, broken YAML) are skipped with a notice, unless --strict.";

/// Sidecars belong in initContainers with `restartPolicy: Always` (native sidecars, Kubernetes 1.29+). Checks
/// and converts Kubernetes manifests with the policy's own code, offline: no cluster is consulted.
#[derive(Debug, Parser)]
#[command(name = "sidecar-placement", version, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Report every sidecar placed in `containers` (and, with restrictNativeSidecars, unapproved native sidecars).
    #[command(after_help = EXAMPLES)]
    Check {
        #[command(flatten)]
        common: Common,
        /// How to print the findings.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Move every misplaced sidecar into `initContainers` with `restartPolicy: Always`, editing only the moved
    /// lines: comments, quoting, indentation and every other document stay byte for byte.
    #[command(after_help = EXAMPLES)]
    Fix {
        #[command(flatten)]
        common: Common,
        /// Where converted sidecars go (default: the settings' `placement`, else afterInitContainers).
        #[arg(long, value_enum)]
        placement: Option<PlacementArg>,
        /// Print a unified diff instead of writing the files; exit 1 when some file would change.
        #[arg(long)]
        diff: bool,
    },
}

#[derive(Debug, clap::Args)]
struct Common {
    /// The policy's settings (YAML or JSON), or a file with a ClusterAdmissionPolicy / AdmissionPolicy manifest
    /// (alone or among other documents) whose `spec.settings` are used.
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// A file found in a directory that is not a manifest (a Helm template, broken YAML) is an error, as a file
    /// named on the command line is, instead of being skipped with a notice.
    #[arg(long)]
    strict: bool,
    /// Files, directories (every *.yaml, *.yml and *.json below them, hidden directories skipped), or `-` for
    /// standard input.
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "camelCase")]
enum PlacementArg {
    AfterInitContainers,
    BeforeInitContainers,
}

impl From<PlacementArg> for Placement {
    fn from(placement: PlacementArg) -> Self {
        match placement {
            PlacementArg::AfterInitContainers => Placement::AfterInitContainers,
            PlacementArg::BeforeInitContainers => Placement::BeforeInitContainers,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Buffered: a report of thousands of findings is one write, not one per line.
    let mut out = BufWriter::new(std::io::stdout().lock());
    let status = match cli.command {
        Command::Check { common, format } => run_check(&common, format, &mut out),
        Command::Fix {
            common,
            placement,
            diff,
        } => run_fix(&common, placement.map(Placement::from), diff, &mut out),
    };
    let _ = out.flush();
    ExitCode::from(status)
}

fn run_check(common: &Common, format: Format, out: &mut impl Write) -> u8 {
    let policy = match load_policy(common, policy::for_check) {
        Ok(policy) => policy,
        Err(status) => return status,
    };
    let mut report = Report::default();
    for input in inputs::collect(&common.paths) {
        let Some((input, text)) = read(input, &mut report) else {
            continue;
        };
        let Some(manifests) = parse(&input, &text, common.strict, &mut report) else {
            continue;
        };
        let name = input.name();
        for object in manifests.objects() {
            report.object(object.value);
            if let Verdict::Reject {
                message,
                findings: found,
                ..
            } = evaluate(Request::create(object.value), &policy, OFFLINE)
            {
                for finding in findings(&object, &found, &message, policy.remedy().wording()) {
                    report.problem(&name, finding, owners::uid(object.value));
                }
            }
        }
    }
    report.print(format, out);
    report.status()
}

fn run_fix(common: &Common, placement: Option<Placement>, diff: bool, out: &mut impl Write) -> u8 {
    let policy = match load_policy(common, |settings| policy::for_fix(settings, placement)) {
        Ok(policy) => policy,
        Err(status) => return status,
    };
    let mut report = Report::default();
    let inputs = inputs::collect(&common.paths);
    // Standard input is fixed to standard output, which then carries nothing else.
    let to_stdout = inputs.contains(&Ok(Input::Stdin)) && !diff;
    for input in inputs {
        let Some((input, text)) = read(input, &mut report) else {
            continue;
        };
        // Whatever happens to standard input, standard output gets a text: the converted one, or the input as it was.
        let echo = |out: &mut dyn Write| {
            if input == Input::Stdin && !diff {
                let _ = out.write_all(text.as_bytes());
            }
        };
        let Some(manifests) = parse(&input, &text, common.strict, &mut report) else {
            echo(out);
            continue;
        };
        let name = input.name();
        // One decision per object, by the core; its conversions go to the text edit as they are.
        let mut conversions: Vec<(usize, Conversion)> = Vec::new();
        let mut problems = Vec::new();
        let mut moving = Vec::new();
        for (index, object) in manifests.objects().iter().enumerate() {
            match evaluate(Request::create(object.value), &policy, OFFLINE) {
                Verdict::Accept { .. } => {}
                Verdict::Reject {
                    message,
                    findings: found,
                    ..
                } => problems.extend(findings(object, &found, &message, policy.remedy().wording())),
                Verdict::Mutate { conversion, .. } => {
                    moving.extend(moved(object, &conversion));
                    conversions.push((index, conversion));
                }
            }
        }
        if !problems.is_empty() {
            report.refused(&name, problems);
            echo(out);
            continue;
        }
        if conversions.is_empty() {
            echo(out);
            continue;
        }
        let conversions: Vec<(usize, &Conversion)> = conversions.iter().map(|(index, c)| (*index, c)).collect();
        let written = edit::apply(&manifests, &conversions)
            .map_err(|error| (error.position, error.message))
            .and_then(|edited| {
                if diff {
                    report::diff(&name, &text, &edited.text, out);
                    Ok(())
                } else {
                    input.write(&edited.text, out).map_err(|error| (None, error.message))
                }
            });
        match written {
            Ok(()) => report.converted(&name, &moving, diff),
            Err((position, message)) => {
                report.failed(
                    &name,
                    position,
                    &format!("not converted, the file is left as it is: {message}"),
                );
                echo(out);
            }
        }
    }
    report.print_fix(diff, diff || to_stdout, out);
    report.status()
}

/// The text of an input, or `None` after reporting why it has none.
fn read(input: Result<Input, InputError>, report: &mut Report) -> Option<(Input, String)> {
    let read = input.and_then(|input| input.read().map(|text| (input, text)));
    match read {
        Ok(read) => Some(read),
        Err(error) => {
            report.failed(&error.name, None, &error.message);
            None
        }
    }
}

/// The objects of one input, counted in the report; `None` when it does not parse: a file found by walking a
/// directory is then skipped with a notice (a Helm template, a broken file), anything else is an error.
fn parse<'t>(input: &Input, text: &'t str, strict: bool, report: &mut Report) -> Option<Manifests<'t>> {
    match Manifests::parse(text) {
        Ok(manifests) => {
            report.file(manifests.objects().len());
            Some(manifests)
        }
        Err(error) if input.walked() && !strict => {
            let what = if text.contains("{{") {
                "a template ({{ ... }}), not a manifest: check what it renders (helm template ... | sidecar-placement check -)"
            } else {
                "not readable as manifests"
            };
            report.skipped(&input.name(), error.position, &format!("{what}: {}", error.message));
            None
        }
        Err(error) => {
            report.failed(&input.name(), error.position, &error.message);
            None
        }
    }
}

/// The settings of `--settings`, made into the policy a command runs; the exit status when they cannot be.
fn load_policy(common: &Common, make: impl FnOnce(&Settings) -> Result<Policy, SettingsError>) -> Result<Policy, u8> {
    let settings = settings::read(common.settings.as_deref()).map_err(|message| fail(&message))?;
    make(&settings).map_err(|error| fail(&settings::explain(&error, common.settings.as_deref())))
}

/// A usage or settings error: one line on standard error, exit status 2.
fn fail(message: &str) -> u8 {
    eprintln!("sidecar-placement: {message}");
    FAILED
}

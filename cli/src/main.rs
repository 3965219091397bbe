//! `sidecar-placement`: the sidecar placement policy over Kubernetes manifest files, offline.
//!
//! A thin adapter: files come from [`inputs`], settings from [`settings`], every decision and every conversion plan
//! from the policy's core through `sidecar-placement-manifests` (the same code the playground runs), and [`report`]
//! prints what came of it.

mod inputs;
mod report;
mod settings;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use sidecar_placement_manifests::{Fix, Manifests, check, fix, policy};
use sidecar_placement_policy::settings::{Placement, Policy, Settings, SettingsError};

use crate::inputs::Input;
use crate::report::{Format, Problem, Report};

const EXAMPLES: &str = "\
Examples:
  sidecar-placement check --settings policies/protect.yaml deploy/
  helm template my-release ./chart | sidecar-placement check --settings settings.yaml -
  kustomize build overlays/prod | sidecar-placement check --settings settings.yaml -
  sidecar-placement check --settings settings.yaml --format sarif . > sidecar-placement.sarif
  sidecar-placement fix --settings settings.yaml --diff deploy/
  sidecar-placement fix --settings settings.yaml --placement beforeInitContainers deploy/

Exit status: 0 nothing found, 1 findings (or a conversion that was refused), 2 usage error, bad settings, or an
input that could not be read.";

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
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
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
        /// Print a unified diff instead of writing the files.
        #[arg(long)]
        diff: bool,
    },
}

#[derive(Debug, clap::Args)]
struct Common {
    /// The policy's settings (YAML or JSON), or a ClusterAdmissionPolicy / AdmissionPolicy manifest whose
    /// `spec.settings` are used.
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// Files, directories (every *.yaml, *.yml and *.json below them, hidden directories skipped), or `-` for
    /// standard input.
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
    Sarif,
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

/// Exit statuses.
const FOUND: u8 = 1;
const FAILED: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let status = match cli.command {
        Command::Check { common, format } => run_check(&common, format.into(), &mut out),
        Command::Fix {
            common,
            placement,
            diff,
        } => run_fix(&common, placement.map(Placement::from), diff, &mut out),
    };
    let _ = out.flush();
    ExitCode::from(status)
}

impl From<OutputFormat> for Format {
    fn from(format: OutputFormat) -> Self {
        match format {
            OutputFormat::Text => Format::Text,
            OutputFormat::Json => Format::Json,
            OutputFormat::Sarif => Format::Sarif,
        }
    }
}

fn run_check(common: &Common, format: Format, out: &mut impl Write) -> u8 {
    let policy = match load_policy(common, policy::for_check) {
        Ok(policy) => policy,
        Err(status) => return status,
    };
    let mut report = Report::default();
    for input in inputs::collect(&common.paths, &mut report) {
        let Some(text) = input.read(&mut report) else { continue };
        let Some(manifests) = parse(&input, &text, &mut report) else {
            continue;
        };
        for finding in check(&manifests, &policy) {
            report.problem(Problem {
                file: input.name(),
                finding,
            });
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
    let inputs = inputs::collect(&common.paths, &mut report);
    // Standard input is fixed to standard output, which then carries nothing else.
    let to_stdout = inputs.contains(&Input::Stdin) && !diff;
    for input in inputs {
        let Some(text) = input.read(&mut report) else { continue };
        let Some(manifests) = parse(&input, &text, &mut report) else {
            continue;
        };
        match fix(&manifests, &policy) {
            Ok(Fix::Unchanged) => {
                if matches!(input, Input::Stdin) && !diff {
                    let _ = out.write_all(text.as_bytes());
                }
            }
            Ok(Fix::Refused { problems }) => {
                report.refused(&input, problems);
                if matches!(input, Input::Stdin) && !diff {
                    let _ = out.write_all(text.as_bytes());
                }
            }
            Ok(Fix::Converted { edited, moved }) => {
                if diff {
                    report::diff(&input.name(), &text, &edited.text, out);
                } else if let Err(message) = input.write(&edited.text, out) {
                    report.unreadable(&input, None, &message);
                    continue;
                }
                report.converted(&input, moved);
            }
            Err(error) => report.unreadable(&input, error.position, &error.message),
        }
    }
    report.print_fix(diff || to_stdout, out);
    report.status()
}

/// A usage or settings error: one line on standard error, exit status 2.
/// The objects of one input, counted in the report; `None` (reported with its position) when it does not parse.
fn parse<'t>(input: &Input, text: &'t str, report: &mut Report) -> Option<Manifests<'t>> {
    match Manifests::parse(text) {
        Ok(manifests) => {
            report.file(manifests.objects().len());
            Some(manifests)
        }
        Err(error) => {
            report.unreadable(input, error.position, &error.message);
            None
        }
    }
}

/// The settings of `--settings`, made into the policy a command runs; the exit status when they cannot be.
fn load_policy(common: &Common, make: impl FnOnce(&Settings) -> Result<Policy, SettingsError>) -> Result<Policy, u8> {
    let settings = settings::read(common.settings.as_deref()).map_err(|message| fail(&message))?;
    make(&settings).map_err(|error| fail(&settings::explain(&error, common.settings.as_deref())))
}

fn fail(message: &str) -> u8 {
    eprintln!("sidecar-placement: {message}");
    FAILED
}

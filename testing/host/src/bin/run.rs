//! `run [--settings FILE] [--wasm FILE] REQUEST.json...`
//!
//! Evaluates admission requests with the policy module, the way `kwctl run` would, and prints
//! one readable block per request.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use policy_host::{Answer, HostError, PolicyHost, ValidationResponse, admission_request, policy_wasm, workspace_root};
use serde_json::Value;

const USAGE: &str = "\
usage: run [--settings FILE] [--wasm FILE] REQUEST.json...

Runs the policy module on each admission request (a bare AdmissionRequest, or an
AdmissionReview from which `.request` is taken) and prints the verdict.

  --settings FILE  policy settings, JSON (default: tests/data/settings.json)
  --wasm FILE      policy module (default: build the current policy in release mode)
  -h, --help       show this help

Set POLICY_HOST_LOG=1 to see the policy's log events.";

/// Width of the labels (`message`, `warning`, ...) inside a block.
const LABEL: usize = 8;

struct Args {
    settings: Option<PathBuf>,
    wasm: Option<PathBuf>,
    requests: Vec<PathBuf>,
}

fn parse_args(argv: impl IntoIterator<Item = OsString>) -> Result<Args, String> {
    let mut args = Args {
        settings: None,
        wasm: None,
        requests: Vec::new(),
    };
    let mut it = argv.into_iter();
    while let Some(arg) = it.next() {
        let text = arg.to_string_lossy().into_owned();
        let (flag, inline) = match text.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(PathBuf::from(value))),
            _ => (text.clone(), None),
        };
        match flag.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--settings" | "--wasm" => {
                let value = match inline {
                    Some(value) => value,
                    None => it.next().map(PathBuf::from).ok_or(format!("{flag} needs a file"))?,
                };
                if flag == "--settings" {
                    args.settings = Some(value);
                } else {
                    args.wasm = Some(value);
                }
            }
            "--" => args.requests.extend(it.by_ref().map(PathBuf::from)),
            _ if flag.starts_with('-') && flag.len() > 1 => return Err(format!("unknown option {flag}")),
            _ => args.requests.push(PathBuf::from(arg)),
        }
    }
    if args.requests.is_empty() {
        return Err("no request file given".to_owned());
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args_os().skip(1)) {
        Ok(args) => args,
        Err(problem) if problem.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("run: {problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(problem) => {
            eprintln!("run: {problem}");
            ExitCode::FAILURE
        }
    }
}

/// `Ok(false)` when some request could not be read or evaluated.
fn run(args: &Args) -> Result<bool, HostError> {
    let wasm = match &args.wasm {
        Some(path) => path.clone(),
        None => {
            if std::env::var_os(policy_host::POLICY_WASM_ENV).is_none() {
                eprintln!("building the policy module (cargo build --release --target wasm32-wasip1)...");
            }
            policy_wasm()?
        }
    };
    let (settings, settings_origin) = load_settings(args.settings.as_deref())?;
    let host = PolicyHost::from_file(&wasm)?;

    println!("{:<LABEL$}  {}", "policy", shown(&wasm));
    println!("{:<LABEL$}  {settings_origin}", "settings");

    // Like kwctl: invalid settings stop everything.
    let settings_problem = match host.validate_settings(&settings) {
        Ok(answer) if answer.valid => None,
        Ok(answer) => Some(answer.message.unwrap_or_else(|| "no reason given".to_owned())),
        Err(HostError::Guest { message, .. }) => Some(message),
        Err(other) => return Err(other),
    };
    if let Some(problem) = settings_problem {
        println!("\nthe settings are not valid: {problem}");
        return Ok(false);
    }

    let names: Vec<String> = args.requests.iter().map(|path| request_name(path)).collect();
    let width = names.iter().map(|name| name.chars().count()).max().unwrap_or(0);
    let mut all_fine = true;
    for (path, name) in args.requests.iter().zip(&names) {
        println!();
        match evaluate(&host, path, &settings) {
            Ok((request, response)) => print_verdict(name, width, &request, &response),
            Err(problem) => {
                all_fine = false;
                println!("{name:<width$}  ERROR");
                print_field("error", &problem.to_string());
            }
        }
    }
    Ok(all_fine)
}

fn evaluate(host: &PolicyHost, path: &Path, settings: &Value) -> Result<(Value, ValidationResponse), HostError> {
    let document = read_json(path)?;
    let request = admission_request(document).map_err(|e| in_file(path, e))?;
    let response = host.validate(&request, settings)?;
    Ok((request, response))
}

fn load_settings(explicit: Option<&Path>) -> Result<(Value, String), HostError> {
    if let Some(path) = explicit {
        return Ok((read_json(path)?, shown(path)));
    }
    let default = workspace_root().join("tests").join("data").join("settings.json");
    if default.is_file() {
        Ok((read_json(&default)?, shown(&default)))
    } else {
        Ok((
            Value::Object(Default::default()),
            format!("{{}} ({} not found)", shown(&default)),
        ))
    }
}

fn read_json(path: &Path) -> Result<Value, HostError> {
    let text = std::fs::read(path).map_err(|source| HostError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&text).map_err(|e| HostError::InvalidInput {
        context: shown(path),
        message: format!("not valid JSON: {e}"),
    })
}

fn in_file(path: &Path, error: HostError) -> HostError {
    match error {
        HostError::InvalidInput { context, message } => HostError::InvalidInput {
            context: format!("{}: {context}", shown(path)),
            message,
        },
        other => other,
    }
}

fn print_verdict(name: &str, width: usize, request: &Value, response: &ValidationResponse) {
    let verdict = if !response.accepted {
        "REJECTED"
    } else if response.is_mutation() {
        "MUTATED"
    } else {
        "ACCEPTED"
    };
    match response.code {
        Some(code) if !response.accepted => println!("{name:<width$}  {verdict} ({code})"),
        _ => println!("{name:<width$}  {verdict}"),
    }
    if let Some(message) = &response.message {
        print_field("message", message);
    }
    for warning in response.warnings() {
        print_field("warning", warning);
    }
    for (key, value) in response.audit_annotations.iter().flatten() {
        print_field("audit", &format!("{key}={value}"));
    }
    if let Some(patch) = response.patch(request) {
        if patch.0.is_empty() {
            print_field("patch", "(empty: the mutated object equals the request's object)");
        }
        for (i, operation) in patch.0.iter().enumerate() {
            let line = serde_json::to_string(operation).unwrap_or_else(|e| format!("<{e}>"));
            print_field(if i == 0 { "patch" } else { "" }, &line);
        }
    }
}

/// One indented `label  text` line; continuation lines of `text` are aligned under it.
fn print_field(label: &str, text: &str) {
    let mut lines = text.lines();
    println!("    {label:<LABEL$}  {}", lines.next().unwrap_or(""));
    for line in lines {
        println!("    {:<LABEL$}  {line}", "");
    }
}

/// The request's name: its file stem (`pod-with-sidecar.json` -> `pod-with-sidecar`).
fn request_name(path: &Path) -> String {
    path.file_stem().map_or_else(
        || path.display().to_string(),
        |stem| stem.to_string_lossy().into_owned(),
    )
}

/// A path relative to the current directory when it is below it.
fn shown(path: &Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf));
    relative.as_deref().unwrap_or(path).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, String> {
        parse_args(args.iter().map(OsString::from))
    }

    #[test]
    fn arguments() {
        let args = parse(&["--settings", "s.json", "a.json", "--wasm=p.wasm", "b.json"]).unwrap();
        assert_eq!(args.settings, Some(PathBuf::from("s.json")));
        assert_eq!(args.wasm, Some(PathBuf::from("p.wasm")));
        assert_eq!(args.requests, [PathBuf::from("a.json"), PathBuf::from("b.json")]);

        let args = parse(&["--", "--odd.json"]).unwrap();
        assert_eq!(args.requests, [PathBuf::from("--odd.json")]);
    }

    #[test]
    fn bad_arguments() {
        assert_eq!(parse(&[]).err().unwrap(), "no request file given");
        assert_eq!(parse(&["--settings"]).err().unwrap(), "--settings needs a file");
        assert_eq!(parse(&["-x", "a.json"]).err().unwrap(), "unknown option -x");
        assert_eq!(parse(&["--help"]).err().unwrap(), "");
    }

    #[test]
    fn names() {
        assert_eq!(
            request_name(Path::new("tests/data/pod-with-sidecar.json")),
            "pod-with-sidecar"
        );
        assert_eq!(request_name(Path::new("review.v2.json")), "review.v2");
    }
}

//! The files a command reads: paths as given, directories walked, `-` for standard input.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::report::Report;

/// One input: a file or standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    File(PathBuf),
    Stdin,
}

/// The file extensions read in a directory.
const MANIFEST_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

impl Input {
    /// The name reports use: the path as given or found, `-` for standard input.
    pub fn name(&self) -> String {
        match self {
            Input::File(path) => path.display().to_string(),
            Input::Stdin => "-".to_owned(),
        }
    }

    /// The text, or `None` after reporting why it cannot be read.
    pub fn read(&self, report: &mut Report) -> Option<String> {
        let mut bytes = Vec::new();
        let read = match self {
            Input::File(path) => std::fs::File::open(path).and_then(|mut file| file.read_to_end(&mut bytes)),
            Input::Stdin => std::io::stdin().lock().read_to_end(&mut bytes),
        };
        if let Err(error) = read {
            report.unreadable(self, None, &format!("cannot be read: {error}"));
            return None;
        }
        match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(_) => {
                report.unreadable(self, None, "is not UTF-8 text");
                None
            }
        }
    }

    /// Writes the converted text back: in place for a file (through a temporary file renamed over it, so a
    /// failure never leaves half a file), to standard output for standard input.
    pub fn write(&self, text: &str, out: &mut impl Write) -> Result<(), String> {
        match self {
            Input::Stdin => out.write_all(text.as_bytes()).map_err(|e| format!("cannot write: {e}")),
            Input::File(path) => {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let temporary = path.with_file_name(format!(".{name}.sidecar-placement.tmp"));
                let permissions = std::fs::metadata(path).map(|m| m.permissions()).ok();
                std::fs::write(&temporary, text)
                    .and_then(|()| match permissions {
                        Some(permissions) => std::fs::set_permissions(&temporary, permissions),
                        None => Ok(()),
                    })
                    .and_then(|()| std::fs::rename(&temporary, path))
                    .map_err(|error| {
                        let _ = std::fs::remove_file(&temporary);
                        format!("cannot be written: {error}")
                    })
            }
        }
    }
}

/// Every input named by `paths`, in order; a directory contributes its manifest files sorted by path.
pub fn collect(paths: &[PathBuf], report: &mut Report) -> Vec<Input> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
        } else if path.is_dir() {
            walk(path, &mut inputs, report);
        } else if path.exists() {
            inputs.push(Input::File(path.clone()));
        } else {
            report.unreadable(&Input::File(path.clone()), None, "no such file or directory");
        }
    }
    inputs
}

fn walk(root: &Path, inputs: &mut Vec<Input>, report: &mut Report) {
    let hidden = |entry: &walkdir::DirEntry| {
        entry.depth() > 0 && entry.file_name().to_str().is_some_and(|name| name.starts_with('.'))
    };
    let entries = WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| !hidden(entry));
    for entry in entries {
        match entry {
            Ok(entry) if entry.file_type().is_file() && is_manifest(entry.path()) => {
                inputs.push(Input::File(entry.into_path()));
            }
            Ok(_) => {}
            Err(error) => {
                let path = error.path().unwrap_or(root).to_path_buf();
                report.unreadable(&Input::File(path), None, &format!("cannot be read: {error}"));
            }
        }
    }
}

fn is_manifest(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| MANIFEST_EXTENSIONS.contains(&extension))
}

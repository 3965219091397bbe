//! The files a command reads: paths as given, directories walked, `-` for standard input.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// One input: a file or standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    File {
        path: PathBuf,
        /// Found by walking a directory, rather than named on the command line.
        walked: bool,
    },
    Stdin,
}

/// An input that cannot be read: its name and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub name: String,
    pub message: String,
}

/// The file extensions read in a directory.
const MANIFEST_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

impl Input {
    /// The name reports use: the path as given or found, `-` for standard input.
    pub fn name(&self) -> String {
        match self {
            Input::File { path, .. } => path.display().to_string(),
            Input::Stdin => "-".to_owned(),
        }
    }

    /// Whether it was found by walking a directory (so a file that is not a manifest is skipped, not an error).
    pub fn walked(&self) -> bool {
        matches!(self, Input::File { walked: true, .. })
    }

    fn error(&self, message: String) -> InputError {
        InputError {
            name: self.name(),
            message,
        }
    }

    /// The text.
    pub fn read(&self) -> Result<String, InputError> {
        let mut bytes = Vec::new();
        let read = match self {
            Input::File { path, .. } => std::fs::File::open(path).and_then(|file| read_all(file, &mut bytes)),
            Input::Stdin => std::io::stdin().lock().read_to_end(&mut bytes).map(drop),
        };
        read.map_err(|error| self.error(format!("cannot be read: {error}")))?;
        String::from_utf8(bytes).map_err(|_| self.error("is not UTF-8 text".to_owned()))
    }

    /// Writes the converted text back: to standard output for standard input; for a file, in place, atomically
    /// (a temporary file next to it, renamed over it), and through a symbolic link to the file it points at.
    pub fn write(&self, text: &str, out: &mut impl Write) -> Result<(), InputError> {
        match self {
            Input::Stdin => out
                .write_all(text.as_bytes())
                .map_err(|error| self.error(format!("cannot write: {error}"))),
            Input::File { path, .. } => {
                replace(path, text).map_err(|error| self.error(format!("cannot be written: {error}")))
            }
        }
    }
}

/// Reads a file to its end with plain reads: `read_to_end` first asks the file system for the file's size and
/// position (two more system calls per file), which costs more than it saves on the small files of a repository.
fn read_all(mut file: std::fs::File, bytes: &mut Vec<u8>) -> std::io::Result<()> {
    let mut filled = 0;
    bytes.resize(16 * 1024, 0);
    loop {
        if filled == bytes.len() {
            bytes.resize(bytes.len() * 2, 0);
        }
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    bytes.truncate(filled);
    Ok(())
}

/// Replaces the file at `path` (the file a link points at, for a symbolic link) with `text`, keeping its
/// permissions; a failure leaves it as it was.
fn replace(path: &Path, text: &str) -> std::io::Result<()> {
    let target = std::fs::canonicalize(path)?;
    let directory = target.parent().unwrap_or(Path::new("."));
    let permissions = std::fs::metadata(&target)?.permissions();
    let mut temporary = tempfile::Builder::new()
        .prefix(".sidecar-placement.")
        .tempfile_in(directory)?;
    temporary.write_all(text.as_bytes())?;
    temporary.as_file().set_permissions(permissions)?;
    temporary.as_file().sync_all()?;
    temporary.persist(&target).map_err(|error| error.error)?;
    Ok(())
}

/// Every input named by `paths`, in order; a directory contributes its manifest files sorted by path.
pub fn collect(paths: &[PathBuf]) -> Vec<Result<Input, InputError>> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Ok(Input::Stdin));
        } else if path.is_dir() {
            walk(path, &mut inputs);
        } else if path.exists() {
            inputs.push(Ok(Input::File {
                path: path.clone(),
                walked: false,
            }));
        } else {
            inputs.push(Err(InputError {
                name: path.display().to_string(),
                message: "no such file or directory".to_owned(),
            }));
        }
    }
    inputs
}

fn walk(root: &Path, inputs: &mut Vec<Result<Input, InputError>>) {
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
                inputs.push(Ok(Input::File {
                    path: entry.into_path(),
                    walked: true,
                }));
            }
            Ok(_) => {}
            Err(error) => inputs.push(Err(InputError {
                name: error.path().unwrap_or(root).display().to_string(),
                message: format!("cannot be read: {error}"),
            })),
        }
    }
}

fn is_manifest(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| MANIFEST_EXTENSIONS.contains(&extension))
}

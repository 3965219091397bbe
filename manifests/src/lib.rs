//! Kubernetes manifests as text, for the offline tools: `sidecar-placement` (`cli/`) and the playground (`web/`).
//!
//! - [`Manifests`]: every object of a YAML or JSON file (documents split on `---`, a `kind: List` split into its
//!   items), each with its value and where its parts are written;
//! - [`evaluate`]: the one call of the core's decision for the offline tools, and what a verdict means in a file
//!   ([`findings`] of a rejection, the containers a conversion [`moved`]);
//! - [`edit::apply`]: the core's conversion (its `MovePlan`, as the verdict carries it) carried out as a text edit
//!   that moves only the sidecar's lines. It decides nothing; the edited text is read back and must give exactly
//!   the objects the core's mutation produces, or nothing is converted.
//! - [`settings::read`]: a settings file, or a policy manifest's `spec.settings`, into `Settings`;
//! - [`policy`]: the settings as the offline tools run them (never a cluster to ask).
//!
//! No rule, matcher or planner lives here: this crate translates between text and the core.
//!
//! # Why the edit is written here, and which parsers it stands on
//!
//! The candidates for format-preserving YAML on crates.io were measured on the cases `fix` must handle (a sidecar
//! with comments above and inside it, moved into a new `initContainers`; an existing `initContainers` with
//! insertion in the middle; CRLF line breaks with 4-space, `-   `-style entries). Each crate parsed and printed
//! every input back byte for byte, and none produced the expected move:
//!
//! | crate | the move, done with its own API |
//! |---|---|
//! | yaml-edit 0.3.6 (rowan CST) | the moved entry's continuation lines are indented wrongly, so the result is not the same YAML (or not YAML); the comment above it stays in `containers`; `-   ` becomes `- ` |
//! | yamlpatch 0.13 / yamlpath 0.34 (tree-sitter) | the entry is re-serialized: comments inside it are lost, quotes change; a new key is appended as a flow list at the end of the mapping; no insert at an index (only append); CRLF files get LF lines. 1.32 needs Rust 1.97, and tree-sitter is C, which does not build for `wasm32-unknown-unknown` |
//! | yaml-rt 0.3.3 | needs Rust 1.96 (the project builds with 1.95). With that ignored: `move_at` keeps the entry's quoting but writes it as `-\n    name: ...` and drops the comment above it; a new `initContainers` is a flow list at the end of the mapping |
//!
//! So the edit is this crate's own, on whole lines (`edit`), and stands on two maintained, pure-Rust parsers that
//! also build for the browser: serde_norway for values (what the playground always used, and what the policy's
//! tests read YAML with) and saphyr-parser, a YAML 1.2 parser that passes the YAML test suite, for the position of
//! every node (`spans`).

pub mod edit;
mod evaluate;
mod file;
pub mod policy;
pub mod settings;
mod simple;
mod spans;
mod text;

pub use evaluate::{Finding, Moved, OFFLINE, Request, Rule, evaluate, findings, moved};
pub use file::{Manifests, Object, ReadError};
pub use text::Position;

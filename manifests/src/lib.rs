mod decide;
mod edit;
mod file;
pub mod policy;
mod spans;
mod text;

pub use decide::{Finding, Fix, Rule, check, fix};
pub use edit::{Change, EditError, Edited, Move, ViewLine, apply};
pub use file::{Manifests, Object, ReadError};
pub use text::Position;

mod decide;
mod edit;
mod file;
pub mod policy;
mod spans;
mod text;

pub use decide::{Finding, Fix, Rule, check, fix};
pub use edit::{EditError, Edited, Move, apply};
pub use file::{Manifests, Object, ReadError};
pub use text::Position;

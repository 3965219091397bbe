//! Placeholder, replaced by the host implementation.

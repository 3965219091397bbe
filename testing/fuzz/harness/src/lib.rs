//! What the fuzz targets check, as plain Rust that builds on stable: each function takes the bytes libFuzzer hands
//! a target, decodes them exactly as the target does, and panics when a property does not hold.
//!
//! - [`decision::structured`] and [`decision::json`]: the whole decision (`evaluate`, with settings and a node list
//!   for `checkNodes`) never panics, and every mutation passes the API server's rules (`apiserver-rules`), touches
//!   only the two container lists, moves sidecars verbatim, and is idempotent; and the policy's byte-level answer
//!   (lean views, splicing) is the oracle's (`Value` tree, the SDK's response).
//! - [`decision::differential`]: any payload bytes answered alike by the byte-level path and the oracle.
//! - [`image::structured`] and [`image::raw`]: image references and patterns never panic, and agree with each
//!   other (normalization, self-matching, globs, registry boundaries).
//! - [`nodes::node_list`]: the hand-written pass over a NodeList reads what serde reads, whenever it answers.
//!
//! The libFuzzer targets in `testing/fuzz/fuzz_targets/` are one line each around these; `tests/regressions.rs` replays every
//! input kept in `testing/fuzz/regressions/<target>/` with plain `cargo test`.

pub mod decision;
pub mod image;
pub mod nodes;

/// A fuzz target: the bytes libFuzzer generated, checked; panics on a failed property.
pub type Target = fn(&[u8]);

/// Every fuzz target by name, as `testing/fuzz/fuzz_targets/<name>.rs` and `testing/fuzz/regressions/<name>/` spell it.
pub const TARGETS: [(&str, Target); 6] = [
    ("decision", decision::structured),
    ("decision_json", decision::json),
    ("differential", decision::differential),
    ("image", image::raw),
    ("image_parts", image::structured),
    ("node_list", nodes::node_list),
];

/// Picks one entry of `vocabulary`, or (with probability 1 in `custom_one_in`) an arbitrary string: the vocabulary
/// reaches the interesting cases quickly, the arbitrary string everything else.
pub(crate) fn word(
    u: &mut arbitrary::Unstructured<'_>,
    vocabulary: &[&str],
    custom_one_in: u8,
) -> arbitrary::Result<String> {
    if custom_one_in > 0 && u.ratio(1, custom_one_in)? {
        return u.arbitrary();
    }
    Ok((*u.choose(vocabulary)?).to_owned())
}

//! The serde reading of the host's answer that `src/scan.rs` replaced, kept as its reference (tests and the `oracle`
//! feature only, never in the module): serde_json with seeds that tally `items` as they are read, keys and the two
//! values as bytes, every other value `IgnoredAny`. The scanner must accept exactly what this accepts and read the
//! same nodes; [`agrees`] is what the unit tests and the fuzz target `node_list` check.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{KubeletVersion, NATIVE_SIDECARS_SINCE, NodeItem, Tally};
use crate::scan;

/// Reads a NodeList with serde.
pub(super) fn node_list(json: &[u8], minimum: KubeletVersion) -> Result<Tally, serde_json::Error> {
    let mut reader = serde_json::Deserializer::from_slice(json);
    let tally = NodeListSeed { minimum }.deserialize(&mut reader)?;
    reader.end()?;
    Ok(tally)
}

/// Reads one Node with serde.
pub(super) fn node(json: &[u8]) -> Result<NodeItem<'_>, serde_json::Error> {
    serde_json::from_slice(json)
}

/// Whether the scanner and serde read `json` alike, as a NodeList (at two minimums) and as one Node: both refuse
/// it, or both accept it with the same result. Says how they differ when they do.
pub fn agrees(json: &[u8]) -> Result<(), String> {
    for minimum in [NATIVE_SIDECARS_SINCE, KubeletVersion::new(1, 33)] {
        let (scanned, read) = (scan::node_list(json, minimum), node_list(json, minimum));
        if scanned.as_ref().ok() != read.as_ref().ok() {
            return Err(format!(
                "as a NodeList at minimum {minimum}: the scanner read {scanned:?}, serde {read:?}"
            ));
        }
    }
    let (scanned, read) = (scan::node(json), node(json));
    if scanned.as_ref().ok() != read.as_ref().ok() {
        return Err(format!("as a Node: the scanner read {scanned:?}, serde {read:?}"));
    }
    Ok(())
}

/// A `NodeList` read with the minimum in hand: `items` is tallied, every other key skipped unread.
struct NodeListSeed {
    minimum: KubeletVersion,
}

impl<'de> DeserializeSeed<'de> for NodeListSeed {
    type Value = Tally;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Tally, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for NodeListSeed {
    type Value = Tally;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a NodeList")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tally, A::Error> {
        let mut tally = Tally::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "items" {
                tally = map.next_value_seed(ItemsSeed { minimum: self.minimum })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(tally)
    }
}

/// `items`: a list of Nodes, or `null` (Go encodes an empty list as readily as `null`).
struct ItemsSeed {
    minimum: KubeletVersion,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed {
    type Value = Tally;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Tally, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed {
    type Value = Tally;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Tally, E> {
        Ok(Tally::default())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tally, A::Error> {
        let mut tally = Tally::default();
        while let Some(node) = seq.next_element::<NodeItem<'de>>()? {
            tally.count(node, self.minimum);
        }
        Ok(tally)
    }
}

/// A JSON string (or object key) as its bytes, unescaped.
struct Bytes<'a>(Cow<'a, [u8]>);

impl<'de: 'a, 'a> Deserialize<'de> for Bytes<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BytesVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for BytesVisitor<'a> {
            type Value = Bytes<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_bytes<E: de::Error>(self, bytes: &'de [u8]) -> Result<Bytes<'a>, E> {
                Ok(Bytes(Cow::Borrowed(bytes)))
            }
            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Bytes<'a>, E> {
                Ok(Bytes(Cow::Owned(bytes.to_vec())))
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Bytes<'a>, E> {
                Ok(Bytes(Cow::Borrowed(text.as_bytes())))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Bytes<'a>, E> {
                Ok(Bytes(Cow::Owned(text.as_bytes().to_vec())))
            }
        }
        deserializer.deserialize_bytes(BytesVisitor(std::marker::PhantomData))
    }
}

/// Reads an object's keys as bytes, handing `field` the ones it wants; every other value is skipped unread.
fn read_fields<'de, A: MapAccess<'de>>(
    mut map: A,
    mut field: impl FnMut(&[u8], &mut A) -> Result<bool, A::Error>,
) -> Result<(), A::Error> {
    while let Some(Bytes(key)) = map.next_key::<Bytes<'de>>()? {
        if !field(&key, &mut map)? {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(())
}

/// Which field of a Node a reader is after: `metadata.name` or `status.nodeInfo.kubeletVersion`.
#[derive(Clone, Copy)]
enum Path {
    Item,
    Metadata,
    Status,
    NodeInfo,
}

/// Reads one level of a Node into `node`.
struct Level<'n, 'a> {
    path: Path,
    node: &'n mut NodeItem<'a>,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for Level<'_, 'a> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for Level<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let Level { path, node } = self;
        read_fields(map, |key, map| {
            let next = match (path, key) {
                (Path::Item, b"metadata") => Path::Metadata,
                (Path::Item, b"status") => Path::Status,
                (Path::Status, b"nodeInfo") => Path::NodeInfo,
                (Path::Metadata, b"name") => {
                    node.name = map.next_value::<Bytes<'a>>()?.0;
                    return Ok(true);
                }
                (Path::NodeInfo, b"kubeletVersion") => {
                    node.kubelet_version = map.next_value::<Bytes<'a>>()?.0;
                    return Ok(true);
                }
                _ => return Ok(false),
            };
            map.next_value_seed(Level {
                path: next,
                node: &mut *node,
            })?;
            Ok(true)
        })
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for NodeItem<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut node = NodeItem::default();
        Level {
            path: Path::Item,
            node: &mut node,
        }
        .deserialize(deserializer)?;
        Ok(node)
    }
}

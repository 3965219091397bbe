//! JSON read in one forward pass over its bytes: the text validated as serde_json validates it, what is wanted taken
//! where it stands, every other value skipped without recursion. Two readers use it:
//!
//! - **The host's answers about Nodes** ([`node_list`], [`node`]). The NodeList is the one input whose size grows
//!   with the cluster, and policy-server sends every node's metadata (labels, annotations) whatever the field masks
//!   say. Read through serde_json (already lean: keys as bytes, every other value `IgnoredAny`), a 5,000-node answer
//!   cost three times this pass in the guest (`make bench`, BENCHMARKS.md). It reads exactly what serde reads: the
//!   serde reading it replaced is kept as the reference (`nodes/reference.rs`, tests and the `oracle` feature only),
//!   and the unit tests and the fuzz target `node_list` check that both accept the same answers and tally them alike.
//! - **Where the object stands in a payload** ([`value_span`]), for the rare request the policy converts: the splice
//!   needs the object's text, which the decision's lean reading does not keep. Skipping the rest of the payload here
//!   costs a third of what serde_json's skipping did.
//!
//! Hand-written rather than serde also makes it smaller: no closure or visitor is instantiated per level.

use std::borrow::Cow;

use std::ops::Range;

use crate::nodes::{KubeletVersion, NodeItem, Tally};
use crate::rules::ContainerList;

/// Where an answer stopped being what it should be: a byte offset, quoted in the warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed {
    pub(crate) at: usize,
}

type Step<T> = Result<T, Malformed>;

/// Tallies a `NodeList`'s `items` (every other key is skipped).
pub(crate) fn node_list(json: &[u8], minimum: KubeletVersion) -> Step<Tally> {
    let mut scan = Scanner { bytes: json, at: 0 };
    let mut tally = Tally::default();
    let mut versions = Versions::default();
    scan.open(b'{')?;
    let mut first = true;
    while let Some(key) = scan.key_here(&mut first, &[b"items"])? {
        if key == Some(0) {
            tally = scan.items(minimum, &mut versions)?;
        } else {
            scan.skip_value()?;
        }
    }
    scan.end()?;
    Ok(tally)
}

/// One `Node` (the answer to `get_resource`).
pub(crate) fn node(json: &[u8]) -> Step<NodeItem<'_>> {
    let mut scan = Scanner { bytes: json, at: 0 };
    let mut node = RawNode::default();
    scan.node(&mut node)?;
    scan.end()?;
    Ok(node.item())
}

/// A Node as the scanner first reads it: where its two strings are written, decoded only for a node that is not
/// ready. Holding no allocation, it costs no drop per node: with `Cow`s that was a fifteenth of the pass.
#[derive(Clone, Copy, Default)]
struct RawNode<'a> {
    name: Written<'a>,
    kubelet_version: Written<'a>,
}

impl<'a> RawNode<'a> {
    fn item(self) -> NodeItem<'a> {
        NodeItem {
            name: self.name.decoded(),
            kubelet_version: self.kubelet_version.decoded(),
        }
    }
}

/// A string value as written: its bytes when it is plain (no escape, no control character: nearly always), else its
/// text from after the opening quote to the closing one included, decoded when it is needed. The closing quote tells
/// them apart (plain text has no quote), which keeps it two words and a node four, written in place by the reader.
#[derive(Clone, Copy, Default)]
struct Written<'a>(&'a [u8]);

impl<'a> Written<'a> {
    /// The bytes as written, when they are the string's bytes.
    fn plain(self) -> Option<&'a [u8]> {
        (self.0.last() != Some(&b'"')).then_some(self.0)
    }

    fn decoded(self) -> Cow<'a, [u8]> {
        match self.plain() {
            Some(plain) => Cow::Borrowed(plain),
            // Read once already, so it decodes.
            None => Cow::Owned(
                Scanner { bytes: self.0, at: 0 }
                    .unusual_string(Text::Bytes)
                    .unwrap_or_default(),
            ),
        }
    }
}

/// The byte range of the value at `path`, a key in each object on the way down, in the JSON text `json`: the last
/// one where a key repeats, as serde keeps it. `None` when the path is not there or `json` is not JSON.
pub(crate) fn value_span(json: &[u8], path: &[&[u8]]) -> Option<Range<usize>> {
    whole(json, |scan| {
        scan.descend(path, &mut |scan| {
            let start = scan.value_start()?;
            scan.skip_value()?;
            Ok(Some(start..scan.at))
        })
    })
}

/// The two container lists of the pod spec at `path` in an object's JSON text, as byte ranges (the last of each key,
/// as serde keeps it). `None` when the path does not lead to an object, or the text is not JSON.
pub(crate) fn pod_spec_lists(json: &[u8], path: &[&[u8]]) -> Option<SpecLists> {
    whole(json, |scan| scan.descend(path, &mut Scanner::spec_lists))
}

/// A container's last `key` (where it is written, as serde keeps the last) and how many keys it has; `None` when it
/// is not a JSON object.
pub(crate) fn last_member(json: &[u8], key: &[u8]) -> Option<(Option<Range<usize>>, usize)> {
    whole(json, |scan| {
        if scan.next()? != b'{' {
            scan.skip_value()?;
            return Ok(None);
        }
        scan.open(b'{')?;
        let (mut found, mut keys, mut first) = (None, 0, true);
        while let Some(which) = scan.key_here(&mut first, &[key])? {
            keys += 1;
            let start = scan.value_start()?;
            scan.skip_value()?;
            if which.is_some() {
                found = Some(start..scan.at);
            }
        }
        Ok(Some((found, keys)))
    })
}

/// `containers` and `initContainers` of a pod spec, where they were found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct SpecLists {
    pub(crate) containers: Option<ListValue>,
    pub(crate) init_containers: Option<ListValue>,
}

/// A value that should be a list of containers.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ListValue {
    /// `null`, and where it is written.
    Null(Range<usize>),
    /// A list: where it is written, brackets included, and where each entry is.
    List(Range<usize>, Vec<Range<usize>>),
    /// Anything else.
    Other,
}

/// Runs `read` over the whole of `json`, which must hold one JSON value and nothing after it.
fn whole<T>(json: &[u8], read: impl FnOnce(&mut Scanner<'_>) -> Step<Option<T>>) -> Option<T> {
    let mut scan = Scanner { bytes: json, at: 0 };
    let found = read(&mut scan).ok()?;
    scan.end().ok()?;
    found
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// How a string that is read is held to JSON, as serde holds it: the NodeList's own keys are read as text (valid
/// UTF-8, no control character, surrogates paired), a Node's keys and the two values as bytes (anything goes; a
/// lone surrogate escape becomes its WTF-8 bytes).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Text {
    Checked,
    Bytes,
}

// The small steps are inlined by hand: the release profile optimizes for size, and a call per byte of structure
// was a quarter of the pass in the guest.
impl<'a> Scanner<'a> {
    /// Runs `read`, a call that is not inlined, on a copy of the scanner: a scanner whose address a call is given
    /// lives in memory, and the hot readers keep theirs in registers.
    #[inline(always)]
    fn aside<T>(&mut self, read: impl FnOnce(&mut Scanner<'a>) -> Step<T>) -> Step<T> {
        let mut copy = Scanner {
            bytes: self.bytes,
            at: self.at,
        };
        let result = read(&mut copy);
        self.at = copy.at;
        result
    }

    fn fault(&self) -> Malformed {
        Malformed { at: self.at }
    }

    /// The next byte that is not whitespace, not consumed.
    #[inline(always)]
    fn next(&mut self) -> Step<u8> {
        loop {
            match self.bytes.get(self.at) {
                Some(b' ' | b'\n' | b'\t' | b'\r') => self.at += 1,
                Some(&byte) => return Ok(byte),
                None => return Err(self.fault()),
            }
        }
    }

    /// Consumes `byte` after optional whitespace.
    #[inline(always)]
    fn eat(&mut self, byte: u8) -> Step<()> {
        if self.next()? != byte {
            return Err(self.fault());
        }
        self.at += 1;
        Ok(())
    }

    /// Only whitespace is left.
    fn end(&mut self) -> Step<()> {
        match self.next() {
            Err(_) => Ok(()),
            Ok(_) => Err(self.fault()),
        }
    }

    /// Consumes the `{` or `[` that opens a container. (The structure read is five levels deep at most, far from
    /// serde's limit of 128; what is skipped has no limit, in serde either.)
    fn open(&mut self, bracket: u8) -> Step<()> {
        self.eat(bracket)
    }

    /// Whether the container being read has another member (its comma consumed) or closes (`close` consumed).
    /// `first`: no member was read yet.
    #[inline(always)]
    fn more(&mut self, first: &mut bool, close: u8) -> Step<bool> {
        let byte = self.next()?;
        if byte == close {
            self.at += 1;
            return Ok(false);
        }
        if !std::mem::take(first) {
            if byte != b',' {
                return Err(self.fault());
            }
            self.at += 1;
        }
        Ok(true)
    }

    /// The rest of a key from after its opening quote, and its colon: which of `wanted` it is. The key is compared
    /// where it is read, so that an escaped one is decoded, compared and dropped at once and a plain one never
    /// copied.
    #[inline(never)]
    fn other_key(&mut self, text: Text, wanted: &[&[u8]]) -> Step<Option<usize>> {
        let which = match self.plain_string(text)? {
            Some(plain) => which(plain, wanted),
            None => which(&self.unusual_string(text)?, wanted),
        };
        self.eat(b':')?;
        Ok(which)
    }

    /// Which of `wanted` the next key of the object being read is (its colon consumed), the key read as text:
    /// `Some(None)` for another key, `None` when the object closes. For the readers of a few keys (the NodeList's
    /// own, a path, a pod spec, a container); a Node's are compared where they stand (`node_here`).
    #[inline(never)]
    fn key_here(&mut self, first: &mut bool, wanted: &[&[u8]]) -> Step<Option<Option<usize>>> {
        if !self.more(first, b'}')? {
            return Ok(None);
        }
        self.eat(b'"')?;
        Ok(Some(self.other_key(Text::Checked, wanted)?))
    }

    /// `items`: an array of Nodes, or `null`.
    fn items(&mut self, minimum: KubeletVersion, versions: &mut Versions<'a>) -> Step<Tally> {
        let mut tally = Tally::default();
        if self.next()? == b'n' {
            self.literal(b"null")?;
            return Ok(tally);
        }
        self.open(b'[')?;
        let mut first = true;
        let mut node = RawNode::default();
        while self.more(&mut first, b']')? {
            self.node(&mut node)?;
            let version = versions.read(node.kubelet_version);
            tally.count_as(version, minimum, || node.item().into_node());
        }
        Ok(tally)
    }

    /// One Node: `metadata.name` and `status.nodeInfo.kubeletVersion`, the last of each when a key repeats (as
    /// serde keeps it).
    fn node(&mut self, node: &mut RawNode<'a>) -> Step<()> {
        let mut here = Scanner {
            bytes: self.bytes,
            at: self.at,
        };
        let read = here.node_here(node);
        self.at = here.at;
        read
    }

    /// [`Scanner::node`] on a scanner of its own: one that no call is given, so that its position stays in a
    /// register (through a pointer, each step waited on the store of the last: a sixth of the pass). The two paths
    /// are walked by one loop over the levels of the Node, so that reading a key, skipping a value and reading a
    /// string are each written once (a call per level was a tenth of the pass, and a copy per level made the
    /// module too large).
    #[inline(always)]
    fn node_here(&mut self, node: &mut RawNode<'a>) -> Step<()> {
        *node = RawNode::default();
        self.open(b'{')?;
        // How deep in the Node the reader is (0: the Node itself), and under which of its two keys.
        let (mut depth, mut under_status, mut first) = (0, false, true);
        loop {
            if !self.more(&mut first, b'}')? {
                // An object closes: the member of the level above is read.
                if depth == 0 {
                    return Ok(());
                }
                depth -= 1;
                first = false;
                continue;
            }
            self.eat(b'"')?;
            // The keys wanted at this level, each compared where it stands (a constant comparison each).
            let key = match (depth, under_status) {
                (0, _) => match self.plain_key(b"metadata") {
                    Some(_) => Some(0),
                    None => self.plain_key(b"status").map(|_| 1),
                },
                (_, false) => self.plain_key(b"name"),
                (1, true) => self.plain_key(b"nodeInfo"),
                _ => self.plain_key(b"kubeletVersion"),
            };
            let key = match key {
                Some(key) => Some(key),
                None => {
                    let wanted: &[&[u8]] = match (depth, under_status) {
                        (0, _) => &[b"metadata", b"status"],
                        (_, false) => &[b"name"],
                        (1, true) => &[b"nodeInfo"],
                        _ => &[b"kubeletVersion"],
                    };
                    self.aside(|scan| scan.other_key(Text::Bytes, wanted))?
                }
            };
            let Some(index) = key else {
                self.aside(Self::skip_value)?;
                continue;
            };
            if depth == 0 {
                under_status = index == 1;
            }
            if depth == usize::from(under_status) + 1 {
                self.eat(b'"')?;
                let found = self.written()?;
                *if under_status {
                    &mut node.kubelet_version
                } else {
                    &mut node.name
                } = found;
            } else {
                self.open(b'{')?;
                depth += 1;
                first = true;
            }
        }
    }

    /// Whether the key being read (its opening quote consumed) is `name`, written plainly; if so it is consumed,
    /// with its colon, and `Some(0)` returned (the caller maps it to the key's index). The names are spelled twice
    /// in `node_here`, here and in the list the shared call compares: a loop over one list, or a helper per level,
    /// measured 10-15% slower in the guest.
    #[inline(always)]
    fn plain_key(&mut self, name: &[u8]) -> Option<usize> {
        let end = self.at + name.len();
        match (
            self.bytes.get(end),
            self.bytes.get(end + 1),
            self.bytes.get(self.at..end),
        ) {
            (Some(b'"'), Some(b':'), Some(key)) if same(key, name) => {
                self.at = end + 2;
                Some(0)
            }
            _ => None,
        }
    }

    /// Where the next value starts (after whitespace); nothing consumed.
    #[inline(always)]
    fn value_start(&mut self) -> Step<usize> {
        self.next()?;
        Ok(self.at)
    }

    /// Reads a value, and `at_end` at the value found at `path` inside it (the value itself for an empty path); the
    /// last answer where a key repeats. `None` when the path is not there.
    fn descend<T>(&mut self, path: &[&[u8]], at_end: &mut impl FnMut(&mut Self) -> Step<Option<T>>) -> Step<Option<T>> {
        let Some((wanted, rest)) = path.split_first() else {
            return at_end(self);
        };
        if self.next()? != b'{' {
            self.skip_value()?;
            return Ok(None);
        }
        self.open(b'{')?;
        let mut found = None;
        let mut first = true;
        while let Some(key) = self.key_here(&mut first, &[wanted])? {
            if key.is_none() {
                self.skip_value()?;
            } else {
                found = self.descend(rest, at_end)?;
            }
        }
        Ok(found)
    }

    /// A pod spec's two container lists; `None` when the pod spec is not an object.
    fn spec_lists(&mut self) -> Step<Option<SpecLists>> {
        if self.next()? != b'{' {
            self.skip_value()?;
            return Ok(None);
        }
        self.open(b'{')?;
        let mut lists = SpecLists::default();
        let mut first = true;
        let wanted = [ContainerList::Containers, ContainerList::InitContainers].map(|list| list.field().as_bytes());
        while let Some(key) = self.key_here(&mut first, &wanted)? {
            match key {
                Some(0) => lists.containers = Some(self.list_value()?),
                Some(_) => lists.init_containers = Some(self.list_value()?),
                None => self.skip_value()?,
            }
        }
        Ok(Some(lists))
    }

    /// A value that should be a list, with the span of each entry.
    fn list_value(&mut self) -> Step<ListValue> {
        let start = self.value_start()?;
        match self.bytes.get(start) {
            Some(b'n') => {
                self.skip_value()?;
                Ok(ListValue::Null(start..self.at))
            }
            Some(b'[') => {
                self.open(b'[')?;
                let mut entries = Vec::new();
                let mut first = true;
                while self.more(&mut first, b']')? {
                    let entry = self.value_start()?;
                    self.skip_value()?;
                    entries.push(entry..self.at);
                }
                Ok(ListValue::List(start..self.at, entries))
            }
            _ => {
                self.skip_value()?;
                Ok(ListValue::Other)
            }
        }
    }

    /// The rest of a string value whose opening quote is consumed, read as bytes and decoded only when used.
    #[inline(always)]
    fn written(&mut self) -> Step<Written<'a>> {
        let start = self.at;
        if let Some(raw) = self.plain_string(Text::Bytes)? {
            return Ok(Written(raw));
        }
        self.aside(|scan| scan.unusual_string(Text::Bytes))?;
        Ok(Written(self.bytes.get(start..self.at).unwrap_or_default()))
    }

    /// The rest of a string whose opening quote is consumed, when it is written plainly (no escape, no control
    /// character); `None`, with nothing consumed, when it is not.
    #[inline(always)]
    fn plain_string(&mut self, text: Text) -> Step<Option<&'a [u8]>> {
        let start = self.at;
        let rest = self.bytes.get(start..).unwrap_or_default();
        let length = plain_prefix(rest);
        if rest.get(length) != Some(&b'"') {
            return Ok(None);
        }
        let plain = rest.get(..length).unwrap_or_default();
        if text == Text::Checked && std::str::from_utf8(plain).is_err() {
            return Err(self.fault());
        }
        self.at = start + length + 1;
        Ok(Some(plain))
    }

    /// A string with an escape or a control character, from after its opening quote, decoded as serde decodes
    /// it.
    #[cold]
    fn unusual_string(&mut self, text: Text) -> Step<Vec<u8>> {
        let start = self.at;
        let mut decoded = Vec::new();
        loop {
            let byte = *self.bytes.get(self.at).ok_or(self.fault())?;
            self.at += 1;
            match byte {
                b'"' => break,
                b'\\' => self.escape(text, &mut decoded)?,
                0..0x20 if text == Text::Checked => return Err(self.fault()),
                _ => decoded.push(byte),
            }
        }
        if text == Text::Checked && std::str::from_utf8(&decoded).is_err() {
            return Err(Malformed { at: start });
        }
        Ok(decoded)
    }

    /// One escape after its backslash, its value appended to `decoded`.
    fn escape(&mut self, text: Text, decoded: &mut Vec<u8>) -> Step<()> {
        let byte = *self.bytes.get(self.at).ok_or(self.fault())?;
        self.at += 1;
        let simple = match byte {
            b'"' | b'\\' | b'/' => byte,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => return self.unicode_escape(text, decoded),
            _ => return Err(self.fault()),
        };
        decoded.push(simple);
        Ok(())
    }

    /// `\uXXXX` after its `\u`: a surrogate pair joined; as text, a lone surrogate is refused; as bytes it is kept
    /// as its WTF-8 encoding, and an escape that follows a lone leading surrogate is read on its own.
    fn unicode_escape(&mut self, text: Text, decoded: &mut Vec<u8>) -> Step<()> {
        let mut unit = self.hex4()?;
        if text == Text::Checked && (0xDC00..=0xDFFF).contains(&unit) {
            return Err(self.fault());
        }
        loop {
            if !(0xD800..=0xDBFF).contains(&unit) {
                push_wtf8(unit, decoded);
                return Ok(());
            }
            let leading = unit;
            if self.bytes.get(self.at..self.at + 2) != Some(b"\\u") {
                if text == Text::Checked {
                    return Err(self.fault());
                }
                push_wtf8(leading, decoded);
                if self.bytes.get(self.at) == Some(&b'\\') {
                    self.at += 1;
                    return self.escape(text, decoded);
                }
                return Ok(());
            }
            self.at += 2;
            unit = self.hex4()?;
            if (0xDC00..=0xDFFF).contains(&unit) {
                push_wtf8(0x10000 + ((leading - 0xD800) << 10) + (unit - 0xDC00), decoded);
                return Ok(());
            }
            if text == Text::Checked {
                return Err(self.fault());
            }
            push_wtf8(leading, decoded);
        }
    }

    fn hex4(&mut self) -> Step<u32> {
        let digits = self.bytes.get(self.at..self.at + 4).ok_or(self.fault())?;
        let value = digits
            .iter()
            .try_fold(0, |value, &digit| Some(value * 16 + char::from(digit).to_digit(16)?))
            .ok_or(self.fault())?;
        self.at += 4;
        Ok(value)
    }

    fn eat_exactly(&mut self, word: &[u8]) -> Step<()> {
        let end = self.at + word.len();
        if self.bytes.get(self.at..end) != Some(word) {
            return Err(self.fault());
        }
        self.at = end;
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Step<()> {
        self.next()?;
        self.eat_exactly(word)
    }

    /// Skips one value of any kind, validating it as serde does, without recursion and without a depth limit.
    fn skip_value(&mut self) -> Step<()> {
        let mut here = Scanner {
            bytes: self.bytes,
            at: self.at,
        };
        let skipped = here.skip_here();
        self.at = here.at;
        skipped
    }

    /// [`Scanner::skip_value`] on a scanner of its own, kept in a register (see [`Scanner::node_here`]): `open`
    /// keeps, one bit per container open here, whether it is an object (1) or an array (0).
    #[inline(always)]
    fn skip_here(&mut self) -> Step<()> {
        let mut open = Brackets::default();
        loop {
            // A value.
            match self.next()? {
                b'"' => {
                    self.at += 1;
                    self.aside(Self::skip_string)?;
                }
                bracket @ (b'{' | b'[') => {
                    self.at += 1;
                    let object = bracket == b'{';
                    let close = if object { b'}' } else { b']' };
                    if self.next()? != close {
                        open.push(object);
                        if object {
                            self.aside(Self::member_key)?;
                        }
                        continue;
                    }
                    self.at += 1;
                }
                b't' => self.aside(|scan| scan.eat_exactly(b"true"))?,
                b'f' => self.aside(|scan| scan.eat_exactly(b"false"))?,
                b'n' => self.aside(|scan| scan.eat_exactly(b"null"))?,
                b'-' | b'0'..=b'9' => self.aside(Self::number)?,
                _ => return Err(self.fault()),
            }
            // After a value: close what it ends, or go on to the next member.
            loop {
                let Some(object) = open.top() else {
                    return Ok(());
                };
                match self.next()? {
                    b',' => {
                        self.at += 1;
                        if object {
                            self.aside(Self::member_key)?;
                        }
                        break;
                    }
                    b'}' if object => {}
                    b']' if !object => {}
                    _ => return Err(self.fault()),
                }
                self.at += 1;
                open.pop();
            }
        }
    }

    /// A key being skipped and its colon.
    fn member_key(&mut self) -> Step<()> {
        self.eat(b'"')?;
        self.skip_string()?;
        self.eat(b':')
    }

    /// Skips a string whose opening quote is consumed; escapes are checked as serde checks skipped ones (four hex
    /// digits after `\u`, whatever they encode).
    fn skip_string(&mut self) -> Step<()> {
        loop {
            let rest = self.bytes.get(self.at..).unwrap_or_default();
            let length = plain_prefix(rest);
            self.at += length;
            match rest.get(length) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.at += 1;
                    match self.bytes.get(self.at) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.at += 1,
                        Some(b'u') => {
                            self.at += 1;
                            self.hex4()?;
                        }
                        _ => return Err(self.fault()),
                    }
                }
                _ => return Err(self.fault()),
            }
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, the grammar serde holds a skipped number to.
    fn number(&mut self) -> Step<()> {
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        match self.bytes.get(self.at) {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.fault()),
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            self.some_digits()?;
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            self.some_digits()?;
        }
        Ok(())
    }

    fn digits(&mut self) {
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
    }

    fn some_digits(&mut self) -> Step<()> {
        let start = self.at;
        self.digits();
        if self.at == start {
            return Err(self.fault());
        }
        Ok(())
    }
}

/// How many bytes of `bytes` come before the first `"`, `\` or control character (all of them when there is none),
/// eight at a time: most of a NodeList is strings, and a byte-by-byte loop was a third of the pass.
#[inline(always)]
fn plain_prefix(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let mut at = 0;
    while let Some(Ok(chunk)) = bytes.get(at..at + 8).map(<[u8; 8]>::try_from) {
        let word = u64::from_le_bytes(chunk);
        // `w - n` (bytewise) `& !w & HIGH` flags every byte of `w` below `n` (n ≤ 128), and only flags above the first
        // true one can be spurious. The three tests share `!w & HIGH`: `"` and `\` have no high bit, so xoring them in
        // leaves every byte's high bit as it was.
        let flags = ((word ^ (ONES * u64::from(b'"'))).wrapping_sub(ONES)
            | (word ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES)
            | word.wrapping_sub(ONES * 0x20))
            & !word
            & HIGH;
        if flags != 0 {
            // The lowest flag is exact and, the bytes read little-endian, marks the first such byte.
            return at + (flags.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let rest = bytes.get(at..).unwrap_or_default();
    at + rest
        .iter()
        .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
        .unwrap_or(rest.len())
}

/// The kubelet versions read so far, each in the slot its text hashes to: a cluster runs a handful of versions over
/// thousands of nodes, so most nodes cost a hash and one comparison instead of a parse, however many versions the
/// fleet mixes (a short list replaced in turn missed on every node once the fleet had more versions than it held).
/// Two versions that share a slot are only read again; an empty slot holds the empty text, whose reading is `None`
/// too.
#[derive(Default)]
struct Versions<'a> {
    seen: [(&'a [u8], Option<KubeletVersion>); 8],
}

impl<'a> Versions<'a> {
    fn read(&mut self, reported: Written<'a>) -> Option<KubeletVersion> {
        let Some(reported) = reported.plain() else {
            return read_version(&reported.decoded());
        };
        let Some(slot) = self.seen.get_mut(slot_of(reported)) else {
            return read_version(reported);
        };
        if !same(slot.0, reported) {
            *slot = (reported, read_version(reported));
        }
        slot.1
    }
}

/// Which of eight slots a kubelet version's text goes to: its length and first and last eight bytes, mixed.
fn slot_of(text: &[u8]) -> usize {
    let word = |at: usize| match text.get(at..at + 8).map(<[u8; 8]>::try_from) {
        Some(Ok(bytes)) => u64::from_le_bytes(bytes),
        // Shorter than eight bytes: all of it.
        _ => text.iter().rev().fold(0, |word, &byte| word << 8 | u64::from(byte)),
    };
    let mixed = word(0) ^ word(text.len().saturating_sub(8)).rotate_left(29) ^ text.len() as u64;
    (mixed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 61) as usize
}

fn read_version(reported: &[u8]) -> Option<KubeletVersion> {
    std::str::from_utf8(reported)
        .ok()
        .and_then(KubeletVersion::parse_kubelet)
}

/// Which of `wanted` `key` is.
#[inline(always)]
fn which(key: &[u8], wanted: &[&[u8]]) -> Option<usize> {
    for (index, name) in wanted.iter().enumerate() {
        if same(key, name) {
            return Some(index);
        }
    }
    None
}

/// Whether two short strings (keys, kubelet versions) are equal, compared eight bytes at a time from both ends: a
/// call to `memcmp` per key was a tenth of the pass in the guest.
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let long = |bytes: &[u8], at: usize| bytes.get(at..at + 8).and_then(|chunk| <[u8; 8]>::try_from(chunk).ok());
    let short = |bytes: &[u8], at: usize| bytes.get(at..at + 4).and_then(|chunk| <[u8; 4]>::try_from(chunk).ok());
    match a.len() {
        0..4 => (0..a.len()).all(|at| a.get(at) == b.get(at)),
        4..8 => short(a, 0) == short(b, 0) && short(a, a.len() - 4) == short(b, a.len() - 4),
        8..=16 => long(a, 0) == long(b, 0) && long(a, a.len() - 8) == long(b, a.len() - 8),
        // Kubelet versions of managed services (`v1.30.4-eks-a737599`).
        17..=32 => {
            long(a, 0) == long(b, 0)
                && long(a, 8) == long(b, 8)
                && long(a, a.len() - 16) == long(b, a.len() - 16)
                && long(a, a.len() - 8) == long(b, a.len() - 8)
        }
        _ => a == b,
    }
}

/// Appends code point `unit` (a surrogate too) encoded as UTF-8 would encode it: WTF-8, as serde keeps a lone
/// surrogate read as bytes.
fn push_wtf8(unit: u32, decoded: &mut Vec<u8>) {
    let continuation = |shift: u32| 0x80 | ((unit >> shift) & 0x3f) as u8;
    match unit {
        0..0x80 => decoded.push(unit as u8),
        0x80..0x800 => decoded.extend([0xc0 | (unit >> 6) as u8, continuation(0)]),
        0x800..0x10000 => decoded.extend([0xe0 | (unit >> 12) as u8, continuation(6), continuation(0)]),
        _ => decoded.extend([
            0xf0 | (unit >> 18) as u8,
            continuation(12),
            continuation(6),
            continuation(0),
        ]),
    }
}

/// The kinds of the containers [`Scanner::skip_value`] has open, innermost last: 64 inline, more on the heap
/// (serde has no limit on what it skips either).
#[derive(Default)]
struct Brackets {
    /// Whether each of the last `inline` containers is an object, innermost in the lowest bit.
    bits: u64,
    inline: u32,
    /// Full sets of 64 further out.
    outer: Vec<u64>,
}

impl Brackets {
    fn push(&mut self, object: bool) {
        if self.inline == 64 {
            self.outer.push(self.bits);
            self.bits = 0;
            self.inline = 0;
        }
        self.bits = self.bits << 1 | u64::from(object);
        self.inline += 1;
    }

    /// Whether the innermost open container is an object; `None` when none is open.
    fn top(&self) -> Option<bool> {
        (self.inline > 0).then_some(self.bits & 1 == 1)
    }

    fn pop(&mut self) {
        self.bits >>= 1;
        self.inline -= 1;
        if self.inline == 0
            && let Some(bits) = self.outer.pop()
        {
            self.bits = bits;
            self.inline = 64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nodes::reference::agrees;
    use crate::nodes::{NATIVE_SIDECARS_SINCE, Node};
    use rstest::rstest;

    /// A Node as policy-server sends it whatever the masks: the whole metadata, escapes and UTF-8 in annotations,
    /// numbers of every form.
    const REAL_NODE: &str = r#"{"metadata":{"name":"ip-10-0-1-7.eu-west-1.compute.internal","uid":"1b6e","resourceVersion":"48213","creationTimestamp":"2026-01-02T03:04:05Z","labels":{"kubernetes.io/arch":"amd64","node.kubernetes.io/instance-type":"m6i.large","topology.kubernetes.io/zone":"eu-west-1a"},"annotations":{"csi.volume.kubernetes.io/nodeid":"{\"ebs.csi.aws.com\":\"i-0a1b\"}","note":"caf\u00e9 ☕ \\ \/ \b\f\n\r\t \ud83d\ude00","alpha.kubernetes.io/provided-node-ip":"10.0.1.7"},"managedFields":[{"manager":"kubelet","operation":"Update","time":"2026-01-02T03:04:05Z","fieldsV1":{"f:status":{"f:allocatable":{".":{}}}}}]},"status":{"capacity":{"cpu":"2","pods":110},"conditions":[{"type":"Ready","status":"True","weight":-1.5e-3,"big":12345678901234567890123,"zero":0,"neg":-0.25E+2,"list":[[],{},[1,[2,{"a":[]}]]]}],"nodeInfo":{"kubeletVersion":"v1.28.9-eks-036c24b","osImage":"Bottlerocket"},"images":null,"ok":true,"off":false}}"#;

    fn list_of(items: &str) -> String {
        format!(r#"{{"apiVersion":"v1","kind":"NodeList","metadata":{{"resourceVersion":"1"}},"items":[{items}]}}"#)
    }

    fn first_old(json: &str) -> Option<Node> {
        let tally = node_list(json.as_bytes(), NATIVE_SIDECARS_SINCE).expect("a NodeList");
        tally.named.into_iter().next()
    }

    #[rstest]
    #[case::realistic(list_of(&format!("{REAL_NODE},{REAL_NODE}")), Some(Node::new("ip-10-0-1-7.eu-west-1.compute.internal", "v1.28.9-eks-036c24b")))]
    #[case::pretty_printed(" {\n  \"items\" : [ {\"metadata\" : {\"name\":\"a\"} , \"status\":{\"nodeInfo\":{\"kubeletVersion\":\"v1.28.1\"}}} ]\r\n}\t ".to_owned(), Some(Node::new("a", "v1.28.1")))]
    #[case::ready(
        list_of(r#"{"metadata":{"name":"a"},"status":{"nodeInfo":{"kubeletVersion":"v1.30.1"}}}"#),
        None
    )]
    #[case::escaped_name(list_of(r#"{"metadata":{"name":"n\u0061me"}}"#), Some(Node::new("name", "")))]
    #[case::escaped_keys(
        list_of(r#"{"m\u0065tadata":{"n\u0061me":"a"},"status":{"nodeInfo":{"kubelet\u0056ersion":"v1.2"}}}"#),
        Some(Node::new("a", "v1.2"))
    )]
    #[case::escaped_items_key(r#"{"\u0069tems":[{"metadata":{"name":"a"}}]}"#.to_owned(), Some(Node::new("a", "")))]
    #[case::astral_escape(list_of(r#"{"metadata":{"name":"\ud83d\ude00"}}"#), Some(Node::new("😀", "")))]
    #[case::name_ending_in_an_escaped_quote(list_of(r#"{"metadata":{"name":"a\""}}"#), Some(Node::new("a\"", "")))]
    #[case::control_character_in_a_value(list_of("{\"metadata\":{\"name\":\"a\tb\"}}"), Some(Node::new("a\tb", "")))]
    #[case::escaped_versions_are_read_each_time(
        list_of(r#"{"metadata":{"name":"a"},"status":{"nodeInfo":{"kubeletVersion":"v1.3\u0030"}}},{"metadata":{"name":"b"},"status":{"nodeInfo":{"kubeletVersion":"v1.2\u0038"}}}"#),
        Some(Node::new("b", "v1.28"))
    )]
    #[case::more_versions_than_slots_hold_at_once(
        list_of(&["v1.30.4-eks-a737599", "v1.30.5-eks-a737599", "v1.31.0+k3s1", "v1.3", "v1.30.4-eks-a737599", "v1.28.1", "v1.30.5-eks-a737599"]
            .map(|version| format!(r#"{{"metadata":{{"name":"{version}"}},"status":{{"nodeInfo":{{"kubeletVersion":"{version}"}}}}}}"#))
            .join(",")),
        Some(Node::new("v1.3", "v1.3"))
    )]
    #[case::repeated_keys_keep_the_last(r#"{"items":[{"metadata":{"name":"a","name":"b"},"status":{"nodeInfo":{"kubeletVersion":"v1.2"}},"status":{"nodeInfo":{}}}]}"#.to_owned(), Some(Node::new("b", "v1.2")))]
    #[case::repeated_items_keep_the_last(r#"{"items":[{"metadata":{"name":"a"}}],"items":[{"metadata":{"name":"c"}}]}"#.to_owned(), Some(Node::new("c", "")))]
    #[case::null_items(r#"{"kind":"NodeList","items":null}"#.to_owned(), None)]
    #[case::empty_nodes(r#"{"items":[{},{"metadata":{},"status":{}}]}"#.to_owned(), Some(Node::new("", "")))]
    fn node_lists_are_read_as_serde_reads_them(#[case] json: String, #[case] expected: Option<Node>) {
        assert_eq!(agrees(json.as_bytes()), Ok(()));
        assert_eq!(first_old(&json), expected);
    }

    #[rstest]
    #[case::not_an_object("[]")]
    #[case::items_an_object(r#"{"items":{}}"#)]
    #[case::node_null(r#"{"items":[null]}"#)]
    #[case::name_a_number(r#"{"items":[{"metadata":{"name":1}}]}"#)]
    #[case::status_a_string(r#"{"items":[{"status":"Ready"}]}"#)]
    #[case::trailing_comma_in_an_object(r#"{"items":[],}"#)]
    #[case::trailing_comma_in_a_list(r#"{"items":[{},]}"#)]
    #[case::trailing_comma_skipped(r#"{"items":[],"x":[1,]}"#)]
    #[case::missing_comma(r#"{"items":[] "x":1}"#)]
    #[case::trailing_text(r#"{"items":[]} x"#)]
    #[case::leading_zero(r#"{"items":[],"n":[01]}"#)]
    #[case::bare_minus(r#"{"items":[],"n":-}"#)]
    #[case::bare_fraction(r#"{"items":[],"n":1.}"#)]
    #[case::bare_exponent(r#"{"items":[],"n":1e+}"#)]
    #[case::bad_escape(r#"{"items":[],"s":"\x"}"#)]
    #[case::short_unicode_escape(r#"{"items":[],"s":"\u12"}"#)]
    #[case::signed_unicode_escape(r#"{"items":[],"s":"\u+123"}"#)]
    #[case::control_character_skipped("{\"items\":[],\"s\":\"a\tb\"}")]
    #[case::lone_surrogate_in_the_list_key(r#"{"items\ud800":[]}"#)]
    #[case::unterminated(r#"{"items":[{"metadata":{"name":"a"#)]
    #[case::truncated_literal(r#"{"items":nul"#)]
    #[case::empty("")]
    fn what_serde_refuses_the_scanner_refuses(#[case] json: &str) {
        assert_eq!(agrees(json.as_bytes()), Ok(()));
        assert!(node_list(json.as_bytes(), NATIVE_SIDECARS_SINCE).is_err(), "{json}");
    }

    /// The text of each range, for reading the assertions.
    fn texts<'j>(json: &'j str, ranges: &[Range<usize>]) -> Vec<&'j str> {
        ranges.iter().map(|range| &json[range.clone()]).collect()
    }

    #[rstest]
    #[case::the_object_of_a_request(
        r#"{"request":{"uid":"1","object":{"kind":"Pod"},"oldObject":null}}"#,
        Some(r#"{"kind":"Pod"}"#)
    )]
    #[case::the_last_of_a_repeated_key(r#"{"request":{"object":1,"object":[2]}}"#, Some("[2]"))]
    #[case::an_escaped_key_is_read_as_serde_reads_it(r#"{"request":{"obj\u0065ct": {}}}"#, Some("{}"))]
    #[case::spaces_around_the_value(" {\"request\" : {\"object\" :\n {\"a\": [1, 2]} }} ", Some("{\"a\": [1, 2]}"))]
    #[case::no_such_key(r#"{"request":{"oldObject":{}}}"#, None)]
    #[case::a_step_that_is_not_an_object(r#"{"request":[{"object":{}}]}"#, None)]
    #[case::not_json(r#"{"request":{"object":{}}"#, None)]
    #[case::text_after_the_value(r#"{"request":{"object":{}}} x"#, None)]
    fn a_value_is_found_where_serde_would_read_it(#[case] json: &str, #[case] expected: Option<&str>) {
        let found = value_span(json.as_bytes(), &[b"request", b"object"]);
        assert_eq!(found.map(|span| &json[span]), expected);
    }

    #[test]
    fn a_pod_spec_s_lists_are_found_entry_by_entry() {
        let json = r#"{"spec":{"template":{"spec":{"containers":[{"name":"a"}, {"name":"b"} ],"x":{"containers":0},"initContainers":null}}}}"#;
        let lists = pod_spec_lists(json.as_bytes(), &[b"spec", b"template", b"spec"]).expect("a pod spec");
        let Some(ListValue::List(span, entries)) = &lists.containers else {
            panic!("containers is a list: {lists:?}")
        };
        assert_eq!(&json[span.clone()], r#"[{"name":"a"}, {"name":"b"} ]"#);
        assert_eq!(texts(json, entries), [r#"{"name":"a"}"#, r#"{"name":"b"}"#]);
        let Some(ListValue::Null(null)) = &lists.init_containers else {
            panic!("initContainers is null: {lists:?}")
        };
        assert_eq!(&json[null.clone()], "null");
    }

    #[rstest]
    #[case::no_list_at_all(r#"{"spec":{}}"#, SpecLists::default())]
    #[case::not_lists(r#"{"spec":{"containers":{},"initContainers":"x"}}"#, SpecLists { containers: Some(ListValue::Other), init_containers: Some(ListValue::Other) })]
    #[case::empty_lists(r#"{"spec":{"containers":[],"initContainers":[ ]}}"#, SpecLists { containers: Some(ListValue::List(22..24, vec![])), init_containers: Some(ListValue::List(42..45, vec![])) })]
    fn what_is_not_a_list_of_containers_is_told_apart(#[case] json: &str, #[case] expected: SpecLists) {
        assert_eq!(pod_spec_lists(json.as_bytes(), &[b"spec"]), Some(expected));
    }

    #[rstest]
    #[case::a_pod_spec_that_is_not_an_object(r#"{"spec":[]}"#)]
    #[case::no_pod_spec(r#"{"metadata":{}}"#)]
    #[case::a_bad_entry(r#"{"spec":{"containers":[{"name":}]}}"#)]
    fn no_lists_without_a_pod_spec_object_in_json(#[case] json: &str) {
        assert_eq!(pod_spec_lists(json.as_bytes(), &[b"spec"]), None);
    }

    #[rstest]
    #[case::written_once(r#"{"name":"a","restartPolicy":"Never"}"#, Some(r#""Never""#), 2)]
    #[case::the_last_of_two(r#"{"restartPolicy":"Never","name":"a","restartPolicy" : null}"#, Some("null"), 3)]
    #[case::not_written(r#"{"name":"a"}"#, None, 1)]
    #[case::an_empty_container("{ }", None, 0)]
    fn a_container_s_restart_policy_is_found_where_it_is_written(
        #[case] json: &str,
        #[case] value: Option<&str>,
        #[case] keys: usize,
    ) {
        let (found, counted) = last_member(json.as_bytes(), b"restartPolicy").expect("an object");
        assert_eq!((found.map(|span| &json[span]), counted), (value, keys));
    }

    #[rstest]
    #[case::a_list("[]")]
    #[case::a_string(r#""a""#)]
    #[case::not_json(r#"{"name":"a""#)]
    fn a_container_that_is_not_an_object_has_no_members(#[case] json: &str) {
        assert_eq!(last_member(json.as_bytes(), b"restartPolicy"), None);
    }

    #[rstest]
    #[case::lone_leading(r#"{"metadata":{"name":"a\ud800b"}}"#)]
    #[case::lone_trailing(r#"{"metadata":{"name":"\udc00"}}"#)]
    #[case::leading_then_another_escape(r#"{"metadata":{"name":"\ud800\n"}}"#)]
    #[case::two_leading(r#"{"metadata":{"name":"\ud800\ud801\udc00"}}"#)]
    #[case::control_characters_in_a_name("{\"metadata\":{\"name\":\"a\tb\"}}")]
    #[case::deep_skipped_value(&DEEP)]
    fn names_are_read_as_bytes_like_serde(#[case] json: &str) {
        assert_eq!(agrees(json.as_bytes()), Ok(()));
        assert!(node(json.as_bytes()).is_ok(), "{json}");
    }

    /// Nested 200 deep inside a skipped value: beyond serde's limit of 128 for what it reads, but it has none for
    /// what it skips.
    static DEEP: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            r#"{{"metadata":{{"name":"a","x":{}1{}}}}}"#,
            "[{\"k\":".repeat(200),
            "}]".repeat(200)
        )
    });

    #[test]
    fn bytes_that_are_not_utf8_are_refused_in_the_lists_keys_only() {
        for json in [
            &b"{\"it\xffems\":[]}"[..],
            b"{\"items\":[{\"meta\xffdata\":{}}]}",
            b"{\"metadata\":{\"name\":\"a\xffb\"}}",
        ] {
            assert_eq!(agrees(json), Ok(()), "{}", json.escape_ascii());
        }
        assert!(node_list(b"{\"it\xffems\":[]}", NATIVE_SIDECARS_SINCE).is_err());
        assert!(node(b"{\"metadata\":{\"name\":\"a\xffb\"}}").is_ok());
    }

    #[test]
    fn a_fault_is_reported_where_it_is() {
        assert_eq!(
            node_list(br#"{"items":[{"metadata":{"name":1}}]}"#, NATIVE_SIDECARS_SINCE),
            Err(Malformed { at: 30 })
        );
    }

    /// Every single-byte edit of a realistic list, at every position, is read alike by the scanner and serde;
    /// the fuzz target `node_list` searches further.
    #[test]
    fn every_one_byte_edit_is_read_like_serde() {
        let list = list_of(REAL_NODE).into_bytes();
        let mut accepted = 0;
        for at in 0..list.len() {
            for byte in [
                b'"', b'\\', b'{', b'}', b'[', b']', b',', b':', b'0', b'-', b'.', b'e', b' ', b'\t', b'n', b'u', 0x80,
                0xff,
            ] {
                let mut edited = list.clone();
                edited[at] = byte;
                assert_eq!(agrees(&edited), Ok(()), "{}", String::from_utf8_lossy(&edited));
                accepted += usize::from(node_list(&edited, NATIVE_SIDECARS_SINCE).is_ok());
            }
        }
        assert!(
            accepted > list.len(),
            "only {accepted} edits were accepted: the edits test refusals only"
        );
    }

    /// Eight bytes at a time finds what a byte-by-byte search finds: each special byte, and each byte next to the
    /// thresholds, at every offset of a 20-byte string of ordinary and non-ASCII bytes.
    #[test]
    fn plain_prefix_stops_where_a_byte_search_stops() {
        let naive = |bytes: &[u8]| {
            bytes
                .iter()
                .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
                .unwrap_or(bytes.len())
        };
        for filler in [b'a', b' ', 0x21, 0x7f, 0x80, 0xff, b'#', b'[', b']'] {
            for special in [b'"', b'\\', 0x00, 0x1f, 0x20, b'#', b'!', 0xa2, 0xdc] {
                for at in 0..20 {
                    let mut bytes = vec![filler; 20];
                    bytes[at] = special;
                    assert_eq!(plain_prefix(&bytes), naive(&bytes), "{bytes:?}");
                    assert_eq!(plain_prefix(&bytes[..at]), at);
                }
            }
        }
    }

    #[test]
    fn versions_that_share_a_slot_are_each_read_as_themselves() {
        let texts: Vec<String> = (29..60)
            .flat_map(|minor| (0..10).map(move |patch| format!("v1.{minor}.{patch}")))
            .collect();
        let (a, b) = texts
            .iter()
            .enumerate()
            .find_map(|(i, a)| {
                let rival = |b: &&String| {
                    slot_of(b.as_bytes()) == slot_of(a.as_bytes())
                        && read_version(b.as_bytes()) != read_version(a.as_bytes())
                };
                texts[i + 1..].iter().find(rival).map(|b| (a, b))
            })
            .expect("two versions of different minors in one slot");
        let mut versions = Versions::default();
        for text in [a, b, a, a, b] {
            let expected = std::str::from_utf8(text.as_bytes())
                .ok()
                .and_then(KubeletVersion::parse_kubelet);
            assert_eq!(
                versions.read(Written(text.as_bytes())),
                expected,
                "{text} after {a} and {b}"
            );
        }
    }

    #[test]
    fn same_compares_every_byte_at_every_length() {
        for length in 0..40 {
            let a: Vec<u8> = (0..length).map(|i| b'a' + i as u8).collect();
            assert!(same(&a, &a.clone()));
            for at in 0..length {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!same(&a, &b), "{a:?} {b:?}");
            }
            assert!(!same(&a, &a[..length.saturating_sub(1)]) || length == 0);
        }
    }

    #[rstest]
    #[case::ascii(0x41, &[0x41])]
    #[case::two_bytes(0xe9, "é".as_bytes())]
    #[case::three_bytes(0x2615, "☕".as_bytes())]
    #[case::surrogate(0xd800, &[0xed, 0xa0, 0x80])]
    #[case::astral(0x1f600, "😀".as_bytes())]
    fn code_points_are_encoded_as_wtf8(#[case] unit: u32, #[case] expected: &[u8]) {
        let mut decoded = Vec::new();
        push_wtf8(unit, &mut decoded);
        assert_eq!(decoded, expected);
    }
}

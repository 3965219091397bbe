//! A file's text as lines: where each starts, how it ends, and how the parser's character positions map to bytes.

/// A place in a file as people count: 1-based line, 1-based column in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// The lines of a text, each with its own line break (`\n`, `\r\n`, or none for a last line without one).
#[derive(Debug, Clone)]
pub(crate) struct Lines<'a> {
    text: &'a str,
    /// Byte offset where each line starts; one entry per line.
    starts: Vec<usize>,
    /// For non-ASCII texts, the byte offset of every character (the parser counts characters).
    char_bytes: Option<Vec<usize>>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.match_indices('\n')
                .map(|(at, _)| at + 1)
                .filter(|&at| at < text.len()),
        );
        let char_bytes = (!text.is_ascii()).then(|| text.char_indices().map(|(at, _)| at).collect());
        Self {
            text,
            starts,
            char_bytes,
        }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    pub fn len(&self) -> usize {
        if self.text.is_empty() { 0 } else { self.starts.len() }
    }

    /// The byte offset where line `index` (0-based) starts.
    pub fn start(&self, index: usize) -> usize {
        self.starts.get(index).copied().unwrap_or(self.text.len())
    }

    /// Line `index` (0-based) with its line break.
    pub fn full(&self, index: usize) -> &'a str {
        let start = self.starts.get(index).copied().unwrap_or(self.text.len());
        let end = self.starts.get(index + 1).copied().unwrap_or(self.text.len());
        &self.text[start..end]
    }

    /// Line `index` (0-based) without its line break.
    pub fn content(&self, index: usize) -> &'a str {
        let full = self.full(index);
        full.strip_suffix('\n')
            .map(|line| line.strip_suffix('\r').unwrap_or(line))
            .unwrap_or(full)
    }

    /// The byte offset of the parser's character index.
    pub fn byte(&self, char_index: usize) -> usize {
        match &self.char_bytes {
            None => char_index.min(self.text.len()),
            Some(bytes) => bytes.get(char_index).copied().unwrap_or(self.text.len()),
        }
    }

    /// The 0-based line holding byte offset `byte`.
    pub fn line_of(&self, byte: usize) -> usize {
        self.starts.partition_point(|&start| start <= byte).saturating_sub(1)
    }

    /// The 0-based byte column of byte offset `byte` in its line: the one place a column is computed from an offset.
    pub fn column(&self, byte: usize) -> usize {
        byte - self.start(self.line_of(byte))
    }

    /// Where byte offset `byte` is, as people count: 1-based line, 1-based column in characters.
    pub fn position(&self, byte: usize) -> Position {
        let line = self.line_of(byte);
        let start = self.start(line);
        let column = self.text[start..byte.clamp(start, self.text.len())].chars().count() + 1;
        Position { line: line + 1, column }
    }

    /// Whether only spaces stand before byte offset `byte` on its line.
    pub fn starts_line(&self, byte: usize) -> bool {
        self.text[self.start(self.line_of(byte))..byte].trim().is_empty()
    }

    /// The line break the file uses: that of its first line, `\n` when it has none.
    pub fn newline(&self) -> &'static str {
        if self.content(0).len() + 2 == self.full(0).len() {
            "\r\n"
        } else {
            "\n"
        }
    }
}

/// How a line reads, as far as the structure of block YAML goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    Blank,
    /// A comment alone on its line, at this indentation.
    Comment(usize),
    /// Anything else, at this indentation.
    Content(usize),
}

pub(crate) fn line_kind(line: &str) -> LineKind {
    let trimmed = line.trim_start_matches(' ');
    let indent = line.len() - trimmed.len();
    let rest = trimmed.trim();
    if rest.is_empty() {
        LineKind::Blank
    } else if rest.starts_with('#') {
        LineKind::Comment(indent)
    } else {
        LineKind::Content(indent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_their_breaks() {
        let lines = Lines::new("a\r\nb\nc");
        assert_eq!(lines.len(), 3);
        assert_eq!((lines.full(0), lines.content(0)), ("a\r\n", "a"));
        assert_eq!((lines.full(1), lines.content(1)), ("b\n", "b"));
        assert_eq!((lines.full(2), lines.content(2)), ("c", "c"));
        assert_eq!(lines.newline(), "\r\n");
        assert_eq!(Lines::new("a\nb\n").len(), 2);
        assert_eq!(Lines::new("").len(), 0);
    }

    #[test]
    fn characters_map_to_bytes() {
        let lines = Lines::new("é: ü\nx");
        assert_eq!(lines.byte(0), 0);
        assert_eq!(lines.byte(1), 2);
        assert_eq!(lines.byte(5), 7);
        assert_eq!(lines.line_of(lines.byte(5)), 1);
    }
}

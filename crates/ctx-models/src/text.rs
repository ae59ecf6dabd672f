//! The text-layout model: line columns and markup nesting.

use crate::hashed::{HashedContext, INPUTS_PER_CONTEXT, hash_combine, hash64};
use crate::{ContextModel, History, Inputs};

/// Deepest markup nesting tracked.
const MAX_DEPTH: usize = 32;

/// Contexts of the *layout* of text, which byte contexts cannot see:
///
/// - the **column** (bytes since the last line feed) with the last byte: wrapped prose
///   breaks its lines near a fixed width, so whether a space or a line break follows a
///   word depends on the column, not on the word;
/// - the column with the last two bytes (indentation, aligned fields);
/// - the **enclosing markup element** (the innermost open `<tag>` of XML/HTML) with
///   whether the position is inside a tag and the last two bytes: element contents and
///   attributes repeat per element, and a closing tag names the innermost open one.
#[derive(Debug, Clone)]
pub struct TextModel {
    col: u64,
    /// Hashes of the open elements, innermost last.
    stack: Vec<u64>,
    /// Name being read after `<` (hash), with whether it is a closing tag.
    name: Option<(u64, bool)>,
    /// Inside `<…>`.
    in_tag: bool,
    /// The last byte was a `/` inside a tag (`/>` closes an empty element).
    slash: bool,
    column: HashedContext,
    column2: HashedContext,
    element: HashedContext,
    /// Per previous byte, the last two bytes that followed it.
    follow1: Vec<u16>,
    /// Per previous two bytes, the last two bytes that followed them.
    follow2: Vec<u16>,
    indirect1: HashedContext,
    indirect2: HashedContext,
    /// 1 + the byte position whose contexts are set.
    at: usize,
}

impl TextModel {
    /// A text-layout model with three tables of `2^table_bits` buckets each.
    pub fn new(table_bits: u32, limit: u32) -> Self {
        Self {
            col: 0,
            stack: Vec::with_capacity(MAX_DEPTH),
            name: None,
            in_tag: false,
            slash: false,
            column: HashedContext::new(table_bits, limit),
            column2: HashedContext::new(table_bits, limit),
            element: HashedContext::new(table_bits, limit),
            follow1: vec![0; 256],
            follow2: vec![0; 65536],
            indirect1: HashedContext::new(table_bits, limit),
            indirect2: HashedContext::new(table_bits, limit),
            at: 0,
        }
    }

    /// Memory used, in bytes.
    pub fn memory(&self) -> usize {
        self.column.memory()
            + self.column2.memory()
            + self.element.memory()
            + self.indirect1.memory()
            + self.indirect2.memory()
            + 2 * (256 + 65536)
    }

    /// The hashes of the current byte's five contexts (see
    /// [`OrderN::context_hashes`](crate::OrderN::context_hashes)).
    pub fn context_hashes(&self) -> impl Iterator<Item = u64> + '_ {
        [
            &self.column,
            &self.column2,
            &self.element,
            &self.indirect1,
            &self.indirect2,
        ]
        .into_iter()
        .map(HashedContext::hash)
    }

    /// Bytes since the last line feed (as of the last byte boundary).
    pub fn column(&self) -> u64 {
        self.col
    }

    /// Reads the last byte into the layout state.
    fn read(&mut self, b: u8) {
        self.col = if b == b'\n' { 0 } else { self.col + 1 };
        if let Some((h, closing)) = self.name {
            let name_byte = b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-' | b'.');
            if name_byte {
                self.name = Some((hash_combine(h, b as u64), closing));
                return;
            }
            if b == b'/' && h == 0 && !closing {
                self.name = Some((0, true));
                return;
            }
            self.name = None;
            if h != 0 {
                if closing {
                    if let Some(i) = self.stack.iter().rposition(|&t| t == h) {
                        self.stack.truncate(i);
                    }
                } else {
                    if self.stack.len() == MAX_DEPTH {
                        self.stack.remove(0);
                    }
                    self.stack.push(h);
                }
            }
        }
        let slash = std::mem::take(&mut self.slash);
        match b {
            b'<' => {
                self.in_tag = true;
                self.name = Some((0, false));
            }
            b'>' => {
                self.in_tag = false;
                // `<br/>`: an empty element closes itself.
                if slash {
                    self.stack.pop();
                }
            }
            b'/' if self.in_tag => self.slash = true,
            _ => {}
        }
    }

    fn set_contexts(&mut self, h: &History) {
        if self.at == h.pos() + 1 {
            return;
        }
        self.at = h.pos() + 1;
        if h.pos() > 0 {
            self.read(h.back(1));
        }
        let (c1, c2) = (h.back(1) as u64, h.back(2) as u64);
        if h.pos() > 1 {
            let c3 = h.back(3) as usize;
            let f = &mut self.follow1[c2 as usize];
            *f = *f << 8 | c1 as u16;
            let f = &mut self.follow2[c3 << 8 | c2 as usize];
            *f = *f << 8 | c1 as u16;
        }
        let f1 = self.follow1[c1 as usize] as u64;
        let f2 = self.follow2[(c2 << 8 | c1) as usize] as u64;
        self.indirect1
            .set_context(hash_combine(hash64(204), c1 | f1 << 8));
        self.indirect2
            .set_context(hash_combine(hash64(205), c2 << 8 | c1 | f2 << 16));
        let col = self.col.min(255);
        self.column
            .set_context(hash_combine(hash_combine(hash64(201), col), c1));
        self.column2.set_context(hash_combine(
            hash_combine(hash_combine(hash64(202), col), c1),
            c2,
        ));
        let top = self.stack.last().copied().unwrap_or(0);
        self.element.set_context(hash_combine(
            hash_combine(hash_combine(hash64(203), top), self.in_tag as u64),
            c1 | c2 << 8,
        ));
    }
}

impl ContextModel for TextModel {
    fn inputs(&self) -> usize {
        5 * INPUTS_PER_CONTEXT
    }

    #[inline]
    fn prepare(&mut self, h: &History) {
        if h.bit_pos() == 0 {
            self.set_contexts(h);
        } else {
            self.column.prefetch_nibble(h);
            self.column2.prefetch_nibble(h);
            self.element.prefetch_nibble(h);
            self.indirect1.prefetch_nibble(h);
            self.indirect2.prefetch_nibble(h);
        }
    }

    fn predict(&mut self, h: &History, x: &mut Inputs) {
        if h.bit_pos() == 0 {
            self.set_contexts(h);
        }
        self.column.predict(h, x);
        self.column2.predict(h, x);
        self.element.predict(h, x);
        self.indirect1.predict(h, x);
        self.indirect2.predict(h, x);
    }

    fn update(&mut self, _h: &History, bit: bool) {
        self.column.update(bit);
        self.column2.update(bit);
        self.element.update(bit);
        self.indirect1.update(bit);
        self.indirect2.update(bit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BitPredictor, Standalone};

    fn read_all(m: &mut TextModel, s: &[u8]) {
        for &b in s {
            m.read(b);
        }
    }

    #[test]
    fn column_and_element_nesting() {
        let mut m = TextModel::new(10, 255);
        read_all(&mut m, b"abc\nde");
        assert_eq!(m.column(), 2);
        read_all(&mut m, b"<a x=\"1\"><b>text");
        assert_eq!(m.stack.len(), 2);
        let b = m.stack[1];
        read_all(&mut m, b"<br/>");
        assert_eq!(
            m.stack,
            vec![m.stack[0], b],
            "an empty element closes itself"
        );
        read_all(&mut m, b"</b>");
        assert_eq!(m.stack.len(), 1);
        read_all(&mut m, b"<c href=\"http://x/y\">");
        assert_eq!(m.stack.len(), 2, "a slash in an attribute closes nothing");
        read_all(&mut m, b"</c></zz></a>");
        assert!(m.stack.is_empty(), "unknown closing tags are ignored");
        for _ in 0..100 {
            read_all(&mut m, b"<d>");
        }
        assert_eq!(m.stack.len(), MAX_DEPTH);
    }

    #[test]
    fn predicts_line_breaks_from_the_column() {
        // Lines of 11 pseudo-random letters: only the column tells where '\n' comes.
        let mut s = 1u32;
        let mut text = Vec::new();
        for _ in 0..400 {
            for _ in 0..11 {
                s = s.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                text.push(b'a' + (s >> 16) as u8 % 26);
            }
            text.push(b'\n');
        }
        let mut model = Standalone::new(TextModel::new(12, 255));
        let mut newline_bits = 0.0;
        for (i, &byte) in text.iter().enumerate() {
            for k in (0..8).rev() {
                let bit = (byte >> k) & 1 == 1;
                let p1 = model.p1() as f64 / 4096.0;
                if byte == b'\n' && i > text.len() / 2 {
                    newline_bits -= if bit { p1 } else { 1.0 - p1 }.log2();
                }
                model.update(bit);
            }
        }
        let per_newline = newline_bits / 200.0;
        assert!(per_newline < 0.5, "{per_newline} bits per line break");
    }
}

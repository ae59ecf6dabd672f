//! The word model and sparse (skip) contexts.

use crate::hashed::{HashedContext, INPUTS_PER_CONTEXT, hash_combine, hash64};
use crate::{ContextModel, History, Inputs};

/// Whether `b` continues a word: ASCII letters and digits, apostrophes inside words, and
/// any non-ASCII byte (UTF-8 letters).
#[inline(always)]
fn word_byte(b: u8) -> Option<u8> {
    match b {
        b'a'..=b'z' | b'0'..=b'9' | 128..=255 => Some(b),
        b'A'..=b'Z' => Some(b + 32),
        _ => None,
    }
}

/// The word model: contexts are the hash of the current word (letters case-folded), of
/// the current and previous words, and of the current and two previous words.
///
/// Text predicts itself word by word: after "the qu" the next byte is almost surely "i",
/// whatever came seven bytes ago, and a word pair ("of the") narrows it further.
#[derive(Debug, Clone)]
pub struct WordModel {
    word: u64,
    prev: u64,
    prev2: u64,
    unigram: HashedContext,
    bigram: HashedContext,
    trigram: HashedContext,
    skip: HashedContext,
    /// 1 + the byte position whose contexts are set.
    at: usize,
}

impl WordModel {
    /// A word model with three tables of `2^table_bits` buckets each.
    pub fn new(table_bits: u32, limit: u32) -> Self {
        Self {
            word: 0,
            prev: 0,
            prev2: 0,
            unigram: HashedContext::new(table_bits, limit),
            bigram: HashedContext::new(table_bits, limit),
            trigram: HashedContext::new(table_bits, limit),
            skip: HashedContext::new(table_bits, limit),
            at: 0,
        }
    }

    /// Memory used, in bytes.
    pub fn memory(&self) -> usize {
        self.unigram.memory() + self.bigram.memory() + self.trigram.memory() + self.skip.memory()
    }

    /// The hashes of the current byte's four contexts (see
    /// [`OrderN::context_hashes`](crate::OrderN::context_hashes)).
    pub fn context_hashes(&self) -> impl Iterator<Item = u64> + '_ {
        [&self.unigram, &self.bigram, &self.trigram, &self.skip]
            .into_iter()
            .map(HashedContext::hash)
    }

    /// The hash of the word being read (0 between words).
    pub fn current_word(&self) -> u64 {
        self.word
    }
}

impl ContextModel for WordModel {
    fn inputs(&self) -> usize {
        4 * INPUTS_PER_CONTEXT
    }

    #[inline]
    fn prepare(&mut self, h: &History) {
        if h.bit_pos() == 0 {
            self.set_contexts(h);
        } else {
            self.unigram.prefetch_nibble(h);
            self.bigram.prefetch_nibble(h);
            self.trigram.prefetch_nibble(h);
            self.skip.prefetch_nibble(h);
        }
    }

    fn predict(&mut self, h: &History, x: &mut Inputs) {
        if h.bit_pos() == 0 {
            self.set_contexts(h);
        }
        self.unigram.predict(h, x);
        self.bigram.predict(h, x);
        self.trigram.predict(h, x);
        self.skip.predict(h, x);
    }

    fn update(&mut self, _h: &History, bit: bool) {
        self.unigram.update(bit);
        self.bigram.update(bit);
        self.trigram.update(bit);
        self.skip.update(bit);
    }
}

impl WordModel {
    /// Reads the last byte into the word state and sets the contexts, once per byte.
    fn set_contexts(&mut self, h: &History) {
        if self.at != h.pos() + 1 {
            self.at = h.pos() + 1;
            if h.pos() > 0 {
                match word_byte(h.back(1)) {
                    Some(b) => self.word = hash_combine(self.word ^ 0x5bd1, b as u64),
                    None if self.word != 0 => {
                        self.prev2 = self.prev;
                        self.prev = self.word;
                        self.word = 0;
                    }
                    None => {}
                }
            }
            // Between words, the unigram context is the last byte, so punctuation and
            // spacing are predicted after the previous word.
            let w = if self.word == 0 {
                hash_combine(self.prev, h.back(1) as u64)
            } else {
                self.word
            };
            self.unigram.set_context(hash_combine(hash64(101), w));
            self.bigram
                .set_context(hash_combine(hash_combine(hash64(102), w), self.prev));
            self.trigram.set_context(hash_combine(
                hash_combine(hash_combine(hash64(103), w), self.prev),
                self.prev2,
            ));
            self.skip
                .set_context(hash_combine(hash_combine(hash64(104), w), self.prev2));
        }
    }
}

/// Sparse (skip) contexts: each context hashes the bytes at a chosen set of distances back,
/// skipping the ones between — the structure of records, tables and binary formats.
#[derive(Debug, Clone)]
pub struct SparseModel {
    patterns: Vec<Vec<usize>>,
    ctxs: Vec<HashedContext>,
    /// 1 + the byte position whose contexts are set.
    at: usize,
}

impl SparseModel {
    /// The default patterns: bytes 2, 3, 4 back alone, bytes 2‥3, and bytes 2 and 4.
    pub fn default_patterns() -> Vec<Vec<usize>> {
        vec![
            vec![2],
            vec![3],
            vec![4],
            vec![2, 3],
            vec![2, 4],
            vec![1, 3],
        ]
    }

    /// A sparse model with one table of `2^table_bits` buckets per pattern.
    pub fn new(patterns: Vec<Vec<usize>>, table_bits: u32, limit: u32) -> Self {
        let ctxs = patterns
            .iter()
            .map(|_| HashedContext::new(table_bits, limit))
            .collect();
        Self {
            patterns,
            ctxs,
            at: 0,
        }
    }

    /// Memory used, in bytes.
    pub fn memory(&self) -> usize {
        self.ctxs.iter().map(HashedContext::memory).sum()
    }

    /// The hashes of the current byte's contexts, one per pattern (see
    /// [`OrderN::context_hashes`](crate::OrderN::context_hashes)).
    pub fn context_hashes(&self) -> impl Iterator<Item = u64> + '_ {
        self.ctxs.iter().map(HashedContext::hash)
    }
}

impl SparseModel {
    fn set_contexts(&mut self, h: &History) {
        if self.at != h.pos() + 1 {
            self.at = h.pos() + 1;
            for (k, (pat, ctx)) in self.patterns.iter().zip(&mut self.ctxs).enumerate() {
                let mut v = hash64(0x5000 + k as u64);
                for &d in pat {
                    v = hash_combine(v, h.back(d) as u64);
                }
                ctx.set_context(v);
            }
        }
    }
}

impl ContextModel for SparseModel {
    fn inputs(&self) -> usize {
        INPUTS_PER_CONTEXT * self.patterns.len()
    }

    #[inline]
    fn prepare(&mut self, h: &History) {
        if h.bit_pos() == 0 {
            self.set_contexts(h);
        } else {
            for ctx in &self.ctxs {
                ctx.prefetch_nibble(h);
            }
        }
    }

    fn predict(&mut self, h: &History, x: &mut Inputs) {
        if h.bit_pos() == 0 {
            self.set_contexts(h);
        }
        for ctx in &mut self.ctxs {
            ctx.predict(h, x);
        }
    }

    fn update(&mut self, _h: &History, bit: bool) {
        for ctx in &mut self.ctxs {
            ctx.update(bit);
        }
    }
}

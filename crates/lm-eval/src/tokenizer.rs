//! Byte-level BPE tokenizer (GPT-2 family) built from GGUF metadata.
//!
//! Text is first split into pieces by a pre-tokenizer, each piece's UTF-8 bytes are
//! mapped to printable characters (GPT-2's byte↔unicode table, so every byte has a token),
//! and adjacent symbols are merged by the rank of their merge rule until no rule applies.
//!
//! The pre-tokenizer is the one the file's `tokenizer.ggml.pre` names, as llama.cpp reads
//! it ([`PreTokenizer::from_gguf_name`]); any other value is refused rather than
//! tokenized differently from the model's own tokenizer:
//!
//! - [`PreTokenizer::Gpt2`] (`gpt-2`): GPT-2's pattern
//!   `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;
//! - [`PreTokenizer::Gpt2SplitDigits`] (`smollm`, `starcoder`, `refact`): two passes, as
//!   llama.cpp and Hugging Face's `Sequence[Digits(individual), ByteLevel]` do: every
//!   numeric character is its own fragment, then the GPT-2 pattern splits each fragment.
//!
//! The `regex` crate has no look-ahead, so the `\s+(?!\S)` alternative is emulated: a
//! whitespace run of two or more characters that is followed by a non-space character
//! gives its last character back to the next piece (where ` ?\p{L}+` and its siblings pick
//! up a single leading space).
//!
//! Special tokens (`<|im_start|>` …) are not recognised inside text: [`Tokenizer::encode`]
//! treats all input as plain text, which is what perplexity on prose needs.

use crate::{Error, Result};
use quant_prune::gguf::Gguf;
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Ids of the special tokens of a vocabulary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpecialTokens {
    /// Beginning of sequence.
    pub bos: Option<u32>,
    /// End of sequence.
    pub eos: Option<u32>,
    /// Stand-in for bytes the vocabulary has no token for.
    pub unknown: Option<u32>,
}

/// How text is cut into pieces before byte-pair merging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PreTokenizer {
    /// GPT-2's pattern (llama.cpp's `gpt-2`).
    Gpt2,
    /// Every numeric character alone, then GPT-2's pattern (llama.cpp's `smollm`,
    /// `starcoder`, `refact`).
    Gpt2SplitDigits,
}

impl PreTokenizer {
    /// The pre-tokenizer of a GGUF `tokenizer.ggml.pre` value, or an error naming the value
    /// when it is one this crate does not implement (llama.cpp's other pre-tokenizers use
    /// other patterns, and a missing value means llama.cpp's `default` one).
    pub fn from_gguf_name(pre: Option<&str>) -> Result<Self> {
        match pre {
            Some("gpt-2") => Ok(Self::Gpt2),
            Some("smollm" | "starcoder" | "refact") => Ok(Self::Gpt2SplitDigits),
            other => Err(Error::Model(format!(
                "unsupported pre-tokenizer {other:?} (tokenizer.ggml.pre); \
                 implemented: gpt-2, smollm, starcoder, refact"
            ))),
        }
    }

    /// The pieces the pre-tokenizer cuts `text` into (concatenated, they are `text`).
    pub fn split(self, text: &str) -> Vec<&str> {
        let mut pieces = Vec::new();
        let mut fragments = Vec::new();
        match self {
            PreTokenizer::Gpt2 => fragments.push(text),
            PreTokenizer::Gpt2SplitDigits => {
                // Pass 1: every numeric character (`\p{N}`) alone.
                let mut start = 0;
                for (i, c) in text.char_indices() {
                    if c.is_numeric() {
                        if start < i {
                            fragments.push(&text[start..i]);
                        }
                        fragments.push(&text[i..i + c.len_utf8()]);
                        start = i + c.len_utf8();
                    }
                }
                if start < text.len() {
                    fragments.push(&text[start..]);
                }
            }
        }
        // The GPT-2 pattern within each fragment.
        for frag in fragments {
            let mut pos = 0;
            while pos < frag.len() {
                let Some(m) = GPT2_PATTERN.find_at(frag, pos) else {
                    // Unreachable (`\s+` and `[^\s…]+` cover every character), but stay total.
                    pieces.push(&frag[pos..]);
                    break;
                };
                let mut end = m.end();
                let s = m.as_str();
                if m.start() > pos {
                    pieces.push(&frag[pos..m.start()]);
                }
                if end < frag.len() && s.chars().all(char::is_whitespace) {
                    // `\s+(?!\S)`: leave the last space for the next piece.
                    if let Some((last, _)) = s.char_indices().next_back().filter(|&(i, _)| i > 0) {
                        end = m.start() + last;
                    }
                }
                pieces.push(&frag[m.start()..end]);
                pos = end;
            }
        }
        pieces
    }
}

/// GPT-2's pattern without its look-ahead alternative `\s+(?!\S)`, which
/// [`PreTokenizer::split`] emulates.
static GPT2_PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+")
        .expect("a valid pattern")
});

/// A byte-level BPE tokenizer.
///
/// Decoding inverts encoding for every text whose bytes all have tokens. SmolLM2's
/// vocabulary lacks 21 of the 256 byte tokens: the control characters U+0004, U+0006,
/// U+0013, U+0014, U+0016, U+001D, and the lead bytes `F1`, `F2` of code points
/// U+40000–U+BFFFF (unassigned planes); the other missing bytes never occur in UTF-8.
/// Those bytes encode as the unknown token, as in the reference tokenizer.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    tokens: Vec<String>,
    byte_token: [u32; 256],
    /// `(left, right) → (rank, merged)` over token ids.
    merges: HashMap<(u32, u32), (u32, u32)>,
    char_byte: HashMap<char, u8>,
    pre: PreTokenizer,
    /// Id of the beginning-of-sequence token, if the vocabulary has one.
    pub bos: Option<u32>,
    /// Id of the end-of-sequence token, if the vocabulary has one.
    pub eos: Option<u32>,
}

/// GPT-2's map from bytes to printable characters.
fn byte_to_char() -> [char; 256] {
    let mut map = ['\0'; 256];
    let printable = |b: u32| {
        (0x21..=0x7e).contains(&b) || (0xa1..=0xac).contains(&b) || (0xae..=0xff).contains(&b)
    };
    let mut next = 256u32;
    for b in 0..256u32 {
        let c = if printable(b) {
            b
        } else {
            next += 1;
            next - 1
        };
        map[b as usize] = char::from_u32(c).unwrap_or('\0');
    }
    map
}

impl Tokenizer {
    /// Builds the tokenizer of a GGUF file whose `tokenizer.ggml.model` is `gpt2` and
    /// whose `tokenizer.ggml.pre` is one [`PreTokenizer::from_gguf_name`] knows.
    pub fn from_gguf(gguf: &Gguf<'_>) -> Result<Self> {
        let model = gguf.get("tokenizer.ggml.model").and_then(|v| v.as_str());
        if model != Some("gpt2") {
            return Err(Error::Model(format!(
                "tokenizer model {model:?} is not byte-level BPE (gpt2)"
            )));
        }
        let pre =
            PreTokenizer::from_gguf_name(gguf.get("tokenizer.ggml.pre").and_then(|v| v.as_str()))?;
        let strings = |key: &str| -> Result<Vec<String>> {
            gguf.get(key)
                .and_then(|v| v.as_array())
                .ok_or_else(|| Error::Model(format!("missing {key}")))?
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| Error::Model(format!("{key} holds a non-string")))
                })
                .collect()
        };
        let tokens = strings("tokenizer.ggml.tokens")?;
        let merges = strings("tokenizer.ggml.merges")?;
        let id = |key: &str| {
            gguf.get(key)
                .and_then(|v| v.as_u64())
                .and_then(|v| u32::try_from(v).ok())
        };
        Self::new(
            tokens,
            &merges,
            SpecialTokens {
                bos: id("tokenizer.ggml.bos_token_id"),
                eos: id("tokenizer.ggml.eos_token_id"),
                unknown: id("tokenizer.ggml.unknown_token_id"),
            },
            pre,
        )
    }

    /// Builds a tokenizer from its vocabulary (byte-mapped token strings, id = index) and
    /// merge rules (`"left right"`, highest priority first) and pre-tokenizer. A byte
    /// without a token of its own encodes as `special.unknown` (an error if there is none).
    pub fn new(
        tokens: Vec<String>,
        merges: &[String],
        special: SpecialTokens,
        pre: PreTokenizer,
    ) -> Result<Self> {
        let SpecialTokens { bos, eos, unknown } = special;
        let index: HashMap<&str, u32> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i as u32))
            .collect();
        let map = byte_to_char();
        let mut byte_token = [0u32; 256];
        let mut char_byte = HashMap::new();
        for (b, &c) in map.iter().enumerate() {
            let mut s = [0u8; 4];
            byte_token[b] = index
                .get(&*c.encode_utf8(&mut s))
                .copied()
                .or(unknown)
                .ok_or_else(|| {
                    Error::Model(format!("vocabulary lacks the token of byte {b:#04x}"))
                })?;
            char_byte.insert(c, b as u8);
        }
        let mut rules = HashMap::with_capacity(merges.len());
        for (rank, m) in merges.iter().enumerate() {
            let Some((l, r)) = m.split_once(' ') else {
                continue;
            };
            if let (Some(&li), Some(&ri), Some(&mi)) = (
                index.get(l),
                index.get(r),
                index.get(format!("{l}{r}").as_str()),
            ) {
                rules.entry((li, ri)).or_insert((rank as u32, mi));
            }
        }
        Ok(Self {
            tokens,
            byte_token,
            merges: rules,
            char_byte,
            pre,
            bos,
            eos,
        })
    }

    /// Number of tokens in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }

    /// The (byte-mapped) string of a token.
    pub fn token(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).map(String::as_str)
    }

    /// The pre-tokenizer.
    pub fn pre_tokenizer(&self) -> PreTokenizer {
        self.pre
    }

    /// The pieces the pre-tokenizer cuts `text` into (concatenated, they are `text`).
    pub fn pre_tokenize<'t>(&self, text: &'t str) -> Vec<&'t str> {
        self.pre.split(text)
    }

    /// Token ids of `text` (no BOS/EOS added).
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::with_capacity(text.len() / 3);
        let mut symbols = Vec::new();
        for piece in self.pre_tokenize(text) {
            symbols.clear();
            symbols.extend(piece.bytes().map(|b| self.byte_token[b as usize]));
            self.merge(&mut symbols);
            out.extend_from_slice(&symbols);
        }
        out
    }

    /// Applies merge rules to `symbols` until none applies, lowest rank first; every
    /// occurrence of the chosen pair is merged left to right (GPT-2's `bpe`).
    fn merge(&self, symbols: &mut Vec<u32>) {
        while symbols.len() > 1 {
            let best = symbols
                .windows(2)
                .filter_map(|w| {
                    self.merges
                        .get(&(w[0], w[1]))
                        .map(|&(rank, id)| (rank, (w[0], w[1]), id))
                })
                .min_by_key(|&(rank, _, _)| rank);
            let Some((_, (l, r), id)) = best else { break };
            let mut w = 0;
            let mut i = 0;
            while i < symbols.len() {
                if i + 1 < symbols.len() && symbols[i] == l && symbols[i + 1] == r {
                    symbols[w] = id;
                    i += 2;
                } else {
                    symbols[w] = symbols[i];
                    i += 1;
                }
                w += 1;
            }
            symbols.truncate(w);
        }
    }

    /// The bytes of a token sequence (unknown ids are skipped).
    pub fn decode_bytes(&self, ids: &[u32]) -> Vec<u8> {
        let mut out = Vec::new();
        for s in ids.iter().filter_map(|&id| self.token(id)) {
            for c in s.chars() {
                match self.char_byte.get(&c) {
                    Some(&b) => out.push(b),
                    None => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
                }
            }
        }
        out
    }

    /// The text of a token sequence (invalid UTF-8 replaced).
    pub fn decode(&self, ids: &[u32]) -> String {
        String::from_utf8_lossy(&self.decode_bytes(ids)).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy vocabulary: the 256 byte tokens, then merges building "he", "hel", "ll".
    fn toy_vocab() -> (Vec<String>, Vec<String>) {
        let map = byte_to_char();
        let mut tokens: Vec<String> = map.iter().map(|c| c.to_string()).collect();
        tokens.extend(["he", "ll", "hell", "Ġt"].map(String::from));
        let merges = ["h e", "l l", "he ll", "Ġ t"].map(String::from).to_vec();
        (tokens, merges)
    }

    fn toy_with(pre: PreTokenizer) -> Tokenizer {
        let (tokens, merges) = toy_vocab();
        Tokenizer::new(tokens, &merges, SpecialTokens::default(), pre).unwrap()
    }

    fn toy() -> Tokenizer {
        toy_with(PreTokenizer::Gpt2SplitDigits)
    }

    #[test]
    fn byte_map_is_a_bijection_onto_printables() {
        let m = byte_to_char();
        let mut seen: Vec<char> = m.to_vec();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 256);
        assert_eq!(m[b' ' as usize], 'Ġ');
        assert_eq!(m[b'\n' as usize], 'Ċ');
        assert_eq!(m[b'A' as usize], 'A');
    }

    #[test]
    fn merges_follow_rank() {
        let t = toy();
        let ids = t.encode("hello tell");
        let strs: Vec<&str> = ids.iter().map(|&i| t.token(i).unwrap()).collect();
        assert_eq!(strs, ["hell", "o", "Ġt", "e", "ll"]);
        assert_eq!(t.decode(&ids), "hello tell");
    }

    #[test]
    fn pre_tokenizer_matches_the_gpt2_pattern_with_lookahead() {
        let t = toy();
        let cases: [(&str, &[&str]); 6] = [
            ("Hello world", &["Hello", " world"]),
            ("a   b", &["a", "  ", " b"]),
            ("x\n\nY", &["x", "\n", "\n", "Y"]),
            ("it's 2024!", &["it", "'s", " ", "2", "0", "2", "4", "!"]),
            ("end  ", &["end", "  "]),
            ("a  !?", &["a", " ", " !?"]),
        ];
        for (text, want) in cases {
            assert_eq!(t.pre_tokenize(text), want, "{text:?}");
        }
    }

    #[test]
    fn gpt2_keeps_digit_runs_whole() {
        let t = toy_with(PreTokenizer::Gpt2);
        let cases: [(&str, &[&str]); 4] = [
            ("it's 2024!", &["it", "'s", " 2024", "!"]),
            ("x1y22 ½Ⅻ", &["x", "1", "y", "22", " ½Ⅻ"]),
            ("a   b", &["a", "  ", " b"]),
            ("", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(t.pre_tokenize(text), want, "{text:?}");
        }
        assert_eq!(t.pre_tokenizer(), PreTokenizer::Gpt2);
    }

    #[test]
    fn only_implemented_pre_tokenizers_are_accepted() {
        use PreTokenizer::*;
        for (name, want) in [
            ("gpt-2", Gpt2),
            ("smollm", Gpt2SplitDigits),
            ("starcoder", Gpt2SplitDigits),
            ("refact", Gpt2SplitDigits),
        ] {
            assert_eq!(PreTokenizer::from_gguf_name(Some(name)).unwrap(), want);
        }
        for name in [
            None,
            Some("default"),
            Some("mpt"),
            Some("deepseek-coder"),
            Some("llama3"),
        ] {
            let e = PreTokenizer::from_gguf_name(name).unwrap_err();
            assert!(
                matches!(&e, Error::Model(m) if m.starts_with("unsupported pre-tokenizer")),
                "{name:?}: {e}"
            );
        }
    }

    fn gguf_string(f: &mut Vec<u8>, s: &str) {
        f.extend((s.len() as u64).to_le_bytes());
        f.extend(s.as_bytes());
    }

    /// A vocabulary-only GGUF laid out as llama.cpp's converter writes it (no tensors, no
    /// padding after the metadata), with the toy vocabulary and `pre`.
    fn vocab_only_gguf(pre: &str) -> Vec<u8> {
        let (tokens, merges) = toy_vocab();
        let mut f = b"GGUF".to_vec();
        f.extend(3u32.to_le_bytes());
        f.extend(0u64.to_le_bytes());
        f.extend(4u64.to_le_bytes());
        for (key, value) in [
            ("tokenizer.ggml.model", "gpt2"),
            ("tokenizer.ggml.pre", pre),
        ] {
            gguf_string(&mut f, key);
            f.extend(8u32.to_le_bytes());
            gguf_string(&mut f, value);
        }
        for (key, list) in [
            ("tokenizer.ggml.tokens", tokens),
            ("tokenizer.ggml.merges", merges),
        ] {
            gguf_string(&mut f, key);
            f.extend(9u32.to_le_bytes());
            f.extend(8u32.to_le_bytes());
            f.extend((list.len() as u64).to_le_bytes());
            for s in &list {
                gguf_string(&mut f, s);
            }
        }
        f
    }

    #[test]
    fn builds_from_a_vocab_only_gguf_and_refuses_other_pre_tokenizers() {
        let f = vocab_only_gguf("gpt-2");
        assert_ne!(f.len() % 32, 0);
        let t = Tokenizer::from_gguf(&Gguf::parse(&f).unwrap()).unwrap();
        assert_eq!(t.pre_tokenizer(), PreTokenizer::Gpt2);
        assert_eq!(t.vocab_size(), 260);
        let ids = t.encode("hello 42");
        let strs: Vec<&str> = ids.iter().map(|&i| t.token(i).unwrap()).collect();
        assert_eq!(strs, ["hell", "o", "Ġ", "4", "2"]);
        let f = vocab_only_gguf("deepseek-coder");
        let e = Tokenizer::from_gguf(&Gguf::parse(&f).unwrap()).unwrap_err();
        assert!(e.to_string().contains("\"deepseek-coder\""), "{e}");
    }

    #[test]
    fn arbitrary_text_roundtrips() {
        fn prop(s: String) -> bool {
            let t = toy();
            let g = toy_with(PreTokenizer::Gpt2);
            t.decode(&t.encode(&s)) == s
                && t.pre_tokenize(&s).concat() == s
                && g.decode(&g.encode(&s)) == s
                && g.pre_tokenize(&s).concat() == s
        }
        quickcheck::quickcheck(prop as fn(String) -> bool);
        let t = toy();
        for s in ["", "  \t\n ", "naïve café — 東京 🦀 x²", "\u{0}\u{7f}"] {
            assert_eq!(t.decode(&t.encode(s)), s);
        }
    }
}

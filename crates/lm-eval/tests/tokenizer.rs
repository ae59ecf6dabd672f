//! Conformance of the tokenizer with the reference byte-level BPE tokenizer.
//!
//! The cases are our own strings in the spirit of llama.cpp's tokenizer tests
//! (`tests/test-tokenizer-0.*`): whitespace runs, contractions, digits, several scripts,
//! emoji, code. The expected values come from Hugging Face `tokenizers` 0.23:
//!
//! - `smollm2_ids`: a `BPE` model over SmolLM2's GGUF vocabulary and merges with the
//!   pre-tokenizer its `tokenizer.ggml.pre` (`smollm`) names,
//!   `Sequence[Digits(individual_digits=True), ByteLevel(add_prefix_space=False)]`. The
//!   same construction reproduces every expected id of llama.cpp's vocabulary tests for
//!   `starcoder`, `refact` (that pre-tokenizer) and `gpt-2` (`ByteLevel` alone);
//! - `gpt2_pieces`, `split_digit_pieces`: the pieces those two pre-tokenizers cut the text
//!   into (they do not depend on a vocabulary).

use lm_eval::{PreTokenizer, SMOLLM2_FILE, Tokenizer, model_path_or_skip};
use quant_prune::gguf::Gguf;

struct Case {
    text: &'static str,
    smollm2_ids: &'static [u32],
    gpt2_pieces: &'static [&'static str],
    split_digit_pieces: &'static [&'static str],
}

#[test]
fn smollm2_ids_match_the_reference() {
    let Some(path) = model_path_or_skip("smollm2_ids_match_the_reference", SMOLLM2_FILE) else {
        return;
    };
    let bytes = std::fs::read(&path).expect("the model file reads");
    let gguf = Gguf::parse(&bytes).expect("the model file parses");
    let pre = gguf.get("tokenizer.ggml.pre").and_then(|v| v.as_str());
    assert_eq!(pre, Some("smollm"));
    let t = Tokenizer::from_gguf(&gguf).expect("the tokenizer builds");
    assert_eq!(t.pre_tokenizer(), PreTokenizer::Gpt2SplitDigits);
    for c in CASES {
        let ids = t.encode(c.text);
        assert_eq!(ids, c.smollm2_ids, "{:?}", c.text);
        assert_eq!(t.decode(&ids), c.text);
    }
}

#[test]
fn pre_tokenizers_cut_the_reference_pieces() {
    for c in CASES {
        assert_eq!(
            PreTokenizer::Gpt2.split(c.text),
            c.gpt2_pieces,
            "gpt-2 {:?}",
            c.text
        );
        assert_eq!(
            PreTokenizer::Gpt2SplitDigits.split(c.text),
            c.split_digit_pieces,
            "split digits {:?}",
            c.text
        );
    }
}

const CASES: &[Case] = &[
    Case {
        text: "",
        smollm2_ids: &[],
        gpt2_pieces: &[],
        split_digit_pieces: &[],
    },
    Case {
        text: " ",
        smollm2_ids: &[216],
        gpt2_pieces: &[" "],
        split_digit_pieces: &[" "],
    },
    Case {
        text: "   ",
        smollm2_ids: &[333],
        gpt2_pieces: &["   "],
        split_digit_pieces: &["   "],
    },
    Case {
        text: "\t",
        smollm2_ids: &[197],
        gpt2_pieces: &["\t"],
        split_digit_pieces: &["\t"],
    },
    Case {
        text: "\n",
        smollm2_ids: &[198],
        gpt2_pieces: &["\n"],
        split_digit_pieces: &["\n"],
    },
    Case {
        text: "\n\n\n",
        smollm2_ids: &[16506],
        gpt2_pieces: &["\n\n\n"],
        split_digit_pieces: &["\n\n\n"],
    },
    Case {
        text: " \n \n",
        smollm2_ids: &[3717, 3717],
        gpt2_pieces: &[" \n \n"],
        split_digit_pieces: &[" \n \n"],
    },
    Case {
        text: "\t\t\n  \n",
        smollm2_ids: &[1656, 11181, 198],
        gpt2_pieces: &["\t\t\n  \n"],
        split_digit_pieces: &["\t\t\n  \n"],
    },
    Case {
        text: "Hello world",
        smollm2_ids: &[19556, 905],
        gpt2_pieces: &["Hello", " world"],
        split_digit_pieces: &["Hello", " world"],
    },
    Case {
        text: " Hello world",
        smollm2_ids: &[38699, 905],
        gpt2_pieces: &[" Hello", " world"],
        split_digit_pieces: &[" Hello", " world"],
    },
    Case {
        text: "HELLO   World!!",
        smollm2_ids: &[56, 4210, 6426, 256, 2260, 10095],
        gpt2_pieces: &["HELLO", "  ", " World", "!!"],
        split_digit_pieces: &["HELLO", "  ", " World", "!!"],
    },
    Case {
        text: "   leading and trailing   ",
        smollm2_ids: &[256, 2899, 284, 35079, 333],
        gpt2_pieces: &["  ", " leading", " and", " trailing", "   "],
        split_digit_pieces: &["  ", " leading", " and", " trailing", "   "],
    },
    Case {
        text: "I'm sure you'll see we've done it, haven't we? She'd say it's theirs.",
        smollm2_ids: &[
            57, 5248, 2090, 346, 3060, 963, 392, 3543, 2294, 357, 28, 8540, 982, 392, 47, 2306,
            6737, 1643, 357, 506, 26718, 30,
        ],
        gpt2_pieces: &[
            "I", "'m", " sure", " you", "'ll", " see", " we", "'ve", " done", " it", ",", " haven",
            "'t", " we", "?", " She", "'d", " say", " it", "'s", " theirs", ".",
        ],
        split_digit_pieces: &[
            "I", "'m", " sure", " you", "'ll", " see", " we", "'ve", " done", " it", ",", " haven",
            "'t", " we", "?", " She", "'d", " say", " it", "'s", " theirs", ".",
        ],
    },
    Case {
        text: "SHOUTING DON'T WON'T 'S 'LL it'S",
        smollm2_ids: &[
            67, 21953, 4728, 422, 2154, 23, 68, 408, 2154, 23, 68, 637, 67, 637, 16421, 357, 23, 67,
        ],
        gpt2_pieces: &[
            "SHOUTING", " DON", "'", "T", " WON", "'", "T", " '", "S", " '", "LL", " it", "'", "S",
        ],
        split_digit_pieces: &[
            "SHOUTING", " DON", "'", "T", " WON", "'", "T", " '", "S", " '", "LL", " it", "'", "S",
        ],
    },
    Case {
        text: "3.14159 and 1,000,000 and 2^10=1024",
        smollm2_ids: &[
            35, 30, 33, 36, 33, 37, 41, 284, 216, 33, 28, 32, 32, 32, 28, 32, 32, 32, 284, 216, 34,
            78, 33, 32, 45, 33, 32, 34, 36,
        ],
        gpt2_pieces: &[
            "3", ".", "14159", " and", " 1", ",", "000", ",", "000", " and", " 2", "^", "10", "=",
            "1024",
        ],
        split_digit_pieces: &[
            "3", ".", "1", "4", "1", "5", "9", " and", " ", "1", ",", "0", "0", "0", ",", "0", "0",
            "0", " and", " ", "2", "^", "1", "0", "=", "1", "0", "2", "4",
        ],
    },
    Case {
        text: "007 x1y22z333 v2.0.1-rc3",
        smollm2_ids: &[
            32, 32, 39, 1792, 33, 105, 34, 34, 106, 35, 35, 35, 386, 34, 30, 32, 30, 33, 29, 6506,
            35,
        ],
        gpt2_pieces: &[
            "007", " x", "1", "y", "22", "z", "333", " v", "2", ".", "0", ".", "1", "-", "rc", "3",
        ],
        split_digit_pieces: &[
            "0", "0", "7", " x", "1", "y", "2", "2", "z", "3", "3", "3", " v", "2", ".", "0", ".",
            "1", "-", "rc", "3",
        ],
    },
    Case {
        text: "Grüße aus Köln — naïve café, ½ Ⅻ ٣٤٥",
        smollm2_ids: &[
            27302, 7170, 34878, 85, 253, 376, 659, 7466, 34115, 1841, 15486, 46494, 37366, 28, 216,
            16738, 216, 173, 223, 121, 216, 164, 113, 164, 114, 164, 115,
        ],
        gpt2_pieces: &[
            "Grüße", " aus", " Köln", " —", " naïve", " café", ",", " ½", " Ⅻ", " ٣٤٥",
        ],
        split_digit_pieces: &[
            "Grüße", " aus", " Köln", " —", " naïve", " café", ",", " ", "½", " ", "Ⅻ", " ", "٣",
            "٤", "٥",
        ],
    },
    Case {
        text: "Ελληνικά κείμενο και Привет, мир!",
        smollm2_ids: &[
            153, 239, 17162, 17162, 25723, 11517, 12001, 21118, 26112, 31953, 14240, 22442, 16674,
            14240, 11517, 10589, 31953, 28677, 5470, 249, 46879, 16464, 32547, 28, 41337, 7872,
            9175, 17,
        ],
        gpt2_pieces: &["Ελληνικά", " κείμενο", " και", " Привет", ",", " мир", "!"],
        split_digit_pieces: &["Ελληνικά", " κείμενο", " και", " Привет", ",", " мир", "!"],
    },
    Case {
        text: "日本語のテキストと한국어 텍스트",
        smollm2_ids: &[
            23274, 115, 40993, 179, 120, 248, 26453, 11100, 224, 10391, 251, 10391, 134, 11100,
            226, 7365, 118, 33085, 246, 181, 130, 251, 183, 240, 129, 48138, 223, 231, 183, 228,
            114, 184, 228, 133,
        ],
        gpt2_pieces: &["日本語のテキストと한국어", " 텍스트"],
        split_digit_pieces: &["日本語のテキストと한국어", " 텍스트"],
    },
    Case {
        text: "I ❤\u{fe0f} 🦀 and 👩\u{200d}💻 ✅✅",
        smollm2_ids: &[
            57, 4636, 247, 114, 31752, 15107, 116, 218, 284, 15107, 235, 119, 321, 231, 10813, 236,
            136, 4636, 246, 223, 38083, 223,
        ],
        gpt2_pieces: &["I", " ❤\u{fe0f}", " 🦀", " and", " 👩\u{200d}💻", " ✅✅"],
        split_digit_pieces: &["I", " ❤\u{fe0f}", " 🦀", " and", " 👩\u{200d}💻", " ✅✅"],
    },
    Case {
        text: "∀x∈ℝ: x²≥0 ⇒ √x ∈ ℝ",
        smollm2_ids: &[
            22052, 218, 104, 22052, 226, 13993, 247, 42, 1792, 19133, 40533, 115, 32, 4636, 225,
            236, 19995, 244, 104, 19995, 226, 4636, 222, 247,
        ],
        gpt2_pieces: &[
            "∀", "x", "∈", "ℝ", ":", " x", "²", "≥", "0", " ⇒", " √", "x", " ∈", " ℝ",
        ],
        split_digit_pieces: &[
            "∀", "x", "∈", "ℝ", ":", " x", "²", "≥", "0", " ⇒", " √", "x", " ∈", " ℝ",
        ],
    },
    Case {
        text: "a\u{a0}b 東京\u{3000}大阪 1\u{2009}000",
        smollm2_ids: &[
            81, 15442, 82, 17097, 247, 126, 16736, 122, 12109, 218, 41479, 180, 242, 120, 216, 33,
            321, 227, 32, 32, 32,
        ],
        gpt2_pieces: &[
            "a", "\u{a0}", "b", " 東京", "\u{3000}", "大阪", " 1", "\u{2009}", "000",
        ],
        split_digit_pieces: &[
            "a", "\u{a0}", "b", " 東京", "\u{3000}", "大阪", " ", "1", "\u{2009}", "0", "0", "0",
        ],
    },
    Case {
        text: "fn main() {\n    println!(\"{}\", x + 1);\n}\n",
        smollm2_ids: &[
            7853, 1085, 1000, 1662, 472, 1628, 34115, 17, 43331, 1002, 1792, 1232, 216, 33, 4258,
            198, 109, 198,
        ],
        gpt2_pieces: &[
            "fn",
            " main",
            "()",
            " {",
            "\n   ",
            " println",
            "!(\"{}\",",
            " x",
            " +",
            " 1",
            ");",
            "\n",
            "}",
            "\n",
        ],
        split_digit_pieces: &[
            "fn",
            " main",
            "()",
            " {",
            "\n   ",
            " println",
            "!(\"{}\",",
            " x",
            " +",
            " ",
            "1",
            ");",
            "\n",
            "}",
            "\n",
        ],
    },
    Case {
        text: "def f(a, b):\n\tif a and not b:\n\t\treturn a  # done\n\n\n    pass",
        smollm2_ids: &[
            1604, 275, 24, 81, 28, 278, 727, 198, 197, 342, 253, 284, 441, 278, 42, 3354, 197,
            5406, 253, 216, 907, 2294, 13272, 1301,
        ],
        gpt2_pieces: &[
            "def",
            " f",
            "(",
            "a",
            ",",
            " b",
            "):",
            "\n",
            "\t",
            "if",
            " a",
            " and",
            " not",
            " b",
            ":",
            "\n\t",
            "\t",
            "return",
            " a",
            " ",
            " #",
            " done",
            "\n\n\n   ",
            " pass",
        ],
        split_digit_pieces: &[
            "def",
            " f",
            "(",
            "a",
            ",",
            " b",
            "):",
            "\n",
            "\t",
            "if",
            " a",
            " and",
            " not",
            " b",
            ":",
            "\n\t",
            "\t",
            "return",
            " a",
            " ",
            " #",
            " done",
            "\n\n\n   ",
            " pass",
        ],
    },
    Case {
        text: "if (a && b || !c) { return p->next; } // ok",
        smollm2_ids: &[
            342, 365, 81, 1456, 22, 278, 14669, 5728, 83, 25, 1662, 1003, 273, 22690, 11282, 43,
            4029, 13241, 10907,
        ],
        gpt2_pieces: &[
            "if", " (", "a", " &&", " b", " ||", " !", "c", ")", " {", " return", " p", "->",
            "next", ";", " }", " //", " ok",
        ],
        split_digit_pieces: &[
            "if", " (", "a", " &&", " b", " ||", " !", "c", ")", " {", " return", " p", "->",
            "next", ";", " }", " //", " ok",
        ],
    },
    Case {
        text: "#include <stdio.h>\nint main(void){printf(\"%d\\n\",42);}",
        smollm2_ids: &[
            19, 21745, 2067, 10491, 1119, 30, 88, 46, 198, 591, 1085, 24, 32439, 25, 107, 3272, 86,
            23901, 84, 76, 94, 1002, 36, 34, 4258, 109,
        ],
        gpt2_pieces: &[
            "#", "include", " <", "stdio", ".", "h", ">", "\n", "int", " main", "(", "void", "){",
            "printf", "(\"%", "d", "\\", "n", "\",", "42", ");}",
        ],
        split_digit_pieces: &[
            "#", "include", " <", "stdio", ".", "h", ">", "\n", "int", " main", "(", "void", "){",
            "printf", "(\"%", "d", "\\", "n", "\",", "4", "2", ");}",
        ],
    },
    Case {
        text: "...!!!???''\"\"``` --==>> @user #tag $100 50% a_b_c",
        smollm2_ids: &[
            2026, 29646, 16693, 47, 3816, 1093, 3725, 3009, 1189, 7791, 3394, 4093, 907, 9204,
            1885, 33, 32, 32, 216, 37, 32, 21, 253, 79, 82, 79, 83,
        ],
        gpt2_pieces: &[
            "...!!!???''\"\"```",
            " --==>>",
            " @",
            "user",
            " #",
            "tag",
            " $",
            "100",
            " 50",
            "%",
            " a",
            "_",
            "b",
            "_",
            "c",
        ],
        split_digit_pieces: &[
            "...!!!???''\"\"```",
            " --==>>",
            " @",
            "user",
            " #",
            "tag",
            " $",
            "1",
            "0",
            "0",
            " ",
            "5",
            "0",
            "%",
            " a",
            "_",
            "b",
            "_",
            "c",
        ],
    },
    Case {
        text: "end with spaces    ",
        smollm2_ids: &[486, 351, 5600, 289],
        gpt2_pieces: &["end", " with", " spaces", "    "],
        split_digit_pieces: &["end", " with", " spaces", "    "],
    },
    Case {
        text: "tab\tseparated\tvalues\t1\t2",
        smollm2_ids: &[15999, 197, 19509, 483, 197, 6347, 197, 33, 197, 34],
        gpt2_pieces: &[
            "tab",
            "\t",
            "separated",
            "\t",
            "values",
            "\t",
            "1",
            "\t",
            "2",
        ],
        split_digit_pieces: &[
            "tab",
            "\t",
            "separated",
            "\t",
            "values",
            "\t",
            "1",
            "\t",
            "2",
        ],
    },
    Case {
        text: "CamelCaseIdentifier snake_case_name kebab-case-name",
        smollm2_ids: &[
            51, 14548, 10802, 38367, 14321, 79, 7544, 79, 1245, 902, 82, 369, 29, 7544, 29, 1245,
        ],
        gpt2_pieces: &[
            "CamelCaseIdentifier",
            " snake",
            "_",
            "case",
            "_",
            "name",
            " kebab",
            "-",
            "case",
            "-",
            "name",
        ],
        split_digit_pieces: &[
            "CamelCaseIdentifier",
            " snake",
            "_",
            "case",
            "_",
            "name",
            " kebab",
            "-",
            "case",
            "-",
            "name",
        ],
    },
];

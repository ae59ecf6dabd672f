//! The composed model of `cm` levels 3–9.

use super::LARGE_BLOCK;
use super::config::{CmConfig, HIGH_ORDER, MAX_HIGH_LESS, halved, history_bits};
use crate::{
    Apm, ContextBank, ContextModel, History, INPUTS_PER_CONTEXT, Inputs, MatchModel, Mixer, OrderN,
    RecordModel, SparseModel, TextModel, TreePredictor, TweedieCalibrator, WordModel,
};

/// Table size (log2 buckets) of a model whose contexts live in the [`ContextBank`]: the
/// model only computes their hashes.
const BANKED: u32 = 2;

/// The composed model of one block at levels 3–9: every context model of the
/// configuration, their slots in one [`ContextBank`], the match model, the two-layer
/// [`Mixer`], the APM stages and the Tweedie step (see the [module docs](super)).
///
/// Built for one block ([`CmModel::new`]); predicts through [`TreePredictor`].
pub struct CmModel {
    h: History,
    orders: Vec<OrderN>,
    /// Whether the order contexts are in `bank` (not with lean orders, which add one input
    /// each and predict on their own).
    banked_orders: bool,
    /// The slots of every hashed context — orders (when banked), word, sparse, record,
    /// text layout, in this order — predicted and updated together.
    bank: ContextBank,
    /// For each context the models hash (orders when banked, word, sparse, record, text
    /// layout, in this order), whether it is in the bank.
    in_bank: Vec<bool>,
    word: Option<WordModel>,
    sparse: Option<SparseModel>,
    record: Option<RecordModel>,
    text: Option<TextModel>,
    matcher: Option<MatchModel>,
    mixer: Mixer,
    apm: Option<(Apm, Apm, Apm)>,
    tweedie: Option<TweedieCalibrator>,
    x: Inputs,
    column: usize,
    /// Whether the contexts of the current byte are set (by `update` of the last bit).
    prepared: bool,
    /// The bank's contexts of the orders from 2 up (bit `i` for context `i`), whose known
    /// slots are counted for a mixer selector, when the orders are banked.
    known_mask: u32,
    /// The last byte, and the last two bytes placed for the APM contexts (`c1 << 8`,
    /// `c1 << 8 ^ c2 << 16`): set at each byte boundary.
    c1: usize,
    c12: [usize; 2],
    /// The byte being coded, where the encoder said it ([`TreePredictor::hint`]): what to
    /// prefetch early. Never read by a prediction.
    hint: Option<u8>,
}

impl CmModel {
    /// The model of `cfg` for a block of `len` bytes whose largest tables are halved
    /// `high_less` times ([`CmConfig::high_less`], at most [`MAX_HIGH_LESS`]).
    pub fn new(cfg: &CmConfig, len: usize, high_less: u8) -> Self {
        let high_less = u32::from(high_less.min(MAX_HIGH_LESS));
        let banked_orders = !cfg.lean;
        let orders: Vec<OrderN> = cfg
            .orders
            .iter()
            .map(|&o| {
                if cfg.lean {
                    OrderN::lean(o, cfg.order_bits(o, len), cfg.limit)
                } else {
                    OrderN::new(o, BANKED, cfg.limit)
                }
            })
            .collect();
        // The bank's tables, one per context, in the order of the inputs.
        let mut bits = Vec::new();
        let mut in_bank = Vec::new();
        let mut take = |mask: u8, n: usize, b: u32| {
            for i in 0..n {
                let used = mask >> i & 1 == 1;
                in_bank.push(used);
                if used {
                    bits.push(b);
                }
            }
        };
        if banked_orders {
            for &o in &cfg.orders {
                let b = cfg.order_bits(o, len);
                take(
                    1,
                    1,
                    if o >= HIGH_ORDER {
                        halved(b, high_less)
                    } else {
                        b
                    },
                );
            }
        }
        let word = cfg.word.then(|| {
            take(cfg.word_contexts, 4, halved(cfg.word_bits(len), high_less));
            WordModel::new(BANKED, cfg.limit)
        });
        let sparse = cfg.sparse.then(|| {
            for _ in &cfg.sparse_patterns {
                take(1, 1, cfg.sparse_bits(len));
            }
            SparseModel::new(cfg.sparse_patterns.clone(), BANKED, cfg.limit)
        });
        let record = cfg.record.then(|| {
            take(cfg.record_contexts, 4, cfg.side_bits(len));
            RecordModel::new(BANKED, cfg.limit)
        });
        let text = cfg.text.then(|| {
            take(cfg.text_contexts, 5, cfg.side_bits(len));
            TextModel::new(BANKED, cfg.limit)
        });
        let bank = ContextBank::new(&bits, cfg.limit);
        let matcher = (cfg.match_bits > 0)
            .then(|| MatchModel::new(cfg.bits_for(len, cfg.match_bits), cfg.match_min));
        // Every banked context adds `INPUTS_PER_CONTEXT` inputs; lean orders predict alone.
        let mut n = bank.len() * INPUTS_PER_CONTEXT;
        if !banked_orders {
            n += orders.iter().map(ContextModel::inputs).sum::<usize>();
        }
        n += matcher.as_ref().map_or(0, ContextModel::inputs);
        Self {
            h: History::new(history_bits(len)),
            orders,
            banked_orders,
            bank,
            in_bank,
            word,
            sparse,
            record,
            text,
            matcher,
            mixer: Mixer::new(
                n,
                &[256, 16 * 8 * 8, 256, 16 * 8, 64 * 8][..cfg.selectors.clamp(1, 5)],
                16,
                if len > LARGE_BLOCK {
                    cfg.lr_large
                } else {
                    cfg.lr
                },
            )
            .with_skip(cfg.mixer_skip),
            apm: cfg
                .apm
                .then(|| (Apm::new(256, 6), Apm::new(65536, 5), Apm::new(65536, 5))),
            tweedie: (cfg.tweedie > 0).then(|| TweedieCalibrator::new(cfg.tweedie, 3, 1 << 14)),
            x: Inputs::with_capacity(n),
            column: 0,
            prepared: false,
            known_mask: if banked_orders {
                (cfg.orders.iter().enumerate())
                    .filter(|&(i, &o)| o >= 2 && i < 32)
                    .fold(0, |m, (i, _)| m | 1 << i)
            } else {
                0
            },
            c1: 0,
            c12: [0; 2],
            hint: None,
        }
    }

    /// At a byte boundary: every model hashes its contexts from the history and the bank
    /// takes the hashes (and prefetches their buckets).
    fn set_contexts(&mut self) {
        let h = &self.h;
        let (bank, in_bank) = (&mut self.bank, &self.in_bank[..]);
        // `k` walks the contexts in the order of `in_bank`, `i` the bank's contexts.
        let (mut k, mut i) = (0, 0);
        let mut put = |hash: u64| {
            if in_bank.get(k).copied().unwrap_or(false) {
                bank.set_context(i, hash);
                i += 1;
            }
            k += 1;
        };
        if self.banked_orders {
            for m in &self.orders {
                put(OrderN::context_hash(m.order(), h));
            }
        } else {
            for m in &mut self.orders {
                m.prepare(h);
            }
        }
        // The other models, each of its own type, in the order of `in_bank`.
        macro_rules! hash_model {
            ($($m:ident),*) => {$(
                if let Some(m) = &mut self.$m {
                    m.prepare(h);
                    m.context_hashes().for_each(&mut put);
                }
            )*};
        }
        hash_model!(word, sparse, record, text);
    }

    /// The contexts of the order-1 and hashed order-2 APMs for the partial byte `c0` of
    /// the current byte.
    #[inline(always)]
    fn apm_contexts(&self, c0: usize) -> [usize; 2] {
        [
            c0 | self.c12[0],
            (c0 ^ self.c12[1]).wrapping_mul(0x9e37) >> 8,
        ]
    }

    /// The 16-bit probability that the next bit is 1.
    #[inline]
    fn p(&mut self) -> u32 {
        // At a byte boundary every model hashes its contexts and the bank prefetches all
        // their buckets before any lookup, so that the cache misses overlap. This normally
        // happens in `update` of the byte's last bit, before the rest of its learning, so
        // that the misses also overlap that work; here only for the first byte.
        if self.h.bit_pos() == 0 {
            if !self.prepared {
                self.set_contexts();
            }
            self.prepared = false;
            let (c1, c2) = (self.h.back(1) as usize, self.h.back(2) as usize);
            self.c1 = c1;
            self.c12 = [c1 << 8, (c1 << 8) ^ (c2 << 16)];
        }
        let h = &self.h;
        self.x.clear();
        let c0 = h.c0() as usize;
        let c1 = self.c1;
        let apm_cx = self.apm_contexts(c0);
        if let Some((_, a2, a3)) = &self.apm {
            // Their rows are needed after mixing: ask for them now; the encoder, which
            // knows the byte, asks for the next bit's rows a bit early.
            match self.hint {
                Some(byte) => {
                    if h.bit_pos() == 0 {
                        a2.prefetch(apm_cx[0]);
                        a3.prefetch(apm_cx[1]);
                    }
                    if h.bit_pos() < 7 {
                        // The partial byte of the next bit.
                        let next = self.apm_contexts((byte as usize | 256) >> (7 - h.bit_pos()));
                        a2.prefetch(next[0]);
                        a3.prefetch(next[1]);
                    }
                }
                None => {
                    a2.prefetch(apm_cx[0]);
                    a3.prefetch(apm_cx[1]);
                }
            }
        }
        // The buckets the low nibble will use: the encoder knows them at the first bit;
        // the decoder asks at bit 3 for both ways the nibble can still go.
        match self.hint {
            Some(byte) if h.bit_pos() == 0 => {
                self.bank.prefetch_known_nibble(16 | u32::from(byte >> 4));
            }
            None if h.bit_pos() == 3 => self.bank.prefetch_nibble(h),
            _ => {}
        }
        if h.bit_pos() == 3 && !self.banked_orders {
            for m in &mut self.orders {
                m.prepare(h);
            }
        }
        if !self.banked_orders {
            for m in &mut self.orders {
                m.predict(h, &mut self.x);
            }
        }
        self.bank.predict(h, &mut self.x);
        let mstate = match &mut self.matcher {
            Some(m) => {
                m.predict(h, &mut self.x);
                m.state()
            }
            None => 0,
        };
        let known = if self.banked_orders {
            self.bank.known_count(self.known_mask) as usize
        } else {
            self.orders
                .iter()
                .filter(|o| o.order() >= 2 && o.known())
                .count()
        };
        // Column within the detected record (0 without one), with the bit position; a
        // division, so once per byte.
        if h.bit_pos() == 0 {
            self.column = match &self.record {
                Some(r) if r.record_len() > 0 => 1 + (h.pos() % r.record_len()).min(62),
                _ => 0,
            };
        }
        let column = self.column;
        let ctxs = [
            c0,
            (mstate * 8 + known.min(7)) * 8 + h.bit_pos() as usize,
            c1,
            known.min(15) * 8 + h.bit_pos() as usize,
            column * 8 + h.bit_pos() as usize,
        ];
        let pm = self.mixer.mix(&mut self.x, &ctxs, mstate);
        let p16 = match &mut self.apm {
            Some((a1, a2, a3)) => {
                // The APMs take the mixer's output before it was squashed.
                let st = self.mixer.st();
                let p1 = a1.refine_stretched(st, c0);
                let p2 = a2.refine_stretched(st, apm_cx[0]);
                let p3 = a3.refine_stretched(st, apm_cx[1]);
                (pm * 16 + p1 + p2 * 3 + p3 * 3) >> 3
            }
            None => pm * 16,
        };
        let p16 = match &mut self.tweedie {
            Some(t) => {
                // Agreement class: no match prediction, match agrees with p, or disagrees.
                let bp = self.h.bit_pos();
                let class = match self.matcher.as_ref().and_then(MatchModel::expected_byte) {
                    Some(e) if (e >> (7 - bp)) & 1 == u8::from(p16 >= 32768) => 1,
                    Some(_) => 2,
                    None => 0,
                };
                t.refine(p16, bp, class)
            }
            None => p16,
        };
        p16.clamp(32, 65535 - 32) as u32
    }

    #[inline]
    fn update(&mut self, bit: bool) {
        if let Some(m) = &mut self.matcher {
            m.update(&self.h, bit);
        }
        let last_bit = self.h.bit_pos() == 7;
        self.h.update(bit);
        if last_bit {
            // The next byte's buckets are asked for before the rest of the learning.
            self.set_contexts();
            self.prepared = true;
        }
        let h = &self.h;
        self.mixer.update(&self.x, bit);
        if !self.banked_orders {
            for m in &mut self.orders {
                m.update(h, bit);
            }
        }
        self.bank.update(bit);
        if let Some((a1, a2, a3)) = &mut self.apm {
            a1.update(bit);
            a2.update(bit);
            a3.update(bit);
        }
        if let Some(t) = &mut self.tweedie {
            t.update(bit);
        }
    }
}

impl TreePredictor for CmModel {
    #[inline(always)]
    fn hint(&mut self, symbol: u32) {
        self.hint = Some(symbol as u8);
    }
    #[inline(always)]
    fn p16(&mut self) -> u32 {
        CmModel::p(self)
    }
    #[inline(always)]
    fn update(&mut self, bit: bool) {
        CmModel::update(self, bit);
    }
}

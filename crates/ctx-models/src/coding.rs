//! The bit loop of every bitwise coder: a symbol walked down a [`SymbolTree`], each decision
//! predicted, coded and learnt.

use arith_coder::BinaryCoder;
use hier_tree::SymbolTree;

/// A predictor of the decisions of a [`SymbolTree`], with 16-bit probabilities: what
/// [`code_symbol`] drives.
///
/// Protocol per decision: [`p16`](Self::p16), then, once the decision is coded,
/// [`update`](Self::update) with it. The predictor tracks its own position in the tree (the
/// node is the partial symbol it has learnt so far).
pub trait TreePredictor {
    /// The symbol about to be coded, where the caller knows it (an encoder): lets the
    /// predictor prefetch what it will need. Must never change a prediction, or a decoder,
    /// which cannot call it, would predict differently.
    #[inline(always)]
    fn hint(&mut self, symbol: u32) {
        let _ = symbol;
    }
    /// The probability that the next decision is 1, in units of 2^-16 (`1..=65535`).
    fn p16(&mut self) -> u32;
    /// Learns the decision that was coded and moves to the next.
    fn update(&mut self, bit: bool);
}

impl<P: TreePredictor + ?Sized> TreePredictor for &mut P {
    #[inline(always)]
    fn hint(&mut self, symbol: u32) {
        (**self).hint(symbol);
    }
    #[inline(always)]
    fn p16(&mut self) -> u32 {
        (**self).p16()
    }
    #[inline(always)]
    fn update(&mut self, bit: bool) {
        (**self).update(bit);
    }
}

/// Codes one symbol: walks `tree` from its root, and at each node predicts with `model`,
/// codes the decision with `coder` and lets `model` learn it. Returns the symbol coded —
/// `symbol` itself when `coder` encodes (or measures cost), the decoded one when it decodes
/// (`symbol` is then ignored).
///
/// This one loop serves costing ([`arith_coder::CostMeter`]), encoding
/// ([`arith_coder::BinaryEncoder`]) and decoding ([`arith_coder::BinaryDecoder`]); it is
/// generic over all three parties, so with a constant tree such as
/// [`hier_tree::BitTree::BYTE`] it compiles to the loop one would write by hand.
///
/// ```
/// use arith_coder::{BinaryDecoder, BinaryEncoder};
/// use ctx_models::{TreePredictor, code_symbol};
/// use hier_tree::BitTree;
///
/// /// Order-0 bit probabilities per tree node: a tiny adaptive model.
/// struct Order0 { p: Vec<u32>, node: usize }
/// impl TreePredictor for Order0 {
///     fn p16(&mut self) -> u32 { self.p[self.node] }
///     fn update(&mut self, bit: bool) {
///         let p = &mut self.p[self.node];
///         if bit { *p += (65536 - *p) >> 4 } else { *p -= *p >> 4 }
///         self.node = if 2 * self.node + 1 >= self.p.len() { 1 } else { 2 * self.node + bit as usize };
///     }
/// }
/// let model = || Order0 { p: vec![32768; 16], node: 1 }; // 4-bit symbols
/// let tree = BitTree::new(4)?;
/// let symbols = [3u32, 3, 3, 7, 3, 3, 15, 3];
///
/// let (mut m, mut enc) = (model(), BinaryEncoder::<16>::new());
/// for &s in &symbols {
///     code_symbol(&tree, s, &mut m, &mut enc);
/// }
/// let bytes = enc.finish();
///
/// let (mut m, mut dec) = (model(), BinaryDecoder::<16>::new(&bytes));
/// let back: Vec<u32> = symbols.iter().map(|_| code_symbol(&tree, 0, &mut m, &mut dec)).collect();
/// assert_eq!(back, symbols);
/// # Ok::<(), hier_tree::Error>(())
/// ```
#[inline(always)]
pub fn code_symbol<T, P, C>(tree: &T, symbol: u32, model: &mut P, coder: &mut C) -> u32
where
    T: SymbolTree + ?Sized,
    P: TreePredictor + ?Sized,
    C: BinaryCoder + ?Sized,
{
    if !C::DECODES {
        model.hint(symbol);
    }
    let mut node = T::ROOT;
    for level in 0..tree.depth() {
        let bit = coder.code(!C::DECODES && tree.decision(symbol, level), model.p16());
        model.update(bit);
        node = tree.child(node, bit);
    }
    tree.symbol(node)
}

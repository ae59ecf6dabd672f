//! The coding state every model reads.

/// Bytes coded so far (a ring buffer), the partial byte, and a few derived contexts.
///
/// Models read it; only the codec's driver calls [`update`](Self::update), once per coded
/// bit, after every model has learnt the bit.
#[derive(Debug, Clone)]
pub struct History {
    buf: Vec<u8>,
    mask: usize,
    pos: usize,
    c0: u32,
    bit_pos: u32,
    c4: u32,
    c8: u32,
}

impl History {
    /// A history that remembers the last `2^bits` bytes (`bits` clamped to `4..=30`).
    pub fn new(bits: u32) -> Self {
        let n = 1usize << bits.clamp(4, 30);
        Self {
            buf: vec![0; n],
            mask: n - 1,
            pos: 0,
            c0: 1,
            bit_pos: 0,
            c4: 0,
            c8: 0,
        }
    }

    /// The partial byte with a leading 1: `1` at a byte boundary, `1b₇…` after some bits —
    /// the node index of [`hier_tree::BitTree::BYTE`].
    #[inline(always)]
    pub fn c0(&self) -> u32 {
        self.c0
    }

    /// Bits of the current byte already coded (0 at a byte boundary).
    #[inline(always)]
    pub fn bit_pos(&self) -> u32 {
        self.bit_pos
    }

    /// The last four bytes, most recent in the low byte.
    #[inline(always)]
    pub fn c4(&self) -> u32 {
        self.c4
    }

    /// Bytes 5 to 8 back, byte 5 in the low byte.
    #[inline(always)]
    pub fn c8(&self) -> u32 {
        self.c8
    }

    /// Number of whole bytes coded so far.
    #[inline(always)]
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Capacity of the ring buffer.
    #[inline(always)]
    pub fn capacity(&self) -> usize {
        self.mask + 1
    }

    /// The byte `i` positions back (`i = 1` is the last byte); 0 before the start.
    #[inline(always)]
    pub fn back(&self, i: usize) -> u8 {
        if i == 0 || i > self.pos || i > self.mask {
            0
        } else {
            self.buf[(self.pos - i) & self.mask]
        }
    }

    /// The byte at absolute position `p` if it is still in the buffer.
    #[inline(always)]
    pub fn at(&self, p: usize) -> Option<u8> {
        (p < self.pos && self.pos - p <= self.mask).then(|| self.buf[p & self.mask])
    }

    /// Records a coded bit.
    #[inline(always)]
    pub fn update(&mut self, bit: bool) {
        self.c0 = (self.c0 << 1) | bit as u32;
        self.bit_pos += 1;
        if self.bit_pos == 8 {
            let byte = self.c0 as u8;
            self.buf[self.pos & self.mask] = byte;
            self.pos += 1;
            self.c8 = (self.c8 << 8) | (self.c4 >> 24);
            self.c4 = (self.c4 << 8) | byte as u32;
            self.c0 = 1;
            self.bit_pos = 0;
        }
    }
}

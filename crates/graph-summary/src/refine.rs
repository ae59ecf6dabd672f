//! Local search on a finished summary: dissolve supernodes that cost more hierarchy edges
//! than they save, and lift edges that every child of a supernode shares.
//!
//! Both moves keep the leaf-pair values (p-edges minus n-edges over ancestor pairs)
//! unchanged, so the summary stays exact; a move is taken only when it lowers
//! `|P+| + |P−| + |H|`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const NONE: u32 = u32::MAX;

/// Multiplicative hasher for `(u32, u32)` keys.
#[derive(Default)]
pub(crate) struct PairHasher(u64);

impl Hasher for PairHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
    }
}

pub(crate) type PairMap<V> = HashMap<(u32, u32), V, BuildHasherDefault<PairHasher>>;

#[inline]
fn key(a: u32, b: u32) -> (u32, u32) {
    (a.min(b), a.max(b))
}

/// A summary under edit: a forest over node ids `0..total` (leaves below `n`) with signed
/// edges.
pub(crate) struct Forest {
    pub(crate) n: usize,
    pub(crate) parent: Vec<u32>,
    pub(crate) alive: Vec<bool>,
    children: Vec<Vec<u32>>,
    pub(crate) edges: PairMap<i8>,
    inc: Vec<Vec<u32>>,
}

impl Forest {
    pub(crate) fn new(n: usize, parent: Vec<u32>, alive: Vec<bool>, edges: PairMap<i8>) -> Self {
        let total = parent.len();
        let mut children = vec![Vec::new(); total];
        for (x, &p) in parent.iter().enumerate() {
            if alive[x] && p != NONE {
                children[p as usize].push(x as u32);
            }
        }
        let mut inc = vec![Vec::new(); total];
        for &(a, b) in edges.keys() {
            inc[a as usize].push(b);
            if a != b {
                inc[b as usize].push(a);
            }
        }
        Forest {
            n,
            parent,
            alive,
            children,
            edges,
            inc,
        }
    }

    fn val(&self, a: u32, b: u32) -> i8 {
        self.edges.get(&key(a, b)).copied().unwrap_or(0)
    }

    fn set(&mut self, a: u32, b: u32, v: i8) {
        let k = key(a, b);
        if v == 0 {
            self.edges.remove(&k);
        } else if self.edges.insert(k, v).is_none() {
            self.inc[a as usize].push(b);
            if a != b {
                self.inc[b as usize].push(a);
            }
        }
    }

    /// Current edges of `x` as (other end, sign); compacts the incidence list.
    fn edges_of(&mut self, x: u32) -> Vec<(u32, i8)> {
        let mut list = std::mem::take(&mut self.inc[x as usize]);
        list.sort_unstable();
        list.dedup();
        list.retain(|&y| self.edges.contains_key(&key(x, y)));
        let out = list.iter().map(|&y| (y, self.val(x, y))).collect();
        self.inc[x as usize] = list;
        out
    }

    fn is_strict_descendant(&self, y: u32, z: u32) -> bool {
        let mut v = self.parent[y as usize];
        while v != NONE {
            if v == z {
                return true;
            }
            v = self.parent[v as usize];
        }
        false
    }

    /// Removes supernode `x` when that saves: its edges go to its children.
    fn try_dissolve(&mut self, x: u32) -> bool {
        let kids = self.children[x as usize].clone();
        if kids.is_empty() {
            return false;
        }
        let ex = self.edges_of(x);
        let mut delta: PairMap<i8> = PairMap::default();
        for &(y, s) in &ex {
            if y == x {
                for (i, &ci) in kids.iter().enumerate() {
                    if ci as usize >= self.n {
                        *delta.entry(key(ci, ci)).or_default() += s;
                    }
                    for &cj in &kids[i + 1..] {
                        *delta.entry(key(ci, cj)).or_default() += s;
                    }
                }
            } else {
                if self.is_strict_descendant(y, x) {
                    return false;
                }
                for &c in &kids {
                    *delta.entry(key(c, y)).or_default() += s;
                }
            }
        }
        let h_saved = if self.parent[x as usize] == NONE {
            kids.len() as i64
        } else {
            1
        };
        let mut gain = h_saved + ex.len() as i64;
        for (&(a, b), &d) in &delta {
            let old = self.val(a, b);
            let new = old + d;
            if !(-1..=1).contains(&new) {
                return false;
            }
            gain -= i64::from(new != 0) - i64::from(old != 0);
        }
        if gain <= 0 {
            return false;
        }
        for &(y, _) in &ex {
            self.set(x, y, 0);
        }
        for (&(a, b), &d) in &delta {
            let v = self.val(a, b) + d;
            self.set(a, b, v);
        }
        let p = self.parent[x as usize];
        for &c in &kids {
            self.parent[c as usize] = p;
        }
        if p != NONE {
            let siblings = &mut self.children[p as usize];
            siblings.retain(|&c| c != x);
            siblings.extend_from_slice(&kids);
        }
        self.children[x as usize].clear();
        self.alive[x as usize] = false;
        self.inc[x as usize].clear();
        true
    }

    /// Replaces edges that all children of `z` share (same far end, same sign) by one
    /// edge of `z`.
    fn try_lift(&mut self, z: u32) -> bool {
        let kids = self.children[z as usize].clone();
        if kids.len() < 2 {
            return false;
        }
        let mut count: PairMap<u32> = PairMap::default();
        for &c in &kids {
            for (w, s) in self.edges_of(c) {
                if w != c {
                    *count.entry((w, s as u8 as u32)).or_default() += 1;
                }
            }
        }
        let mut changed = false;
        let mut lifts: Vec<(u32, i8)> = count
            .into_iter()
            .filter(|&(_, k)| k as usize == kids.len())
            .map(|((w, s), _)| (w, s as u8 as i8))
            .collect();
        lifts.sort_unstable();
        for (w, s) in lifts {
            if w == z || self.is_strict_descendant(w, z) {
                continue;
            }
            let cur = self.val(z, w);
            if cur == s {
                continue;
            }
            for &c in &kids {
                self.set(c, w, 0);
            }
            self.set(z, w, cur + s);
            changed = true;
        }
        changed
    }

    /// Runs both moves over all supernodes until nothing improves (at most `rounds`).
    pub(crate) fn improve(&mut self, rounds: usize) {
        for _ in 0..rounds {
            let mut changed = false;
            for x in self.n..self.parent.len() {
                if !self.alive[x] {
                    continue;
                }
                changed |= self.try_lift(x as u32);
                changed |= self.try_dissolve(x as u32);
            }
            if !changed {
                break;
            }
        }
    }
}

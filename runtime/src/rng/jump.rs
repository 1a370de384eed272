//! Jumping [`Mt19937`] ahead by any number of outputs in milliseconds, whatever the distance, so
//! the row blocks of one `rand` matrix can be generated at the same time (on the cores, or each on
//! its worker) and still hold exactly the cells of the sequential stream.
//!
//! The method is the standard one for generators that are linear over GF(2) (Haramoto, Matsumoto,
//! Nishimura, Panneton and L'Ecuyer, "Efficient jump ahead for F2-linear random number
//! generators", 2008): the sequence of the generator's 624-word windows satisfies its
//! characteristic polynomial φ of degree 19937, so advancing by `p` words applies the polynomial
//! `x^p mod φ` to the window (Horner's scheme over 19937 single-word steps). φ is computed once per
//! process by Berlekamp–Massey from the generator's own output, so no table of magic numbers is
//! needed.

use super::Mt19937;
use std::sync::OnceLock;

const N: usize = 624;
const M: usize = 397;
/// The degree of φ: the generator's period is 2^19937 - 1.
const DEG: usize = 19937;
/// u64 words of a polynomial of degree below `DEG + 64`.
const WORDS: usize = DEG / 64 + 2;

/// A polynomial over GF(2): bit `i` of the words is the coefficient of `x^i`.
#[derive(Clone, PartialEq, Debug)]
struct Poly(Vec<u64>);

impl Poly {
    fn zero(words: usize) -> Poly {
        Poly(vec![0; words])
    }

    fn bit(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| (w >> (i % 64)) & 1 == 1)
    }

    fn flip(&mut self, i: usize) {
        self.0[i / 64] ^= 1 << (i % 64);
    }

    /// `self ^= src * x^shift`, for the words of `src` below `src_words`.
    fn xor_shifted(&mut self, src: &[u64], shift: usize) {
        let (ws, bs) = (shift / 64, shift % 64);
        let dst = &mut self.0;
        if bs == 0 {
            for (d, s) in dst[ws..].iter_mut().zip(src) {
                *d ^= s;
            }
            return;
        }
        let mut carry = 0u64;
        for (q, s) in src.iter().enumerate() {
            if let Some(d) = dst.get_mut(ws + q) {
                *d ^= (s << bs) | carry;
            }
            carry = s >> (64 - bs);
        }
        if let Some(d) = dst.get_mut(ws + src.len()) {
            *d ^= carry;
        }
    }

    /// The 64 bits starting at bit `pos` (zeros past the end).
    fn bits64(&self, pos: usize) -> u64 {
        let (w, b) = (pos / 64, pos % 64);
        let lo = self.0.get(w).copied().unwrap_or(0);
        if b == 0 {
            return lo;
        }
        let hi = self.0.get(w + 1).copied().unwrap_or(0);
        (lo >> b) | (hi << (64 - b))
    }
}

/// φ and what reducing modulo it needs.
struct Modulus {
    /// φ, of degree `DEG`.
    phi: Poly,
    /// For each byte value `v`, the multiple of φ (by a polynomial of degree below 8) whose
    /// coefficients of `x^DEG .. x^(DEG+7)` are the bits of `v`: XORing it (shifted) clears eight
    /// high coefficients at once.
    clear_byte: Vec<Poly>,
}

fn modulus() -> &'static Modulus {
    static MODULUS: OnceLock<Modulus> = OnceLock::new();
    MODULUS.get_or_init(|| {
        let phi = characteristic_polynomial();
        let clear_byte = (0..256usize)
            .map(|v| {
                let mut t = Poly::zero(WORDS + 1);
                for b in 0..8 {
                    if (v >> b) & 1 == 1 {
                        t.flip(DEG + b);
                    }
                }
                let mut multiple = Poly::zero(WORDS + 1);
                for b in (0..8).rev() {
                    if t.bit(DEG + b) {
                        t.xor_shifted(&phi.0, b);
                        multiple.xor_shifted(&phi.0, b);
                    }
                }
                multiple
            })
            .collect();
        Modulus { phi, clear_byte }
    })
}

/// φ by Berlekamp–Massey over the lowest output bit of a generator (any non-zero bit sequence
/// of the generator has φ as its minimal polynomial, since φ is irreducible).
fn characteristic_polynomial() -> Poly {
    let len = 2 * DEG;
    let mut g = Mt19937::new(5489);
    let bits: Vec<bool> = (0..len).map(|_| g.next_u32() & 1 == 1).collect();
    // The sequence reversed, so that s[i], s[i-1], ..., s[i-L] are consecutive bits.
    let mut rev = Poly::zero(len / 64 + 2);
    for (i, &b) in bits.iter().enumerate() {
        if b {
            rev.flip(len - 1 - i);
        }
    }
    let cap = len / 64 + 2;
    let mut c = Poly::zero(cap);
    let mut b = Poly::zero(cap);
    c.flip(0);
    b.flip(0);
    let (mut l, mut m) = (0usize, 1usize);
    for i in 0..len {
        // The discrepancy: sum over j <= L of c_j s_(i-j).
        let off = len - 1 - i;
        let mut d = 0u64;
        for q in 0..=l / 64 {
            d ^= c.0[q] & rev.bits64(off + 64 * q);
        }
        // Bits of c beyond L are zero; bits of rev past s_0 are zero, so no masking is needed.
        if d.count_ones().is_multiple_of(2) {
            m += 1;
            continue;
        }
        let used = (l + m) / 64 + 2;
        let b_words = b.0[..used.min(cap)].to_vec();
        if 2 * l <= i {
            let previous = c.clone();
            c.xor_shifted(&b_words, m);
            l = i + 1 - l;
            b = previous;
            m = 1;
        } else {
            c.xor_shifted(&b_words, m);
            m += 1;
        }
    }
    assert_eq!(l, DEG, "rng::jump: Berlekamp–Massey found a recurrence of another degree");
    // φ is the reciprocal of the connection polynomial: φ_k = c_(L-k).
    let mut phi = Poly::zero(WORDS);
    for k in 0..=DEG {
        if c.bit(DEG - k) {
            phi.flip(k);
        }
    }
    phi
}

/// `r mod φ` for `r` of degree below `2 * DEG`, as a polynomial of `WORDS` words.
fn reduce(mut r: Poly, md: &Modulus) -> Poly {
    let top = r.0.len() * 64;
    // Clear coefficients DEG.. in bytes from the top; the lowest group starts at DEG itself.
    let groups = (top - DEG).div_ceil(8);
    for k in (0..groups).rev() {
        let s = 8 * k;
        let v = (r.bits64(DEG + s) & 0xff) as usize;
        if v != 0 {
            r.xor_shifted(&md.clear_byte[v].0, s);
        }
    }
    r.0.truncate(WORDS);
    r
}

/// `r^2 mod φ`.
fn square(r: &Poly, md: &Modulus) -> Poly {
    fn spread(x: u32) -> u64 {
        let mut x = x as u64;
        x = (x | (x << 16)) & 0x0000_ffff_0000_ffff;
        x = (x | (x << 8)) & 0x00ff_00ff_00ff_00ff;
        x = (x | (x << 4)) & 0x0f0f_0f0f_0f0f_0f0f;
        x = (x | (x << 2)) & 0x3333_3333_3333_3333;
        (x | (x << 1)) & 0x5555_5555_5555_5555
    }
    let mut sq = Poly::zero(2 * WORDS);
    for (q, w) in r.0.iter().enumerate() {
        sq.0[2 * q] = spread(*w as u32);
        sq.0[2 * q + 1] = spread((*w >> 32) as u32);
    }
    reduce(sq, md)
}

/// `r * x mod φ`.
fn times_x(r: &mut Poly, md: &Modulus) {
    let mut carry = 0;
    for w in r.0.iter_mut() {
        let next = *w >> 63;
        *w = (*w << 1) | carry;
        carry = next;
    }
    if r.bit(DEG) {
        for (d, s) in r.0.iter_mut().zip(&md.phi.0) {
            *d ^= s;
        }
    }
}

/// `x^p mod φ`.
fn x_to_the(p: u64, md: &Modulus) -> Poly {
    let mut r = Poly::zero(WORDS);
    if p < DEG as u64 {
        r.flip(p as usize);
        return r;
    }
    // Start from the longest leading bit string of p that is still below DEG: x to that power is
    // a single coefficient.
    let bits = 64 - p.leading_zeros() as usize;
    let mut taken = 1;
    while taken < bits && (p >> (bits - taken - 1)) < DEG as u64 {
        taken += 1;
    }
    r.flip((p >> (bits - taken)) as usize);
    for i in (0..bits - taken).rev() {
        r = square(&r, md);
        if (p >> i) & 1 == 1 {
            times_x(&mut r, md);
        }
    }
    r
}

impl Mt19937 {
    /// The generator `Mt19937::new(seed)` after `p` outputs, in time independent of `p` (a few
    /// milliseconds; φ is computed on the first call).
    pub fn new_at(seed: u64, p: u64) -> Mt19937 {
        let fresh = Mt19937::new(seed);
        if p < 4 * N as u64 {
            let mut g = fresh;
            for _ in 0..p {
                g.next_u32();
            }
            return g;
        }
        // A fresh generator holds x_0 .. x_623 and outputs x_624 first, so after p outputs it
        // holds the window at p; the words of that window are sum_k c_k (window at k) for
        // x^p mod φ = sum_k c_k x^k.
        let jump = x_to_the(p, modulus());
        // The sequence x_0 .. x_(623 + DEG), so that every window is a slice.
        let mut seq = Vec::with_capacity(N + DEG);
        seq.extend_from_slice(&fresh.state);
        for j in 0..DEG {
            let y = (seq[j] & 0x8000_0000) | (seq[j + 1] & 0x7fff_ffff);
            seq.push(seq[j + M] ^ (y >> 1) ^ (0u32.wrapping_sub(y & 1) & 0x9908_b0df));
        }
        let mut acc = [0u32; N];
        for k in (0..DEG).filter(|k| jump.bit(*k)) {
            for (a, s) in acc.iter_mut().zip(&seq[k..k + N]) {
                *a ^= s;
            }
        }
        Mt19937 { state: acc, index: N }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phi_has_the_generators_degree() {
        let md = modulus();
        assert!(md.phi.bit(DEG) && md.phi.bit(0));
        assert!((DEG + 1..WORDS * 64).all(|i| !md.phi.bit(i)));
    }

    #[test]
    fn a_jump_lands_where_stepping_does() {
        for (seed, p) in [(42u64, 2496u64), (42, 2497), (7, 20_000), (7, 123_457), (1, 624 * 100 + 311)] {
            let mut stepped = Mt19937::new(seed);
            for _ in 0..p {
                stepped.next_u32();
            }
            let mut jumped = Mt19937::new_at(seed, p);
            for i in 0..2000 {
                assert_eq!(jumped.next_u32(), stepped.next_u32(), "seed {seed}, jump {p}, output {i}");
            }
        }
    }

    #[test]
    fn short_jumps_step() {
        let mut a = Mt19937::new_at(3, 10);
        let mut b = Mt19937::new(3);
        for _ in 0..10 {
            b.next_u32();
        }
        assert_eq!(a.next_u32(), b.next_u32());
    }
}

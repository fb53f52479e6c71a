//! Permutation kernels: controlled swaps, and affine bit permutations that scatter the chunk
//! into the other buffer (optionally scaled by a diagonal on the way).

use std::sync::Arc;

use num_complex::Complex64;

use super::lanes::{Lanes, cmul, cmul_packed, coef};
use super::parallel::insert_zero_bits;
use super::program::Kernel;
use super::walk::as_f64;

impl Kernel {
    /// The permutation kernel of the affine map `i -> A i ^ constant` over GF(2) (`cols`: the
    /// columns of `A`), with tables split at `lo_bits`.
    pub(crate) fn affine_perm(cols: &[u32], constant: u32, lo_bits: usize) -> Kernel {
        let span = |range: std::ops::Range<usize>, base: u32| -> Arc<[u32]> {
            (0..1usize << range.len())
                .map(|x| {
                    (0..range.len())
                        .filter(|l| (x >> l) & 1 == 1)
                        .fold(base, |acc, l| acc ^ cols[range.start + l])
                })
                .collect()
        };
        Kernel::Perm { lo_bits, lo: span(0..lo_bits, 0), hi: span(lo_bits..cols.len(), constant) }
    }
}

/// Controlled swap of bits `a` and `b`: exchanges the amplitudes of `...1...0...` and
/// `...0...1...` wherever the controls are set.
#[inline(always)]
pub(super) fn swap(amps: &mut [Complex64], cmask: usize, a: usize, b: usize) {
    let (lo, hi) = (a.min(b), a.max(b));
    let groups = amps.len() >> 2;
    for g in 0..groups {
        let base = insert_zero_bits(g, &[lo, hi]);
        if base & cmask != cmask {
            continue;
        }
        amps.swap(base | (1 << lo), base | (1 << hi));
    }
}

/// A diagonal in the form of [`Kernel::Diag`]: `(bits, lo, hi)`.
type DiagTables<'a> = (usize, &'a [Complex64], &'a [Complex64]);

/// Affine bit permutation (a [`Kernel::Perm`]: `(lo_bits, lo, hi)`) from `src` into `dst`,
/// `dst[lo[l] ^ hi[h]] = src[h 2^lo_bits + l]`, after the diagonal `diagonal` if there is one:
/// applying it while scattering saves its own pass.
#[inline(always)]
pub(super) fn scatter<S: Lanes>(
    s: S,
    src: &[Complex64],
    dst: &mut [Complex64],
    perm: (usize, &[u32], &[u32]),
    diagonal: Option<DiagTables<'_>>,
) {
    match diagonal {
        Some(d) => scatter_with::<S, true>(s, src, dst, perm, d),
        None => scatter_with::<S, false>(s, src, dst, perm, (perm.0, &[], &[])),
    }
}

/// [`scatter`], scaling by `diagonal` (whose `lo` table is not empty) if `SCALED`: each vector
/// of two source amplitudes is scaled by its two table entries, then each half stored at its
/// destination.
#[inline(always)]
fn scatter_with<S: Lanes, const SCALED: bool>(
    s: S,
    src: &[Complex64],
    dst: &mut [Complex64],
    (lo_bits, lo, hi): (usize, &[u32], &[u32]),
    (bits, d_lo, d_hi): DiagTables<'_>,
) {
    // Runs over which both the permutation's `hi` entry and the diagonal's `hi` factor are
    // constant.
    let run = 1usize << lo_bits.min(bits);
    let (lo_mask, d_mask) = ((1usize << lo_bits) - 1, (1usize << bits) - 1);
    // Destinations are XORs of table entries: all below the power of two `dst.len()` if every
    // entry is.
    let entries_or = lo.iter().chain(hi).fold(0u32, |m, &x| m | x) as usize;
    assert!(dst.len().is_power_of_two() && entries_or < dst.len() && src.len() == dst.len());
    assert!(run >= 2, "runs are walked two amplitudes (one vector) at a time");
    let out = as_f64(dst).as_mut_ptr();
    let src: &[f64] = bytemuck::cast_slice(src);
    for (r, chunk) in src.chunks_exact(2 * run).enumerate() {
        let i = r * run;
        let base = hi[i >> lo_bits] as usize;
        let targets = lo[i & lo_mask..][..run].chunks_exact(2);
        let vectors = chunk.chunks_exact(4);
        let put = |t: &[u32], y: S::V| {
            // SAFETY: `base ^ t[k]` is below `dst.len()` (asserted above), so both doubles of
            // that amplitude lie inside `dst`, which `out` borrows mutably and nothing else
            // refers to; each slice lives only for its store.
            unsafe {
                s.store_first(vector_half(out, base ^ t[0] as usize), y);
                s.store_second(vector_half(out, base ^ t[1] as usize), y);
            }
        };
        if SCALED {
            let entries: &[f64] = bytemuck::cast_slice(&d_lo[i & d_mask..][..run]);
            match d_hi.get(i >> bits) {
                Some(&z) => {
                    let c = coef(s, z);
                    for ((v, t), e) in vectors.zip(targets).zip(entries.chunks_exact(4)) {
                        put(t, cmul_packed(s, cmul(s, c, s.load(e)), s.load(v)));
                    }
                }
                None => {
                    for ((v, t), e) in vectors.zip(targets).zip(entries.chunks_exact(4)) {
                        put(t, cmul_packed(s, s.load(e), s.load(v)));
                    }
                }
            }
        } else {
            for (v, t) in vectors.zip(targets) {
                put(t, s.load(v));
            }
        }
    }
}

/// The two doubles of amplitude `index` of the interleaved array at `ptr`.
///
/// # Safety
/// `ptr` valid for writes of amplitude `index`, with no other live reference to it.
#[inline(always)]
unsafe fn vector_half<'a>(ptr: *mut f64, index: usize) -> &'a mut [f64] {
    // SAFETY: the caller guarantees that amplitude `index` (two doubles) lies in the live
    // allocation at `ptr` and is not otherwise referenced while the slice lives.
    unsafe { std::slice::from_raw_parts_mut(ptr.add(2 * index), 2) }
}

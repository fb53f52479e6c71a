//! Hot loops over amplitude arrays. Everything here works on a raw `&mut [Complex64]` of length
//! `2^n` with little-endian qubit bits; callers have validated the qubit indices.
//!
//! Indexing trick used throughout: the amplitudes whose bit `q` is 0 and 1 form pairs `(i, i + 2^q)`;
//! cutting the array into blocks of `2^(q+1)` and splitting each block in half gives the two
//! members of every pair as two contiguous, equally long slices, so the inner loops are straight
//! zips that the compiler vectorises. Multi-qubit kernels insert zero bits into a counter ("bit
//! insertion") to enumerate the base index of each group.

use num_complex::Complex64;
use rayon::prelude::*;

/// States at least this long are processed with rayon; below it a thread hop costs more than the
/// work (a 2^14-amplitude state is 256 KiB).
pub const PARALLEL_THRESHOLD: usize = 1 << 14;

/// Smallest piece of work handed to one rayon task.
const MIN_TASK: usize = 1 << 12;

/// Applies `f` to every `(amp with bit q = 0, amp with bit q = 1)` pair, in parallel for large
/// states.
#[inline]
pub fn for_each_pair<F>(amps: &mut [Complex64], q: usize, f: F)
where
    F: Fn(&mut Complex64, &mut Complex64) + Sync + Send,
{
    let half = 1usize << q;
    let block = 2 * half;
    let pairs = |chunk: &mut [Complex64]| {
        let (lo, hi) = chunk.split_at_mut(half);
        for (a, b) in lo.iter_mut().zip(hi.iter_mut()) {
            f(a, b);
        }
    };
    if amps.len() < PARALLEL_THRESHOLD {
        amps.chunks_exact_mut(block).for_each(pairs);
    } else if block <= MIN_TASK {
        amps.par_chunks_mut(MIN_TASK).for_each(|c| c.chunks_exact_mut(block).for_each(pairs));
    } else {
        // Few large blocks: parallelise inside each block over matching pieces of both halves.
        amps.chunks_exact_mut(block).for_each(|chunk| {
            let (lo, hi) = chunk.split_at_mut(half);
            lo.par_chunks_mut(MIN_TASK).zip(hi.par_chunks_mut(MIN_TASK)).for_each(|(l, h)| {
                for (a, b) in l.iter_mut().zip(h.iter_mut()) {
                    f(a, b);
                }
            });
        });
    }
}

/// Applies the 2x2 matrix `m` (row-major) to qubit `q`.
pub fn apply_1q(amps: &mut [Complex64], q: usize, m: &[Complex64; 4]) {
    let [m00, m01, m10, m11] = *m;
    for_each_pair(amps, q, |a, b| {
        let (x, y) = (*a, *b);
        *a = m00 * x + m01 * y;
        *b = m10 * x + m11 * y;
    });
}

/// Applies `diag(d0, d1)` to qubit `q`.
pub fn apply_diag_1q(amps: &mut [Complex64], q: usize, d0: Complex64, d1: Complex64) {
    let one = Complex64::new(1.0, 0.0);
    if d0 == one {
        for_each_pair(amps, q, |_, b| *b *= d1);
    } else {
        for_each_pair(amps, q, |a, b| {
            *a *= d0;
            *b *= d1;
        });
    }
}

/// Inserts a zero bit at each of `sorted_positions` (ascending) into `i`.
#[inline]
pub fn insert_zero_bits(mut i: usize, sorted_positions: &[usize]) -> usize {
    for &p in sorted_positions {
        let low = i & ((1usize << p) - 1);
        i = ((i >> p) << (p + 1)) | low;
    }
    i
}

/// Applies a `2^k x 2^k` matrix `m` (row-major, bit `j` = `targets[j]`) to the amplitudes where
/// every bit of `control_mask` is set. Works for any `k`; `k <= 5` keeps the gather in registers.
pub fn apply_controlled_kq(
    amps: &mut [Complex64],
    targets: &[usize],
    control_mask: usize,
    m: &[Complex64],
) {
    let k = targets.len();
    let dim = 1usize << k;
    debug_assert_eq!(m.len(), dim * dim);
    let mut fixed: Vec<usize> = targets.to_vec();
    let mut c = control_mask;
    while c != 0 {
        fixed.push(c.trailing_zeros() as usize);
        c &= c - 1;
    }
    fixed.sort_unstable();
    let offsets: Vec<usize> =
        (0..dim).map(|j| (0..k).map(|l| ((j >> l) & 1) << targets[l]).sum()).collect();
    let groups = amps.len() >> fixed.len();
    let run = |amps: &mut [Complex64], base: usize| {
        let mut v = [Complex64::new(0.0, 0.0); 32];
        let v = &mut v[..dim.min(32)];
        if dim > 32 {
            let mut big: Vec<Complex64> = offsets.iter().map(|&o| amps[base | o]).collect();
            for (r, row) in m.chunks_exact(dim).enumerate() {
                amps[base | offsets[r]] = row.iter().zip(&big).map(|(a, b)| a * b).sum();
            }
            big.clear();
            return;
        }
        for (slot, &o) in v.iter_mut().zip(&offsets) {
            *slot = amps[base | o];
        }
        for (r, row) in m.chunks_exact(dim).enumerate() {
            amps[base | offsets[r]] = row.iter().zip(v.iter()).map(|(a, b)| a * b).sum();
        }
    };
    // Groups are independent; the state is split into contiguous parts along the top bits so that
    // each part holds whole groups (all target/control bits lie below the split point).
    let top = fixed.last().copied().unwrap_or(0) + 1;
    let n = amps.len().trailing_zeros() as usize;
    if amps.len() >= PARALLEL_THRESHOLD && top < n {
        let part = 1usize << top.max(MIN_TASK.trailing_zeros() as usize).min(n);
        let per_part = groups / (amps.len() / part);
        amps.par_chunks_mut(part).for_each(|chunk| {
            for g in 0..per_part {
                run(chunk, insert_zero_bits(g, &fixed) | control_mask);
            }
        });
    } else {
        for g in 0..groups {
            run(amps, insert_zero_bits(g, &fixed) | control_mask);
        }
    }
}

/// Multiplies each amplitude by `diag[j]`, `j` being the index bits on `qubits` (bit `l` of `j` is
/// qubit `qubits[l]`).
pub fn apply_diagonal(amps: &mut [Complex64], qubits: &[usize], diag: &[Complex64]) {
    let extract =
        |i: usize| -> usize { qubits.iter().enumerate().map(|(l, &q)| ((i >> q) & 1) << l).sum() };
    if amps.len() >= PARALLEL_THRESHOLD {
        amps.par_chunks_mut(MIN_TASK).enumerate().for_each(|(c, chunk)| {
            let base = c * MIN_TASK;
            for (i, a) in chunk.iter_mut().enumerate() {
                *a *= diag[extract(base + i)];
            }
        });
    } else {
        for (i, a) in amps.iter_mut().enumerate() {
            *a *= diag[extract(i)];
        }
    }
}

/// `<bra| M |ket>` for a `2^k x 2^k` matrix `m` on `targets`, identity elsewhere.
pub fn matrix_element(
    bra: &[Complex64],
    ket: &[Complex64],
    targets: &[usize],
    m: &[Complex64],
) -> Complex64 {
    let k = targets.len();
    let dim = 1usize << k;
    let mut sorted = targets.to_vec();
    sorted.sort_unstable();
    let offsets: Vec<usize> =
        (0..dim).map(|j| (0..k).map(|l| ((j >> l) & 1) << targets[l]).sum()).collect();
    let groups = ket.len() >> k;
    let group = |g: usize| -> Complex64 {
        let base = insert_zero_bits(g, &sorted);
        let mut acc = Complex64::new(0.0, 0.0);
        for (r, row) in m.chunks_exact(dim).enumerate() {
            let mut mv = Complex64::new(0.0, 0.0);
            for (c, &mrc) in row.iter().enumerate() {
                mv += mrc * ket[base | offsets[c]];
            }
            acc += bra[base | offsets[r]].conj() * mv;
        }
        acc
    };
    if ket.len() >= PARALLEL_THRESHOLD {
        (0..groups).into_par_iter().with_min_len(MIN_TASK >> k).map(group).sum()
    } else {
        (0..groups).map(group).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_zero_bits_skips_positions() {
        assert_eq!(insert_zero_bits(0b11, &[1]), 0b101);
        assert_eq!(insert_zero_bits(0b111, &[0, 2]), 0b11010);
    }
}

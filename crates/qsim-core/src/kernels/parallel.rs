//! Kernels over a whole state, one operation per pass, parallel with rayon for large states.

use num_complex::Complex64;
use rayon::prelude::*;

/// States at least this long are processed with rayon; below it a thread hop costs more than the
/// work (a 2^14-amplitude state is 256 KiB).
pub(crate) const PARALLEL_THRESHOLD: usize = 1 << 14;

/// Smallest piece of work handed to one rayon task.
const MIN_TASK: usize = 1 << 12;

/// Applies `f` to every `(amp with bit q = 0, amp with bit q = 1)` pair, in parallel for large
/// states.
#[inline]
pub(crate) fn for_each_pair<F>(amps: &mut [Complex64], q: usize, f: F)
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

/// Applies the 2x2 matrix `m` (row-major) to qubit `q` of the whole state, in parallel.
pub(crate) fn apply_1q(amps: &mut [Complex64], q: usize, m: &[Complex64; 4]) {
    let [m00, m01, m10, m11] = *m;
    for_each_pair(amps, q, |a, b| {
        let (x, y) = (*a, *b);
        *a = m00 * x + m01 * y;
        *b = m10 * x + m11 * y;
    });
}

/// Inserts a zero bit at each of `sorted_positions` (ascending) into `i`.
#[inline]
pub(super) fn insert_zero_bits(mut i: usize, sorted_positions: &[usize]) -> usize {
    for &p in sorted_positions {
        let low = i & ((1usize << p) - 1);
        i = ((i >> p) << (p + 1)) | low;
    }
    i
}

/// Offsets of the `2^k` members of a group relative to its base index.
fn group_offsets(targets: &[usize]) -> Vec<usize> {
    (0..1usize << targets.len())
        .map(|j| targets.iter().enumerate().map(|(l, &t)| ((j >> l) & 1) << t).sum())
        .collect()
}

/// Dense `2^k x 2^k` matrix on `targets` where `cmask` is set, serially over `amps`.
pub(super) fn dense_kq_serial(
    amps: &mut [Complex64],
    targets: &[usize],
    cmask: usize,
    m: &[Complex64],
) {
    let dim = 1usize << targets.len();
    let offsets = group_offsets(targets);
    let mut fixed: Vec<usize> = targets.to_vec();
    fixed.extend((0..usize::BITS as usize).filter(|b| (cmask >> b) & 1 == 1));
    fixed.sort_unstable();
    let mut v = vec![Complex64::new(0.0, 0.0); dim];
    for g in 0..amps.len() >> fixed.len() {
        let base = insert_zero_bits(g, &fixed) | cmask;
        for (slot, &o) in v.iter_mut().zip(&offsets) {
            *slot = amps[base | o];
        }
        for (row, &o) in m.chunks_exact(dim).zip(&offsets) {
            amps[base | o] = row.iter().zip(&v).map(|(a, b)| a * b).sum();
        }
    }
}

/// Dense matrix on `targets` where `cmask` is set, in parallel for large states: the state is cut
/// along its top bits into parts that each hold whole groups.
pub(crate) fn apply_controlled_kq(
    amps: &mut [Complex64],
    targets: &[usize],
    cmask: usize,
    m: &[Complex64],
) {
    let highest_control = (usize::BITS - cmask.leading_zeros()) as usize; // one past the top bit
    let top = targets.iter().copied().max().unwrap_or(0).max(highest_control.saturating_sub(1));
    let part = (2usize << top).max(MIN_TASK);
    if amps.len() >= PARALLEL_THRESHOLD && part < amps.len() {
        amps.par_chunks_mut(part).for_each(|chunk| dense_kq_serial(chunk, targets, cmask, m));
    } else if amps.len() >= PARALLEL_THRESHOLD {
        // A target or control on the top bit: split the groups instead of the array.
        let dim = 1usize << targets.len();
        let offsets = group_offsets(targets);
        let mut fixed: Vec<usize> = targets.to_vec();
        fixed.extend((0..usize::BITS as usize).filter(|b| (cmask >> b) & 1 == 1));
        fixed.sort_unstable();
        let groups = amps.len() >> fixed.len();
        let results: Vec<(usize, Vec<Complex64>)> = (0..groups)
            .into_par_iter()
            .with_min_len(MIN_TASK >> targets.len())
            .map(|g| {
                let base = insert_zero_bits(g, &fixed) | cmask;
                let v: Vec<Complex64> = offsets.iter().map(|&o| amps[base | o]).collect();
                let out = m
                    .chunks_exact(dim)
                    .map(|row| row.iter().zip(&v).map(|(a, b)| a * b).sum())
                    .collect();
                (base, out)
            })
            .collect();
        for (base, out) in results {
            for (&o, value) in offsets.iter().zip(out) {
                amps[base | o] = value;
            }
        }
    } else {
        dense_kq_serial(amps, targets, cmask, m);
    }
}

/// `<bra| M |ket>` for a `2^k x 2^k` matrix `m` on `targets`, identity elsewhere.
pub(crate) fn matrix_element(
    bra: &[Complex64],
    ket: &[Complex64],
    targets: &[usize],
    m: &[Complex64],
) -> Complex64 {
    let dim = 1usize << targets.len();
    let mut sorted = targets.to_vec();
    sorted.sort_unstable();
    let offsets = group_offsets(targets);
    let groups = ket.len() >> targets.len();
    let group = |g: usize| -> Complex64 {
        let base = insert_zero_bits(g, &sorted);
        let mut acc = Complex64::new(0.0, 0.0);
        for (row, &o) in m.chunks_exact(dim).zip(&offsets) {
            let mv: Complex64 = row.iter().zip(&offsets).map(|(a, &oc)| a * ket[base | oc]).sum();
            acc += bra[base | o].conj() * mv;
        }
        acc
    };
    if ket.len() >= PARALLEL_THRESHOLD {
        (0..groups).into_par_iter().with_min_len(MIN_TASK >> targets.len()).map(group).sum()
    } else {
        (0..groups).map(group).sum()
    }
}

/// Moves qubits between bit positions: `dst[j] = src[i]` where bit `p` of `i` is bit `to[p]` of
/// `j`. Parallel over the destination; runs of low bits that stay in place are copied whole.
pub(crate) fn permute_bits(src: &[Complex64], dst: &mut [Complex64], to: &[usize]) {
    let n = to.len();
    // from[p'] = the source position whose bit lands at destination position p'.
    let mut from = vec![0usize; n];
    for (p, &q) in to.iter().enumerate() {
        from[q] = p;
    }
    let run_bits = (0..n).take_while(|&p| to[p] == p).count().min(12);
    let lo_bits = (n - run_bits).min(8);
    let source_of = |bits: std::ops::Range<usize>| -> Vec<usize> {
        let width = bits.len();
        (0..1usize << width)
            .map(|x| (0..width).map(|l| ((x >> l) & 1) << from[bits.start + l]).sum())
            .collect()
    };
    let lo_table = source_of(run_bits..run_bits + lo_bits);
    let hi_table = source_of(run_bits + lo_bits..n);
    let run = 1usize << run_bits;
    let task = (MIN_TASK * 4).max(run << lo_bits);
    let tile = run << lo_bits; // destination amplitudes sharing one `hi_table` entry
    dst.par_chunks_mut(task).enumerate().for_each(|(t, out)| {
        let first = (t * task) / tile;
        for (k, piece) in out.chunks_exact_mut(tile).enumerate() {
            let high = hi_table[first + k];
            if run == 1 {
                // Single amplitudes: plain moves, not a `memcpy` call each.
                for (d, &low) in piece.iter_mut().zip(&lo_table) {
                    *d = src[high | low];
                }
            } else {
                for (d, &low) in piece.chunks_exact_mut(run).zip(&lo_table) {
                    let i = high | low;
                    d.copy_from_slice(&src[i..i + run]);
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_zero_bits_skips_positions() {
        assert_eq!(insert_zero_bits(0b11, &[1]), 0b101);
        assert_eq!(insert_zero_bits(0b111, &[0, 2]), 0b11010);
    }

    #[test]
    fn permute_bits_moves_each_bit_where_told() {
        let n = 16;
        let to: Vec<usize> = vec![0, 1, 15, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 2];
        let src: Vec<Complex64> = (0..1usize << n).map(|i| Complex64::new(i as f64, 0.0)).collect();
        let mut dst = vec![Complex64::new(0.0, 0.0); src.len()];
        permute_bits(&src, &mut dst, &to);
        for (i, a) in src.iter().enumerate() {
            let j: usize = (0..n).map(|p| ((i >> p) & 1) << to[p]).sum();
            assert_eq!(dst[j], *a);
        }
    }
}

//! Chunk programs: the [`Kernel`] instruction set and the runner that applies a list of kernels
//! to one chunk, compiled once per instruction set through [`dispatch`].

use std::sync::Arc;

use num_complex::Complex64;

use super::diagonal::{diag, diag_1q, diag_k};
use super::lanes::{Lanes, LanesFn, dispatch};
use super::one_qubit::{Complex2x2, Exchange, Real2x2, two_1q};
use super::parallel::dense_kq_serial;
use super::permute::{scatter, swap};
use super::two_qubit::dense_2q;
use super::walk::for_pairs;

/// One instruction of a chunk program. Qubit positions are physical bit positions inside the
/// chunk.
#[derive(Clone, Debug)]
pub(crate) enum Kernel {
    /// A real 2x2 matrix (row-major) on qubit `q`: four multiply-adds per pair.
    Real1 { q: usize, m: [f64; 4] },
    /// A complex 2x2 matrix (row-major) on qubit `q`.
    Dense1 { q: usize, m: [Complex64; 4] },
    /// `diag(d0, d1)` on qubit `q`.
    Diag1 { q: usize, d: [Complex64; 2] },
    /// A dense 4x4 matrix (row-major, bit 0 of its index = `q0`) on qubits `q0 != q1`.
    Dense2 { q0: usize, q1: usize, m: Box<[Complex64; 16]> },
    /// A diagonal that factorises over the low bits `0..bits` (`lo`, indexed by `i & (2^bits-1)`)
    /// and the bits above (`hi`, indexed by `i >> bits`); either table may be empty (= ones).
    Diag { bits: usize, lo: Vec<Complex64>, hi: Vec<Complex64> },
    /// A diagonal over arbitrary positions (bit `l` of the table index is `qubits[l]`).
    DiagK { qubits: Vec<usize>, table: Arc<[Complex64]> },
    /// X on `t` where every bit of `cmask` is set.
    Flip { cmask: usize, t: usize },
    /// Swap of bits `a` and `b` where every bit of `cmask` is set.
    Swap { cmask: usize, a: usize, b: usize },
    /// An affine bit map over GF(2): the amplitude at `i` moves to `lo[i & mask] ^ hi[i >> lo_bits]`.
    Perm { lo_bits: usize, lo: Arc<[u32]>, hi: Arc<[u32]> },
    /// A dense matrix on `targets` (row-major, bit `l` = `targets[l]`) where `cmask` is set.
    Dense { cmask: usize, targets: Vec<usize>, m: Arc<[Complex64]> },
}

/// Applies `program` to `amps` in order; `scratch` is reused between calls.
pub(crate) fn run_program(
    amps: &mut [Complex64],
    program: &[Kernel],
    scratch: &mut Vec<Complex64>,
) {
    if run_program_into(amps, program, scratch) {
        amps.copy_from_slice(&scratch[..amps.len()]);
    }
}

/// [`run_program`] with a second buffer as long as `amps` that the caller owns (a chunk of the
/// engine's spare state): true if the result was left in `other` instead of `amps`, so that a
/// caller running every chunk alike swaps the whole buffers instead of copying each chunk back.
pub(crate) fn run_program_split(
    amps: &mut [Complex64],
    program: &[Kernel],
    other: &mut [Complex64],
) -> bool {
    debug_assert_eq!(amps.len(), other.len());
    run_program_into(amps, program, other)
}

/// Where a program's permutations scatter to: a growable buffer or a fixed one.
pub(super) trait Scratch {
    /// At least `len` amplitudes, contents unspecified.
    fn buffer(&mut self, len: usize) -> &mut [Complex64];
}

impl Scratch for Vec<Complex64> {
    fn buffer(&mut self, len: usize) -> &mut [Complex64] {
        if self.len() < len {
            self.resize(len, Complex64::new(0.0, 0.0));
        }
        &mut self[..len]
    }
}

impl Scratch for [Complex64] {
    fn buffer(&mut self, len: usize) -> &mut [Complex64] {
        &mut self[..len]
    }
}

/// Largest spare buffer (amplitudes) a thread keeps for [`run_program_owned`].
const MAX_SPARE: usize = 1 << 16;

thread_local! {
    static SPARE: std::cell::RefCell<Vec<Complex64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// [`run_program`] on a whole state it may replace: the permutation buffer is a per-thread spare
/// (no allocation or zeroing per call), and a result left in it is swapped in, not copied back.
/// For small states, where those costs are a fair part of the work.
pub(crate) fn run_program_owned(amps: &mut Vec<Complex64>, program: &[Kernel]) {
    SPARE.with_borrow_mut(|spare| {
        let len = amps.len();
        if run_program_into(amps, program, spare) {
            spare.truncate(len);
            std::mem::swap(amps, spare);
        }
        if spare.capacity() > MAX_SPARE {
            *spare = Vec::new();
        }
    });
}

/// Applies `program`; true if the result was left in `scratch[..amps.len()]` instead of `amps`.
fn run_program_into<B: Scratch + ?Sized>(
    amps: &mut [Complex64],
    program: &[Kernel],
    scratch: &mut B,
) -> bool {
    dispatch(RunProgram { amps, program, scratch })
}

/// [`run_program_with`] as a [`LanesFn`], for [`dispatch`].
struct RunProgram<'a, B: ?Sized> {
    amps: &'a mut [Complex64],
    program: &'a [Kernel],
    scratch: &'a mut B,
}

impl<B: Scratch + ?Sized> LanesFn for RunProgram<'_, B> {
    type Output = bool;

    #[inline(always)]
    fn call<S: Lanes>(self, s: S) -> bool {
        run_program_with(s, self.amps, self.program, self.scratch)
    }
}

/// The runner. A permutation scatters into the other buffer instead of copying back, so the
/// state alternates between `amps` and `scratch` (the return value says where it ends), and two
/// single-qubit kernels in a row on different qubits share one pass.
#[inline(always)]
pub(super) fn run_program_with<S: Lanes, B: Scratch + ?Sized>(
    s: S,
    amps: &mut [Complex64],
    program: &[Kernel],
    scratch: &mut B,
) -> bool {
    let len = amps.len();
    let mut in_scratch = false;
    let mut rest = program;
    while let Some((kernel, tail)) = rest.split_first() {
        rest = tail;
        // A permutation, or a diagonal right before one (applied while scattering), moves the
        // state to the other buffer.
        let (perm, diagonal) = match (kernel, rest.first()) {
            (Kernel::Perm { lo_bits, lo, hi }, _) => ((*lo_bits, &lo[..], &hi[..]), None),
            (Kernel::Diag { bits, lo: d_lo, hi: d_hi }, Some(Kernel::Perm { lo_bits, lo, hi }))
                if !d_lo.is_empty() =>
            {
                rest = &rest[1..];
                ((*lo_bits, &lo[..], &hi[..]), Some((*bits, &d_lo[..], &d_hi[..])))
            }
            _ => {
                let state: &mut [Complex64] = if in_scratch { scratch.buffer(len) } else { amps };
                if let Some(next) = rest.first() {
                    if apply_two(s, state, kernel, next) {
                        rest = &rest[1..];
                        continue;
                    }
                }
                apply_kernel(s, state, kernel);
                continue;
            }
        };
        let other = scratch.buffer(len);
        if in_scratch {
            scatter(s, other, amps, perm, diagonal);
        } else {
            scatter(s, amps, other, perm, diagonal);
        }
        in_scratch = !in_scratch;
    }
    in_scratch
}

/// Applies `first` then `second` in one pass if both are single-qubit matrices on different
/// qubits (each group of four amplitudes is loaded and stored once for both: half the memory
/// traffic of two passes); false if they are not such a pair.
#[inline(always)]
fn apply_two<S: Lanes>(s: S, amps: &mut [Complex64], first: &Kernel, second: &Kernel) -> bool {
    match (first, second) {
        (Kernel::Real1 { q: a, m: ma }, Kernel::Real1 { q: b, m: mb }) if a != b => {
            two_1q(s, amps, *a, &Real2x2::new(s, ma), *b, &Real2x2::new(s, mb))
        }
        (Kernel::Real1 { q: a, m: ma }, Kernel::Dense1 { q: b, m: mb }) if a != b => {
            two_1q(s, amps, *a, &Real2x2::new(s, ma), *b, &Complex2x2::new(s, mb))
        }
        (Kernel::Dense1 { q: a, m: ma }, Kernel::Real1 { q: b, m: mb }) if a != b => {
            two_1q(s, amps, *a, &Complex2x2::new(s, ma), *b, &Real2x2::new(s, mb))
        }
        (Kernel::Dense1 { q: a, m: ma }, Kernel::Dense1 { q: b, m: mb }) if a != b => {
            two_1q(s, amps, *a, &Complex2x2::new(s, ma), *b, &Complex2x2::new(s, mb))
        }
        _ => return false,
    }
    true
}

#[inline(always)]
fn apply_kernel<S: Lanes>(s: S, amps: &mut [Complex64], kernel: &Kernel) {
    match kernel {
        Kernel::Real1 { q, m } => for_pairs(s, amps, *q, 0, &Real2x2::new(s, m)),
        Kernel::Dense1 { q, m } => for_pairs(s, amps, *q, 0, &Complex2x2::new(s, m)),
        Kernel::Diag1 { q, d } => diag_1q(s, amps, *q, d),
        Kernel::Dense2 { q0, q1, m } => dense_2q(s, amps, *q0, *q1, 0, &m[..]),
        Kernel::Diag { bits, lo, hi } => diag(s, amps, *bits, lo, hi),
        Kernel::DiagK { qubits, table } => diag_k(amps, qubits, table),
        Kernel::Flip { cmask, t } => for_pairs(s, amps, *t, *cmask, &Exchange),
        Kernel::Swap { cmask, a, b } => swap(amps, *cmask, *a, *b),
        Kernel::Perm { .. } => unreachable!("the runner handles permutations"),
        Kernel::Dense { cmask, targets, m } => match targets[..] {
            [t] => {
                let m = [m[0], m[1], m[2], m[3]];
                for_pairs(s, amps, t, *cmask, &Complex2x2::new(s, &m))
            }
            [t0, t1] => dense_2q(s, amps, t0, t1, *cmask, m),
            _ => dense_kq_serial(amps, targets, *cmask, m),
        },
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::lanes::Portable;
    use crate::kernels::parallel::apply_controlled_kq;
    use crate::kernels::reference::{c, state};

    const N: usize = 6;

    /// Programs mixing permutations (the state moves between the buffers) with single-qubit
    /// kernels in a row (applied in shared passes) agree with applying each kernel by itself.
    #[test]
    fn programs_with_permutations_and_paired_kernels_agree_with_one_by_one() {
        let m1 = [c(0.6, 0.1), c(-0.3, 0.7), c(0.2, -0.5), c(0.9, 0.4)];
        let r1 = [0.6, -0.8, 0.8, 0.6];
        // The CNOT chain 0 -> 1 -> ... -> 5 (prefix XOR), then an X on qubit 2.
        let chain: Vec<u32> = (0..N).map(|k| ((1u32 << N) - 1) & !((1u32 << k) - 1)).collect();
        let perm = Kernel::affine_perm(&chain, 0b100, 3);
        let reference = |amps: &mut Vec<Complex64>, kernel: &Kernel| match kernel {
            Kernel::Real1 { q, m } => {
                apply_controlled_kq(amps, &[*q], 0, &m.map(|v| c(v, 0.0)));
            }
            Kernel::Dense1 { q, m } => apply_controlled_kq(amps, &[*q], 0, m),
            Kernel::Diag { bits, lo, hi } => {
                for (i, a) in amps.iter_mut().enumerate() {
                    *a *= lo.get(i & ((1 << bits) - 1)).copied().unwrap_or(c(1., 0.));
                    *a *= hi.get(i >> bits).copied().unwrap_or(c(1., 0.));
                }
            }
            Kernel::Perm { lo_bits, lo, hi } => {
                let mut out = vec![c(0., 0.); amps.len()];
                for (i, a) in amps.iter().enumerate() {
                    out[(lo[i & ((1 << lo_bits) - 1)] ^ hi[i >> lo_bits]) as usize] = *a;
                }
                *amps = out;
            }
            _ => unreachable!(),
        };
        // Diagonals right before a permutation are applied while scattering.
        let phases = |k: usize, step: f64| -> Vec<Complex64> {
            (0..k).map(|i| Complex64::from_polar(1.0, step * i as f64)).collect()
        };
        let diag = |lo: usize, hi: usize| Kernel::Diag {
            bits: 2,
            lo: phases(lo, 0.3),
            hi: phases(hi, -0.7),
        };
        let programs: Vec<Vec<Kernel>> = vec![
            vec![
                diag(4, 16),
                perm.clone(),
                Kernel::Real1 { q: 1, m: r1 },
                diag(4, 0),
                perm.clone(),
            ],
            vec![
                diag(0, 16),
                perm.clone(),
                diag(4, 16),
                Kernel::Real1 { q: 0, m: r1 },
                perm.clone(),
            ],
            vec![Kernel::Real1 { q: 0, m: r1 }, Kernel::Dense1 { q: 3, m: m1 }],
            vec![Kernel::Dense1 { q: 5, m: m1 }, Kernel::Real1 { q: 0, m: r1 }],
            vec![Kernel::Dense1 { q: 2, m: m1 }, Kernel::Dense1 { q: 1, m: m1 }],
            vec![
                Kernel::Real1 { q: 4, m: r1 },
                Kernel::Real1 { q: 1, m: r1 },
                perm.clone(),
                Kernel::Real1 { q: 2, m: r1 },
                perm.clone(),
                Kernel::Dense1 { q: 0, m: m1 },
                perm.clone(),
                Kernel::Real1 { q: 0, m: r1 },
                Kernel::Real1 { q: 5, m: r1 },
                Kernel::Real1 { q: 3, m: r1 },
            ],
        ];
        for program in programs {
            let mut expected = state(N);
            program.iter().for_each(|k| reference(&mut expected, k));
            let mut got = state(N);
            run_program(&mut got, &program, &mut Vec::new());
            let mut portable = state(N);
            let mut scratch = Vec::new();
            if run_program_with(Portable, &mut portable, &program, &mut scratch) {
                let len = portable.len();
                portable.copy_from_slice(&scratch[..len]);
            }
            // Twice: the second run starts with the thread's spare buffer from the first.
            let mut owned = [state(N), state(N)];
            owned.iter_mut().for_each(|o| run_program_owned(o, &program));
            let [owned, owned_again] = owned;
            for result in [got, portable, owned, owned_again] {
                let worst =
                    result.iter().zip(&expected).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max);
                assert!(worst < 1e-12, "{program:?} deviates by {worst:e}");
            }
        }
    }
}

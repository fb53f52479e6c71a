//! Undoing a layer of single-qubit runs of a large state in two passes over both vectors.
//!
//! Runs on distinct qubits commute, and the transition matrix a run needs,
//! `R_q[a][b] = sum over the other qubits of conj(lambda_{.., a, ..}) phi_{.., b, ..}`, does
//! not change when a unitary on another qubit is undone on both vectors. So a layer of runs can
//! be undone chunk by chunk, each chunk undoing every run it holds whole while it sits in cache,
//! and each run's matrix is the sum of the chunks' partial matrices. Runs on the low qubits go
//! through contiguous chunks; runs on the high qubits go through tiles gathered from one short
//! window of low indices under every value of the high bits, so they too take one pass. Undoing
//! the runs one at a time instead costs a pass over both vectors per run, and a high qubit's run
//! even more (`undo_run`), which is what made the backward sweep of a wide state memory-bound.

use num_complex::Complex64;
use rayon::prelude::*;

use super::undo::{RunSetup, run_setup, undo_run};
use crate::circuit::Operation;
use crate::engine::single_op_chunk_bits;
use crate::kernels;

/// A run's qubit and what undoing it needs.
type Setup = (usize, RunSetup<4>);

/// The smallest window of a tile, in bits.
const MIN_WINDOW_BITS: usize = 4;

/// Undoes the runs `runs` (`(qubit, operation indices)`, distinct qubits) on `phi` and
/// `lambda`, adding every derivative of every run into `grad`.
pub(super) fn undo_layer(
    ops: &[Operation],
    runs: &[(usize, Vec<usize>)],
    theta: &[f64],
    phi: &mut [Complex64],
    lambda: &mut [Complex64],
    grad: &mut [f64],
) {
    let n = phi.len().trailing_zeros() as usize;
    let bits = single_op_chunk_bits(n);
    let high_bits = n - bits;
    // A tile holds 2^bits amplitudes: 2^high_bits rows of a window of 2^window_bits, a window
    // of at least MIN_WINDOW_BITS (rows of 256 bytes), which bounds the tiled states at 24
    // qubits; wider states undo their runs one by one.
    let tiled = high_bits + MIN_WINDOW_BITS <= bits;
    if phi.len() < kernels::PARALLEL_THRESHOLD || !tiled {
        for (qubit, members) in runs {
            undo_run(ops, members, *qubit, theta, phi, lambda, grad);
        }
        return;
    }
    let setups: Vec<Setup> =
        runs.iter().map(|(q, members)| (*q, run_setup(ops, members, theta))).collect();
    let (low, high): (Vec<&Setup>, Vec<&Setup>) = setups.iter().partition(|(q, _)| *q < bits);
    let zero = [Complex64::new(0.0, 0.0); 4];
    let mut totals: Vec<[Complex64; 4]> = Vec::with_capacity(setups.len());

    if !low.is_empty() {
        let parts: Vec<Vec<[Complex64; 4]>> = phi
            .par_chunks_mut(1 << bits)
            .zip(lambda.par_chunks_mut(1 << bits))
            .map(|(p, l)| {
                low.iter().map(|(q, s)| kernels::adjoint_run_1q(p, l, *q, &s.undo)).collect()
            })
            .collect();
        totals.extend(ordered_sums(&parts, low.len(), zero));
    }
    if !high.is_empty() {
        let window_bits = bits - high_bits;
        let window = 1usize << window_bits;
        let (phi_windows, lambda_windows) =
            (windows_of(phi, bits, window), windows_of(lambda, bits, window));
        // Qubit q >= bits sits at bit window_bits + (q - bits) of a tile.
        let parts: Vec<Vec<[Complex64; 4]>> = phi_windows
            .into_par_iter()
            .zip(lambda_windows)
            .map_init(
                || (vec![zero[0]; 1 << bits], vec![zero[0]; 1 << bits]),
                |(tile_phi, tile_lambda), (mut rows_phi, mut rows_lambda)| {
                    gather(tile_phi, &rows_phi);
                    gather(tile_lambda, &rows_lambda);
                    let r = high
                        .iter()
                        .map(|(q, s)| {
                            let position = window_bits + (q - bits);
                            kernels::adjoint_run_1q(tile_phi, tile_lambda, position, &s.undo)
                        })
                        .collect();
                    scatter(tile_phi, &mut rows_phi);
                    scatter(tile_lambda, &mut rows_lambda);
                    r
                },
            )
            .collect();
        totals.extend(ordered_sums(&parts, high.len(), zero));
    }
    for ((_, setup), r) in low.iter().chain(&high).zip(totals) {
        setup.collect(setup.through(&r), grad);
    }
}

/// Entry-wise sums over the parts (in order, so the result does not depend on the threads).
fn ordered_sums(
    parts: &[Vec<[Complex64; 4]>],
    count: usize,
    zero: [Complex64; 4],
) -> Vec<[Complex64; 4]> {
    (0..count)
        .map(|k| parts.iter().fold(zero, |acc, part| std::array::from_fn(|e| acc[e] + part[k][e])))
        .collect()
}

/// The state cut into windows: window `w` is, for every row `hi` (a chunk of `2^bits`
/// amplitudes), the piece `w * window .. (w + 1) * window` of that row, rows in order.
fn windows_of(amps: &mut [Complex64], bits: usize, window: usize) -> Vec<Vec<&mut [Complex64]>> {
    let rows = amps.len() >> bits;
    let mut windows: Vec<Vec<&mut [Complex64]>> =
        (0..(1usize << bits) / window).map(|_| Vec::with_capacity(rows)).collect();
    for row in amps.chunks_mut(1 << bits) {
        for (w, piece) in row.chunks_mut(window).enumerate() {
            windows[w].push(piece);
        }
    }
    windows
}

/// Copies the pieces of one window, in order, into the tile.
fn gather(tile: &mut [Complex64], pieces: &[&mut [Complex64]]) {
    for (row, piece) in tile.chunks_exact_mut(pieces[0].len()).zip(pieces) {
        row.copy_from_slice(piece);
    }
}

/// Writes the tile back into the pieces [`gather`] read.
fn scatter(tile: &[Complex64], pieces: &mut [&mut [Complex64]]) {
    for (row, piece) in tile.chunks_exact(pieces[0].len()).zip(pieces) {
        piece.copy_from_slice(row);
    }
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::circuit::{Circuit, Param};
    use crate::gate::Gate;

    /// Runs as `(qubit, operation indices)`.
    type Runs = Vec<(usize, Vec<usize>)>;

    /// A layer of runs on `qubits` (two or three gates each, parametric and fixed), the runs
    /// as `(qubit, operation indices)`, and angles for it.
    fn layer(n: usize, qubits: &[usize], rng: &mut ChaCha8Rng) -> (Circuit, Runs, Vec<f64>) {
        let mut c = Circuit::new(n);
        let mut runs = Vec::new();
        let mut k = 0;
        for &q in qubits {
            let first = c.ops().len();
            c.gate(Gate::Ry, &[q], &[Param::var(k)]).unwrap();
            c.gate(Gate::H, &[q], &[]).unwrap();
            c.gate(Gate::Rz, &[q], &[Param::var(k + 1)]).unwrap();
            k += 2;
            runs.push((q, (first..c.ops().len()).collect()));
        }
        let theta = (0..k).map(|_| rng.random_range(-3.0..3.0)).collect();
        (c, runs, theta)
    }

    fn random_vector(n: usize, rng: &mut ChaCha8Rng) -> Vec<Complex64> {
        (0..1usize << n)
            .map(|_| Complex64::new(rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)))
            .collect()
    }

    /// The layer undone together equals its runs undone one by one: both vectors and every
    /// derivative, for low and high qubits, tiled (16, 20 qubits) and not (12, 13 qubits).
    #[test]
    fn a_layer_undone_together_equals_its_runs_one_by_one() {
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        for (n, qubits) in [
            (12, vec![0, 5, 11]),
            (16, vec![15, 0, 3, 13, 14, 7]),
            (20, vec![19, 2, 14, 0, 17, 13, 8, 16, 15, 18]),
        ] {
            let (c, runs, theta) = layer(n, &qubits, &mut rng);
            let (phi, lambda) = (random_vector(n, &mut rng), random_vector(n, &mut rng));
            let (mut p1, mut l1, mut g1) = (phi.clone(), lambda.clone(), vec![0.0; theta.len()]);
            undo_layer(c.ops(), &runs, &theta, &mut p1, &mut l1, &mut g1);
            let (mut p2, mut l2, mut g2) = (phi, lambda, vec![0.0; theta.len()]);
            for (q, members) in &runs {
                undo_run(c.ops(), members, *q, &theta, &mut p2, &mut l2, &mut g2);
            }
            let scale = (1usize << n) as f64;
            for (a, b) in p1.iter().zip(&p2).chain(l1.iter().zip(&l2)) {
                assert!((a - b).norm() < 1e-12, "{n} qubits: amplitude {a} against {b}");
            }
            for (a, b) in g1.iter().zip(&g2) {
                assert!((a - b).abs() < 1e-12 * scale, "{n} qubits: derivative {a} against {b}");
            }
        }
    }
}

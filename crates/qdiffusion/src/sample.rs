//! Sampling: seeds, the reverse chain, and the read-out statistics of the final states.
//!
//! Seeds are Haar-random product states (what a fully depolarized measure-and-reprepare
//! trajectory looks like). Sample `i` of a run with seed `s` always starts from the same seed
//! state, so the quantum samples and the ablation (seeds read out with the reverse process
//! removed) are paired.

use std::ops::Range;

use qcomm::Collective;
use qrandom::streams::{SAMPLE_TRAJECTORY, SEED_STATES};
use qsim_core::state::StateVector;
use rayon::prelude::*;

use crate::data::{haar_angles, qubit_state};
use crate::error::Result;
use crate::features::Readout;
use crate::reverse::ReverseModel;

/// The Bloch angles `(theta, phi)` of every qubit of `count` Haar-random product seeds of `n`
/// qubits; seed `i` depends only on `(seed, i)` and is the state [`seeds`] builds.
pub fn seed_angles(n: usize, count: usize, seed: u64) -> Vec<Vec<(f64, f64)>> {
    (0..count)
        .map(|i| {
            let mut rng = SEED_STATES.rng(seed, i as u64);
            (0..n).map(|_| haar_angles(&mut rng)).collect()
        })
        .collect()
}

/// `count` Haar-random product states of `n` qubits; state `i` depends only on `(seed, i)`.
/// Their angles are [`seed_angles`], which the shot-based sampler prepares on a device.
pub fn seeds(n: usize, count: usize, seed: u64) -> Result<Vec<StateVector>> {
    seed_angles(n, count, seed)
        .iter()
        .map(|angles| {
            let qubits: Vec<_> = angles.iter().map(|&a| qubit_state(a)).collect();
            Ok(StateVector::product(&qubits)?)
        })
        .collect()
}

/// Runs the reverse chain from every seed (one trajectory each) and reads out the final states
/// exactly.
pub fn generate(
    reverse: &ReverseModel,
    params: &[f64],
    seeds: &[StateVector],
    seed: u64,
    readout: Readout,
) -> Result<Vec<Vec<f64>>> {
    generate_block(reverse, params, seeds, 0..seeds.len(), seed, readout)
}

/// [`generate`] with the seeds split over the ranks of `comm` (a collective: every rank passes
/// the same arguments): each rank runs the chains of its block ([`qcomm::block`]), and every
/// rank gets all the samples in seed order. Sample `i` comes from its own trajectory stream
/// `(seed, i)`, so the samples are bit-identical to [`generate`]'s for every number of ranks.
pub fn generate_on(
    comm: &dyn Collective,
    reverse: &ReverseModel,
    params: &[f64],
    seeds: &[StateVector],
    seed: u64,
    readout: Readout,
) -> Result<Vec<Vec<f64>>> {
    let mine = qcomm::block(seeds.len(), comm.rank(), comm.size());
    let local = generate_block(reverse, params, seeds, mine, seed, readout)?;
    Ok(qcomm::gather_rows(comm, &local, seeds.len())?)
}

/// The samples of the seeds `range` (trajectory stream `(seed, i)` for seed `i`).
fn generate_block(
    reverse: &ReverseModel,
    params: &[f64],
    seeds: &[StateVector],
    range: Range<usize>,
    seed: u64,
    readout: Readout,
) -> Result<Vec<Vec<f64>>> {
    seeds[range.clone()]
        .par_iter()
        .zip(range)
        .map(|(s, i)| {
            let mut rng = SAMPLE_TRAJECTORY.rng(seed, i as u64);
            let (psi, _) = reverse.run_chain(params, s, &mut rng, false)?;
            Ok(readout.features(psi.amplitudes()))
        })
        .collect()
}

/// The ablation: the seeds read out directly, with the reverse process removed.
pub fn ablation(seeds: &[StateVector], readout: Readout) -> Vec<Vec<f64>> {
    seeds.iter().map(|s| readout.features(s.amplitudes())).collect()
}

//! Quantum trajectories: stochastic unravellings of channels on pure states, with the caller's
//! random number generator. Averaged over many draws they give the exact channel.
//!
//! Local depolarizing has two unravellings with the same average:
//! - [`Unravelling::PauliKicks`]: with probability `p` a uniformly random Pauli (I, X, Y or Z)
//!   hits the qubit. One trajectory still holds the data: `P|x>` is `|x>` up to a known flip.
//! - [`Unravelling::MeasureReprepare`]: with probability `p` the qubit is measured and replaced by
//!   a Haar-random pure state. The data on that qubit is destroyed; at `p = 1` every trajectory
//!   is a random product state, the seed of diffusion sampling.

use num_complex::Complex64;
use qrandom::distributions::{standard_normal, uniform};
use qsim_core::state::StateVector;
use rand::Rng;

use crate::error::{Result, check_probability};

/// How a depolarizing channel is sampled on a pure state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unravelling {
    /// A uniformly random Pauli string with probability `p`.
    PauliKicks,
    /// Measure and replace by a Haar-random state with probability `p`.
    MeasureReprepare,
}

/// A Haar-random pure state of `k` qubits (normalised complex Gaussian vector).
pub fn haar_random_amplitudes<R: Rng + ?Sized>(num_qubits: usize, rng: &mut R) -> Vec<Complex64> {
    loop {
        let v: Vec<Complex64> = (0..1usize << num_qubits)
            .map(|_| Complex64::new(standard_normal(rng), standard_normal(rng)))
            .collect();
        let norm = v.iter().map(|a| a.norm_sqr()).sum::<f64>().sqrt();
        if norm > 1e-300 {
            return v.into_iter().map(|a| a / norm).collect();
        }
    }
}

/// A Haar-random product state of `n` qubits: the seed of diffusion sampling, and what a fully
/// depolarized measure-and-reprepare trajectory looks like.
pub fn haar_random_product_state<R: Rng + ?Sized>(
    num_qubits: usize,
    rng: &mut R,
) -> Result<StateVector> {
    let qubits: Vec<[Complex64; 2]> = (0..num_qubits)
        .map(|_| {
            let a = haar_random_amplitudes(1, rng);
            [a[0], a[1]]
        })
        .collect();
    Ok(StateVector::product(&qubits)?)
}

/// Local depolarizing of strength `p` on each of `qubits`, independently, along one trajectory.
pub fn depolarize<R: Rng + ?Sized>(
    psi: &mut StateVector,
    qubits: &[usize],
    p: f64,
    unravelling: Unravelling,
    rng: &mut R,
) -> Result<()> {
    for &q in qubits {
        depolarize_global(psi, &[q], p, unravelling, rng)?;
    }
    Ok(())
}

/// Depolarizing of strength `p` on the qubits `qubits` jointly (`rho -> (1-p) rho +
/// p Tr_Q(rho) ⊗ I/2^k`), along one trajectory.
pub fn depolarize_global<R: Rng + ?Sized>(
    psi: &mut StateVector,
    qubits: &[usize],
    p: f64,
    unravelling: Unravelling,
    rng: &mut R,
) -> Result<()> {
    let p = check_probability("depolarizing strength", p)?;
    // Validate before drawing, so bad input fails the same way whatever the draw.
    let n = psi.num_qubits();
    for (i, &q) in qubits.iter().enumerate() {
        if q >= n {
            return Err(qsim_core::Error::QubitOutOfRange { qubit: q, num_qubits: n }.into());
        }
        if qubits[..i].contains(&q) {
            return Err(qsim_core::Error::DuplicateQubit { qubit: q }.into());
        }
    }
    if qubits.is_empty() || uniform(rng) >= p {
        return Ok(());
    }
    match unravelling {
        Unravelling::PauliKicks => {
            for &q in qubits {
                let letter = (rng.next_u64() % 4) as usize;
                let gate = [
                    None,
                    Some(qsim_core::gate::Gate::X),
                    Some(qsim_core::gate::Gate::Y),
                    Some(qsim_core::gate::Gate::Z),
                ][letter];
                if let Some(g) = gate {
                    psi.apply_gate(g, &[q], &[])?;
                }
            }
        }
        Unravelling::MeasureReprepare => {
            let mut outcome = 0usize;
            for (j, &q) in qubits.iter().enumerate() {
                if psi.measure_qubit(q, rng)? {
                    outcome |= 1 << j;
                }
            }
            // The state is now |rest> ⊗ |outcome>_Q; put a Haar-random state on Q instead.
            let phi = haar_random_amplitudes(qubits.len(), rng);
            let spread = |x: usize| -> usize {
                qubits.iter().enumerate().map(|(j, &q)| ((x >> j) & 1) << q).sum()
            };
            let mask = spread((1 << qubits.len()) - 1);
            let set = spread(outcome);
            let amps = psi.amplitudes_mut();
            for base in 0..amps.len() {
                if base & mask != 0 {
                    continue;
                }
                let rest = amps[base | set];
                for (x, f) in phi.iter().enumerate() {
                    amps[base | spread(x)] = rest * f;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn full_measure_reprepare_leaves_a_normalised_product_state() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut psi = StateVector::new(3).unwrap();
        psi.apply_gate(qsim_core::gate::Gate::H, &[0], &[]).unwrap();
        psi.apply_gate(qsim_core::gate::Gate::Cx, &[0, 1], &[]).unwrap();
        depolarize(&mut psi, &[0, 1, 2], 1.0, Unravelling::MeasureReprepare, &mut rng).unwrap();
        assert!((psi.norm_sqr() - 1.0).abs() < 1e-12);
        // A product state: every single-qubit reduced state is pure.
        for q in 0..3 {
            let r = psi.reduced_density_matrix(&[q]).unwrap();
            let purity: f64 = r.iter().map(|z| z.norm_sqr()).sum();
            assert!((purity - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn bad_strength_and_qubits_are_errors() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut psi = StateVector::new(2).unwrap();
        assert!(depolarize(&mut psi, &[0], 1.5, Unravelling::PauliKicks, &mut rng).is_err());
        assert!(depolarize(&mut psi, &[4], 0.0, Unravelling::PauliKicks, &mut rng).is_err());
    }
}

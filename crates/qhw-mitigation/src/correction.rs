//! Corrections of read counts for readout error: the exact inverse of the assignment matrix,
//! least squares on the probability simplex ([`crate::simplex`]), and M3 in the subspace of
//! observed outcomes ([`crate::m3`]).

use serde::{Deserialize, Serialize};

use crate::counts::{Counts, QuasiDistribution};
use crate::error::{Error, Result};
use crate::m3::M3Options;
use crate::readout::AssignmentMatrix;
use crate::simplex::project_to_simplex;

/// How to turn read counts into an estimate of the true distribution.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Correction {
    /// `A^{-1} p` over all `2^n` outcomes: unbiased, may be negative.
    #[default]
    Inverse,
    /// `argmin ||A x - p||_2` over probability distributions `x` (accelerated projected
    /// gradient with an exact Euclidean projection onto the simplex at every step).
    LeastSquares,
    /// The M3 correction in the subspace of observed outcomes ([`crate::m3`]).
    M3(M3Options),
}

/// Largest number of projected-gradient steps of the least-squares correction.
pub const LEAST_SQUARES_MAX_ITERATIONS: usize = 200_000;

/// Corrects `counts` (bit `l` = qubit `l` of `model`) for readout error.
pub fn mitigate(
    model: &impl AssignmentMatrix,
    counts: &Counts,
    correction: &Correction,
) -> Result<QuasiDistribution> {
    if counts.num_bits() != model.num_qubits() {
        return Err(Error::DimensionMismatch {
            what: "bits of the counts vs qubits of the readout model",
            expected: model.num_qubits(),
            got: counts.num_bits(),
        });
    }
    match correction {
        Correction::Inverse => {
            let p = counts.dense_frequencies()?;
            QuasiDistribution::from_dense(&model.solve(&p)?)
        }
        Correction::LeastSquares => {
            let p = counts.dense_frequencies()?;
            QuasiDistribution::from_dense(&least_squares_on_simplex(model, &p)?)
        }
        Correction::M3(options) => Ok(crate::m3::m3_correct(model, counts, options)?.quasi),
    }
}

/// `argmin_{x in simplex} ||A x - p||^2` by FISTA with adaptive restart, started from the
/// projection of the exact inverse (already optimal whenever that inverse is a distribution).
pub fn least_squares_on_simplex(model: &impl AssignmentMatrix, p: &[f64]) -> Result<Vec<f64>> {
    let norm = model.spectral_norm();
    let step = 1.0 / (norm * norm);
    let mut x = project_to_simplex(&model.solve(p)?);
    let mut y = x.clone();
    let mut t = 1.0f64;
    for _ in 0..LEAST_SQUARES_MAX_ITERATIONS {
        let residual: Vec<f64> = model.apply(&y)?.iter().zip(p).map(|(a, b)| a - b).collect();
        let grad = model.apply_transpose(&residual)?;
        let trial: Vec<f64> = y.iter().zip(&grad).map(|(yi, gi)| yi - step * gi).collect();
        let x_new = project_to_simplex(&trial);
        let change = x_new.iter().zip(&x).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        if change < 1e-14 {
            return Ok(x_new);
        }
        // Restart the momentum when it points against the last step (O'Donoghue and Candes).
        let against: f64 =
            y.iter().zip(&x_new).zip(&x).map(|((yi, xn), xo)| (yi - xn) * (xn - xo)).sum();
        let t_new = if against > 0.0 { 1.0 } else { 0.5 * (1.0 + (1.0 + 4.0 * t * t).sqrt()) };
        let momentum = if against > 0.0 { 0.0 } else { (t - 1.0) / t_new };
        y = x_new.iter().zip(&x).map(|(xn, xo)| xn + momentum * (xn - xo)).collect();
        x = x_new;
        t = t_new;
    }
    Err(Error::NotConverged {
        what: "least-squares readout correction",
        iterations: LEAST_SQUARES_MAX_ITERATIONS,
        residual: f64::NAN,
    })
}

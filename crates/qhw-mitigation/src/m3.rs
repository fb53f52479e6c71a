//! M3 readout mitigation (Nation, Kang, Sundaresan and Gambetta, PRX Quantum 2, 040326, 2021):
//! correct only in the subspace of outcomes that were actually observed.
//!
//! With `m` distinct observed outcomes `s_1..s_m` and frequencies `p`, the reduced matrix is
//! `Ã[i][j] = A[s_i][s_j]` for pairs within Hamming distance `d` (0 otherwise), and each column
//! is renormalised to sum to 1 over the observed rows, as mthree does (`col_norms`): the part of
//! a true outcome's readout that lands outside the observed set is redistributed over it. The
//! quasi-probabilities are the solution of `Ã x = p`; since every column of `Ã` sums to 1, so
//! does `x`. With `d = n` (the default) every pair counts.
//!
//! The system is solved by restarted GMRES with a Jacobi (diagonal) preconditioner, or by a
//! dense LU factorisation (`M3Solver::Direct`, what mthree's `method="direct"` does). Up to
//! [`DENSE_LIMIT`] observed outcomes the reduced matrix is stored; beyond, its elements are
//! recomputed in every product so memory stays linear in `m`.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::counts::{Counts, QuasiDistribution};
use crate::error::{Error, Result};
use crate::readout::AssignmentMatrix;

/// Largest reduced dimension whose matrix is stored densely.
pub const DENSE_LIMIT: usize = 2048;

/// How the reduced system is solved.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum M3Solver {
    /// Dense LU factorisation.
    Direct,
    /// Restarted GMRES with a Jacobi preconditioner, stopped when the relative residual
    /// `||Ã x - p|| / ||p||` is below `tolerance`.
    Gmres {
        /// Relative residual to reach.
        tolerance: f64,
        /// Largest number of Krylov steps over all restarts.
        max_iterations: usize,
    },
}

impl Default for M3Solver {
    fn default() -> Self {
        M3Solver::Gmres { tolerance: 1e-12, max_iterations: 500 }
    }
}

/// Options of the M3 correction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct M3Options {
    /// Largest Hamming distance between coupled outcomes; `None` means all pairs (`d = n`).
    pub distance: Option<usize>,
    /// The linear solver.
    pub solver: M3Solver,
}

/// The quasi-distribution and what the solver did.
#[derive(Clone, Debug, PartialEq)]
pub struct M3Result {
    /// Quasi-probabilities on the observed outcomes.
    pub quasi: QuasiDistribution,
    /// Krylov steps taken (0 for the direct solver).
    pub iterations: usize,
    /// Final relative residual `||Ã x - p|| / ||p||`.
    pub relative_residual: f64,
    /// The column sums of the reduced matrix before renormalisation (mthree's `col_norms`), in
    /// increasing outcome order.
    pub column_norms: Vec<f64>,
}

/// The reduced, column-renormalised assignment matrix on the observed outcomes.
struct Reduced<'a, M: AssignmentMatrix + ?Sized> {
    model: &'a M,
    outcomes: Vec<usize>,
    distance: usize,
    column_norms: Vec<f64>,
    dense: Option<Vec<f64>>,
}

impl<'a, M: AssignmentMatrix + ?Sized> Reduced<'a, M> {
    fn new(model: &'a M, outcomes: Vec<usize>, distance: usize) -> Result<Self> {
        let m = outcomes.len();
        let mut this = Self { model, outcomes, distance, column_norms: vec![0.0; m], dense: None };
        let store = m <= DENSE_LIMIT;
        let mut dense = if store { vec![0.0; m * m] } else { Vec::new() };
        for j in 0..m {
            let mut norm = 0.0;
            for i in 0..m {
                let a = this.raw(i, j);
                norm += a;
                if store {
                    dense[j * m + i] = a;
                }
            }
            // A NaN norm is rejected too.
            if norm.is_nan() || norm <= 0.0 {
                return Err(Error::SingularMatrix { what: "the M3 reduced assignment matrix" });
            }
            this.column_norms[j] = norm;
            if store {
                dense[j * m..(j + 1) * m].iter_mut().for_each(|a| *a /= norm);
            }
        }
        this.dense = store.then_some(dense);
        Ok(this)
    }

    fn raw(&self, i: usize, j: usize) -> f64 {
        let (a, b) = (self.outcomes[i], self.outcomes[j]);
        if (a ^ b).count_ones() as usize > self.distance { 0.0 } else { self.model.element(a, b) }
    }

    fn get(&self, i: usize, j: usize) -> f64 {
        match &self.dense {
            Some(d) => d[j * self.outcomes.len() + i],
            None => self.raw(i, j) / self.column_norms[j],
        }
    }

    fn matvec(&self, x: &[f64], out: &mut [f64]) {
        let m = self.outcomes.len();
        out.iter_mut().for_each(|o| *o = 0.0);
        for j in 0..m {
            if x[j] == 0.0 {
                continue;
            }
            match &self.dense {
                Some(d) => {
                    for (o, a) in out.iter_mut().zip(&d[j * m..(j + 1) * m]) {
                        *o += a * x[j];
                    }
                }
                None => {
                    for (i, o) in out.iter_mut().enumerate() {
                        *o += self.get(i, j) * x[j];
                    }
                }
            }
        }
    }
}

fn norm2(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// The M3 quasi-probabilities of `counts` (bit `l` = qubit `l` of `model`).
pub fn m3_correct<M: AssignmentMatrix + ?Sized>(
    model: &M,
    counts: &Counts,
    options: &M3Options,
) -> Result<M3Result> {
    let n = model.num_qubits();
    if counts.num_bits() != n {
        return Err(Error::DimensionMismatch {
            what: "bits of the counts vs qubits of the readout model",
            expected: n,
            got: counts.num_bits(),
        });
    }
    let distance = options.distance.unwrap_or(n);
    if distance > n {
        return Err(Error::InvalidConfig {
            reason: format!("M3 distance {distance} is larger than the {n} bits"),
        });
    }
    let freqs = counts.frequencies()?;
    let outcomes: Vec<usize> = freqs.iter().map(|&(k, _)| k).collect();
    let p: Vec<f64> = freqs.iter().map(|&(_, f)| f).collect();
    let reduced = Reduced::new(model, outcomes.clone(), distance)?;
    let (x, iterations) = match options.solver {
        M3Solver::Direct => (direct(&reduced, &p)?, 0),
        M3Solver::Gmres { tolerance, max_iterations } => {
            if !(tolerance > 0.0 && tolerance.is_finite()) || max_iterations == 0 {
                return Err(Error::InvalidConfig {
                    reason: format!(
                        "GMRES tolerance {tolerance} and iterations {max_iterations} must be positive"
                    ),
                });
            }
            gmres(&reduced, &p, tolerance, max_iterations)?
        }
    };
    let mut ax = vec![0.0; p.len()];
    reduced.matvec(&x, &mut ax);
    let residual: Vec<f64> = ax.iter().zip(&p).map(|(a, b)| a - b).collect();
    let relative_residual = norm2(&residual) / norm2(&p);
    Ok(M3Result {
        quasi: QuasiDistribution::from_pairs(n, outcomes.into_iter().zip(x))?,
        iterations,
        relative_residual,
        column_norms: reduced.column_norms,
    })
}

fn direct<M: AssignmentMatrix + ?Sized>(reduced: &Reduced<'_, M>, p: &[f64]) -> Result<Vec<f64>> {
    let m = p.len();
    let a = DMatrix::from_fn(m, m, |i, j| reduced.get(i, j));
    let x = a
        .lu()
        .solve(&DVector::from_column_slice(p))
        .ok_or(Error::SingularMatrix { what: "the M3 reduced assignment matrix" })?;
    if x.iter().any(|v| !v.is_finite()) {
        return Err(Error::SingularMatrix { what: "the M3 reduced assignment matrix" });
    }
    Ok(x.as_slice().to_vec())
}

/// Restarted GMRES on `Ã x = p`, left-preconditioned by `diag(Ã)^{-1}`; convergence is judged
/// on the true residual so the preconditioner cannot hide an inaccurate answer.
fn gmres<M: AssignmentMatrix + ?Sized>(
    a: &Reduced<'_, M>,
    b: &[f64],
    tolerance: f64,
    max_iterations: usize,
) -> Result<(Vec<f64>, usize)> {
    let m = b.len();
    let diag: Vec<f64> = (0..m).map(|i| a.get(i, i)).collect();
    // Zero or NaN.
    if diag.iter().any(|d| d.is_nan() || d.abs() <= 0.0) {
        return Err(Error::SingularMatrix {
            what: "the M3 reduced assignment matrix (zero diagonal)",
        });
    }
    let precondition = |v: &mut [f64]| v.iter_mut().zip(&diag).for_each(|(x, d)| *x /= d);
    let b_norm = norm2(b);
    let restart = m.clamp(1, 60);
    // Jacobi start: exact when the readout errors are zero.
    let mut x: Vec<f64> = b.iter().zip(&diag).map(|(bi, d)| bi / d).collect();
    let mut ax = vec![0.0; m];
    let mut iterations = 0;
    loop {
        a.matvec(&x, &mut ax);
        let mut r: Vec<f64> = b.iter().zip(&ax).map(|(bi, axi)| bi - axi).collect();
        let true_residual = norm2(&r) / b_norm;
        if true_residual <= tolerance {
            return Ok((x, iterations));
        }
        if iterations >= max_iterations {
            return Err(Error::NotConverged {
                what: "M3 GMRES",
                iterations,
                residual: true_residual,
            });
        }
        precondition(&mut r);
        let beta = norm2(&r);
        let mut basis: Vec<Vec<f64>> = vec![r.iter().map(|v| v / beta).collect()];
        // Hessenberg columns, Givens rotations (c, s) and the rotated right-hand side.
        let mut h: Vec<Vec<f64>> = Vec::with_capacity(restart);
        let mut rotations: Vec<(f64, f64)> = Vec::with_capacity(restart);
        let mut g = vec![beta];
        let mut w = vec![0.0; m];
        for j in 0..restart {
            a.matvec(&basis[j], &mut w);
            precondition(&mut w);
            let mut column = vec![0.0; j + 2];
            for (i, v) in basis.iter().enumerate() {
                let hij: f64 = w.iter().zip(v).map(|(a, b)| a * b).sum();
                column[i] = hij;
                w.iter_mut().zip(v).for_each(|(wk, vk)| *wk -= hij * vk);
            }
            let next_norm = norm2(&w);
            column[j + 1] = next_norm;
            for (i, &(c, s)) in rotations.iter().enumerate() {
                let (u, v) = (column[i], column[i + 1]);
                column[i] = c * u + s * v;
                column[i + 1] = -s * u + c * v;
            }
            let (u, v) = (column[j], column[j + 1]);
            let rho = u.hypot(v);
            let (c, s) = if rho == 0.0 { (1.0, 0.0) } else { (u / rho, v / rho) };
            column[j] = rho;
            column[j + 1] = 0.0;
            rotations.push((c, s));
            let gj = g[j];
            g[j] = c * gj;
            g.push(-s * gj);
            h.push(column);
            iterations += 1;
            let estimate = g[j + 1].abs() / beta * true_residual;
            let breakdown = next_norm <= 1e-300;
            if !breakdown {
                basis.push(w.iter().map(|v| v / next_norm).collect());
            }
            if breakdown || estimate <= 0.1 * tolerance || iterations >= max_iterations {
                break;
            }
        }
        // Back-substitution for the least-squares coefficients, then the update.
        let k = h.len();
        let mut y = vec![0.0; k];
        for i in (0..k).rev() {
            let mut s = g[i];
            for (l, yl) in y.iter().enumerate().skip(i + 1) {
                s -= h[l][i] * yl;
            }
            y[i] = if h[i][i] != 0.0 { s / h[i][i] } else { 0.0 };
        }
        for (yi, v) in y.iter().zip(&basis) {
            x.iter_mut().zip(v).for_each(|(xk, vk)| *xk += yi * vk);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readout::TensoredReadout;

    #[test]
    fn with_every_outcome_observed_m3_is_the_tensored_inverse() {
        let m = TensoredReadout::from_flips(&[(0.03, 0.08), (0.06, 0.02), (0.01, 0.1)]).unwrap();
        let counts = Counts::from_pairs(3, (0..8).map(|k| (k, 10 + 7 * k as u64))).unwrap();
        let inverse = m.solve(&counts.dense_frequencies().unwrap()).unwrap();
        for solver in [M3Solver::Direct, M3Solver::default()] {
            let r = m3_correct(&m, &counts, &M3Options { distance: None, solver }).unwrap();
            for (k, v) in r.quasi.iter() {
                assert!((v - inverse[k]).abs() < 1e-12, "{solver:?} outcome {k}");
            }
            assert!(r.column_norms.iter().all(|c| (c - 1.0).abs() < 1e-12));
        }
    }

    #[test]
    fn distance_limits_and_bad_options_are_checked() {
        let m = TensoredReadout::from_flips(&[(0.03, 0.08), (0.06, 0.02)]).unwrap();
        let counts = Counts::from_pairs(2, [(0, 50), (3, 50)]).unwrap();
        let opts = M3Options { distance: Some(3), ..M3Options::default() };
        assert!(matches!(m3_correct(&m, &counts, &opts), Err(Error::InvalidConfig { .. })));
        // Distance 1 decouples 00 and 11: each column is only its diagonal, renormalised to 1.
        let opts = M3Options { distance: Some(1), ..M3Options::default() };
        let r = m3_correct(&m, &counts, &opts).unwrap();
        assert!((r.quasi.get(0) - 0.5).abs() < 1e-12 && (r.quasi.get(3) - 0.5).abs() < 1e-12);
    }
}

//! The Frechet distance between Gaussian fits of two feature sets (the "F" of FID).
//!
//! For feature means `m_a, m_b` and covariances `A, B`:
//!
//! `d^2 = |m_a - m_b|^2 + tr(A) + tr(B) - 2 tr( (A^(1/2) B A^(1/2))^(1/2) )`.
//!
//! The trace term is computed with two symmetric eigendecompositions (nalgebra's
//! `SymmetricEigen`): `A^(1/2) = V diag(sqrt(max(l, 0))) V^T`, then the eigenvalues of the
//! symmetric positive semi-definite `A^(1/2) B A^(1/2)`, clamped at zero before the square root.
//! Unlike the general `sqrtm(A B)` of the reference implementation, this never produces complex
//! values from rounding, and it handles the singular covariances that dead ReLU features give.
//! All statistics are `f64`.

use crate::error::{Error, Result};
use nalgebra::{DMatrix, DVector, SymmetricEigen};

/// Mean and covariance of a set of feature vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureStatistics {
    mean: DVector<f64>,
    covariance: DMatrix<f64>,
    count: usize,
}

impl FeatureStatistics {
    /// Fits the mean and the unbiased covariance of `features` (one sample per column; at least
    /// two samples).
    pub fn from_features(features: &DMatrix<f32>) -> Result<Self> {
        let (dim, n) = features.shape();
        if n < 2 {
            return Err(Error::TooFewSamples { what: "a feature covariance", min: 2, got: n });
        }
        if dim == 0 {
            return Err(Error::DimensionMismatch {
                what: "feature dimension",
                expected: 1,
                got: 0,
            });
        }
        if features.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite { what: "features" });
        }
        let x = features.map(f64::from);
        let mean = x.column_mean();
        let mut centred = x;
        for mut column in centred.column_iter_mut() {
            column -= &mean;
        }
        let covariance = (&centred * centred.transpose()) / (n as f64 - 1.0);
        Ok(FeatureStatistics { mean, covariance, count: n })
    }

    /// Statistics from a given mean and covariance (the covariance must be square, symmetric
    /// within rounding, and match the mean).
    pub fn from_moments(
        mean: DVector<f64>,
        covariance: DMatrix<f64>,
        count: usize,
    ) -> Result<Self> {
        if covariance.nrows() != mean.len() || covariance.ncols() != mean.len() {
            return Err(Error::DimensionMismatch {
                what: "covariance size (square, one row per feature)",
                expected: mean.len(),
                got: covariance.nrows().max(covariance.ncols()),
            });
        }
        if mean.iter().chain(covariance.iter()).any(|v| !v.is_finite()) {
            return Err(Error::NonFinite { what: "feature moments" });
        }
        let asymmetry = (&covariance - covariance.transpose()).amax();
        if asymmetry > 1e-9 * (1.0 + covariance.amax()) {
            return Err(Error::InvalidConfig {
                field: "covariance",
                reason: format!("not symmetric (max |C - C^T| = {asymmetry:e})"),
            });
        }
        Ok(FeatureStatistics { mean, covariance, count })
    }

    /// The feature mean.
    pub fn mean(&self) -> &DVector<f64> {
        &self.mean
    }

    /// The (unbiased) feature covariance.
    pub fn covariance(&self) -> &DMatrix<f64> {
        &self.covariance
    }

    /// Number of samples the statistics were fitted on.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The feature dimension.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }
}

/// The square root of a symmetric positive semi-definite matrix; eigenvalues below zero (from
/// rounding) are treated as zero.
pub fn sqrt_psd(m: &DMatrix<f64>) -> DMatrix<f64> {
    let symmetric = (m + m.transpose()) * 0.5;
    let eigen = SymmetricEigen::new(symmetric);
    let roots = eigen.eigenvalues.map(|l| l.max(0.0).sqrt());
    let v = &eigen.eigenvectors;
    let mut scaled = v.clone();
    for (mut column, &r) in scaled.column_iter_mut().zip(roots.iter()) {
        column *= r;
    }
    &scaled * v.transpose()
}

/// The trace of the square root of a symmetric positive semi-definite matrix.
fn trace_sqrt_psd(m: &DMatrix<f64>) -> f64 {
    let symmetric = (m + m.transpose()) * 0.5;
    SymmetricEigen::new(symmetric).eigenvalues.iter().map(|l| l.max(0.0).sqrt()).sum()
}

/// The squared Frechet distance between two Gaussian fits (what is reported as FID).
///
/// The exact value is non-negative; a result that rounding pushes below zero is returned as 0.
pub fn frechet_distance(a: &FeatureStatistics, b: &FeatureStatistics) -> Result<f64> {
    if a.dim() != b.dim() {
        return Err(Error::DimensionMismatch {
            what: "feature dimension of the second set",
            expected: a.dim(),
            got: b.dim(),
        });
    }
    let mean_term = (&a.mean - &b.mean).norm_squared();
    let root_a = sqrt_psd(&a.covariance);
    let cross = trace_sqrt_psd(&(&root_a * &b.covariance * &root_a));
    let d = mean_term + a.covariance.trace() + b.covariance.trace() - 2.0 * cross;
    if !d.is_finite() {
        return Err(Error::NonFinite { what: "Frechet distance" });
    }
    Ok(d.max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqrt_of_a_psd_matrix_squares_back() {
        let b = DMatrix::from_row_slice(3, 3, &[2.0, 0.5, 0.0, 0.5, 1.0, 0.3, 0.0, 0.3, 0.0]);
        let m = &b * b.transpose();
        let r = sqrt_psd(&m);
        assert!((&r * &r - &m).amax() < 1e-10);
    }

    #[test]
    fn one_dimensional_gaussians_match_the_closed_form() {
        // d^2 = (m1 - m2)^2 + (s1 - s2)^2 in one dimension.
        let a = FeatureStatistics::from_moments(
            DVector::from_element(1, 1.0),
            DMatrix::from_element(1, 1, 4.0),
            10,
        )
        .unwrap();
        let b = FeatureStatistics::from_moments(
            DVector::from_element(1, -2.0),
            DMatrix::from_element(1, 1, 9.0),
            10,
        )
        .unwrap();
        assert!((frechet_distance(&a, &b).unwrap() - (9.0 + 1.0)).abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_inputs() {
        assert!(FeatureStatistics::from_features(&DMatrix::zeros(3, 1)).is_err());
        let a = FeatureStatistics::from_features(&DMatrix::from_fn(2, 4, |r, c| (r * c) as f32))
            .unwrap();
        let b = FeatureStatistics::from_features(&DMatrix::from_fn(3, 4, |r, c| (r + c) as f32))
            .unwrap();
        assert!(frechet_distance(&a, &b).is_err());
    }
}

//! Principal component analysis of images: the fixed linear latent of the PCA encoder.

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The top principal components of a data set, with their standard deviations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PcaRecord", into = "PcaRecord")]
pub struct Pca {
    mean: DVector<f32>,
    /// One component per row (k x dim), unit length, by decreasing variance.
    components: DMatrix<f32>,
    /// Standard deviation of the data along each component.
    std_devs: DVector<f32>,
}

#[derive(Serialize, Deserialize)]
struct PcaRecord {
    mean: Vec<f32>,
    /// Row-major `k x dim`.
    components: Vec<f32>,
    std_devs: Vec<f32>,
}

impl From<Pca> for PcaRecord {
    fn from(p: Pca) -> Self {
        PcaRecord {
            mean: p.mean.as_slice().to_vec(),
            components: p.components.transpose().as_slice().to_vec(),
            std_devs: p.std_devs.as_slice().to_vec(),
        }
    }
}

impl TryFrom<PcaRecord> for Pca {
    type Error = Error;

    fn try_from(r: PcaRecord) -> Result<Self> {
        let (k, dim) = (r.std_devs.len(), r.mean.len());
        if k == 0 || dim == 0 || r.components.len() != k * dim {
            return Err(Error::InvalidModel {
                reason: format!(
                    "PCA with {k} components of dimension {dim} stores {} values",
                    r.components.len()
                ),
            });
        }
        if r.mean.iter().chain(&r.components).chain(&r.std_devs).any(|v| !v.is_finite())
            || r.std_devs.iter().any(|&s| s <= 0.0)
        {
            return Err(Error::InvalidModel {
                reason: "PCA values not finite or not positive".into(),
            });
        }
        Ok(Pca {
            mean: DVector::from_vec(r.mean),
            components: DMatrix::from_row_slice(k, dim, &r.components),
            std_devs: DVector::from_vec(r.std_devs),
        })
    }
}

impl Pca {
    /// Fits the top `k` components of `data` (one sample per column).
    pub fn fit(data: &DMatrix<f32>, k: usize) -> Result<Self> {
        let (dim, n) = data.shape();
        if n < 2 {
            return Err(Error::TooFewSamples { what: "PCA", min: 2, got: n });
        }
        if k == 0 || k > dim.min(n - 1) {
            return Err(Error::InvalidConfig {
                field: "components",
                reason: format!("{k} components requested from {n} samples of dimension {dim}"),
            });
        }
        if data.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite { what: "PCA data" });
        }
        let x = data.map(f64::from);
        let mean = x.column_mean();
        let mut centred = x;
        for mut column in centred.column_iter_mut() {
            column -= &mean;
        }
        let covariance = (&centred * centred.transpose()) / (n as f64 - 1.0);
        let eigen = SymmetricEigen::new(covariance);
        let mut order: Vec<usize> = (0..dim).collect();
        order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
        let top = &order[..k];
        if let Some(&weak) =
            top.iter().find(|&&i| eigen.eigenvalues[i].is_nan() || eigen.eigenvalues[i] <= 1e-12)
        {
            return Err(Error::InvalidConfig {
                field: "components",
                reason: format!("component {weak} has no variance; request fewer components"),
            });
        }
        let components = DMatrix::from_fn(k, dim, |r, c| eigen.eigenvectors[(c, top[r])] as f32);
        let std_devs = DVector::from_fn(k, |r, _| eigen.eigenvalues[top[r]].sqrt() as f32);
        Ok(Pca { mean: mean.map(|v| v as f32), components, std_devs })
    }

    /// Number of components.
    pub fn components(&self) -> usize {
        self.components.nrows()
    }

    /// Dimension of the data.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Standard deviation of the data along each component.
    pub fn std_devs(&self) -> &DVector<f32> {
        &self.std_devs
    }

    /// Standardised coordinates (unit variance on the fitting data), k x N, of `data` (dim x N).
    pub fn project(&self, data: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        if data.nrows() != self.dim() {
            return Err(Error::DimensionMismatch {
                what: "PCA input rows",
                expected: self.dim(),
                got: data.nrows(),
            });
        }
        let mut centred = data.clone();
        for mut column in centred.column_iter_mut() {
            column -= &self.mean;
        }
        let mut z = &self.components * centred;
        for mut column in z.column_iter_mut() {
            column.component_div_assign(&self.std_devs);
        }
        Ok(z)
    }

    /// Maps standardised coordinates (k x N) back to data space (dim x N).
    pub fn reconstruct(&self, z: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        if z.nrows() != self.components() {
            return Err(Error::DimensionMismatch {
                what: "PCA coordinates rows",
                expected: self.components(),
                got: z.nrows(),
            });
        }
        let mut scaled = z.clone();
        for mut column in scaled.column_iter_mut() {
            column.component_mul_assign(&self.std_devs);
        }
        let mut x = self.components.transpose() * scaled;
        for mut column in x.column_iter_mut() {
            column += &self.mean;
        }
        Ok(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_dominant_direction_and_reconstructs() {
        // Points on the line (t, 2t, 0) plus a little spread in the third axis.
        let data = DMatrix::from_fn(3, 50, |r, c| {
            let t = c as f32 / 10.0 - 2.5;
            match r {
                0 => t,
                1 => 2.0 * t,
                _ => 0.01 * ((c % 3) as f32 - 1.0),
            }
        });
        let pca = Pca::fit(&data, 1).unwrap();
        let v = pca.components.row(0);
        assert!((v[1] / v[0] - 2.0).abs() < 1e-3);
        let back = pca.reconstruct(&pca.project(&data).unwrap()).unwrap();
        assert!((back - &data).amax() < 0.02);
        assert!(Pca::fit(&data, 4).is_err());
    }
}

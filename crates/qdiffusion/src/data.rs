//! Training data as quantum states: encoded images, and their forward-process samples.
//!
//! Two encodings (see `docs/model.md`):
//! - [`EncodedData::Product`]: the latent encoding, one pure product state per image, given by
//!   a `(theta, phi)` Bloch angle pair per qubit. Measure-and-reprepare depolarizing keeps product
//!   states product, so forward samples at any step are drawn classically: each qubit is replaced
//!   by a Haar-random one with probability `1 - alphabar_t`.
//! - [`EncodedData::Amplitudes`]: the amplitude encoding, one state vector per image.

use num_complex::Complex64;
use qrandom::distributions::uniform;
use qsim_core::state::StateVector;
use rand::Rng;

use crate::error::{Error, Result};
use crate::features::Readout;
use crate::forward::{ForwardProcess, NoiseKind};

/// Encoded training images.
#[derive(Clone, Debug)]
pub enum EncodedData {
    /// Product states: per image, per qubit, `(theta, phi)`.
    Product(Vec<Vec<(f64, f64)>>),
    /// Arbitrary states: per image, the amplitudes.
    Amplitudes(Vec<Vec<Complex64>>),
}

/// The single-qubit state with Bloch angles `(theta, phi)`: `cos(theta/2)|0> + e^{i phi} sin(theta/2)|1>`.
pub fn qubit_state((theta, phi): (f64, f64)) -> [Complex64; 2] {
    [Complex64::new((theta / 2.0).cos(), 0.0), Complex64::from_polar((theta / 2.0).sin(), phi)]
}

/// A Haar-random qubit as Bloch angles (uniform on the sphere).
pub fn haar_angles<R: Rng + ?Sized>(rng: &mut R) -> (f64, f64) {
    let u = uniform(rng);
    let v = uniform(rng);
    ((1.0 - 2.0 * u).clamp(-1.0, 1.0).acos(), std::f64::consts::TAU * v)
}

/// Bloch vectors `[x, y, z]` of a product state, qubit-major (the `Readout::Bloch` layout).
pub fn product_bloch(angles: &[(f64, f64)]) -> Vec<f64> {
    angles.iter().flat_map(|&(t, p)| [t.sin() * p.cos(), t.sin() * p.sin(), t.cos()]).collect()
}

impl EncodedData {
    /// Number of images.
    pub fn len(&self) -> usize {
        match self {
            EncodedData::Product(v) => v.len(),
            EncodedData::Amplitudes(v) => v.len(),
        }
    }

    /// True if there are no images.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The [`qfile::Fingerprint`] of the encoding and of every angle's or amplitude's bits: a
    /// training checkpoint records it, so that it only resumes on the data it was trained on.
    pub fn fingerprint(&self) -> u64 {
        let mut hash = qfile::Fingerprint::new();
        match self {
            EncodedData::Product(images) => {
                hash.update(b"product");
                for image in images {
                    hash.update_u64(image.len() as u64);
                    for &(theta, phi) in image {
                        hash.update_u64(theta.to_bits()).update_u64(phi.to_bits());
                    }
                }
            }
            EncodedData::Amplitudes(states) => {
                hash.update(b"amplitudes");
                for state in states {
                    hash.update_u64(state.len() as u64);
                    for a in state {
                        hash.update_u64(a.re.to_bits()).update_u64(a.im.to_bits());
                    }
                }
            }
        }
        hash.finish()
    }

    /// Qubits per state.
    pub fn num_qubits(&self) -> usize {
        match self {
            EncodedData::Product(v) => v.first().map_or(0, Vec::len),
            EncodedData::Amplitudes(v) => {
                v.first().map_or(0, |a| a.len().trailing_zeros() as usize)
            }
        }
    }

    /// Checks that every state has the same, non-zero number of qubits and is normalised.
    pub fn validate(&self) -> Result<()> {
        let n = self.num_qubits();
        if self.is_empty() || n == 0 {
            return Err(Error::InvalidConfig { reason: "no training states".into() });
        }
        match self {
            EncodedData::Product(v) => {
                if let Some(bad) = v.iter().find(|a| a.len() != n) {
                    return Err(Error::DimensionMismatch {
                        what: "qubits of an encoded state",
                        expected: n,
                        got: bad.len(),
                    });
                }
            }
            EncodedData::Amplitudes(v) => {
                for a in v {
                    StateVector::from_amplitudes(a.clone())?;
                }
            }
        }
        Ok(())
    }

    /// Image `i` as a state vector.
    pub fn state(&self, i: usize) -> Result<StateVector> {
        Ok(match self {
            EncodedData::Product(v) => {
                StateVector::product(&v[i].iter().map(|&a| qubit_state(a)).collect::<Vec<_>>())?
            }
            EncodedData::Amplitudes(v) => StateVector::from_amplitudes(v[i].clone())?,
        })
    }

    /// The readout features of image `i` (cheap for product states: no state vector needed).
    pub fn features(&self, i: usize, readout: Readout) -> Result<Vec<f64>> {
        match (self, readout) {
            (EncodedData::Product(v), Readout::Bloch) => Ok(product_bloch(&v[i])),
            _ => Ok(readout.features(self.state(i)?.amplitudes())),
        }
    }

    /// The readout features of one forward-process sample of image `i` at step `t`: the
    /// features of [`EncodedData::forward_state`] with the same draws, without a state vector
    /// for product states read out as Bloch vectors.
    pub fn forward_features<R: Rng + ?Sized>(
        &self,
        forward: &ForwardProcess,
        i: usize,
        t: usize,
        readout: Readout,
        rng: &mut R,
    ) -> Result<Vec<f64>> {
        match (self, forward.kind(), readout) {
            (EncodedData::Product(v), NoiseKind::Local, Readout::Bloch) => {
                let p = forward.schedule().cumulative_strength(t);
                let angles: Vec<(f64, f64)> = v[i]
                    .iter()
                    .map(|&a| if uniform(rng) < p { haar_angles(rng) } else { a })
                    .collect();
                Ok(product_bloch(&angles))
            }
            _ => Ok(readout.features(self.forward_state(forward, i, t, rng)?.amplitudes())),
        }
    }

    /// One forward-process sample of image `i` at step `t` (a trajectory state).
    pub fn forward_state<R: Rng + ?Sized>(
        &self,
        forward: &ForwardProcess,
        i: usize,
        t: usize,
        rng: &mut R,
    ) -> Result<StateVector> {
        match (self, forward.kind()) {
            (EncodedData::Product(v), NoiseKind::Local) => {
                let p = forward.schedule().cumulative_strength(t);
                let angles: Vec<[Complex64; 2]> = v[i]
                    .iter()
                    .map(|&a| qubit_state(if uniform(rng) < p { haar_angles(rng) } else { a }))
                    .collect();
                Ok(StateVector::product(&angles)?)
            }
            _ => forward.sample_at(&self.state(i)?, t, rng),
        }
    }
}

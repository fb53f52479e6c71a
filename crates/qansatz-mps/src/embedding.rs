//! Time conditioning: one parameter set serving every diffusion step.
//!
//! - [`Conditioning::Embedded`]: `theta(t) = w + V e(t/T)`, with `e` the sinusoidal features of
//!   [`sinusoidal_features`] (size `M`). Parameters: `w` (one per angle) then `V` (angle-major,
//!   `M` per angle). A conditional Born machine.
//! - [`Conditioning::PerStep`]: independent angles for each step (QuDDPM-style), step `t` at
//!   `[(t-1) A, t A)`.
//! - [`Conditioning::None`]: one angle set for every step.
//!
//! Gradients go through the chain rule: `dL/dw = dL/dtheta`, `dL/dV[i][m] = dL/dtheta_i e_m(t)`.

use qfile::OverLimit;
use qsim_core::circuit::Circuit;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::ansatz::{Ansatz, AnsatzConfig, Init};
use crate::error::{Error, Result};

/// Sinusoidal features of `s = t/T` in `[0, 1]`: `sin(w_j s), cos(w_j s)` with
/// `w_j = (pi/2) 2^j`, so the slowest pair is monotone over the whole range and each further pair
/// resolves twice as finely. An odd `dim` ends with a sine.
pub fn sinusoidal_features(s: f64, dim: usize) -> Vec<f64> {
    (0..dim)
        .map(|m| {
            let w = std::f64::consts::FRAC_PI_2 * f64::powi(2.0, (m / 2) as i32);
            if m % 2 == 0 { (w * s).sin() } else { (w * s).cos() }
        })
        .collect()
}

/// How the angles depend on the timestep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Conditioning {
    /// `theta(t) = w + V e(t/T)` with `dim` sinusoidal features.
    Embedded {
        /// Number of features `M`.
        dim: usize,
    },
    /// Independent angles per step.
    PerStep,
    /// The same angles at every step.
    None,
}

/// The most parameters a [`ConditionalAnsatz`] may have: 2^24 (128 MiB of `f64`), thousands of
/// times the reference model's, so a configuration read from a damaged file (a huge embedding
/// `dim` or step count) is refused before anything of that size is allocated.
pub const MAX_PARAMS: usize = 1 << 24;

/// An ansatz whose angles depend on the diffusion step `t` in `1..=steps`.
///
/// ```
/// use qansatz_mps::{ansatz::AnsatzConfig, embedding::{Conditioning, ConditionalAnsatz}};
/// let model = ConditionalAnsatz::new(AnsatzConfig::default(), Conditioning::Embedded { dim: 6 }, 50)?;
/// assert_eq!(model.num_params(), 300 * 7);
/// # Ok::<(), qansatz_mps::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ConditionalAnsatz {
    ansatz: Ansatz,
    conditioning: Conditioning,
    steps: usize,
}

impl ConditionalAnsatz {
    /// Builds the ansatz for `config` conditioned on `steps` timesteps.
    pub fn new(config: AnsatzConfig, conditioning: Conditioning, steps: usize) -> Result<Self> {
        if steps == 0 {
            return Err(Error::InvalidConfig { reason: "zero diffusion steps".into() });
        }
        if let Conditioning::Embedded { dim: 0 } = conditioning {
            return Err(Error::InvalidConfig {
                reason: "an embedding needs at least one feature".into(),
            });
        }
        let ansatz = Ansatz::new(config)?;
        let a = ansatz.num_angles() as u64;
        let params = match conditioning {
            Conditioning::Embedded { dim } => a.saturating_mul((dim as u64).saturating_add(1)),
            Conditioning::PerStep => a.saturating_mul(steps as u64),
            Conditioning::None => a,
        };
        let what = || "the conditional ansatz configuration declares".into();
        OverLimit::check(what, params, "parameters", MAX_PARAMS as u64)?;
        Ok(Self { ansatz, conditioning, steps })
    }

    /// The underlying ansatz.
    pub fn ansatz(&self) -> &Ansatz {
        &self.ansatz
    }

    /// The conditioning.
    pub fn conditioning(&self) -> Conditioning {
        self.conditioning
    }

    /// The number of diffusion steps `T`.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The parameterised circuit (angles by reference, see [`ConditionalAnsatz::angles`]).
    pub fn circuit(&self) -> &Circuit {
        self.ansatz.circuit()
    }

    /// Length of the parameter vector.
    pub fn num_params(&self) -> usize {
        let a = self.ansatz.num_angles();
        match self.conditioning {
            Conditioning::Embedded { dim } => a * (1 + dim),
            Conditioning::PerStep => a * self.steps,
            Conditioning::None => a,
        }
    }

    fn check(&self, params: &[f64], t: usize) -> Result<()> {
        if params.len() != self.num_params() {
            return Err(Error::DimensionMismatch {
                what: "parameters",
                expected: self.num_params(),
                got: params.len(),
            });
        }
        if t == 0 || t > self.steps {
            return Err(Error::TimestepOutOfRange { t, steps: self.steps });
        }
        Ok(())
    }

    /// The embedding features at step `t` (empty unless embedded).
    pub fn features(&self, t: usize) -> Vec<f64> {
        match self.conditioning {
            Conditioning::Embedded { dim } => {
                sinusoidal_features(t as f64 / self.steps as f64, dim)
            }
            _ => Vec::new(),
        }
    }

    /// The circuit angles at step `t`.
    pub fn angles(&self, params: &[f64], t: usize) -> Result<Vec<f64>> {
        self.check(params, t)?;
        let a = self.ansatz.num_angles();
        Ok(match self.conditioning {
            Conditioning::Embedded { dim } => {
                let e = self.features(t);
                let (w, v) = params.split_at(a);
                w.iter()
                    .zip(v.chunks_exact(dim))
                    .map(|(wi, vi)| wi + vi.iter().zip(&e).map(|(x, y)| x * y).sum::<f64>())
                    .collect()
            }
            Conditioning::PerStep => params[(t - 1) * a..t * a].to_vec(),
            Conditioning::None => params.to_vec(),
        })
    }

    /// Adds the parameter gradient at step `t` for the angle gradient `dangles` into `grad`.
    pub fn backprop(&self, t: usize, dangles: &[f64], grad: &mut [f64]) -> Result<()> {
        self.check(grad, t)?;
        let a = self.ansatz.num_angles();
        if dangles.len() != a {
            return Err(Error::DimensionMismatch {
                what: "angle gradient",
                expected: a,
                got: dangles.len(),
            });
        }
        match self.conditioning {
            Conditioning::Embedded { dim } => {
                let e = self.features(t);
                let (gw, gv) = grad.split_at_mut(a);
                for ((gwi, gvi), d) in gw.iter_mut().zip(gv.chunks_exact_mut(dim)).zip(dangles) {
                    *gwi += d;
                    for (g, x) in gvi.iter_mut().zip(&e) {
                        *g += d * x;
                    }
                }
            }
            Conditioning::PerStep => {
                for (g, d) in grad[(t - 1) * a..t * a].iter_mut().zip(dangles) {
                    *g += d;
                }
            }
            Conditioning::None => {
                for (g, d) in grad.iter_mut().zip(dangles) {
                    *g += d;
                }
            }
        }
        Ok(())
    }

    /// Initial parameters: base angles from `init`, embedding weights zero (every step starts
    /// with the same circuit, and training separates them).
    pub fn init_params<R: Rng + ?Sized>(&self, init: Init, rng: &mut R) -> Vec<f64> {
        let a = self.ansatz.num_angles();
        match self.conditioning {
            Conditioning::Embedded { dim } => {
                let mut p = self.ansatz.init_angles(init, rng);
                p.resize(a * (1 + dim), 0.0);
                p
            }
            Conditioning::PerStep => {
                (0..self.steps).flat_map(|_| self.ansatz.init_angles(init, rng)).collect()
            }
            Conditioning::None => self.ansatz.init_angles(init, rng),
        }
    }

    /// The circuit with the angles of step `t` bound in.
    pub fn bound_circuit(&self, params: &[f64], t: usize) -> Result<Circuit> {
        Ok(self.circuit().bind(&self.angles(params, t)?)?)
    }

    /// OpenQASM 2.0 of the circuit at step `t` (loadable by `run_qasm` and by Qiskit).
    pub fn to_qasm(&self, params: &[f64], t: usize) -> Result<String> {
        Ok(qsim_core::qasm::to_qasm(&self.bound_circuit(params, t)?)?)
    }
}

/// The configuration of a conditional ansatz, as stored in parameter files.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditionalConfig {
    /// The ansatz shape.
    pub ansatz: AnsatzConfig,
    /// The time conditioning.
    pub conditioning: Conditioning,
    /// Number of diffusion steps.
    pub steps: usize,
}

impl ConditionalAnsatz {
    /// The configuration to store beside the parameters.
    pub fn config(&self) -> ConditionalConfig {
        ConditionalConfig {
            ansatz: self.ansatz.config().clone(),
            conditioning: self.conditioning,
            steps: self.steps,
        }
    }

    /// Rebuilds from a stored configuration.
    pub fn from_config(config: &ConditionalConfig) -> Result<Self> {
        Self::new(config.ansatz.clone(), config.conditioning, config.steps)
    }
}

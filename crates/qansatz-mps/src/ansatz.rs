//! The staircase ansatz: per layer a parameterised single-qubit block on every qubit, then a
//! nearest-neighbour CNOT chain `0-1, 1-2, ...`, i.e. a sequentially generated MPS whose bond
//! dimension doubles with each layer up to the register's limit.

use qfile::OverLimit;
use qrandom::distributions::standard_normal;
use qsim_core::circuit::{Circuit, Param};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The single-qubit block of each layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Block {
    /// `RY` then `RZ`: 2 angles per qubit (the reference block).
    RyRz,
    /// `RZ`, `RY`, `RZ`: 3 angles per qubit, any single-qubit unitary up to phase.
    ZyzEuler,
    /// `RY` only: 1 angle per qubit, real amplitudes.
    Ry,
}

impl Block {
    /// Angles per qubit per layer.
    pub fn angles_per_qubit(self) -> usize {
        match self {
            Block::RyRz => 2,
            Block::ZyzEuler => 3,
            Block::Ry => 1,
        }
    }
}

/// The two-qubit entangling pattern of each layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entangler {
    /// CNOT `0-1`, then `1-2`, ..., in sequence (the MPS staircase).
    Staircase,
    /// CNOTs on even pairs `(0,1), (2,3), ...`, then odd pairs `(1,2), (3,4), ...`.
    Brickwork,
    /// The staircase with parameterised XY couplings instead of CNOTs: `RXX(a) RYY(b)` on
    /// `0-1`, then `1-2`, ... (2 angles per pair). At zero angles the whole ansatz is the
    /// identity, so training can start from "do nothing"; at `a = b = pi/2` a coupling is an
    /// iSWAP, so one layer can carry a qubit's state along the whole chain (to the ancillas).
    StaircaseXy,
}

/// How the ancillas (qubits `num_qubits..`) are coupled to the system, beyond the staircase
/// (in which they are the last links of the chain).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AncillaCoupling {
    /// Only through the chain: the ancillas touch the last system qubit alone.
    #[default]
    Chain,
    /// Also, after each layer's entangler, ancilla `a` gets an XY coupling (`RXX`, `RYY`, two
    /// angles) with every system qubit `q` with `q % k == a`: every system qubit can hand its
    /// entropy to an ancilla within one layer (what the reset removes), and at zero angles the
    /// couplings are the identity.
    Spread,
}

/// How initial angles are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Init {
    /// Uniform in `[-scale, scale]` for every angle (`scale = pi` is a fully random start).
    Uniform {
        /// Half-width of the interval (radians).
        scale: f64,
    },
    /// Every angle Gaussian around 0 with standard deviation `scale`: each block starts close to
    /// the identity, so the circuit starts close to its bare CNOT skeleton (not to the identity
    /// circuit, which the skeleton is not).
    NearIdentity {
        /// Standard deviation (radians).
        scale: f64,
    },
}

/// The shape of a staircase ansatz.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnsatzConfig {
    /// Data (system) qubits: `0..num_qubits`.
    pub num_qubits: usize,
    /// Ancilla qubits after the system ones (reset after each use by the caller).
    pub num_ancillas: usize,
    /// Number of layers (15 is the reference depth).
    pub layers: usize,
    /// The single-qubit block.
    pub block: Block,
    /// The entangling pattern.
    pub entangler: Entangler,
    /// A last block layer after the final CNOT chain, so every qubit ends with a rotation.
    pub final_block: bool,
    /// Couplings of the ancillas beyond the chain.
    #[serde(default)]
    pub ancilla_coupling: AncillaCoupling,
}

impl Default for AnsatzConfig {
    fn default() -> Self {
        Self {
            num_qubits: 10,
            num_ancillas: 0,
            layers: 15,
            block: Block::RyRz,
            entangler: Entangler::Staircase,
            final_block: false,
            ancilla_coupling: AncillaCoupling::Chain,
        }
    }
}

/// Appends one single-qubit block on `q`, numbering its angles from `next`.
fn add_block(c: &mut Circuit, block: Block, q: usize, next: &mut usize) -> Result<()> {
    let mut angle = || {
        *next += 1;
        Param::var(*next - 1)
    };
    match block {
        Block::RyRz => {
            c.ry(q, angle())?.rz(q, angle())?;
        }
        Block::ZyzEuler => {
            c.rz(q, angle())?.ry(q, angle())?.rz(q, angle())?;
        }
        Block::Ry => {
            c.ry(q, angle())?;
        }
    }
    Ok(())
}

/// The most layers an [`AnsatzConfig`] may ask for: 10 000, hundreds of times the reference depth
/// of 15, so a configuration read from a damaged file cannot make [`Ansatz::new`] build a circuit
/// without bound.
pub const MAX_LAYERS: usize = 10_000;

/// A built ansatz: its circuit refers to an angle vector of length [`Ansatz::num_angles`].
///
/// ```
/// use qansatz_mps::ansatz::{Ansatz, AnsatzConfig};
/// let a = Ansatz::new(AnsatzConfig::default())?;
/// assert_eq!(a.num_angles(), 300); // 15 layers x 10 qubits x (RY, RZ)
/// # Ok::<(), qansatz_mps::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Ansatz {
    config: AnsatzConfig,
    circuit: Circuit,
    num_angles: usize,
}

impl Ansatz {
    /// Builds the circuit for `config`.
    pub fn new(config: AnsatzConfig) -> Result<Self> {
        if config.num_qubits == 0 || config.layers == 0 {
            return Err(Error::InvalidConfig {
                reason: "an ansatz needs qubits and layers".into(),
            });
        }
        let what = || "the ansatz configuration declares".into();
        OverLimit::check(what, config.layers as u64, "layers", MAX_LAYERS as u64)?;
        let total = config.num_qubits.saturating_add(config.num_ancillas);
        if total > qsim_core::state::MAX_QUBITS {
            return Err(Error::InvalidConfig {
                reason: format!("{total} qubits is too many to simulate"),
            });
        }
        let mut circuit = Circuit::new(total);
        // Angles are numbered in the order the gates appear.
        let mut next = 0usize;
        for _ in 0..config.layers {
            for q in 0..total {
                add_block(&mut circuit, config.block, q, &mut next)?;
            }
            match config.entangler {
                Entangler::Staircase => {
                    for q in 0..total.saturating_sub(1) {
                        circuit.cx(q, q + 1)?;
                    }
                }
                Entangler::Brickwork => {
                    for start in [0, 1] {
                        for q in (start..total.saturating_sub(1)).step_by(2) {
                            circuit.cx(q, q + 1)?;
                        }
                    }
                }
                Entangler::StaircaseXy => {
                    for q in 0..total.saturating_sub(1) {
                        circuit.rxx(q, q + 1, Param::var(next))?.ryy(
                            q,
                            q + 1,
                            Param::var(next + 1),
                        )?;
                        next += 2;
                    }
                }
            }
            if config.ancilla_coupling == AncillaCoupling::Spread && config.num_ancillas > 0 {
                for q in 0..config.num_qubits {
                    let a = config.num_qubits + q % config.num_ancillas;
                    circuit.rxx(q, a, Param::var(next))?.ryy(q, a, Param::var(next + 1))?;
                    next += 2;
                }
            }
        }
        if config.final_block {
            for q in 0..total {
                add_block(&mut circuit, config.block, q, &mut next)?;
            }
        }
        let num_angles = circuit.num_params();
        Ok(Self { config, circuit, num_angles })
    }

    /// The configuration.
    pub fn config(&self) -> &AnsatzConfig {
        &self.config
    }

    /// The parameterised circuit (angles by reference).
    pub fn circuit(&self) -> &Circuit {
        &self.circuit
    }

    /// Total qubits (system and ancillas).
    pub fn total_qubits(&self) -> usize {
        self.config.num_qubits + self.config.num_ancillas
    }

    /// Length of the angle vector.
    pub fn num_angles(&self) -> usize {
        self.num_angles
    }

    /// Initial angles drawn with `rng`.
    pub fn init_angles<R: Rng + ?Sized>(&self, init: Init, rng: &mut R) -> Vec<f64> {
        (0..self.num_angles)
            .map(|_| match init {
                Init::Uniform { scale } if scale > 0.0 => rng.random_range(-scale..=scale),
                Init::NearIdentity { scale } => scale * standard_normal(rng),
                _ => 0.0,
            })
            .collect()
    }
}

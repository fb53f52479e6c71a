//! A diffusion model from one plain configuration: the forward process and the reverse model
//! it describes, built without reaching into the crates below.

use qansatz_mps::ansatz::{AncillaCoupling, AnsatzConfig, Block, Entangler};
use qansatz_mps::embedding::{ConditionalAnsatz, ConditionalConfig, Conditioning};
use qchannels::schedule::Schedule;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::forward::{ForwardProcess, NoiseKind};
use crate::reverse::ReverseModel;

/// The shape of a quantum diffusion model. The defaults are the MNIST model: 10 system qubits,
/// 2 ancillas, 50 steps, one layer per step of an RY-RZ block and an XY staircase, ancillas
/// coupled to every system qubit, 8 sinusoidal time features, local depolarizing noise on a
/// cosine schedule with offset 0.008.
///
/// ```
/// use qdiffusion::model::ModelConfig;
/// let config = ModelConfig { qubits: 3, steps: 4, ..ModelConfig::default() };
/// let (forward, reverse) = (config.forward_process()?, config.reverse_model()?);
/// assert_eq!((forward.steps(), reverse.num_system(), reverse.num_ancillas()), (4, 3, 2));
/// # Ok::<(), qdiffusion::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// System qubits `n` (the data's).
    pub qubits: usize,
    /// Ancillas `k`, measured and reset after every reverse step.
    pub ancillas: usize,
    /// Diffusion steps `T`.
    pub steps: usize,
    /// Ansatz layers per reverse step.
    pub layers: usize,
    /// The entangling layer between neighbouring system qubits.
    pub entangler: Entangler,
    /// How the ancillas couple to the system.
    pub ancilla_coupling: AncillaCoupling,
    /// How the step circuits depend on `t`.
    pub conditioning: Conditioning,
    /// Offset `s` of the forward process's cosine schedule.
    pub cosine_offset: f64,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            qubits: 10,
            ancillas: 2,
            steps: 50,
            layers: 1,
            entangler: Entangler::StaircaseXy,
            ancilla_coupling: AncillaCoupling::Spread,
            conditioning: Conditioning::Embedded { dim: 8 },
            cosine_offset: 0.008,
        }
    }
}

impl ModelConfig {
    /// The reverse process: the conditional ansatz on `qubits + ancillas` qubits.
    pub fn reverse_model(&self) -> Result<ReverseModel> {
        let ansatz = AnsatzConfig {
            num_qubits: self.qubits,
            num_ancillas: self.ancillas,
            layers: self.layers,
            block: Block::RyRz,
            entangler: self.entangler,
            final_block: true,
            ancilla_coupling: self.ancilla_coupling,
        };
        ReverseModel::new(ConditionalAnsatz::new(ansatz, self.conditioning, self.steps)?)
    }

    /// The model configuration of a stored reverse process (the `model` of a training
    /// checkpoint or a parameter file), if it has the shape [`ModelConfig::reverse_model`]
    /// builds (RY-RZ blocks and a final block). Those files do not store the forward process's
    /// schedule: the cosine offset is the default one, the MNIST experiment's.
    ///
    /// ```
    /// use qdiffusion::model::ModelConfig;
    /// let config = ModelConfig { qubits: 3, steps: 4, ..ModelConfig::default() };
    /// let stored = config.reverse_model()?.model().config();
    /// assert_eq!(ModelConfig::from_stored(&stored)?, config);
    /// # Ok::<(), qdiffusion::Error>(())
    /// ```
    pub fn from_stored(stored: &ConditionalConfig) -> Result<Self> {
        let ansatz = &stored.ansatz;
        if ansatz.block != Block::RyRz || !ansatz.final_block {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "a diffusion model has RY-RZ blocks and a final block; the stored ansatz has \
                     {:?} blocks and final_block = {}",
                    ansatz.block, ansatz.final_block
                ),
            });
        }
        Ok(Self {
            qubits: ansatz.num_qubits,
            ancillas: ansatz.num_ancillas,
            steps: stored.steps,
            layers: ansatz.layers,
            entangler: ansatz.entangler,
            ancilla_coupling: ansatz.ancilla_coupling,
            conditioning: stored.conditioning,
            cosine_offset: Self::default().cosine_offset,
        })
    }

    /// The forward process: local depolarizing noise on the cosine schedule.
    pub fn forward_process(&self) -> Result<ForwardProcess> {
        Ok(ForwardProcess::new(Schedule::cosine(self.steps, self.cosine_offset)?, NoiseKind::Local))
    }
}

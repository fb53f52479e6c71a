//! The reverse process: at step `t` the timestep-conditioned ansatz `U(t)` acts on the `n`
//! system qubits plus `k` ancillas prepared in `|0>`; the ancillas are then measured and reset,
//! so the step is the channel `R_t(rho) = Tr_anc[U(t) (rho ⊗ |0><0|) U(t)^dagger]`.
//!
//! Layout: system qubits are `0..n`, ancillas `n..n+k` (the high bits), so `psi ⊗ |0>_anc` is
//! `psi` followed by zeros, and the ancilla outcome `m` selects the block `[m 2^n, (m+1) 2^n)`.
//!
//! A trajectory samples the ancilla outcome `m` with probability `||block_m||^2` and keeps the
//! normalised block. [`ReverseModel::run_chain`] records what the backward pass needs, and
//! [`ReverseModel::backprop_chain`] propagates a cotangent of the final state back through every
//! step: the normalisation, the projection onto the outcome, and the circuit (adjoint method),
//! collecting the parameter gradient. The gradient is pathwise: it holds the sampled outcomes
//! fixed and so leaves out how the outcome probabilities themselves depend on the parameters
//! (as QuDDPM's training does); `tests/reverse.rs` checks it against finite differences at fixed
//! outcomes.

use num_complex::Complex64;
use qansatz_mps::embedding::ConditionalAnsatz;
use qrandom::distributions::weighted_index;
use qsim_core::gradient;
use qsim_core::state::StateVector;
use rand::Rng;

use crate::error::{Error, Result};

/// The reverse process: a conditional ansatz on `n + k` qubits.
#[derive(Clone, Debug)]
pub struct ReverseModel {
    model: ConditionalAnsatz,
    num_system: usize,
    num_ancillas: usize,
}

/// What one step of a trajectory leaves for the backward pass ([`ReverseModel::backprop_step`]).
#[derive(Clone, Debug)]
pub struct StepRecord {
    /// The step `t`.
    t: usize,
    /// `U(t) (psi ⊗ |0>)`, before the ancilla measurement.
    after_circuit: Vec<Complex64>,
    /// The sampled ancilla outcome.
    outcome: usize,
    /// `||block_outcome||`, the norm divided out.
    norm: f64,
    /// The number of ancillas `k`: `after_circuit` holds `2^k` blocks of `2^n` amplitudes.
    ancilla_bits: u32,
}

impl StepRecord {
    /// The step `t` it records.
    pub fn t(&self) -> usize {
        self.t
    }

    /// The sampled ancilla outcome (bit `j` = ancilla `j`).
    pub fn outcome(&self) -> usize {
        self.outcome
    }

    /// The step's output: the kept block `block_outcome / ||block_outcome||`, a system state.
    pub fn output(&self) -> Vec<Complex64> {
        let d = self.after_circuit.len() >> self.ancilla_bits;
        let block = &self.after_circuit[self.outcome * d..(self.outcome + 1) * d];
        block.iter().map(|a| a / self.norm).collect()
    }
}

/// A whole trajectory through the chain, for [`ReverseModel::backprop_chain`].
#[derive(Clone, Debug, Default)]
pub struct ChainTape {
    /// One record per step, in the order they ran (`t = T` first, `t = 1` last).
    steps: Vec<StepRecord>,
}

impl ChainTape {
    /// Steps recorded.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// True if nothing was recorded (a chain run without recording).
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The records, in the order the steps ran (`t = T` first).
    pub fn records(&self) -> &[StepRecord] {
        &self.steps
    }
}

impl ReverseModel {
    /// Wraps a conditional ansatz whose first `num_system` qubits are the system.
    pub fn new(model: ConditionalAnsatz) -> Result<Self> {
        let config = model.ansatz().config();
        Ok(Self { num_system: config.num_qubits, num_ancillas: config.num_ancillas, model })
    }

    /// The conditional ansatz.
    pub fn model(&self) -> &ConditionalAnsatz {
        &self.model
    }

    /// System qubits `n`.
    pub fn num_system(&self) -> usize {
        self.num_system
    }

    /// Ancillas `k`.
    pub fn num_ancillas(&self) -> usize {
        self.num_ancillas
    }

    /// Number of diffusion steps `T`.
    pub fn steps(&self) -> usize {
        self.model.steps()
    }

    /// `U(t) (psi ⊗ |0>_anc)`: the purified output of step `t`.
    pub fn purified_step(
        &self,
        params: &[f64],
        t: usize,
        psi: &StateVector,
    ) -> Result<StateVector> {
        if psi.num_qubits() != self.num_system {
            return Err(Error::DimensionMismatch {
                what: "system qubits",
                expected: self.num_system,
                got: psi.num_qubits(),
            });
        }
        let angles = self.model.angles(params, t)?;
        let mut full = StateVector::new(self.num_system + self.num_ancillas)?;
        full.amplitudes_mut()[..psi.amplitudes().len()].copy_from_slice(psi.amplitudes());
        full.apply_circuit(self.model.circuit(), &angles)?;
        Ok(full)
    }

    /// One trajectory step: circuit, ancilla measurement, reset (the normalised kept block).
    pub fn step<R: Rng + ?Sized>(
        &self,
        params: &[f64],
        t: usize,
        psi: &StateVector,
        rng: &mut R,
    ) -> Result<(StateVector, StepRecord)> {
        let full = self.purified_step(params, t, psi)?;
        let d = 1usize << self.num_system;
        let amps = full.amplitudes();
        let weights: Vec<f64> =
            amps.chunks_exact(d).map(|b| b.iter().map(|a| a.norm_sqr()).sum()).collect();
        let outcome = weighted_index(&weights, rng);
        let norm = weights[outcome].sqrt();
        let kept: Vec<Complex64> =
            amps[outcome * d..(outcome + 1) * d].iter().map(|a| a / norm).collect();
        let next = StateVector::from_amplitudes(kept)?;
        let ancilla_bits = self.num_ancillas as u32;
        Ok((
            next,
            StepRecord { t, after_circuit: full.into_amplitudes(), outcome, norm, ancilla_bits },
        ))
    }

    /// Runs the chain `t = T, ..., 1` from `seed` along one trajectory; returns the final state
    /// and, if `record`, the tape for [`ReverseModel::backprop_chain`].
    pub fn run_chain<R: Rng + ?Sized>(
        &self,
        params: &[f64],
        seed: &StateVector,
        rng: &mut R,
        record: bool,
    ) -> Result<(StateVector, ChainTape)> {
        self.run_steps(params, seed, self.steps(), 1, rng, record)
    }

    /// Runs the steps `t = from, from - 1, ..., to` (`from >= to >= 1`) from `psi` along one
    /// trajectory: part of the chain, e.g. from the seeds down to the input of step `to - 1`.
    /// Returns the state after step `to` and, if `record`, the tape of those steps.
    pub fn run_steps<R: Rng + ?Sized>(
        &self,
        params: &[f64],
        psi: &StateVector,
        from: usize,
        to: usize,
        rng: &mut R,
        record: bool,
    ) -> Result<(StateVector, ChainTape)> {
        if to == 0 || to > from || from > self.steps() {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "steps {from} down to {to} are not a part of the chain 1..={}",
                    self.steps()
                ),
            });
        }
        let mut psi = psi.clone();
        let mut tape = ChainTape::default();
        for t in (to..=from).rev() {
            let (next, rec) = self.step(params, t, &psi, rng)?;
            if record {
                tape.steps.push(rec);
            }
            psi = next;
        }
        Ok((psi, tape))
    }

    /// Backpropagates the cotangent `g` of the final state (defined by `dL = 2 Re <g|d psi>`)
    /// through the recorded trajectory; adds the parameter gradient into `grad`.
    pub fn backprop_chain(
        &self,
        params: &[f64],
        tape: &ChainTape,
        g: Vec<Complex64>,
        grad: &mut [f64],
    ) -> Result<()> {
        let mut levels = vec![None; tape.len()];
        if let Some(last) = levels.last_mut() {
            *last = Some(g);
        }
        self.backprop_levels(params, tape, levels, grad)
    }

    /// Backpropagates cotangents of the states along the trajectory: `levels[j]`, if present,
    /// is the cotangent of the output of the `j`-th recorded step (the last one is the final
    /// state). Each joins the cotangent flowing back from the later steps, so one backward pass
    /// serves a loss on every level; steps after the last cotangent are skipped. Adds the
    /// parameter gradient into `grad`.
    pub fn backprop_levels(
        &self,
        params: &[f64],
        tape: &ChainTape,
        levels: Vec<Option<Vec<Complex64>>>,
        grad: &mut [f64],
    ) -> Result<()> {
        let d = 1usize << self.num_system;
        if levels.len() != tape.len() {
            return Err(Error::DimensionMismatch {
                what: "cotangents along the chain",
                expected: tape.len(),
                got: levels.len(),
            });
        }
        if let Some(bad) = levels.iter().flatten().find(|g| g.len() != d) {
            return Err(Error::DimensionMismatch {
                what: "cotangent length",
                expected: d,
                got: bad.len(),
            });
        }
        let mut flowing: Option<Vec<Complex64>> = None;
        for (rec, level) in tape.steps.iter().zip(levels).rev() {
            let g_out = match (flowing, level) {
                (Some(mut g), Some(extra)) => {
                    g.iter_mut().zip(&extra).for_each(|(a, b)| *a += b);
                    g
                }
                (Some(g), None) | (None, Some(g)) => g,
                (None, None) => {
                    flowing = None;
                    continue;
                }
            };
            flowing = Some(self.backprop_step(params, rec, g_out, grad)?);
        }
        Ok(())
    }

    /// [`ReverseModel::backprop_levels`] for many trajectories at once: `levels[i]` holds the
    /// cotangents along `tapes[i]` (one optional entry per recorded step, the last being the
    /// final state), whose gradient is added into `grads[i]`. Every step runs for all
    /// trajectories together through [`gradient::vjp_with_input_many`], which is several times
    /// cheaper per trajectory; each gradient is bit-identical to
    /// [`ReverseModel::backprop_levels`]'s (a trajectory with no cotangent yet at a step that
    /// others have goes through it with a zero cotangent, which adds exact zeros). Tapes of
    /// different steps (not from one chain run) go one by one.
    pub fn backprop_chains(
        &self,
        params: &[f64],
        tapes: &[&ChainTape],
        levels: Vec<Vec<Option<Vec<Complex64>>>>,
        grads: &mut [Vec<f64>],
    ) -> Result<()> {
        if tapes.len() != levels.len() || tapes.len() != grads.len() {
            return Err(Error::DimensionMismatch {
                what: "cotangents and gradients (one per tape)",
                expected: tapes.len(),
                got: levels.len().min(grads.len()),
            });
        }
        let steps: Vec<usize> =
            tapes.first().map_or(Vec::new(), |t| t.steps.iter().map(|r| r.t).collect());
        let aligned =
            tapes.iter().all(|tape| tape.steps.iter().map(|r| r.t).eq(steps.iter().copied()));
        if !aligned {
            for ((tape, levels), grad) in tapes.iter().zip(levels).zip(grads.iter_mut()) {
                self.backprop_levels(params, tape, levels, grad)?;
            }
            return Ok(());
        }
        let d = 1usize << self.num_system;
        for chain in &levels {
            if chain.len() != steps.len() {
                return Err(Error::DimensionMismatch {
                    what: "cotangents along the chain",
                    expected: steps.len(),
                    got: chain.len(),
                });
            }
            if let Some(bad) = chain.iter().flatten().find(|g| g.len() != d) {
                return Err(Error::DimensionMismatch {
                    what: "cotangent length",
                    expected: d,
                    got: bad.len(),
                });
            }
        }
        // levels[i][j] -> by_step[j][i], so that each step takes its entries in turn.
        let mut by_step: Vec<Vec<Option<Vec<Complex64>>>> =
            (0..steps.len()).map(|_| Vec::with_capacity(tapes.len())).collect();
        for chain in levels {
            for (j, level) in chain.into_iter().enumerate() {
                by_step[j].push(level);
            }
        }
        let mut flowing: Vec<Option<Vec<Complex64>>> = vec![None; tapes.len()];
        for (i, &t) in steps.iter().enumerate().rev() {
            for (g, level) in flowing.iter_mut().zip(std::mem::take(&mut by_step[i])) {
                *g = match (g.take(), level) {
                    (Some(mut g), Some(extra)) => {
                        g.iter_mut().zip(&extra).for_each(|(a, b)| *a += b);
                        Some(g)
                    }
                    (Some(g), None) | (None, Some(g)) => Some(g),
                    (None, None) => None,
                };
            }
            if flowing.iter().all(Option::is_none) {
                continue;
            }
            let zero = vec![Complex64::new(0.0, 0.0); d];
            let records: Vec<&StepRecord> = tapes.iter().map(|tape| &tape.steps[i]).collect();
            let full: Vec<Vec<Complex64>> = records
                .iter()
                .zip(&flowing)
                .map(|(rec, g)| self.circuit_cotangent(rec, g.as_deref().unwrap_or(&zero)))
                .collect();
            let finals: Vec<&[Complex64]> =
                records.iter().map(|rec| rec.after_circuit.as_slice()).collect();
            let angles = self.model.angles(params, t)?;
            let results =
                gradient::vjp_with_input_many(self.model.circuit(), &angles, &finals, full)?;
            for (((dangles, g_in), grad), g) in
                results.into_iter().zip(grads.iter_mut()).zip(flowing.iter_mut())
            {
                self.model.backprop(t, &dangles, grad)?;
                // The input was psi ⊗ |0>_anc: only the ancilla-zero block depends on psi.
                *g = Some(g_in[..d].to_vec());
            }
        }
        Ok(())
    }

    /// The cotangent of the step's whole state after the circuit, from the cotangent `g_out` of
    /// its (normalised) output block.
    fn circuit_cotangent(&self, rec: &StepRecord, g_out: &[Complex64]) -> Vec<Complex64> {
        let d = 1usize << self.num_system;
        let m = rec.outcome;
        let block = &rec.after_circuit[m * d..(m + 1) * d];
        // psi' = v / |v|: g_v = (g' - psi' Re<g'|psi'>) / |v|, with psi' = v / |v|.
        let overlap: f64 =
            g_out.iter().zip(block).map(|(a, b)| (a.conj() * b).re).sum::<f64>() / rec.norm;
        let mut cotangent = vec![Complex64::new(0.0, 0.0); rec.after_circuit.len()];
        for ((c, gi), vi) in cotangent[m * d..(m + 1) * d].iter_mut().zip(g_out).zip(block) {
            *c = (gi - vi * (overlap / rec.norm)) / rec.norm;
        }
        cotangent
    }

    /// One step of the backward pass: from the cotangent of the step's (normalised) output to
    /// the cotangent of its input, adding the parameter gradient.
    pub fn backprop_step(
        &self,
        params: &[f64],
        rec: &StepRecord,
        g_out: Vec<Complex64>,
        grad: &mut [f64],
    ) -> Result<Vec<Complex64>> {
        let d = 1usize << self.num_system;
        let cotangent = self.circuit_cotangent(rec, &g_out);
        let angles = self.model.angles(params, rec.t)?;
        let after = StateVector::from_amplitudes(rec.after_circuit.clone())?;
        let (dangles, g_in) =
            gradient::vjp_with_input(self.model.circuit(), &angles, after, cotangent)?;
        self.model.backprop(rec.t, &dangles, grad)?;
        // The input was psi ⊗ |0>_anc: only the ancilla-zero block depends on psi.
        Ok(g_in[..d].to_vec())
    }
}

//! The reverse process as a channel on density matrices: what a device computes, and its exact
//! gradient.
//!
//! [`crate::reverse`] follows one trajectory per seed (each ancilla outcome drawn once) and
//! reads the pure final state exactly. A device cannot: every shot runs the chain again with
//! fresh ancilla outcomes and fresh noise, so its counts estimate the *channel average*
//! `rho = R_1(R_2(... R_T(|seed><seed|)))` ([`crate::hardware`]). A model meant for a device
//! should be trained on that quantity, with the device's noise inside the channel if known.
//! [`MixedProgram`] computes it exactly on a density matrix, and its gradient with respect to
//! the parameters by the adjoint method.
//!
//! # Program
//!
//! A program lists, for every step `t`, the operations applied to the `n + k` qubits (and any
//! qubits routing adds): gates whose `Param::Ref` parameters index the step's angle vector
//! ([`qansatz_mps::embedding::ConditionalAnsatz::angles`]), and channels as superoperators
//! (noise after a gate, the reset of an ancilla). System qubit `i` starts on
//! `input_positions[i]` and is read on `output_positions[i]` (routing moves qubits).
//! [`MixedProgram::exact`] is the noiseless chain of [`crate::reverse`] (the ansatz, then a reset
//! of every ancilla); [`crate::mixed::device`] builds the program a calibrated device runs.
//!
//! # Gradient
//!
//! With the loss a function of the Bloch vectors of the final state, its cotangent is the
//! Hermitian operator `Lambda = sum_q (g_x X_q + g_y Y_q + g_z Z_q)` (so `dL = Re Tr(Lambda^dagger
//! d rho)`). Backwards through the program, a channel `S` maps `Lambda` to `S^dagger(Lambda)`
//! (the Heisenberg picture: the superoperator's conjugate transpose) and a gate `U` to
//! `U^dagger Lambda U`; a parametrised gate adds `2 Re Tr(Lambda^dagger U' rho U^dagger)` to its
//! angle, with `rho` the state before it. Channels are not invertible, so the forward pass keeps
//! the state at the start of every step and the backward pass recomputes each step's
//! intermediate states before its parametrised gates from it: memory `T + (parametrised gates
//! per step)` density matrices, time about three forward passes. `tests/mixed.rs` checks the
//! features against qsim-core's density-matrix simulator and the gradient against finite
//! differences.

pub mod device;
pub mod train;

use num_complex::Complex64;
use qsim_core::circuit::{Operation, Param};
use qsim_core::density::superoperator;
use qsim_core::gate::Gate;
use qsim_core::matrix::Matrix;
use qsim_core::operator;
use qsim_core::pauli_channel::PauliChannel;
use rayon::prelude::*;

use crate::data::qubit_state;
use crate::distance::Distance;
use crate::error::{Error, Result};
use crate::reverse::ReverseModel;

/// Most qubits a program may act on (a 12-qubit density matrix is 256 MiB).
pub const MAX_QUBITS: usize = 12;

/// One operation of a [`MixedProgram`].
#[derive(Clone, Debug, PartialEq)]
pub enum MixedOp {
    /// A gate; `Param::Ref { index, scale }` means `scale * angles[index]` of the step.
    Gate {
        /// The gate.
        gate: Gate,
        /// Its qubits.
        qubits: Vec<usize>,
        /// Its parameters.
        params: Vec<Param>,
    },
    /// A channel of Pauli conjugations on `qubits` (depolarizing, dephasing): applied by
    /// [`PauliChannel`]'s kernel, forwards and backwards (the map is its own adjoint).
    Pauli {
        /// Its qubits.
        qubits: Vec<usize>,
        /// The channel.
        channel: PauliChannel,
    },
    /// Any other channel on `qubits`, as a superoperator ([`qsim_core::density::superoperator`]).
    Channel {
        /// Its qubits.
        qubits: Vec<usize>,
        /// `S`.
        superop: Matrix,
        /// `S^dagger`, applied in the backward pass.
        adjoint: Matrix,
    },
}

impl MixedOp {
    /// A channel from its superoperator: [`MixedOp::Pauli`] when it has that form, else
    /// [`MixedOp::Channel`].
    pub fn channel(qubits: Vec<usize>, superop: Matrix) -> Self {
        if let Some(channel) = PauliChannel::from_superoperator(&superop) {
            return MixedOp::Pauli { qubits, channel };
        }
        let adjoint = superop.adjoint();
        MixedOp::Channel { qubits, superop, adjoint }
    }

    /// The reset of `qubit` to `|0>`.
    pub fn reset(qubit: usize) -> Self {
        let k0 = Matrix::new(1, vec![1.0.into(), 0.0.into(), 0.0.into(), 0.0.into()]).expect("2x2");
        let k1 = Matrix::new(1, vec![0.0.into(), 1.0.into(), 0.0.into(), 0.0.into()]).expect("2x2");
        Self::channel(vec![qubit], superoperator(&[k0, k1]))
    }
}

/// The reverse chain as operations on a density matrix (see the module documentation).
#[derive(Clone, Debug, PartialEq)]
pub struct MixedProgram {
    num_qubits: usize,
    /// The operations of step `t` at index `t - 1`.
    steps: Vec<Vec<MixedOp>>,
    input_positions: Vec<usize>,
    output_positions: Vec<usize>,
}

impl MixedProgram {
    /// A program from its parts (checked: qubits in range, one op list per step, distinct
    /// positions).
    pub fn new(
        num_qubits: usize,
        steps: Vec<Vec<MixedOp>>,
        input_positions: Vec<usize>,
        output_positions: Vec<usize>,
    ) -> Result<Self> {
        if num_qubits > MAX_QUBITS {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "a mixed-state program on {num_qubits} qubits exceeds the limit of {MAX_QUBITS}"
                ),
            });
        }
        let check = |qs: &[usize], what: &str| -> Result<()> {
            let mut seen = vec![false; num_qubits];
            for &q in qs {
                if q >= num_qubits || std::mem::replace(&mut seen[q], true) {
                    return Err(Error::InvalidConfig {
                        reason: format!("{what}: qubit {q} out of range or repeated"),
                    });
                }
            }
            Ok(())
        };
        check(&input_positions, "input positions")?;
        check(&output_positions, "output positions")?;
        if input_positions.len() != output_positions.len() {
            return Err(Error::InvalidConfig {
                reason: "as many output positions as input positions".into(),
            });
        }
        for op in steps.iter().flatten() {
            let qs = match op {
                MixedOp::Gate { qubits, .. }
                | MixedOp::Pauli { qubits, .. }
                | MixedOp::Channel { qubits, .. } => qubits,
            };
            check(qs, "operation")?;
        }
        Ok(Self { num_qubits, steps, input_positions, output_positions })
    }

    /// The noiseless chain of `reverse`: at every step the ansatz on system qubits `0..n` and
    /// ancillas `n..n+k`, then a reset of every ancilla.
    pub fn exact(reverse: &ReverseModel) -> Result<Self> {
        let (n, k) = (reverse.num_system(), reverse.num_ancillas());
        let mut step = Vec::new();
        for op in reverse.model().circuit().ops() {
            match op {
                Operation::Gate { gate, qubits, params } => step.push(MixedOp::Gate {
                    gate: *gate,
                    qubits: qubits.clone(),
                    params: params.clone(),
                }),
                other => {
                    return Err(Error::InvalidConfig {
                        reason: format!("the ansatz holds a `{}`, not a gate", other.name()),
                    });
                }
            }
        }
        step.extend((n..n + k).map(MixedOp::reset));
        Self::new(n + k, vec![step; reverse.steps()], (0..n).collect(), (0..n).collect())
    }

    /// Qubits of the density matrix.
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// Steps `T`.
    pub fn steps(&self) -> usize {
        self.steps.len()
    }

    /// The operations of step `t` (`1..=T`).
    pub fn step_ops(&self, t: usize) -> &[MixedOp] {
        &self.steps[t - 1]
    }

    /// The chain stopped at `level`: steps `1..=level` do nothing, so the output is the state
    /// after steps `T, ..., level + 1` (what a level term of training reads).
    pub fn stopped_at(&self, level: usize) -> Result<Self> {
        if level >= self.steps.len() {
            return Err(Error::InvalidConfig {
                reason: format!("level {level} of a chain of {} steps", self.steps.len()),
            });
        }
        let mut stopped = self.clone();
        stopped.steps[..level].iter_mut().for_each(Vec::clear);
        Ok(stopped)
    }

    /// Where the system qubits are read.
    pub fn output_positions(&self) -> &[usize] {
        &self.output_positions
    }

    /// `|seed><seed|` with system qubit `i` in `qubit_state(seed[i])` on its input position and
    /// every other qubit in `|0>`.
    fn initial_state(&self, seed: &[(f64, f64)]) -> Result<Vec<Complex64>> {
        if seed.len() != self.input_positions.len() {
            return Err(Error::DimensionMismatch {
                what: "seed qubits",
                expected: self.input_positions.len(),
                got: seed.len(),
            });
        }
        let d = 1usize << self.num_qubits;
        let mut psi = vec![Complex64::new(0.0, 0.0); d];
        psi[0] = Complex64::new(1.0, 0.0);
        for (&angles, &q) in seed.iter().zip(&self.input_positions) {
            let [a, b] = qubit_state(angles);
            let bit = 1usize << q;
            for i in (0..d).filter(|i| i & bit == 0) {
                let v = psi[i];
                psi[i] = v * a;
                psi[i | bit] = v * b;
            }
        }
        let mut rho = vec![Complex64::new(0.0, 0.0); d * d];
        for (r, pr) in psi.iter().enumerate() {
            for (c, pc) in psi.iter().enumerate() {
                rho[r * d + c] = pr * pc.conj();
            }
        }
        Ok(rho)
    }

    /// Applies one operation forwards.
    fn apply(&self, rho: &mut [Complex64], op: &MixedOp, angles: &[f64]) -> Result<()> {
        match op {
            MixedOp::Gate { gate, qubits, params } => {
                let values: Vec<f64> = params.iter().map(|p| p.value(angles)).collect();
                operator::conjugate(rho, self.num_qubits, qubits, &gate.matrix(&values)?)?;
            }
            MixedOp::Pauli { qubits, channel } => channel.apply(rho, self.num_qubits, qubits)?,
            MixedOp::Channel { qubits, superop, .. } => {
                operator::apply_superoperator(rho, self.num_qubits, qubits, superop)?;
            }
        }
        Ok(())
    }

    /// The final density matrix from `seed`; with `checkpoints`, also the state at the start of
    /// every step (index `t - 1` for step `t`).
    fn run(
        &self,
        model: &ReverseModel,
        params: &[f64],
        seed: &[(f64, f64)],
        mut checkpoints: Option<&mut Vec<Vec<Complex64>>>,
    ) -> Result<Vec<Complex64>> {
        self.check_model(model)?;
        let mut rho = self.initial_state(seed)?;
        if let Some(c) = checkpoints.as_deref_mut() {
            c.clear();
            c.resize(self.steps(), Vec::new());
        }
        for t in (1..=self.steps()).rev() {
            if let Some(c) = checkpoints.as_deref_mut() {
                c[t - 1] = rho.clone();
            }
            let angles = model.model().angles(params, t)?;
            for op in self.step_ops(t) {
                self.apply(&mut rho, op, &angles)?;
            }
        }
        Ok(rho)
    }

    fn check_model(&self, model: &ReverseModel) -> Result<()> {
        if model.steps() != self.steps() || model.num_system() != self.input_positions.len() {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "the program has {} steps and {} system qubits, the model {} and {}",
                    self.steps(),
                    self.input_positions.len(),
                    model.steps(),
                    model.num_system()
                ),
            });
        }
        Ok(())
    }

    /// The Bloch vectors `[<X_0>, <Y_0>, <Z_0>, ...]` of the system qubits of `rho`.
    pub fn bloch(&self, rho: &[Complex64]) -> Vec<f64> {
        let d = 1usize << self.num_qubits;
        let mut f = Vec::with_capacity(3 * self.output_positions.len());
        for &q in &self.output_positions {
            let bit = 1usize << q;
            let (mut x, mut y, mut z) = (0.0, 0.0, 0.0);
            for r0 in (0..d).filter(|r| r & bit == 0) {
                let off = rho[r0 * d + (r0 | bit)];
                x += 2.0 * off.re;
                y -= 2.0 * off.im;
                z += rho[r0 * d + r0].re - rho[(r0 | bit) * d + (r0 | bit)].re;
            }
            f.extend([x, y, z]);
        }
        f
    }

    /// The final system Bloch vectors (`3n` features, the layout of
    /// [`crate::features::Readout::Bloch`]) from `seed`: the exact channel average.
    pub fn features(
        &self,
        model: &ReverseModel,
        params: &[f64],
        seed: &[(f64, f64)],
    ) -> Result<Vec<f64>> {
        Ok(self.bloch(&self.run(model, params, seed, None)?))
    }

    /// The final density matrix from `seed` (row-major, `2^m x 2^m` for the program's `m`
    /// qubits).
    pub fn final_state(
        &self,
        model: &ReverseModel,
        params: &[f64],
        seed: &[(f64, f64)],
    ) -> Result<Vec<Complex64>> {
        self.run(model, params, seed, None)
    }

    /// The cotangent operator of the feature gradient `df` (see the module documentation).
    fn cotangent(&self, df: &[f64]) -> Vec<Complex64> {
        let d = 1usize << self.num_qubits;
        let mut lambda = vec![Complex64::new(0.0, 0.0); d * d];
        for (l, &q) in self.output_positions.iter().enumerate() {
            let (gx, gy, gz) = (df[3 * l], df[3 * l + 1], df[3 * l + 2]);
            let bit = 1usize << q;
            for r0 in (0..d).filter(|r| r & bit == 0) {
                let r1 = r0 | bit;
                lambda[r0 * d + r1] += Complex64::new(gx, -gy);
                lambda[r1 * d + r0] += Complex64::new(gx, gy);
                lambda[r0 * d + r0] += gz;
                lambda[r1 * d + r1] -= gz;
            }
        }
        lambda
    }

    /// The parameter gradient of `sum_f df_f features_f` for one seed, added into `grad`.
    pub fn backprop(
        &self,
        model: &ReverseModel,
        params: &[f64],
        seed: &[(f64, f64)],
        df: &[f64],
        grad: &mut [f64],
    ) -> Result<()> {
        if df.len() != 3 * self.output_positions.len() || grad.len() != params.len() {
            return Err(Error::DimensionMismatch {
                what: "feature or parameter gradient",
                expected: 3 * self.output_positions.len(),
                got: df.len(),
            });
        }
        let mut checkpoints = Vec::new();
        self.run(model, params, seed, Some(&mut checkpoints))?;
        let n = self.num_qubits;
        let mut lambda = self.cotangent(df);
        let mut dangles = vec![0.0; model.model().ansatz().num_angles()];
        for t in 1..=self.steps() {
            let angles = model.model().angles(params, t)?;
            let ops = self.step_ops(t);
            // The state before every parametrised gate of the step (only those need it).
            let mut before = Vec::with_capacity(ops.len());
            let mut rho = std::mem::take(&mut checkpoints[t - 1]);
            for op in ops {
                let free = matches!(op, MixedOp::Gate { params, .. }
                    if params.iter().any(|p| matches!(p, Param::Ref { .. })));
                before.push(free.then(|| rho.clone()));
                self.apply(&mut rho, op, &angles)?;
            }
            dangles.iter_mut().for_each(|g| *g = 0.0);
            for (op, rho) in ops.iter().zip(before).rev() {
                match op {
                    MixedOp::Gate { gate, qubits, params: gate_params } => {
                        let values: Vec<f64> =
                            gate_params.iter().map(|p| p.value(&angles)).collect();
                        let u = gate.matrix(&values)?;
                        for (k, p) in gate_params.iter().enumerate() {
                            let (Param::Ref { index, scale }, Some(rho)) = (*p, &rho) else {
                                continue;
                            };
                            let mut x = rho.clone();
                            operator::multiply_left(
                                &mut x,
                                n,
                                qubits,
                                &gate.derivative(&values, k)?,
                            )?;
                            operator::multiply_right_adjoint(&mut x, n, qubits, &u)?;
                            let inner: f64 =
                                lambda.iter().zip(&x).map(|(l, v)| (l.conj() * v).re).sum();
                            dangles[index] += scale * 2.0 * inner;
                        }
                        operator::conjugate(&mut lambda, n, qubits, &u.adjoint())?;
                    }
                    MixedOp::Pauli { qubits, channel } => channel.apply(&mut lambda, n, qubits)?,
                    MixedOp::Channel { qubits, adjoint, .. } => {
                        operator::apply_superoperator(&mut lambda, n, qubits, adjoint)?;
                    }
                }
            }
            model.model().backprop(t, &dangles, grad)?;
        }
        Ok(())
    }

    /// The training loss `distance(features of the seeds, data)` and its parameter gradient,
    /// the seeds processed in parallel.
    pub fn loss_and_gradient(
        &self,
        model: &ReverseModel,
        params: &[f64],
        seeds: &[Vec<(f64, f64)>],
        data: &[Vec<f64>],
        distance: &Distance,
        distance_seed: u64,
    ) -> Result<(f64, Vec<f64>)> {
        let features: Vec<Vec<f64>> =
            seeds.par_iter().map(|s| self.features(model, params, s)).collect::<Result<_>>()?;
        let (loss, dfeatures) = distance.loss_and_grad(&features, data, distance_seed);
        let per_seed: Vec<Vec<f64>> = seeds
            .par_iter()
            .zip(&dfeatures)
            .map(|(s, df)| {
                let mut g = vec![0.0; params.len()];
                self.backprop(model, params, s, df, &mut g)?;
                Ok(g)
            })
            .collect::<Result<_>>()?;
        // Summed in seed order, so the result does not depend on the thread count.
        let mut grad = vec![0.0; params.len()];
        for g in &per_seed {
            grad.iter_mut().zip(g).for_each(|(a, b)| *a += b);
        }
        Ok((loss, grad))
    }
}

//! The reverse chain as a calibrated device runs it, as a [`MixedProgram`]: routed along a path
//! of the device, two-qubit gates as `cx`, and the device's noise channels where its pulses and
//! `cx` gates are.
//!
//! This mirrors what [`crate::hardware::estimate_bloch_on_device`] submits
//! ([`qhw_mitigation::layout::compile_on_path`]): the same routing (swaps along the path, so
//! logical qubits move), the same decompositions
//! ([`qhw_mitigation::transpile::two_qubit_pieces`]), and a barrier after the seed preparation
//! and after every step. The device circuit fuses every run of single-qubit gates between
//! two-qubit gates, resets and barriers into `rz sx rz sx rz` (two pulses, none if the run is
//! diagonal); here the run's gates stay separate, exactly, with the parameters they depend on,
//! and the noise of its two pulses follows the run. So the program has the device's noise
//! channels, the same number of each, in the same order between two-qubit gates, but a pulse's
//! noise sits at the end of its run instead of between the run's rotations, and the noise of
//! the final basis change (two pulses on a measured qubit) is left out. `tests/mixed_device.rs`
//! measures what this changes.
//!
//! Readout error is not part of the program: the features a device returns are corrected for
//! it (readout mitigation).

use qhw_mitigation::device::NoisyDevice;
use qhw_mitigation::layout::{CouplingMap, check_path, route};
use qhw_mitigation::transpile::{Piece, is_diagonal, two_qubit_pieces};
use qsim_core::circuit::{Circuit, Operation, Param};
use qsim_core::gate::Gate;

use crate::error::{Error, Result};
use crate::mixed::{MixedOp, MixedProgram};
use crate::reverse::ReverseModel;

/// A device program and what routing it needed.
#[derive(Clone, Debug)]
pub struct DeviceProgram {
    /// The program on the path's qubits (local position `i` is device qubit `path[i]`).
    pub program: MixedProgram,
    /// The device qubits, in local order.
    pub path: Vec<usize>,
    /// Swaps over the whole chain.
    pub swaps: usize,
    /// `cx` gates over the whole chain (swaps included).
    pub cx: usize,
    /// Two-pulse single-qubit runs over the whole chain (seed preparation included).
    pub pulse_pairs: usize,
}

/// Builds the chain's step circuits, noise included, one step at a time.
struct Builder<'a> {
    device: &'a NoisyDevice,
    path: &'a [usize],
    /// Pending single-qubit run per local qubit: its gates and whether one is not diagonal.
    runs: Vec<(Vec<MixedOp>, bool)>,
    ops: Vec<MixedOp>,
    cx: usize,
    pulse_pairs: usize,
}

impl Builder<'_> {
    /// The device's noise after a gate on local `qubits`, as program channels.
    fn noise(&self, qubits: &[usize]) -> Result<Vec<MixedOp>> {
        let device_qubits: Vec<usize> = qubits.iter().map(|&q| self.path[q]).collect();
        let local = |d: usize| self.path.iter().position(|&p| p == d).expect("noise on the path");
        Ok(self
            .device
            .gate_noise(&device_qubits)?
            .into_iter()
            .map(|(qs, ch)| {
                MixedOp::channel(qs.into_iter().map(local).collect(), ch.superoperator())
            })
            .collect())
    }

    fn one(&mut self, q: usize, gate: Gate, params: Vec<Param>) {
        let run = &mut self.runs[q];
        run.1 |= !is_diagonal(gate);
        run.0.push(MixedOp::Gate { gate, qubits: vec![q], params });
    }

    fn flush(&mut self, q: usize) -> Result<()> {
        let (gates, pulses) = std::mem::take(&mut self.runs[q]);
        self.ops.extend(gates);
        if pulses {
            self.pulse_pairs += 1;
            for _ in 0..2 {
                let noise = self.noise(&[q])?;
                self.ops.extend(noise);
            }
        }
        Ok(())
    }

    fn cx(&mut self, c: usize, t: usize) -> Result<()> {
        self.flush(c)?;
        self.flush(t)?;
        self.cx += 1;
        self.ops.push(MixedOp::Gate { gate: Gate::Cx, qubits: vec![c, t], params: vec![] });
        let noise = self.noise(&[c, t])?;
        self.ops.extend(noise);
        Ok(())
    }

    fn op(&mut self, op: &Operation) -> Result<()> {
        match op {
            Operation::Gate { gate, qubits, params } => match qubits[..] {
                [q] => self.one(q, *gate, params.clone()),
                [a, b] => {
                    for piece in two_qubit_pieces(*gate, a, b, params)? {
                        match piece {
                            Piece::One { qubit, gate, params } => self.one(qubit, gate, params),
                            Piece::Cx { control, target } => self.cx(control, target)?,
                        }
                    }
                }
                _ => {
                    return Err(Error::InvalidConfig {
                        reason: format!("a {}-qubit gate in the ansatz", qubits.len()),
                    });
                }
            },
            Operation::Reset { qubit } => {
                self.runs[*qubit] = Default::default();
                self.ops.push(MixedOp::reset(*qubit));
            }
            Operation::Barrier { qubits } => {
                for &q in qubits {
                    self.flush(q)?;
                }
            }
            other => {
                return Err(Error::InvalidConfig {
                    reason: format!("a `{}` in the chain", other.name()),
                });
            }
        }
        Ok(())
    }
}

/// One step of the chain as a logical circuit: the ansatz (parameters referring to the step's
/// angles), a reset of every ancilla, and a barrier.
pub fn step_circuit(reverse: &ReverseModel) -> Result<Circuit> {
    let (n, k) = (reverse.num_system(), reverse.num_ancillas());
    let mut c = Circuit::new(n + k);
    c.append(reverse.model().circuit())?;
    for a in n..n + k {
        c.reset(a)?;
    }
    let all: Vec<usize> = (0..n + k).collect();
    c.barrier(&all)?;
    Ok(c)
}

/// The program of `reverse` on `device` with logical qubit `i` starting on `path[i]`.
pub fn device_program(
    reverse: &ReverseModel,
    device: &NoisyDevice,
    path: &[usize],
) -> Result<DeviceProgram> {
    let (n, k) = (reverse.num_system(), reverse.num_ancillas());
    let m = n + k;
    if path.len() != m {
        return Err(Error::DimensionMismatch { what: "path qubits", expected: m, got: path.len() });
    }
    check_path(device.calibration(), path)?;
    let line: Vec<[usize; 2]> = (1..m).map(|i| [i - 1, i]).collect();
    let local = CouplingMap::new(m, &line)?;
    let step = step_circuit(reverse)?;
    let mut builder = Builder {
        device,
        path,
        runs: vec![Default::default(); m],
        ops: Vec::new(),
        cx: 0,
        pulse_pairs: 0,
    };
    // The seed preparation is one non-diagonal run per system qubit, then a barrier.
    for q in 0..n {
        builder.runs[q].1 = true;
        builder.flush(q)?;
    }
    let mut layout: Vec<usize> = (0..m).collect();
    let mut swaps = 0;
    let mut steps = vec![Vec::new(); reverse.steps()];
    for t in (1..=reverse.steps()).rev() {
        let routed = route(&step, &local, &layout)?;
        swaps += routed.swaps;
        for op in routed.circuit.ops() {
            builder.op(op)?;
        }
        steps[t - 1] = std::mem::take(&mut builder.ops);
        layout = routed.final_layout;
    }
    let program = MixedProgram::new(m, steps, (0..n).collect(), layout[..n].to_vec())?;
    Ok(DeviceProgram {
        program,
        path: path.to_vec(),
        swaps,
        cx: builder.cx,
        pulse_pairs: builder.pulse_pairs,
    })
}

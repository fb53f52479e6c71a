//! Translation of a bound circuit into the basis of current superconducting devices: `rz`
//! (a frame change, free on IBM hardware), `sx` and `x` (physical pulses), and `cx`.
//!
//! Every run of single-qubit gates on a qubit is multiplied into one 2x2 unitary and emitted
//! as `rz(lambda) sx rz(theta + pi) sx rz(phi + pi)` from its Euler angles (`U(theta, phi,
//! lambda)` up to a global phase): at most two physical pulses, and none for a diagonal run,
//! which becomes one `rz` (or nothing). Two-qubit gates become `cx` and single-qubit gates,
//! which join the runs around them:
//!
//! | gate | cx | decomposition |
//! |---|---|---|
//! | `cx` | 1 | native |
//! | `cz`, `cy` | 1 | `cx` between basis changes of the target |
//! | `rzz(t)` | 2 | `cx rz(t) cx` |
//! | `rxx(t)`, `ryy(t)` | 2 | `rzz(t)` between basis changes of both qubits |
//! | `crz(t)`, `cry(t)`, `cp(t)`/`cu1(t)` | 2 | half-angle rotations around two `cx` |
//! | `swap` | 3 | `cx(a, b) cx(b, a) cx(a, b)` |
//!
//! Other gates of two or more qubits are an [`Error::UnsupportedOperation`]. `measure`, `reset`
//! and `barrier` pass through (a barrier also ends the runs on its qubits). Global phase is
//! dropped: a device cannot observe it. `tests/transpile.rs` checks that every translation
//! produces the original state up to a global phase.

use std::f64::consts::{FRAC_PI_2, PI};

use qsim_core::circuit::{Circuit, Operation, Param};
use qsim_core::gate::Gate;
use qsim_core::matrix::Matrix;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Angles below this (mod 2 pi) are dropped, and a run whose off-diagonal entries are below it
/// is treated as diagonal.
const ANGLE_TOLERANCE: f64 = 1e-12;

/// What a translated circuit holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateCounts {
    /// `sx` and `x` pulses.
    pub pulses: usize,
    /// `rz` frame changes.
    pub frame_changes: usize,
    /// `cx` gates.
    pub cx: usize,
    /// Mid-circuit and final resets.
    pub resets: usize,
    /// Measurements.
    pub measurements: usize,
}

impl GateCounts {
    /// Counts the operations of a circuit in the device basis.
    pub fn of(circuit: &Circuit) -> Self {
        let mut c = Self::default();
        for op in circuit.ops() {
            match op {
                Operation::Gate { gate: Gate::Sx | Gate::X, .. } => c.pulses += 1,
                Operation::Gate { gate: Gate::Rz, .. } => c.frame_changes += 1,
                Operation::Gate { gate: Gate::Cx, .. } => c.cx += 1,
                Operation::Reset { .. } => c.resets += 1,
                Operation::Measure { .. } => c.measurements += 1,
                _ => {}
            }
        }
        c
    }
}

/// One part of a two-qubit gate's decomposition ([`two_qubit_pieces`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    /// A single-qubit gate (parameters may still refer to a parameter vector).
    One {
        /// The qubit.
        qubit: usize,
        /// The gate.
        gate: Gate,
        /// Its parameters.
        params: Vec<Param>,
    },
    /// A `cx`.
    Cx {
        /// Control qubit.
        control: usize,
        /// Target qubit.
        target: usize,
    },
}

/// `p` times `factor` (a reference keeps its index and scales its scale).
fn scale(p: Param, factor: f64) -> Param {
    match p {
        Param::Fixed(v) => Param::Fixed(factor * v),
        Param::Ref { index, scale } => Param::Ref { index, scale: factor * scale },
    }
}

/// The decomposition of a two-qubit gate on `(a, b)` into `cx` and single-qubit gates (the
/// table of the module documentation), in circuit order. Parameters may be references: they
/// end up, scaled, in single-qubit rotations, so a parametrised circuit keeps its parameters.
pub fn two_qubit_pieces(gate: Gate, a: usize, b: usize, p: &[Param]) -> Result<Vec<Piece>> {
    let one = |qubit: usize, gate: Gate, params: Vec<Param>| Piece::One { qubit, gate, params };
    let cx = |control: usize, target: usize| Piece::Cx { control, target };
    let fixed = |v: f64| vec![Param::Fixed(v)];
    let zz = |t: Param| vec![cx(a, b), one(b, Gate::Rz, vec![t]), cx(a, b)];
    Ok(match gate {
        Gate::Cx => vec![cx(a, b)],
        Gate::Cz => vec![one(b, Gate::H, vec![]), cx(a, b), one(b, Gate::H, vec![])],
        Gate::Cy => vec![one(b, Gate::Sdg, vec![]), cx(a, b), one(b, Gate::S, vec![])],
        Gate::Swap => vec![cx(a, b), cx(b, a), cx(a, b)],
        Gate::Rzz => zz(p[0]),
        Gate::Rxx | Gate::Ryy => {
            // H maps X to Z; rx(pi/2) maps Y to Z (rx(pi/2) Y rx(-pi/2) = Z).
            let (into, back) = if gate == Gate::Rxx {
                ((Gate::H, vec![]), (Gate::H, vec![]))
            } else {
                ((Gate::Rx, fixed(FRAC_PI_2)), (Gate::Rx, fixed(-FRAC_PI_2)))
            };
            let mut v = vec![one(a, into.0, into.1.clone()), one(b, into.0, into.1)];
            v.extend(zz(p[0]));
            v.extend([one(a, back.0, back.1.clone()), one(b, back.0, back.1)]);
            v
        }
        Gate::Crz | Gate::Cry => {
            let rot = if gate == Gate::Crz { Gate::Rz } else { Gate::Ry };
            vec![
                one(b, rot, vec![scale(p[0], 0.5)]),
                cx(a, b),
                one(b, rot, vec![scale(p[0], -0.5)]),
                cx(a, b),
            ]
        }
        Gate::Cp | Gate::Cu1 => vec![
            one(a, Gate::Rz, vec![scale(p[0], 0.5)]),
            cx(a, b),
            one(b, Gate::Rz, vec![scale(p[0], -0.5)]),
            cx(a, b),
            one(b, Gate::Rz, vec![scale(p[0], 0.5)]),
        ],
        other => {
            return Err(Error::UnsupportedOperation {
                op: other.name().to_string(),
                reason:
                    "the device basis (rz, sx, x, cx) has no translation for it; decompose it first"
                        .into(),
            });
        }
    })
}

/// Whether a single-qubit gate is diagonal (a frame change on the device, no pulse).
pub fn is_diagonal(gate: Gate) -> bool {
    matches!(
        gate,
        Gate::Rz | Gate::P | Gate::U1 | Gate::Z | Gate::S | Gate::Sdg | Gate::T | Gate::Tdg
    )
}

/// Accumulates single-qubit runs and writes the device-basis circuit.
struct Translator {
    out: Circuit,
    /// The pending product of single-qubit gates per qubit (`None`: identity).
    pending: Vec<Option<Matrix>>,
}

fn one_qubit(gate: Gate, params: &[f64]) -> Result<Matrix> {
    Ok(gate.matrix(params)?)
}

impl Translator {
    fn new(circuit: &Circuit) -> Self {
        Self {
            out: Circuit::with_clbits(circuit.num_qubits(), circuit.num_clbits()),
            pending: vec![None; circuit.num_qubits()],
        }
    }

    /// Multiplies `m` (applied after what is pending) into qubit `q`'s run.
    fn push_1q(&mut self, q: usize, m: Matrix) {
        self.pending[q] = Some(match self.pending[q].take() {
            Some(before) => m.mul(&before),
            None => m,
        });
    }

    fn gate_1q(&mut self, q: usize, gate: Gate, params: &[f64]) -> Result<()> {
        self.push_1q(q, one_qubit(gate, params)?);
        Ok(())
    }

    fn rz(&mut self, q: usize, angle: f64) -> Result<()> {
        let a = angle.rem_euclid(2.0 * PI);
        if a > ANGLE_TOLERANCE && 2.0 * PI - a > ANGLE_TOLERANCE {
            self.out.rz(q, Param::Fixed(angle))?;
        }
        Ok(())
    }

    /// Emits qubit `q`'s pending run.
    fn flush(&mut self, q: usize) -> Result<()> {
        let Some(u) = self.pending[q].take() else { return Ok(()) };
        let (u00, u01, u10, u11) = (u.get(0, 0), u.get(0, 1), u.get(1, 0), u.get(1, 1));
        if u10.norm() < ANGLE_TOLERANCE {
            // Diagonal: diag(a, b) = phase * rz(arg b - arg a).
            return self.rz(q, u11.arg() - u00.arg());
        }
        let theta = 2.0 * u10.norm().atan2(u00.norm());
        let (phi, lambda) = if u00.norm() < ANGLE_TOLERANCE {
            // theta = pi: only phi - lambda is defined.
            ((u10 / (-u01)).arg(), 0.0)
        } else {
            ((u10 / u00).arg(), (-u01 / u00).arg())
        };
        self.rz(q, lambda)?;
        self.out.sx(q)?;
        self.rz(q, theta + PI)?;
        self.out.sx(q)?;
        self.rz(q, phi + PI)
    }

    fn cx(&mut self, c: usize, t: usize) -> Result<()> {
        self.flush(c)?;
        self.flush(t)?;
        self.out.cx(c, t)?;
        Ok(())
    }

    fn two_qubit(&mut self, gate: Gate, a: usize, b: usize, p: &[f64]) -> Result<()> {
        let params: Vec<Param> = p.iter().map(|&v| Param::Fixed(v)).collect();
        for piece in two_qubit_pieces(gate, a, b, &params)? {
            match piece {
                Piece::One { qubit, gate, params } => {
                    let values: Vec<f64> = params.iter().map(|p| p.value(&[])).collect();
                    self.gate_1q(qubit, gate, &values)?;
                }
                Piece::Cx { control, target } => self.cx(control, target)?,
            }
        }
        Ok(())
    }

    fn op(&mut self, op: &Operation) -> Result<()> {
        match op {
            Operation::Gate { gate, qubits, params } => {
                let values: Vec<f64> = params
                    .iter()
                    .map(|p| match p {
                        Param::Fixed(v) => Ok(*v),
                        Param::Ref { .. } => Err(Error::InvalidConfig {
                            reason: "translate a bound circuit (Circuit::bind) to the device basis"
                                .into(),
                        }),
                    })
                    .collect::<Result<_>>()?;
                match qubits.as_slice() {
                    [q] => self.gate_1q(*q, *gate, &values),
                    [a, b] => self.two_qubit(*gate, *a, *b, &values),
                    _ => Err(Error::UnsupportedOperation {
                        op: gate.name().to_string(),
                        reason: "gates on three or more qubits have no device translation here"
                            .into(),
                    }),
                }
            }
            Operation::Unitary { controls, targets, matrix }
                if controls.is_empty() && targets.len() == 1 =>
            {
                self.push_1q(targets[0], matrix.clone());
                Ok(())
            }
            Operation::Unitary { .. } => Err(Error::UnsupportedOperation {
                op: "unitary".into(),
                reason: "only single-qubit unitaries translate to the device basis".into(),
            }),
            Operation::Measure { qubit, clbit } => {
                self.flush(*qubit)?;
                self.out.measure(*qubit, *clbit)?;
                Ok(())
            }
            Operation::Reset { qubit } => {
                // What was pending on the qubit cannot matter after a reset.
                self.pending[*qubit] = None;
                self.out.reset(*qubit)?;
                Ok(())
            }
            Operation::Barrier { qubits } => {
                for &q in qubits {
                    self.flush(q)?;
                }
                self.out.barrier(qubits)?;
                Ok(())
            }
        }
    }
}

/// `circuit` (bound: no parameter references) in the basis `rz, sx, x, cx`, with every run of
/// single-qubit gates fused; see the module documentation.
pub fn to_device_basis(circuit: &Circuit) -> Result<Circuit> {
    let mut t = Translator::new(circuit);
    for op in circuit.ops() {
        t.op(op)?;
    }
    for q in 0..circuit.num_qubits() {
        t.flush(q)?;
    }
    Ok(t.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_runs_vanish_and_diagonal_runs_are_one_frame_change() {
        let mut c = Circuit::new(1);
        c.h(0).unwrap().h(0).unwrap();
        assert_eq!(to_device_basis(&c).unwrap().ops().len(), 0);
        let mut c = Circuit::new(1);
        c.s(0).unwrap().t(0).unwrap().rz(0, Param::Fixed(0.3)).unwrap();
        let out = to_device_basis(&c).unwrap();
        assert_eq!(GateCounts::of(&out), GateCounts { frame_changes: 1, ..Default::default() });
    }

    #[test]
    fn parameter_references_and_wide_gates_are_refused() {
        let mut c = Circuit::new(3);
        c.ry(0, Param::var(0)).unwrap();
        assert!(matches!(to_device_basis(&c), Err(Error::InvalidConfig { .. })));
        let mut c = Circuit::new(3);
        c.ccx(0, 1, 2).unwrap();
        assert!(matches!(to_device_basis(&c), Err(Error::UnsupportedOperation { .. })));
    }
}

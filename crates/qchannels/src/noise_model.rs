//! Noise models: which channel follows which gate, and the exact noisy run of a circuit on a
//! density matrix.

use num_complex::Complex64;
use qsim_core::circuit::{Circuit, Operation};
use qsim_core::density::{DensityMatrix, superoperator};
use qsim_core::gate::Gate;
use qsim_core::matrix::Matrix;

use crate::channel::Channel;
use crate::error::{Error, Result};
use crate::standard;

/// Which gates a noise rule follows.
#[derive(Clone, Debug, PartialEq)]
pub enum GateSelector {
    /// Every single-qubit gate (named gates and single-qubit unitaries).
    SingleQubit,
    /// Every two-qubit gate.
    TwoQubit,
    /// These named gates only.
    Named(Vec<Gate>),
}

impl GateSelector {
    fn matches(&self, op: &Operation) -> bool {
        let arity = op.qubits().len();
        match self {
            GateSelector::SingleQubit => arity == 1,
            GateSelector::TwoQubit => arity == 2,
            GateSelector::Named(gates) => {
                matches!(op, Operation::Gate { gate, .. } if gates.contains(gate))
            }
        }
    }
}

/// A channel applied after every gate a selector matches: on the gate's qubits if the arities
/// agree, or on each of the gate's qubits if the channel acts on one qubit.
#[derive(Clone, Debug, PartialEq)]
pub struct NoiseRule {
    /// The gates the rule follows.
    pub after: GateSelector,
    /// The channel.
    pub channel: Channel,
}

/// An ordered list of noise rules; every matching rule applies, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NoiseModel {
    rules: Vec<NoiseRule>,
}

impl NoiseModel {
    /// No noise.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `channel` after every gate `after` matches.
    pub fn add(&mut self, after: GateSelector, channel: Channel) -> &mut Self {
        self.rules.push(NoiseRule { after, channel });
        self
    }

    /// The model of the reference files (`testdata/noisy-reference`): after every 1-qubit gate
    /// depolarizing `p1` then amplitude damping `gamma`; after every 2-qubit gate two-qubit
    /// depolarizing `p2`.
    pub fn depolarizing_and_damping(p1: f64, gamma: f64, p2: f64) -> Result<Self> {
        let one = standard::depolarizing(p1)?.compose(&standard::amplitude_damping(gamma)?)?;
        let two = standard::depolarizing_global(2, p2)?;
        let mut model = Self::new();
        model.add(GateSelector::SingleQubit, one).add(GateSelector::TwoQubit, two);
        Ok(model)
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[NoiseRule] {
        &self.rules
    }

    /// Runs `circuit` with angles `theta` on `rho`, each gate followed by its noise. Every gate
    /// and its noise become one superoperator; all of them go through the simulator's engine in
    /// one sweep. Measurement is non-selective (dephasing) and reset is the reset channel.
    pub fn run(&self, circuit: &Circuit, theta: &[f64], rho: &mut DensityMatrix) -> Result<()> {
        if circuit.num_qubits() > rho.num_qubits() {
            return Err(qsim_core::Error::QubitOutOfRange {
                qubit: circuit.num_qubits() - 1,
                num_qubits: rho.num_qubits(),
            }
            .into());
        }
        circuit.check_theta(theta)?;
        let zero = Complex64::new(0.0, 0.0);
        let one = Complex64::new(1.0, 0.0);
        let m = |v: [Complex64; 4]| Matrix::new(1, v.to_vec()).expect("2x2");
        let mut ops: Vec<(Vec<usize>, Matrix)> = Vec::with_capacity(circuit.ops().len());
        for op in circuit.ops() {
            let qubits = op.qubits();
            let mut s = match op {
                Operation::Barrier { .. } => continue,
                Operation::Measure { .. } => {
                    superoperator(&[m([one, zero, zero, zero]), m([zero, zero, zero, one])])
                }
                Operation::Reset { .. } => {
                    superoperator(&[m([one, zero, zero, zero]), m([zero, one, zero, zero])])
                }
                _ => superoperator(&[op.matrix(theta).expect("unitary operation")]),
            };
            let mut extra: Vec<(Vec<usize>, Matrix)> = Vec::new();
            if matches!(op, Operation::Gate { .. } | Operation::Unitary { .. }) {
                for rule in self.rules.iter().filter(|r| r.after.matches(op)) {
                    let k = rule.channel.num_qubits();
                    if k == qubits.len() {
                        s = rule.channel.superoperator().mul(&s);
                    } else if k == 1 {
                        extra.extend(
                            qubits.iter().map(|&q| (vec![q], rule.channel.superoperator())),
                        );
                    } else {
                        return Err(Error::DimensionMismatch {
                            what: "qubits of a noise channel after this gate",
                            expected: qubits.len(),
                            got: k,
                        });
                    }
                }
            }
            ops.push((qubits, s));
            ops.extend(extra);
        }
        rho.apply_superoperators(&ops)?;
        Ok(())
    }
}

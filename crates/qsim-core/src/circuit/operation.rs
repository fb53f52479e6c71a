//! Circuit instructions: gate angles ([`Param`]) and operations ([`Operation`]).

use num_complex::Complex64;
use serde::{Deserialize, Serialize};

use super::gate::{self, Gate};
use super::matrix::Matrix;

/// A gate angle: a fixed number, or `scale * theta[index]` for a parameter vector `theta`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Param {
    /// A fixed angle in radians.
    Fixed(f64),
    /// `scale * theta[index]`, bound when the circuit runs.
    Ref {
        /// Position in the parameter vector.
        index: usize,
        /// Factor applied to the parameter (1 for a plain reference, -1 in an inverse).
        scale: f64,
    },
}

impl Param {
    /// A plain reference to `theta[index]`.
    pub fn var(index: usize) -> Param {
        Param::Ref { index, scale: 1.0 }
    }

    /// The angle for a parameter vector; `theta` must be long enough (checked by callers).
    pub fn value(&self, theta: &[f64]) -> f64 {
        match *self {
            Param::Fixed(v) => v,
            Param::Ref { index, scale } => scale * theta[index],
        }
    }

    /// The angle with its sign flipped (fixed value or scale), for inverses.
    pub(super) fn negated(&self) -> Param {
        match *self {
            Param::Fixed(v) => Param::Fixed(-v),
            Param::Ref { index, scale } => Param::Ref { index, scale: -scale },
        }
    }
}

impl From<f64> for Param {
    fn from(v: f64) -> Self {
        Param::Fixed(v)
    }
}

/// One instruction of a [`Circuit`](super::Circuit).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Operation {
    /// A named gate on `qubits` (in the gate's own order, controls first).
    Gate {
        /// Which gate.
        gate: Gate,
        /// The qubits, in the gate's order.
        qubits: Vec<usize>,
        /// One entry per gate parameter.
        params: Vec<Param>,
    },
    /// An arbitrary unitary on `targets`, applied only where every qubit in `controls` is 1.
    Unitary {
        /// Control qubits (may be empty).
        controls: Vec<usize>,
        /// Target qubits; bit `j` of the matrix index is `targets[j]`.
        targets: Vec<usize>,
        /// The unitary on the targets.
        matrix: Matrix,
    },
    /// Projective Z measurement of `qubit`, result stored in classical bit `clbit`.
    Measure {
        /// Measured qubit.
        qubit: usize,
        /// Destination bit.
        clbit: usize,
    },
    /// Reset `qubit` to `|0>`.
    Reset {
        /// The qubit.
        qubit: usize,
    },
    /// A scheduling barrier; no effect on the state.
    Barrier {
        /// The qubits it spans.
        qubits: Vec<usize>,
    },
}

impl Operation {
    /// Every qubit the operation touches.
    pub fn qubits(&self) -> Vec<usize> {
        match self {
            Operation::Gate { qubits, .. } | Operation::Barrier { qubits } => qubits.clone(),
            Operation::Unitary { controls, targets, .. } => {
                controls.iter().chain(targets).copied().collect()
            }
            Operation::Measure { qubit, .. } | Operation::Reset { qubit } => vec![*qubit],
        }
    }

    /// A short name for messages: the gate name, `unitary`, `measure`, `reset` or `barrier`.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Gate { gate, .. } => gate.name(),
            Operation::Unitary { .. } => "unitary",
            Operation::Measure { .. } => "measure",
            Operation::Reset { .. } => "reset",
            Operation::Barrier { .. } => "barrier",
        }
    }

    /// True for operations that are unitary (barriers count as the identity).
    pub fn is_unitary(&self) -> bool {
        !matches!(self, Operation::Measure { .. } | Operation::Reset { .. })
    }

    /// The full matrix over [`Operation::qubits`] for bound angles (None for measure/reset/barrier).
    pub fn matrix(&self, theta: &[f64]) -> Option<Matrix> {
        match self {
            Operation::Gate { gate, params, .. } => {
                let angles: Vec<f64> = params.iter().map(|p| p.value(theta)).collect();
                Some(gate.matrix_unchecked(&angles))
            }
            Operation::Unitary { controls, matrix, .. } => Some(if controls.is_empty() {
                matrix.clone()
            } else {
                gate::controlled(controls.len(), matrix, Complex64::new(1.0, 0.0))
            }),
            _ => None,
        }
    }
}

//! The circuit IR: gates whose angles are fixed or refer to a trainable parameter vector,
//! arbitrary (controlled) unitaries, mid-circuit measurement, reset and barriers.
//!
//! This module holds the [`Circuit`] builder and its validation; the instructions ([`Param`],
//! [`Operation`]) live in `operation`, the gate set in [`gate`], dense matrices in [`matrix`],
//! and the plans that runners keep with a circuit (opaque to it) in `plan_cache`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub mod gate;
pub mod matrix;
mod operation;
mod plan_cache;

use gate::Gate;
use matrix::Matrix;
pub use operation::{Operation, Param};
pub(crate) use plan_cache::PlanCache;

/// Tolerance for accepting a user matrix as unitary.
pub const UNITARY_TOLERANCE: f64 = 1e-10;

/// A quantum circuit on `num_qubits` qubits and `num_clbits` classical bits.
///
/// Builder methods validate their input and return `Result<&mut Self>`, so they chain with `?`:
///
/// ```
/// use qsim_core::circuit::{Circuit, Param};
/// let mut c = Circuit::new(2);
/// c.h(0)?.cx(0, 1)?.ry(1, Param::var(0))?;
/// assert_eq!(c.num_params(), 1);
/// # Ok::<(), qsim_core::Error>(())
/// ```
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Circuit {
    num_qubits: usize,
    num_clbits: usize,
    ops: Vec<Operation>,
    num_params: usize,
    /// Plans that runners derive from the operations (see [`PlanCache`]), built on first use
    /// and dropped on any change; never serialised.
    #[serde(skip)]
    plans: PlanCache,
}

impl PartialEq for Circuit {
    fn eq(&self, other: &Self) -> bool {
        self.num_qubits == other.num_qubits
            && self.num_clbits == other.num_clbits
            && self.num_params == other.num_params
            && self.ops == other.ops
    }
}

impl std::fmt::Debug for Circuit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Circuit")
            .field("num_qubits", &self.num_qubits)
            .field("num_clbits", &self.num_clbits)
            .field("num_params", &self.num_params)
            .field("ops", &self.ops)
            .finish()
    }
}

impl Circuit {
    /// An empty circuit on `num_qubits` qubits and no classical bits.
    pub fn new(num_qubits: usize) -> Self {
        Self { num_qubits, ..Self::default() }
    }

    /// An empty circuit with a classical register too.
    pub fn with_clbits(num_qubits: usize, num_clbits: usize) -> Self {
        Self { num_qubits, num_clbits, ..Self::default() }
    }

    /// Qubit count.
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// Classical bit count.
    pub fn num_clbits(&self) -> usize {
        self.num_clbits
    }

    /// Length the parameter vector must have: one past the largest referenced index.
    pub fn num_params(&self) -> usize {
        self.num_params
    }

    /// The operations, in order.
    pub fn ops(&self) -> &[Operation] {
        &self.ops
    }

    /// True when there is no measurement or reset.
    pub fn is_unitary(&self) -> bool {
        self.ops.iter().all(Operation::is_unitary)
    }

    /// Number of gates (everything but barriers).
    pub fn gate_count(&self) -> usize {
        self.ops.iter().filter(|op| !matches!(op, Operation::Barrier { .. })).count()
    }

    fn check_qubits(&self, qubits: &[usize]) -> Result<()> {
        check_distinct_in_range(qubits, self.num_qubits)
    }

    /// Appends a validated operation.
    pub fn push(&mut self, op: Operation) -> Result<&mut Self> {
        match &op {
            Operation::Gate { gate, qubits, params } => {
                gate.check_arity(qubits)?;
                self.check_qubits(qubits)?;
                if params.len() != gate.num_params() {
                    return Err(Error::ParameterCount {
                        gate: gate.name().into(),
                        expected: gate.num_params(),
                        got: params.len(),
                    });
                }
                for p in params {
                    let bad = match *p {
                        Param::Fixed(v) => (!v.is_finite()).then_some(v),
                        Param::Ref { scale, .. } => (!scale.is_finite()).then_some(scale),
                    };
                    if let Some(value) = bad {
                        return Err(Error::NonFiniteParameter { gate: gate.name().into(), value });
                    }
                }
            }
            Operation::Unitary { controls, targets, matrix } => {
                check_controlled_unitary(controls, targets, matrix, self.num_qubits)?;
            }
            Operation::Measure { qubit, clbit } => {
                self.check_qubits(&[*qubit])?;
                if *clbit >= self.num_clbits {
                    return Err(Error::ClbitOutOfRange {
                        clbit: *clbit,
                        num_clbits: self.num_clbits,
                    });
                }
            }
            Operation::Reset { qubit } => self.check_qubits(&[*qubit])?,
            Operation::Barrier { qubits } => self.check_qubits(qubits)?,
        }
        if let Operation::Gate { params, .. } = &op {
            for p in params {
                if let Param::Ref { index, .. } = p {
                    self.num_params = self.num_params.max(index + 1);
                }
            }
        }
        self.ops.push(op);
        self.invalidate();
        Ok(self)
    }

    /// The plans runners keep for this circuit (for a state of exactly `num_qubits` qubits).
    pub(crate) fn plans(&self) -> &PlanCache {
        &self.plans
    }

    /// Drops the cached plans after a change to the operations.
    fn invalidate(&mut self) {
        self.plans = PlanCache::default();
    }

    /// Appends `gate` on `qubits` with `params`.
    pub fn gate(&mut self, gate: Gate, qubits: &[usize], params: &[Param]) -> Result<&mut Self> {
        self.push(Operation::Gate { gate, qubits: qubits.to_vec(), params: params.to_vec() })
    }

    /// Appends an arbitrary unitary on `targets` (checked for unitarity).
    pub fn unitary(&mut self, targets: &[usize], matrix: Matrix) -> Result<&mut Self> {
        self.controlled_unitary(&[], targets, matrix)
    }

    /// Appends a unitary on `targets` controlled on every qubit of `controls` being 1.
    pub fn controlled_unitary(
        &mut self,
        controls: &[usize],
        targets: &[usize],
        matrix: Matrix,
    ) -> Result<&mut Self> {
        self.push(Operation::Unitary {
            controls: controls.to_vec(),
            targets: targets.to_vec(),
            matrix,
        })
    }

    /// Appends a measurement of `qubit` into classical bit `clbit`.
    pub fn measure(&mut self, qubit: usize, clbit: usize) -> Result<&mut Self> {
        self.push(Operation::Measure { qubit, clbit })
    }

    /// Appends a reset of `qubit` to `|0>`.
    pub fn reset(&mut self, qubit: usize) -> Result<&mut Self> {
        self.push(Operation::Reset { qubit })
    }

    /// Appends a barrier on `qubits` (all qubits if empty).
    pub fn barrier(&mut self, qubits: &[usize]) -> Result<&mut Self> {
        let qubits =
            if qubits.is_empty() { (0..self.num_qubits).collect() } else { qubits.to_vec() };
        self.push(Operation::Barrier { qubits })
    }

    /// Appends every operation of `other` (which must not be wider).
    pub fn append(&mut self, other: &Circuit) -> Result<&mut Self> {
        if other.num_qubits > self.num_qubits {
            return Err(Error::QubitOutOfRange {
                qubit: other.num_qubits - 1,
                num_qubits: self.num_qubits,
            });
        }
        self.num_clbits = self.num_clbits.max(other.num_clbits);
        for op in &other.ops {
            self.push(op.clone())?;
        }
        Ok(self)
    }

    /// The inverse circuit (unitary circuits only): operations reversed and each inverted.
    pub fn inverse(&self) -> Result<Circuit> {
        let mut inv = Circuit::with_clbits(self.num_qubits, self.num_clbits);
        for op in self.ops.iter().rev() {
            let inverted = match op {
                Operation::Gate { gate, qubits, params } => {
                    match inverse_gate(*gate, params) {
                        Some((g, p)) => {
                            Operation::Gate { gate: g, qubits: qubits.clone(), params: p }
                        }
                        None => {
                            // Fixed-angle gates without a named inverse become explicit unitaries.
                            let m = gate.matrix_unchecked(&[]).adjoint();
                            Operation::Unitary {
                                controls: vec![],
                                targets: qubits.clone(),
                                matrix: m,
                            }
                        }
                    }
                }
                Operation::Unitary { controls, targets, matrix } => Operation::Unitary {
                    controls: controls.clone(),
                    targets: targets.clone(),
                    matrix: matrix.adjoint(),
                },
                Operation::Barrier { qubits } => Operation::Barrier { qubits: qubits.clone() },
                Operation::Measure { .. } => {
                    return Err(Error::NonUnitaryOperation { op: "measure" });
                }
                Operation::Reset { .. } => return Err(Error::NonUnitaryOperation { op: "reset" }),
            };
            inv.push(inverted)?;
        }
        Ok(inv)
    }

    /// Checks that `theta` is long enough for every parameter reference.
    pub fn check_theta(&self, theta: &[f64]) -> Result<()> {
        if theta.len() < self.num_params {
            return Err(Error::ParameterIndexOutOfRange {
                index: self.num_params - 1,
                len: theta.len(),
            });
        }
        if let Some(&value) = theta.iter().find(|v| !v.is_finite()) {
            return Err(Error::NonFiniteParameter { gate: "parameter vector".into(), value });
        }
        Ok(())
    }

    /// Adds `delta` to fixed parameter `k` of operation `i` (parameter-shift evaluations).
    pub(crate) fn shift_param(&mut self, i: usize, k: usize, delta: f64) {
        self.invalidate();
        if let Some(Operation::Gate { params, .. }) = self.ops.get_mut(i) {
            if let Some(Param::Fixed(v)) = params.get_mut(k) {
                *v += delta;
            }
        }
    }

    /// A copy with every parameter reference replaced by its value in `theta`.
    pub fn bind(&self, theta: &[f64]) -> Result<Circuit> {
        self.check_theta(theta)?;
        let mut bound = self.clone();
        bound.num_params = 0;
        bound.invalidate();
        for op in &mut bound.ops {
            if let Operation::Gate { params, .. } = op {
                for p in params.iter_mut() {
                    *p = Param::Fixed(p.value(theta));
                }
            }
        }
        Ok(bound)
    }
}

/// Checks a unitary on `targets` controlled by `controls` in a register of `num_qubits`: every
/// qubit in range and none repeated, the matrix as wide as the targets, and unitary within
/// [`UNITARY_TOLERANCE`].
pub(crate) fn check_controlled_unitary(
    controls: &[usize],
    targets: &[usize],
    matrix: &Matrix,
    num_qubits: usize,
) -> Result<()> {
    let all: Vec<usize> = controls.iter().chain(targets).copied().collect();
    check_distinct_in_range(&all, num_qubits)?;
    if matrix.num_qubits() != targets.len() {
        return Err(Error::DimensionMismatch {
            what: "unitary qubits",
            expected: targets.len(),
            got: matrix.num_qubits(),
        });
    }
    matrix.check_unitary(UNITARY_TOLERANCE)
}

/// Checks every qubit is below `num_qubits` and none repeats: pairwise for the few qubits of a
/// gate, with a bit set for wide operations such as a barrier over a large register.
pub(crate) fn check_distinct_in_range(qubits: &[usize], num_qubits: usize) -> Result<()> {
    if let Some(&qubit) = qubits.iter().find(|&&q| q >= num_qubits) {
        return Err(Error::QubitOutOfRange { qubit, num_qubits });
    }
    if qubits.len() <= 8 {
        for (i, &q) in qubits.iter().enumerate() {
            if qubits[..i].contains(&q) {
                return Err(Error::DuplicateQubit { qubit: q });
            }
        }
    } else {
        let mut seen = vec![false; num_qubits];
        for &q in qubits {
            if std::mem::replace(&mut seen[q], true) {
                return Err(Error::DuplicateQubit { qubit: q });
            }
        }
    }
    Ok(())
}

/// The inverse of a gate with symbolic parameters, when it is a gate of the set.
fn inverse_gate(gate: Gate, params: &[Param]) -> Option<(Gate, Vec<Param>)> {
    use Gate::*;
    let neg = || params.iter().map(Param::negated).collect::<Vec<_>>();
    Some(match gate {
        U2 => (
            U3,
            vec![
                Param::Fixed(-std::f64::consts::FRAC_PI_2),
                params[1].negated(),
                params[0].negated(),
            ],
        ),
        U3 | U | Cu3 => (gate, vec![params[0].negated(), params[2].negated(), params[1].negated()]),
        Cu => (
            Cu,
            vec![
                params[0].negated(),
                params[2].negated(),
                params[1].negated(),
                params[3].negated(),
            ],
        ),
        _ if gate.num_params() > 0 => (gate, neg()),
        _ => {
            let (g, _) = gate.inverse(&[])?;
            (g, vec![])
        }
    })
}

macro_rules! fixed_gates {
    ($($(#[$doc:meta])* $name:ident => $gate:ident ( $($q:ident),+ );)*) => {
        impl Circuit {
            $(
                $(#[$doc])*
                pub fn $name(&mut self, $($q: usize),+) -> Result<&mut Self> {
                    self.gate(Gate::$gate, &[$($q),+], &[])
                }
            )*
        }
    };
}

macro_rules! rotation_gates {
    ($($(#[$doc:meta])* $name:ident => $gate:ident ( $($q:ident),+ );)*) => {
        impl Circuit {
            $(
                $(#[$doc])*
                pub fn $name(&mut self, $($q: usize,)+ angle: impl Into<Param>) -> Result<&mut Self> {
                    self.gate(Gate::$gate, &[$($q),+], &[angle.into()])
                }
            )*
        }
    };
}

fixed_gates! {
    /// Hadamard.
    h => H(q);
    /// Pauli X.
    x => X(q);
    /// Pauli Y.
    y => Y(q);
    /// Pauli Z.
    z => Z(q);
    /// Phase gate S = sqrt(Z).
    s => S(q);
    /// S dagger.
    sdg => Sdg(q);
    /// T = fourth root of Z.
    t => T(q);
    /// T dagger.
    tdg => Tdg(q);
    /// sqrt(X).
    sx => Sx(q);
    /// CNOT with control `c` and target `t`.
    cx => Cx(c, t);
    /// Controlled Y.
    cy => Cy(c, t);
    /// Controlled Z.
    cz => Cz(c, t);
    /// Controlled Hadamard.
    ch => Ch(c, t);
    /// Swap two qubits.
    swap => Swap(a, b);
    /// Toffoli.
    ccx => Ccx(c1, c2, t);
    /// Fredkin (controlled swap).
    cswap => Cswap(c, a, b);
}

rotation_gates! {
    /// X rotation `exp(-i angle X / 2)`.
    rx => Rx(q);
    /// Y rotation `exp(-i angle Y / 2)`.
    ry => Ry(q);
    /// Z rotation `exp(-i angle Z / 2)`.
    rz => Rz(q);
    /// Phase `diag(1, e^{i angle})`.
    p => P(q);
    /// Controlled X rotation.
    crx => Crx(c, t);
    /// Controlled Y rotation.
    cry => Cry(c, t);
    /// Controlled Z rotation.
    crz => Crz(c, t);
    /// Controlled phase.
    cp => Cp(c, t);
    /// `exp(-i angle X X / 2)`.
    rxx => Rxx(a, b);
    /// `exp(-i angle Y Y / 2)`.
    ryy => Ryy(a, b);
    /// `exp(-i angle Z Z / 2)`.
    rzz => Rzz(a, b);
}

impl Circuit {
    /// The general single-qubit gate `u(theta, phi, lambda)`.
    pub fn u(
        &mut self,
        q: usize,
        theta: impl Into<Param>,
        phi: impl Into<Param>,
        lambda: impl Into<Param>,
    ) -> Result<&mut Self> {
        self.gate(Gate::U, &[q], &[theta.into(), phi.into(), lambda.into()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_complex::Complex64;

    #[test]
    fn builder_validates_qubits_and_parameters() {
        let mut c = Circuit::new(2);
        assert!(matches!(c.h(2), Err(Error::QubitOutOfRange { qubit: 2, num_qubits: 2 })));
        assert!(matches!(c.cx(1, 1), Err(Error::DuplicateQubit { qubit: 1 })));
        assert!(matches!(c.rx(0, f64::INFINITY), Err(Error::NonFiniteParameter { .. })));
        assert!(matches!(
            c.gate(Gate::Rx, &[0], &[]),
            Err(Error::ParameterCount { expected: 1, got: 0, .. })
        ));
        assert!(matches!(c.gate(Gate::Cx, &[0], &[]), Err(Error::QubitCount { .. })));
        assert!(matches!(c.measure(0, 0), Err(Error::ClbitOutOfRange { .. })));
        assert!(c.ops().is_empty(), "failed pushes leave the circuit unchanged");
    }

    #[test]
    fn parameter_references_size_the_parameter_vector() {
        let mut c = Circuit::new(1);
        c.ry(0, Param::var(4)).unwrap();
        assert_eq!(c.num_params(), 5);
        assert!(matches!(c.bind(&[0.0; 3]), Err(Error::ParameterIndexOutOfRange { .. })));
        let b = c.bind(&[0.0, 0.0, 0.0, 0.0, 0.7]).unwrap();
        assert_eq!(
            b.ops()[0],
            Operation::Gate { gate: Gate::Ry, qubits: vec![0], params: vec![Param::Fixed(0.7)] }
        );
    }

    #[test]
    fn non_unitary_matrices_are_rejected() {
        let m = Matrix::new(1, vec![Complex64::new(2.0, 0.0); 4]).unwrap();
        assert!(matches!(Circuit::new(1).unitary(&[0], m), Err(Error::NotUnitary { .. })));
    }
}

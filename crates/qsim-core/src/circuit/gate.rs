//! The gate set: every gate of OpenQASM 2's `qelib1.inc` with Qiskit's matrices, plus `ryy`/`rzx`.
//!
//! Matrices follow Qiskit's gate classes exactly, global phase included (`rz(t)` is
//! `diag(e^{-it/2}, e^{it/2})`, `u1(t)` is `diag(1, e^{it})`). Local qubit order: the first qubit a
//! gate is applied to is bit 0 of the matrix index, so controls come first (`cx c, t`).

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_PI_2, FRAC_PI_4, PI};

use num_complex::Complex64;
use serde::{Deserialize, Serialize};

use super::matrix::Matrix;
use crate::error::{Error, Result};

const ZERO: Complex64 = Complex64::new(0.0, 0.0);
const ONE: Complex64 = Complex64::new(1.0, 0.0);
const I: Complex64 = Complex64::new(0.0, 1.0);

/// A named gate. Parameters (angles in radians) are supplied separately.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)] // The variants are the standard gate names; `Gate::name` gives the QASM one.
pub enum Gate {
    Id,
    U0,
    X,
    Y,
    Z,
    H,
    S,
    Sdg,
    T,
    Tdg,
    Sx,
    Sxdg,
    Rx,
    Ry,
    Rz,
    P,
    U1,
    U2,
    U3,
    U,
    Cx,
    Cy,
    Cz,
    Ch,
    Csx,
    Swap,
    Crx,
    Cry,
    Crz,
    Cp,
    Cu1,
    Cu3,
    Cu,
    Rxx,
    Ryy,
    Rzz,
    Rzx,
    Ccx,
    Cswap,
    Rccx,
    C3x,
    C3sqrtx,
    Rc3x,
    C4x,
}

/// The structure a gate's matrix has for every parameter value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Diagonal.
    Diagonal,
    /// Real entries (single-qubit gates only).
    Real,
    /// General complex entries.
    Complex,
    /// X on the last qubit, controlled on the others.
    Flip,
    /// Swap of the last two qubits, controlled on the others.
    Swap,
}

/// How a parameter's derivative is obtained from shifted evaluations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShiftRule {
    /// Generator spectrum gap 1 (e.g. `rx`, `p`, `cp`): `(E(+pi/2) - E(-pi/2)) / 2`.
    TwoTerm,
    /// Generator spectrum `{-1/2, 0, 1/2}` (controlled rotations): the four-term rule with shifts
    /// `pi/2` and `3pi/2`.
    FourTerm,
}

impl Gate {
    /// All gates, in a stable order.
    pub const ALL: [Gate; 44] = [
        Gate::Id,
        Gate::U0,
        Gate::X,
        Gate::Y,
        Gate::Z,
        Gate::H,
        Gate::S,
        Gate::Sdg,
        Gate::T,
        Gate::Tdg,
        Gate::Sx,
        Gate::Sxdg,
        Gate::Rx,
        Gate::Ry,
        Gate::Rz,
        Gate::P,
        Gate::U1,
        Gate::U2,
        Gate::U3,
        Gate::U,
        Gate::Cx,
        Gate::Cy,
        Gate::Cz,
        Gate::Ch,
        Gate::Csx,
        Gate::Swap,
        Gate::Crx,
        Gate::Cry,
        Gate::Crz,
        Gate::Cp,
        Gate::Cu1,
        Gate::Cu3,
        Gate::Cu,
        Gate::Rxx,
        Gate::Ryy,
        Gate::Rzz,
        Gate::Rzx,
        Gate::Ccx,
        Gate::Cswap,
        Gate::Rccx,
        Gate::C3x,
        Gate::C3sqrtx,
        Gate::Rc3x,
        Gate::C4x,
    ];

    /// The OpenQASM 2 name (as in `qelib1.inc`).
    pub fn name(self) -> &'static str {
        use Gate::*;
        match self {
            Id => "id",
            U0 => "u0",
            X => "x",
            Y => "y",
            Z => "z",
            H => "h",
            S => "s",
            Sdg => "sdg",
            T => "t",
            Tdg => "tdg",
            Sx => "sx",
            Sxdg => "sxdg",
            Rx => "rx",
            Ry => "ry",
            Rz => "rz",
            P => "p",
            U1 => "u1",
            U2 => "u2",
            U3 => "u3",
            U => "u",
            Cx => "cx",
            Cy => "cy",
            Cz => "cz",
            Ch => "ch",
            Csx => "csx",
            Swap => "swap",
            Crx => "crx",
            Cry => "cry",
            Crz => "crz",
            Cp => "cp",
            Cu1 => "cu1",
            Cu3 => "cu3",
            Cu => "cu",
            Rxx => "rxx",
            Ryy => "ryy",
            Rzz => "rzz",
            Rzx => "rzx",
            Ccx => "ccx",
            Cswap => "cswap",
            Rccx => "rccx",
            C3x => "c3x",
            C3sqrtx => "c3sqrtx",
            Rc3x => "rc3x",
            C4x => "c4x",
        }
    }

    /// Looks a gate up by its OpenQASM 2 name (`U` and `CX`, the language built-ins, included).
    pub fn from_name(name: &str) -> Option<Gate> {
        match name {
            "U" => Some(Gate::U),
            "CX" => Some(Gate::Cx),
            _ => Gate::ALL.iter().copied().find(|g| g.name() == name),
        }
    }

    /// True for gates defined in `qelib1.inc` (`ryy` and `rzx` are not, so exporters define them).
    pub fn in_qelib1(self) -> bool {
        !matches!(self, Gate::Ryy | Gate::Rzx)
    }

    /// Number of qubits the gate acts on.
    pub fn num_qubits(self) -> usize {
        use Gate::*;
        match self {
            Id | U0 | X | Y | Z | H | S | Sdg | T | Tdg | Sx | Sxdg | Rx | Ry | Rz | P | U1
            | U2 | U3 | U => 1,
            Cx | Cy | Cz | Ch | Csx | Swap | Crx | Cry | Crz | Cp | Cu1 | Cu3 | Cu | Rxx | Ryy
            | Rzz | Rzx => 2,
            Ccx | Cswap | Rccx => 3,
            C3x | C3sqrtx | Rc3x => 4,
            C4x => 5,
        }
    }

    /// Checks that `qubits` names as many qubits as the gate acts on (their range and
    /// distinctness are the caller's to check).
    pub(crate) fn check_arity(self, qubits: &[usize]) -> Result<()> {
        if qubits.len() != self.num_qubits() {
            return Err(Error::QubitCount {
                gate: self.name().into(),
                expected: self.num_qubits(),
                got: qubits.len(),
            });
        }
        Ok(())
    }

    /// Number of angle parameters.
    pub fn num_params(self) -> usize {
        use Gate::*;
        match self {
            U0 | Rx | Ry | Rz | P | U1 | Crx | Cry | Crz | Cp | Cu1 | Rxx | Ryy | Rzz | Rzx => 1,
            U2 => 2,
            U3 | U | Cu3 => 3,
            Cu => 4,
            _ => 0,
        }
    }

    /// Checks parameter count and finiteness.
    pub fn check_params(self, params: &[f64]) -> Result<()> {
        if params.len() != self.num_params() {
            return Err(Error::ParameterCount {
                gate: self.name().to_string(),
                expected: self.num_params(),
                got: params.len(),
            });
        }
        if let Some(&value) = params.iter().find(|p| !p.is_finite()) {
            return Err(Error::NonFiniteParameter { gate: self.name().to_string(), value });
        }
        Ok(())
    }

    /// The unitary for these parameters (checked).
    pub fn matrix(self, params: &[f64]) -> Result<Matrix> {
        self.check_params(params)?;
        Ok(self.matrix_unchecked(params))
    }

    /// The derivative of the unitary with respect to parameter `k` (checked).
    pub fn derivative(self, params: &[f64], k: usize) -> Result<Matrix> {
        self.check_params(params)?;
        if k >= self.num_params() {
            return Err(Error::ParameterIndexOutOfRange { index: k, len: self.num_params() });
        }
        Ok(self.derivative_unchecked(params, k))
    }

    /// The parameter-shift rule that is exact for parameter `k`.
    pub fn shift_rule(self, k: usize) -> ShiftRule {
        use Gate::*;
        match (self, k) {
            (Crx | Cry | Crz, _) => ShiftRule::FourTerm,
            (Cu3 | Cu, 0) => ShiftRule::FourTerm,
            _ => ShiftRule::TwoTerm,
        }
    }

    /// The inverse as a gate with transformed parameters, when one exists in the gate set.
    pub fn inverse(self, params: &[f64]) -> Option<(Gate, Vec<f64>)> {
        use Gate::*;
        let neg = |v: &[f64]| v.iter().map(|x| -x).collect::<Vec<_>>();
        Some(match self {
            Id | X | Y | Z | H | Cx | Cy | Cz | Ch | Swap | Ccx | Cswap | C3x | C4x => {
                (self, vec![])
            }
            U0 => (U0, neg(params)),
            S => (Sdg, vec![]),
            Sdg => (S, vec![]),
            T => (Tdg, vec![]),
            Tdg => (T, vec![]),
            Sx => (Sxdg, vec![]),
            Sxdg => (Sx, vec![]),
            Rx | Ry | Rz | P | U1 | Crx | Cry | Crz | Cp | Cu1 | Rxx | Ryy | Rzz | Rzx => {
                (self, neg(params))
            }
            U2 => (U3, vec![-FRAC_PI_2, -params[1], -params[0]]),
            U3 | U => (self, vec![-params[0], -params[2], -params[1]]),
            Cu3 => (Cu3, vec![-params[0], -params[2], -params[1]]),
            Cu => (Cu, vec![-params[0], -params[2], -params[1], -params[3]]),
            Csx | Rccx | C3sqrtx | Rc3x => return None,
        })
    }

    /// The 2x2 unitary of a single-qubit gate without allocating; `None` for wider gates.
    pub(crate) fn matrix_1q(self, p: &[f64]) -> Option<[Complex64; 4]> {
        use Gate::*;
        Some(match self {
            Id | U0 => [ONE, ZERO, ZERO, ONE],
            X => X_MATRIX,
            Y => [ZERO, -I, I, ZERO],
            Z => diag2(ONE, -ONE),
            H => H_M,
            S => diag2(ONE, I),
            Sdg => diag2(ONE, -I),
            T => diag2(ONE, Complex64::from_polar(1.0, FRAC_PI_4)),
            Tdg => diag2(ONE, Complex64::from_polar(1.0, -FRAC_PI_4)),
            Sx => SX_M,
            Sxdg => SX_M.map(|z| z.conj()),
            Rx => rx(p[0]),
            Ry => ry(p[0]),
            Rz => rz(p[0]),
            P | U1 => phase(p[0]),
            U2 => u3(FRAC_PI_2, p[0], p[1]),
            U3 | U => u3(p[0], p[1], p[2]),
            _ => return None,
        })
    }

    /// How the matrix is structured for every value of the parameters; the engine plans with this.
    pub(crate) fn shape(self) -> Shape {
        use Gate::*;
        match self {
            Id | U0 | Z | S | Sdg | T | Tdg | Rz | P | U1 => Shape::Diagonal,
            X | H | Ry => Shape::Real,
            Y | Sx | Sxdg | Rx | U2 | U3 | U => Shape::Complex,
            Cz | Crz | Cp | Cu1 | Rzz => Shape::Diagonal,
            Cx | Ccx | C3x | C4x => Shape::Flip,
            Swap => Shape::Swap,
            Cswap => Shape::Swap,
            Cy | Ch | Csx | Crx | Cry | Cu3 | Cu | Rxx | Ryy | Rzx | Rccx | Rc3x | C3sqrtx => {
                Shape::Complex
            }
        }
    }

    /// The unitary; the caller guarantees the parameter count.
    pub(crate) fn matrix_unchecked(self, p: &[f64]) -> Matrix {
        use Gate::*;
        let m1 = |m: [Complex64; 4]| Matrix::from_vec_unchecked(1, m.to_vec());
        if let Some(m) = self.matrix_1q(p) {
            return m1(m);
        }
        match self {
            Id | U0 => Matrix::identity(1),
            X => m1(X_MATRIX),
            Y => m1([ZERO, -I, I, ZERO]),
            Z => m1(diag2(ONE, -ONE)),
            H => m1(H_M),
            S => m1(diag2(ONE, I)),
            Sdg => m1(diag2(ONE, -I)),
            T => m1(diag2(ONE, Complex64::from_polar(1.0, FRAC_PI_4))),
            Tdg => m1(diag2(ONE, Complex64::from_polar(1.0, -FRAC_PI_4))),
            Sx => m1(SX_M),
            Sxdg => m1(SX_M.map(|z| z.conj())),
            Rx => m1(rx(p[0])),
            Ry => m1(ry(p[0])),
            Rz => m1(rz(p[0])),
            P | U1 => m1(phase(p[0])),
            U2 => m1(u3(FRAC_PI_2, p[0], p[1])),
            U3 | U => m1(u3(p[0], p[1], p[2])),
            Cx => controlled(1, &m1(X_MATRIX), ONE),
            Cy => controlled(1, &Y.matrix_unchecked(&[]), ONE),
            Cz => controlled(1, &Z.matrix_unchecked(&[]), ONE),
            Ch => controlled(1, &m1(H_M), ONE),
            Csx => controlled(1, &m1(SX_M), ONE),
            Swap => swap_matrix(),
            Crx => controlled(1, &m1(rx(p[0])), ONE),
            Cry => controlled(1, &m1(ry(p[0])), ONE),
            Crz => controlled(1, &m1(rz(p[0])), ONE),
            Cp | Cu1 => controlled(1, &m1(phase(p[0])), ONE),
            Cu3 => controlled(1, &m1(u3(p[0], p[1], p[2])), ONE),
            Cu => {
                let u = m1(u3(p[0], p[1], p[2])).scale(Complex64::from_polar(1.0, p[3]));
                controlled(1, &u, ONE)
            }
            Rxx | Ryy | Rzz | Rzx => {
                let (c, s) = ((p[0] / 2.0).cos(), (p[0] / 2.0).sin());
                pauli_rotation(self, Complex64::new(c, 0.0), Complex64::new(0.0, -s))
            }
            Ccx => controlled(2, &m1(X_MATRIX), ONE),
            Cswap => controlled(1, &swap_matrix(), ONE),
            C3x => controlled(3, &m1(X_MATRIX), ONE),
            C3sqrtx => controlled(3, &m1(SX_M), ONE),
            C4x => controlled(4, &m1(X_MATRIX), ONE),
            Rccx => compose(3, RCCX_DEF),
            Rc3x => compose(4, RC3X_DEF),
        }
    }

    /// `dU/dp_k`; the caller guarantees the parameter count and `k`.
    pub(crate) fn derivative_unchecked(self, p: &[f64], k: usize) -> Matrix {
        use Gate::*;
        let m1 = |m: [Complex64; 4]| Matrix::from_vec_unchecked(1, m.to_vec());
        let half = |m: [Complex64; 4]| m.map(|z| z * 0.5);
        match self {
            U0 => Matrix::from_vec_unchecked(1, vec![ZERO; 4]),
            Rx => m1(half(rx(p[0] + PI))),
            Ry => m1(half(ry(p[0] + PI))),
            Rz => m1(half(rz(p[0] + PI))),
            P | U1 => m1([ZERO, ZERO, ZERO, I * Complex64::from_polar(1.0, p[0])]),
            U2 => m1(du3(FRAC_PI_2, p[0], p[1], k + 1)),
            U3 | U => m1(du3(p[0], p[1], p[2], k)),
            Crx | Cry | Crz | Cp | Cu1 | Cu3 => {
                let base = match self {
                    Crx => Rx,
                    Cry => Ry,
                    Crz => Rz,
                    Cp | Cu1 => P,
                    _ => U3,
                };
                controlled(1, &base.derivative_unchecked(p, k), ZERO)
            }
            Cu => {
                let phase = Complex64::from_polar(1.0, p[3]);
                let d = if k == 3 {
                    m1(u3(p[0], p[1], p[2])).scale(I * phase)
                } else {
                    m1(du3(p[0], p[1], p[2], k)).scale(phase)
                };
                controlled(1, &d, ZERO)
            }
            Rxx | Ryy | Rzz | Rzx => {
                let (c, s) = ((p[0] / 2.0).cos(), (p[0] / 2.0).sin());
                pauli_rotation(self, Complex64::new(-s / 2.0, 0.0), Complex64::new(0.0, -c / 2.0))
            }
            // Gates without parameters have no derivative; callers never ask.
            _ => Matrix::from_vec_unchecked(
                self.num_qubits(),
                vec![ZERO; 1 << (2 * self.num_qubits())],
            ),
        }
    }
}

/// Pauli X as a row-major 2x2 (also the flip that resets a measured qubit).
pub(crate) const X_MATRIX: [Complex64; 4] = [ZERO, ONE, ONE, ZERO];
const H_M: [Complex64; 4] = [
    Complex64::new(FRAC_1_SQRT_2, 0.0),
    Complex64::new(FRAC_1_SQRT_2, 0.0),
    Complex64::new(FRAC_1_SQRT_2, 0.0),
    Complex64::new(-FRAC_1_SQRT_2, 0.0),
];
const SX_M: [Complex64; 4] = [
    Complex64::new(0.5, 0.5),
    Complex64::new(0.5, -0.5),
    Complex64::new(0.5, -0.5),
    Complex64::new(0.5, 0.5),
];

fn diag2(a: Complex64, b: Complex64) -> [Complex64; 4] {
    [a, ZERO, ZERO, b]
}

fn rx(t: f64) -> [Complex64; 4] {
    let (c, s) = ((t / 2.0).cos(), (t / 2.0).sin());
    [
        Complex64::new(c, 0.0),
        Complex64::new(0.0, -s),
        Complex64::new(0.0, -s),
        Complex64::new(c, 0.0),
    ]
}

fn ry(t: f64) -> [Complex64; 4] {
    let (c, s) = ((t / 2.0).cos(), (t / 2.0).sin());
    [
        Complex64::new(c, 0.0),
        Complex64::new(-s, 0.0),
        Complex64::new(s, 0.0),
        Complex64::new(c, 0.0),
    ]
}

fn rz(t: f64) -> [Complex64; 4] {
    diag2(Complex64::from_polar(1.0, -t / 2.0), Complex64::from_polar(1.0, t / 2.0))
}

fn phase(t: f64) -> [Complex64; 4] {
    diag2(ONE, Complex64::from_polar(1.0, t))
}

fn u3(theta: f64, phi: f64, lambda: f64) -> [Complex64; 4] {
    let (c, s) = ((theta / 2.0).cos(), (theta / 2.0).sin());
    [
        Complex64::new(c, 0.0),
        -Complex64::from_polar(s, lambda),
        Complex64::from_polar(s, phi),
        Complex64::from_polar(c, phi + lambda),
    ]
}

/// Derivative of `u3(theta, phi, lambda)` with respect to parameter `k` (0, 1 or 2).
fn du3(theta: f64, phi: f64, lambda: f64, k: usize) -> [Complex64; 4] {
    let (c, s) = ((theta / 2.0).cos(), (theta / 2.0).sin());
    match k {
        0 => [
            Complex64::new(-s / 2.0, 0.0),
            -Complex64::from_polar(c / 2.0, lambda),
            Complex64::from_polar(c / 2.0, phi),
            Complex64::from_polar(-s / 2.0, phi + lambda),
        ],
        1 => [
            ZERO,
            ZERO,
            I * Complex64::from_polar(s, phi),
            I * Complex64::from_polar(c, phi + lambda),
        ],
        _ => [
            ZERO,
            -I * Complex64::from_polar(s, lambda),
            ZERO,
            I * Complex64::from_polar(c, phi + lambda),
        ],
    }
}

/// `a I + b G` for the two-qubit Pauli generator `G` of `rxx`, `ryy`, `rzz` or `rzx`.
fn pauli_rotation(gate: Gate, a: Complex64, b: Complex64) -> Matrix {
    // G as (column -> (row, sign)) on local index b0 + 2 b1; `rzx` is Z on bit 0, X on bit 1.
    let g: [(usize, Complex64); 4] = match gate {
        Gate::Rxx => [(3, ONE), (2, ONE), (1, ONE), (0, ONE)],
        Gate::Ryy => [(3, -ONE), (2, ONE), (1, ONE), (0, -ONE)],
        Gate::Rzz => [(0, ONE), (1, -ONE), (2, -ONE), (3, ONE)],
        Gate::Rzx => [(2, ONE), (3, -ONE), (0, ONE), (1, -ONE)],
        _ => unreachable!("not a two-qubit Pauli rotation"),
    };
    let mut m = Matrix::identity(2).scale(a);
    for (col, &(row, sign)) in g.iter().enumerate() {
        m.set(row, col, m.get(row, col) + b * sign);
    }
    m
}

fn swap_matrix() -> Matrix {
    let mut m = Matrix::from_vec_unchecked(2, vec![ZERO; 16]);
    for (r, c) in [(0, 0), (1, 2), (2, 1), (3, 3)] {
        m.set(r, c, ONE);
    }
    m
}

/// `target` controlled on the first `num_controls` local qubits; `rest` fills the diagonal of the
/// uncontrolled block (one for a gate, zero for a derivative).
pub(crate) fn controlled(num_controls: usize, target: &Matrix, rest: Complex64) -> Matrix {
    let k = num_controls + target.num_qubits();
    let dim = 1usize << k;
    let cmask = (1usize << num_controls) - 1;
    let mut m = Matrix::from_vec_unchecked(k, vec![ZERO; dim * dim]);
    for r in 0..dim {
        if r & cmask != cmask {
            m.set(r, r, rest);
            continue;
        }
        for c in 0..dim {
            if c & cmask == cmask {
                m.set(r, c, target.get(r >> num_controls, c >> num_controls));
            }
        }
    }
    m
}

/// One step of a `qelib1.inc` gate body: gate, local qubits, parameters.
type DefStep = (Gate, &'static [usize], &'static [f64]);

const H_U2: &[f64] = &[0.0, PI];
const QP: &[f64] = &[FRAC_PI_4];
const QM: &[f64] = &[-FRAC_PI_4];

/// `qelib1.inc`: `rccx a,b,c`, the relative-phase Toffoli.
const RCCX_DEF: &[DefStep] = &[
    (Gate::U2, &[2], H_U2),
    (Gate::U1, &[2], QP),
    (Gate::Cx, &[1, 2], &[]),
    (Gate::U1, &[2], QM),
    (Gate::Cx, &[0, 2], &[]),
    (Gate::U1, &[2], QP),
    (Gate::Cx, &[1, 2], &[]),
    (Gate::U1, &[2], QM),
    (Gate::U2, &[2], H_U2),
];

/// `qelib1.inc`: `rc3x a,b,c,d`, the relative-phase 3-controlled X.
const RC3X_DEF: &[DefStep] = &[
    (Gate::U2, &[3], H_U2),
    (Gate::U1, &[3], QP),
    (Gate::Cx, &[2, 3], &[]),
    (Gate::U1, &[3], QM),
    (Gate::U2, &[3], H_U2),
    (Gate::Cx, &[0, 3], &[]),
    (Gate::U1, &[3], QP),
    (Gate::Cx, &[1, 3], &[]),
    (Gate::U1, &[3], QM),
    (Gate::Cx, &[0, 3], &[]),
    (Gate::U1, &[3], QP),
    (Gate::Cx, &[1, 3], &[]),
    (Gate::U1, &[3], QM),
    (Gate::U2, &[3], H_U2),
    (Gate::U1, &[3], QP),
    (Gate::Cx, &[2, 3], &[]),
    (Gate::U1, &[3], QM),
    (Gate::U2, &[3], H_U2),
];

/// Multiplies out a gate body into one `k`-qubit matrix.
fn compose(k: usize, steps: &[DefStep]) -> Matrix {
    steps.iter().fold(Matrix::identity(k), |acc, &(gate, qubits, params)| {
        embed(k, qubits, &gate.matrix_unchecked(params)).mul(&acc)
    })
}

/// Lifts a matrix on `qubits` (local order) to a `k`-qubit matrix, identity elsewhere.
pub(crate) fn embed(k: usize, qubits: &[usize], m: &Matrix) -> Matrix {
    let dim = 1usize << k;
    let mask: usize = qubits.iter().map(|&q| 1 << q).sum();
    let sub =
        |x: usize| -> usize { qubits.iter().enumerate().map(|(j, &q)| ((x >> q) & 1) << j).sum() };
    let mut out = Matrix::from_vec_unchecked(k, vec![ZERO; dim * dim]);
    for r in 0..dim {
        for c in 0..dim {
            if r & !mask == c & !mask {
                out.set(r, c, m.get(sub(r), sub(c)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_gate_is_unitary_at_random_angles() {
        let params = [0.3, -1.7, 2.9, 0.41];
        for g in Gate::ALL {
            let m = g.matrix(&params[..g.num_params()]).unwrap();
            assert_eq!(m.num_qubits(), g.num_qubits(), "{}", g.name());
            assert!(m.unitarity_deviation() < 1e-14, "{} not unitary", g.name());
        }
    }

    #[test]
    fn derivatives_match_central_differences() {
        let params = [0.3, -1.7, 2.9, 0.41];
        let h = 1e-6;
        for g in Gate::ALL {
            for k in 0..g.num_params() {
                let p = &params[..g.num_params()];
                let (mut plus, mut minus) = (p.to_vec(), p.to_vec());
                plus[k] += h;
                minus[k] -= h;
                let fd = g.matrix(&plus).unwrap().scale(Complex64::new(1.0 / (2.0 * h), 0.0));
                let fd_minus =
                    g.matrix(&minus).unwrap().scale(Complex64::new(1.0 / (2.0 * h), 0.0));
                let d = g.derivative(p, k).unwrap();
                let mut worst = 0.0f64;
                for r in 0..d.dim() {
                    for c in 0..d.dim() {
                        worst = worst.max((fd.get(r, c) - fd_minus.get(r, c) - d.get(r, c)).norm());
                    }
                }
                assert!(worst < 1e-8, "{} d/dp{}: {}", g.name(), k, worst);
            }
        }
    }

    #[test]
    fn inverses_multiply_to_identity() {
        let params = [0.3, -1.7, 2.9, 0.41];
        for g in Gate::ALL {
            let p = &params[..g.num_params()];
            if let Some((inv, q)) = g.inverse(p) {
                let prod = inv.matrix(&q).unwrap().mul(&g.matrix(p).unwrap());
                assert!(
                    prod.max_abs_diff(&Matrix::identity(g.num_qubits())) < 1e-14,
                    "{}",
                    g.name()
                );
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for g in Gate::ALL {
            assert_eq!(Gate::from_name(g.name()), Some(g));
        }
        assert_eq!(Gate::from_name("CX"), Some(Gate::Cx));
        assert_eq!(Gate::from_name("nope"), None);
    }

    #[test]
    fn cx_has_the_control_on_bit_zero() {
        let m = Gate::Cx.matrix(&[]).unwrap();
        // |c=1, t=0> (index 1) -> |c=1, t=1> (index 3)
        assert_eq!(m.get(3, 1), ONE);
        assert_eq!(m.get(2, 2), ONE);
    }

    #[test]
    fn bad_parameters_are_errors() {
        assert!(matches!(Gate::Rx.matrix(&[]), Err(Error::ParameterCount { .. })));
        assert!(matches!(Gate::Rx.matrix(&[f64::NAN]), Err(Error::NonFiniteParameter { .. })));
    }
}

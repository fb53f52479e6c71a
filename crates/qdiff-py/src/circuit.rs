//! `qdiff.Circuit`: qsim-core's circuit, built gate by gate from Python or read from OpenQASM 2.

use num_complex::Complex64;
use pyo3::prelude::*;
use qsim_core::circuit::{Operation, Param};
use qsim_core::gate::Gate;
use qsim_core::matrix::Matrix;

use crate::arrays::ComplexMatrix;
use crate::error::{invalid, to_py};

/// A quantum circuit: gates of OpenQASM 2's `qelib1.inc` (Qiskit's matrices), arbitrary
/// unitaries, measurements, resets and barriers on `num_qubits` qubits.
///
/// Qubit `i` is bit `i` of a basis index (Qiskit's order). A gate angle is either a number or a
/// reference to entry `k` of the parameter vector `theta` passed when the circuit runs; the
/// adjoint gradient is taken with respect to `theta`.
///
/// ```python
/// >>> c = Circuit(2)
/// >>> c.gate("h", [0]).gate("cx", [0, 1]).gate("ry", [1], [0.0], vars=[0])
/// Circuit(num_qubits=2, num_clbits=0, num_params=1, operations=3)
/// ```
#[pyclass(module = "qdiff._native")]
#[derive(Clone)]
pub struct Circuit {
    /// The wrapped circuit.
    pub inner: qsim_core::circuit::Circuit,
}

#[pymethods]
impl Circuit {
    /// An empty circuit on `num_qubits` qubits and `num_clbits` classical bits.
    #[new]
    #[pyo3(signature = (num_qubits, num_clbits = 0))]
    fn new(num_qubits: usize, num_clbits: usize) -> Self {
        Circuit { inner: qsim_core::circuit::Circuit::with_clbits(num_qubits, num_clbits) }
    }

    /// Parses an OpenQASM 2.0 program (with `qelib1.inc`; Qiskit's `qasm2.dumps` output reads
    /// as is).
    #[staticmethod]
    fn from_qasm(source: &str) -> PyResult<Self> {
        qsim_core::qasm::parse(source).map(|inner| Circuit { inner }).map_err(to_py)
    }

    /// The circuit as an OpenQASM 2.0 program (fails if an angle refers to `theta`: bind it
    /// first).
    fn to_qasm(&self) -> PyResult<String> {
        qsim_core::qasm::to_qasm(&self.inner).map_err(to_py)
    }

    /// Appends the gate `name` (a `qelib1.inc` name: `h`, `rx`, `cx`, `rzz`, `cu3`, ...) on
    /// `qubits` (controls first) with angles `params`. If `vars` is given (one entry per
    /// angle), an entry `k >= 0` makes that angle `theta[k]` (its value in `params` is then
    /// ignored) and `-1` keeps the number. Returns the circuit, so calls chain.
    #[pyo3(signature = (name, qubits, params = Vec::new(), vars = None))]
    fn gate<'py>(
        mut slf: PyRefMut<'py, Self>,
        name: &str,
        qubits: Vec<usize>,
        params: Vec<f64>,
        vars: Option<Vec<i64>>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        let gate = Gate::from_name(name)
            .ok_or_else(|| invalid(format!("unknown gate `{name}` (qelib1.inc names)")))?;
        let params = angles(&params, vars.as_deref())?;
        slf.inner.gate(gate, &qubits, &params).map_err(to_py)?;
        Ok(slf)
    }

    /// Appends the unitary `matrix` (complex, `2^k x 2^k`, row-major; bit `j` of a row index
    /// is `targets[j]`), applied where every qubit of `controls` is 1.
    #[pyo3(signature = (targets, matrix, controls = Vec::new()))]
    fn unitary<'py>(
        mut slf: PyRefMut<'py, Self>,
        targets: Vec<usize>,
        matrix: ComplexMatrix<'py>,
        controls: Vec<usize>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        let view = matrix.as_array();
        let data: Vec<Complex64> = view.iter().copied().collect();
        if view.nrows() != view.ncols() || !view.nrows().is_power_of_two() {
            return Err(invalid(format!(
                "a unitary must be square with a power-of-two size, got {}x{}",
                view.nrows(),
                view.ncols()
            )));
        }
        let matrix = Matrix::new(view.nrows().trailing_zeros() as usize, data).map_err(to_py)?;
        if controls.is_empty() {
            slf.inner.unitary(&targets, matrix).map_err(to_py)?;
        } else {
            slf.inner.controlled_unitary(&controls, &targets, matrix).map_err(to_py)?;
        }
        Ok(slf)
    }

    /// Appends a Z-basis measurement of `qubit` into classical bit `clbit`.
    fn measure(
        mut slf: PyRefMut<'_, Self>,
        qubit: usize,
        clbit: usize,
    ) -> PyResult<PyRefMut<'_, Self>> {
        slf.inner.measure(qubit, clbit).map_err(to_py)?;
        Ok(slf)
    }

    /// Appends a reset of `qubit` to `|0>`.
    fn reset(mut slf: PyRefMut<'_, Self>, qubit: usize) -> PyResult<PyRefMut<'_, Self>> {
        slf.inner.reset(qubit).map_err(to_py)?;
        Ok(slf)
    }

    /// Appends a barrier on `qubits` (no effect on the state).
    fn barrier(mut slf: PyRefMut<'_, Self>, qubits: Vec<usize>) -> PyResult<PyRefMut<'_, Self>> {
        slf.inner.barrier(&qubits).map_err(to_py)?;
        Ok(slf)
    }

    /// Appends every operation of `other` (on at most as many qubits and bits).
    fn append<'py>(mut slf: PyRefMut<'py, Self>, other: &Circuit) -> PyResult<PyRefMut<'py, Self>> {
        slf.inner.append(&other.inner).map_err(to_py)?;
        Ok(slf)
    }

    /// The circuit with every angle that refers to `theta` replaced by its value.
    fn bind(&self, theta: Vec<f64>) -> PyResult<Circuit> {
        self.inner.bind(&theta).map(|inner| Circuit { inner }).map_err(to_py)
    }

    /// The inverse circuit (unitary circuits only).
    fn inverse(&self) -> PyResult<Circuit> {
        self.inner.inverse().map(|inner| Circuit { inner }).map_err(to_py)
    }

    /// Number of qubits.
    #[getter]
    fn num_qubits(&self) -> usize {
        self.inner.num_qubits()
    }

    /// Number of classical bits.
    #[getter]
    fn num_clbits(&self) -> usize {
        self.inner.num_clbits()
    }

    /// Length of the parameter vector `theta` the circuit needs (largest reference + 1).
    #[getter]
    fn num_params(&self) -> usize {
        self.inner.num_params()
    }

    /// True if the circuit has no measurement and no reset.
    #[getter]
    fn is_unitary(&self) -> bool {
        self.inner.is_unitary()
    }

    /// The operations as tuples `(name, qubits, params)`; an angle that refers to `theta` is
    /// the pair `(k, scale)` for `scale * theta[k]`; a unitary's name is `unitary` and its
    /// qubits are its controls then its targets.
    fn operations(&self) -> Vec<(String, Vec<usize>, Vec<Angle>)> {
        self.inner
            .ops()
            .iter()
            .map(|op| {
                let params = match op {
                    Operation::Gate { params, .. } => params.iter().map(Angle::from).collect(),
                    _ => Vec::new(),
                };
                (op.name().to_string(), op.qubits(), params)
            })
            .collect()
    }

    fn __len__(&self) -> usize {
        self.inner.ops().len()
    }

    fn __repr__(&self) -> String {
        format!(
            "Circuit(num_qubits={}, num_clbits={}, num_params={}, operations={})",
            self.inner.num_qubits(),
            self.inner.num_clbits(),
            self.inner.num_params(),
            self.inner.ops().len()
        )
    }
}

/// An angle as Python sees it in `Circuit.operations()`.
#[derive(IntoPyObject)]
pub enum Angle {
    /// A fixed number.
    Fixed(f64),
    /// `scale * theta[index]`, as `(index, scale)`.
    Ref((usize, f64)),
}

impl From<&Param> for Angle {
    fn from(param: &Param) -> Self {
        match *param {
            Param::Fixed(v) => Angle::Fixed(v),
            Param::Ref { index, scale } => Angle::Ref((index, scale)),
        }
    }
}

/// The angles of one gate from its numbers and optional parameter references.
fn angles(params: &[f64], vars: Option<&[i64]>) -> PyResult<Vec<Param>> {
    let Some(vars) = vars else {
        return Ok(params.iter().map(|&v| Param::Fixed(v)).collect());
    };
    if vars.len() != params.len() {
        return Err(invalid(format!(
            "`vars` has {} entries but the gate got {} angle(s): give one per angle",
            vars.len(),
            params.len()
        )));
    }
    params
        .iter()
        .zip(vars)
        .map(|(&v, &k)| match k {
            -1 => Ok(Param::Fixed(v)),
            k if k >= 0 => Ok(Param::var(k as usize)),
            k => Err(invalid(format!("a `vars` entry is -1 or a parameter index, got {k}"))),
        })
        .collect()
}

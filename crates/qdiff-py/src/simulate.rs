//! Running circuits from Python: final states, expectation values, adjoint gradients, exact
//! probabilities and samples. Every function releases the GIL while it computes.

use num_complex::Complex64;
use numpy::{PyArray1, PyArray2, PyArrayMethods};
use pyo3::prelude::*;
use qsim_core::circuit::Operation;
use qsim_core::gradient::{vjp, vjp_with_input_many};
use qsim_core::measure::{AliasSampler, marginal};
use qsim_core::state::StateVector;

use crate::arrays::{Amplitudes, Vector, elements};
use crate::circuit::Circuit;
use crate::error::{invalid, to_py};
use crate::observable::PauliSum;

/// Adds this module's functions to the extension module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(simulate, m)?)?;
    m.add_function(wrap_pyfunction!(expectations, m)?)?;
    m.add_function(wrap_pyfunction!(adjoint_jacobian, m)?)?;
    m.add_function(wrap_pyfunction!(adjoint_vjp, m)?)?;
    m.add_function(wrap_pyfunction!(probabilities, m)?)?;
    m.add_function(wrap_pyfunction!(sample, m)?)?;
    m.add_function(wrap_pyfunction!(run_shots, m)?)?;
    Ok(())
}

/// Expectation values and their Jacobian, as [`adjoint_jacobian`] returns them.
type ValuesAndJacobian<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray2<f64>>);

/// Expectation values and a gradient, as [`adjoint_vjp`] returns them.
type ValuesAndGradient<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>);

/// The final state of a unitary `circuit` with parameters `theta`, from `initial_state` (its
/// amplitudes) or `|0...0>`: a new `complex128` array of `2^n` amplitudes.
#[pyfunction]
#[pyo3(signature = (circuit, theta = None, initial_state = None))]
fn simulate<'py>(
    py: Python<'py>,
    circuit: &Circuit,
    theta: Option<Vector<'py>>,
    initial_state: Option<Amplitudes<'py>>,
) -> PyResult<Bound<'py, PyArray1<Complex64>>> {
    let theta = vector(theta.as_ref())?;
    let initial = initial(initial_state.as_ref())?;
    let state = py.detach(|| run(&circuit.inner, &theta, initial))?;
    Ok(PyArray1::from_vec(py, state.into_amplitudes()))
}

/// `<O_k>` of the final state for every observable of `observables`, in order.
#[pyfunction]
#[pyo3(signature = (circuit, observables, theta = None, initial_state = None))]
fn expectations<'py>(
    py: Python<'py>,
    circuit: &Circuit,
    observables: Vec<PyRef<'py, PauliSum>>,
    theta: Option<Vector<'py>>,
    initial_state: Option<Amplitudes<'py>>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let theta = vector(theta.as_ref())?;
    let initial = initial(initial_state.as_ref())?;
    let observables: Vec<&qsim_core::pauli::PauliSum> =
        observables.iter().map(|o| &o.inner).collect();
    let values = py.detach(|| -> PyResult<Vec<f64>> {
        let state = run(&circuit.inner, &theta, initial)?;
        observables.iter().map(|o| o.expectation(state.amplitudes()).map_err(to_py)).collect()
    })?;
    Ok(PyArray1::from_vec(py, values))
}

/// The expectation values `<O_k>` and their Jacobian `d<O_k>/dtheta_j` (shape
/// `(len(observables), circuit.num_params)`) by the adjoint method: one forward sweep and one
/// backward sweep per observable, the backward sweeps run side by side.
#[pyfunction]
#[pyo3(signature = (circuit, observables, theta, initial_state = None))]
fn adjoint_jacobian<'py>(
    py: Python<'py>,
    circuit: &Circuit,
    observables: Vec<PyRef<'py, PauliSum>>,
    theta: Vector<'py>,
    initial_state: Option<Amplitudes<'py>>,
) -> PyResult<ValuesAndJacobian<'py>> {
    let theta = elements(&theta).into_owned();
    let initial = initial(initial_state.as_ref())?;
    let observables: Vec<&qsim_core::pauli::PauliSum> =
        observables.iter().map(|o| &o.inner).collect();
    let num_params = circuit.inner.num_params();
    let (values, rows) = py.detach(|| -> PyResult<(Vec<f64>, Vec<Vec<f64>>)> {
        let state = run(&circuit.inner, &theta, initial)?;
        let amps = state.amplitudes();
        let values = observables.iter().map(|o| o.expectation(amps)).collect::<Result<Vec<_>, _>>();
        let cotangents = observables.iter().map(|o| o.apply(amps)).collect::<Result<Vec<_>, _>>();
        let (values, cotangents) = (values.map_err(to_py)?, cotangents.map_err(to_py)?);
        let finals = vec![amps; observables.len()];
        let rows = vjp_with_input_many(&circuit.inner, &theta, &finals, cotangents)
            .map_err(to_py)?
            .into_iter()
            // d<O>/dtheta = 2 Re <O psi | d psi>: the vjp of the cotangent O psi.
            .map(|(gradient, _)| gradient)
            .collect();
        Ok((values, rows))
    })?;
    let flat: Vec<f64> = rows.into_iter().flatten().collect();
    let jacobian = PyArray1::from_vec(py, flat).reshape([values.len(), num_params])?;
    Ok((PyArray1::from_vec(py, values), jacobian))
}

/// The expectation values `<O_k>` and the vector-Jacobian product
/// `sum_k dy_k d<O_k>/dtheta` in one backward sweep (what reverse-mode training needs).
#[pyfunction]
#[pyo3(signature = (circuit, observables, dy, theta, initial_state = None))]
fn adjoint_vjp<'py>(
    py: Python<'py>,
    circuit: &Circuit,
    observables: Vec<PyRef<'py, PauliSum>>,
    dy: Vector<'py>,
    theta: Vector<'py>,
    initial_state: Option<Amplitudes<'py>>,
) -> PyResult<ValuesAndGradient<'py>> {
    let dy = elements(&dy).into_owned();
    if dy.len() != observables.len() {
        return Err(invalid(format!(
            "dy has {} entries for {} observables: give one per observable",
            dy.len(),
            observables.len()
        )));
    }
    let theta = elements(&theta).into_owned();
    let initial = initial(initial_state.as_ref())?;
    let mut weighted = qsim_core::pauli::PauliSum::new();
    for (o, &w) in observables.iter().zip(&dy) {
        for (c, p) in o.inner.terms() {
            weighted.add(w * c, *p).map_err(to_py)?;
        }
    }
    let observables: Vec<&qsim_core::pauli::PauliSum> =
        observables.iter().map(|o| &o.inner).collect();
    let (values, gradient) = py.detach(|| -> PyResult<(Vec<f64>, Vec<f64>)> {
        let state = run(&circuit.inner, &theta, initial)?;
        let amps = state.amplitudes();
        let values = observables.iter().map(|o| o.expectation(amps)).collect::<Result<Vec<_>, _>>();
        let cotangent = weighted.apply(amps).map_err(to_py)?;
        let gradient = vjp(&circuit.inner, &theta, state, cotangent).map_err(to_py)?;
        Ok((values.map_err(to_py)?, gradient))
    })?;
    Ok((PyArray1::from_vec(py, values), PyArray1::from_vec(py, gradient)))
}

/// The Born probabilities of `state`, or the marginal distribution of `qubits` (entry `j` has
/// bit `l` equal to the value of `qubits[l]`).
#[pyfunction]
#[pyo3(signature = (state, qubits = None))]
fn probabilities<'py>(
    py: Python<'py>,
    state: Amplitudes<'py>,
    qubits: Option<Vec<usize>>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let amps = &*elements(&state);
    let probs = py.detach(|| marginal_of(amps, qubits.as_deref()))?;
    Ok(PyArray1::from_vec(py, probs))
}

/// `shots` outcomes of measuring `qubits` (all qubits if None) of `state`, as integers whose
/// bit `l` is the outcome of `qubits[l]`; reproducible for a given `seed`.
#[pyfunction]
#[pyo3(signature = (state, shots, seed, qubits = None))]
fn sample<'py>(
    py: Python<'py>,
    state: Amplitudes<'py>,
    shots: usize,
    seed: u64,
    qubits: Option<Vec<usize>>,
) -> PyResult<Bound<'py, PyArray1<u64>>> {
    let amps = &*elements(&state);
    let outcomes = py.detach(|| -> PyResult<Vec<u64>> {
        let probs = marginal_of(amps, qubits.as_deref())?;
        let sampler = AliasSampler::new(&probs).map_err(to_py)?;
        let mut rng = qrandom::streams::PYTHON_SAMPLES.rng(seed);
        Ok(sampler.sample_many(shots, &mut rng).into_iter().map(|k| k as u64).collect())
    })?;
    Ok(PyArray1::from_vec(py, outcomes))
}

/// Runs `circuit` (measurements and resets allowed) `shots` times and returns the classical
/// register after each shot, as integers whose bit `c` is classical bit `c`.
///
/// If every measurement is final (nothing acts on a measured qubit afterwards, no reset), the
/// state is simulated once and the shots are drawn from it; otherwise each shot runs the
/// circuit with its own random measurement outcomes.
#[pyfunction]
#[pyo3(signature = (circuit, shots, seed, theta = None))]
fn run_shots<'py>(
    py: Python<'py>,
    circuit: &Circuit,
    shots: usize,
    seed: u64,
    theta: Option<Vector<'py>>,
) -> PyResult<Bound<'py, PyArray1<u64>>> {
    let theta = vector(theta.as_ref())?;
    let c = &circuit.inner;
    if c.num_clbits() > 64 {
        return Err(invalid(format!(
            "run_shots returns each shot's classical register as a 64-bit integer; the circuit \
             has {} classical bits",
            c.num_clbits()
        )));
    }
    let registers = py.detach(|| -> PyResult<Vec<u64>> {
        let mut rng = qrandom::streams::PYTHON_SAMPLES.rng(seed);
        match final_measurements(c) {
            Some((unitary, measured)) => {
                let state = run(&unitary, &theta, None)?;
                let qubits: Vec<usize> = measured.iter().map(|&(q, _)| q).collect();
                let probs = marginal_of(state.amplitudes(), Some(&qubits))?;
                let sampler = AliasSampler::new(&probs).map_err(to_py)?;
                Ok(sampler
                    .sample_many(shots, &mut rng)
                    .into_iter()
                    .map(|k| {
                        measured
                            .iter()
                            .enumerate()
                            .map(|(l, &(_, clbit))| (((k >> l) & 1) as u64) << clbit)
                            .fold(0, |acc, bit| acc | bit)
                    })
                    .collect())
            }
            None => (0..shots)
                .map(|_| {
                    let mut state = StateVector::new(c.num_qubits()).map_err(to_py)?;
                    let bits = state.run(c, &theta, &mut rng).map_err(to_py)?;
                    Ok(bits.iter().enumerate().map(|(i, &b)| (b as u64) << i).sum())
                })
                .collect(),
        }
    })?;
    Ok(PyArray1::from_vec(py, registers))
}

/// A circuit whose measurements are all final, split into its unitary part and its
/// `(qubit, clbit)` measurements in order (a later measurement into the same bit wins); None
/// if a measured qubit is acted on again or the circuit resets a qubit.
fn final_measurements(
    circuit: &qsim_core::circuit::Circuit,
) -> Option<(qsim_core::circuit::Circuit, Vec<(usize, usize)>)> {
    let mut unitary = qsim_core::circuit::Circuit::new(circuit.num_qubits());
    let mut measured: Vec<(usize, usize)> = Vec::new();
    for op in circuit.ops() {
        match op {
            Operation::Measure { qubit, clbit } => {
                if measured.iter().any(|&(q, _)| q == *qubit) {
                    return None;
                }
                measured.retain(|&(_, c)| c != *clbit);
                measured.push((*qubit, *clbit));
            }
            Operation::Reset { .. } => return None,
            Operation::Barrier { .. } => {}
            op => {
                if op.qubits().iter().any(|q| measured.iter().any(|&(m, _)| m == *q)) {
                    return None;
                }
                unitary.push(op.clone()).ok()?;
            }
        }
    }
    Some((unitary, measured))
}

/// Runs a unitary circuit from `initial` (or `|0...0>`).
fn run(
    circuit: &qsim_core::circuit::Circuit,
    theta: &[f64],
    initial: Option<StateVector>,
) -> PyResult<StateVector> {
    let mut state = match initial {
        Some(state) => state,
        None => StateVector::new(circuit.num_qubits()).map_err(to_py)?,
    };
    state.apply_circuit(circuit, theta).map_err(to_py)?;
    Ok(state)
}

/// The probabilities of `amps`, marginalised onto `qubits` if given.
fn marginal_of(amps: &[Complex64], qubits: Option<&[usize]>) -> PyResult<Vec<f64>> {
    let probs = qsim_core::measure::probabilities(amps);
    match qubits {
        None => Ok(probs),
        Some(qubits) => {
            if !amps.len().is_power_of_two() {
                return Err(invalid("the state's length is not a power of two"));
            }
            marginal(&probs, amps.len().trailing_zeros() as usize, qubits).map_err(to_py)
        }
    }
}

/// A parameter vector from Python (empty if None).
fn vector(theta: Option<&Vector<'_>>) -> PyResult<Vec<f64>> {
    Ok(theta.map_or(Vec::new(), |t| elements(t).into_owned()))
}

/// An initial state from Python amplitudes (copied: the simulation overwrites them).
fn initial(state: Option<&Amplitudes<'_>>) -> PyResult<Option<StateVector>> {
    state.map(|s| StateVector::from_amplitudes(elements(s).into_owned()).map_err(to_py)).transpose()
}

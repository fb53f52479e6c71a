//! The adjoint method's entry points: vector-Jacobian products and expectation gradients.

use num_complex::Complex64;

use super::plan::AdjointPlan;
use crate::circuit::Circuit;
use crate::error::{Error, Result};
use crate::pauli::PauliSum;
use crate::state::StateVector;

/// Reverse-mode derivative of a real loss `L(psi)` of the final state `psi = U(theta) psi_0`.
///
/// `final_state` is `psi` (as returned by running `circuit` with `theta`) and `cotangent` is
/// `g = dL/d<psi|`, defined by `dL = 2 Re <g|d psi>`: for `L = <psi|O|psi>` it is `O psi`; for a
/// loss of the Born probabilities `p_k = |psi_k|^2` it is `g_k = (dL/dp_k) psi_k`. Returns
/// `dL/dtheta` (length `circuit.num_params()`). Circuits with measurement or reset are an error.
pub fn vjp(
    circuit: &Circuit,
    theta: &[f64],
    final_state: StateVector,
    cotangent: Vec<Complex64>,
) -> Result<Vec<f64>> {
    Ok(vjp_with_input(circuit, theta, final_state, cotangent)?.0)
}

/// [`vjp`], also returning the cotangent of the circuit's input state, `U^dagger g`: what a
/// caller needs to continue the backward pass through whatever produced that input (an earlier
/// circuit, a measurement, a normalisation).
pub fn vjp_with_input(
    circuit: &Circuit,
    theta: &[f64],
    final_state: StateVector,
    cotangent: Vec<Complex64>,
) -> Result<(Vec<f64>, Vec<Complex64>)> {
    circuit.check_theta(theta)?;
    if let Some(op) = circuit.ops().iter().find(|op| !op.is_unitary()) {
        return Err(Error::NonUnitaryOperation { op: op.name() });
    }
    let n = final_state.num_qubits();
    if circuit.num_qubits() > n {
        return Err(Error::QubitOutOfRange { qubit: circuit.num_qubits() - 1, num_qubits: n });
    }
    if cotangent.len() != final_state.amplitudes().len() {
        return Err(Error::DimensionMismatch {
            what: "cotangent length",
            expected: final_state.amplitudes().len(),
            got: cotangent.len(),
        });
    }
    let mut phi = final_state.into_amplitudes();
    let mut lambda = cotangent;
    let fresh;
    let plan = if circuit.num_qubits() == n {
        AdjointPlan::for_circuit(circuit)
    } else {
        fresh = AdjointPlan::new(circuit.ops(), n);
        &fresh
    };
    let grad = plan.run(circuit.ops(), theta, circuit.num_params(), &mut phi, &mut lambda);
    Ok((grad, lambda))
}

/// `<O>` and its gradient by the adjoint method, starting from `|0...0>`.
pub fn adjoint_gradient(
    circuit: &Circuit,
    theta: &[f64],
    observable: &PauliSum,
) -> Result<(f64, Vec<f64>)> {
    adjoint_gradient_from(circuit, theta, &StateVector::new(circuit.num_qubits())?, observable)
}

/// `<O>` and its gradient by the adjoint method, starting from `initial`.
pub fn adjoint_gradient_from(
    circuit: &Circuit,
    theta: &[f64],
    initial: &StateVector,
    observable: &PauliSum,
) -> Result<(f64, Vec<f64>)> {
    let mut psi = initial.clone();
    psi.apply_circuit(circuit, theta)?;
    let value = observable.expectation(psi.amplitudes())?;
    let cotangent = observable.apply(psi.amplitudes())?;
    Ok((value, vjp(circuit, theta, psi, cotangent)?))
}

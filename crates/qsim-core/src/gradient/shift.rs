//! The parameter-shift rule: derivatives from exactly shifted circuit evaluations.

use rayon::prelude::*;

use crate::circuit::gate::ShiftRule;
use crate::circuit::{Circuit, Operation, Param};
use crate::error::Result;
use crate::pauli::PauliSum;
use crate::state::StateVector;

/// `<O>` and its gradient by the parameter-shift rule (exact, 2 or 4 circuit runs per parameter
/// occurrence), starting from `|0...0>`. Runs the shifted circuits in parallel.
pub fn parameter_shift_gradient(
    circuit: &Circuit,
    theta: &[f64],
    observable: &PauliSum,
) -> Result<(f64, Vec<f64>)> {
    circuit.check_theta(theta)?;
    let expectation = |c: &Circuit| -> Result<f64> {
        let mut psi = StateVector::new(c.num_qubits())?;
        psi.apply_circuit(c, &[])?;
        observable.expectation(psi.amplitudes())
    };
    let bound = circuit.bind(theta)?;
    let value = expectation(&bound)?;
    // Every (operation, parameter slot) that refers to the parameter vector.
    let slots: Vec<(usize, usize, usize, f64)> = circuit
        .ops()
        .iter()
        .enumerate()
        .flat_map(|(i, op)| match op {
            Operation::Gate { params, .. } => params
                .iter()
                .enumerate()
                .filter_map(|(k, p)| match *p {
                    Param::Ref { index, scale } => Some((i, k, index, scale)),
                    Param::Fixed(_) => None,
                })
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect();
    let contributions: Vec<(usize, f64)> = slots
        .par_iter()
        .map(|&(i, k, index, scale)| {
            let Operation::Gate { gate, .. } = &bound.ops()[i] else {
                unreachable!("slots only name gates")
            };
            let shifted = |delta: f64| -> Result<f64> {
                let mut c = bound.clone();
                c.shift_param(i, k, delta);
                expectation(&c)
            };
            let h = std::f64::consts::FRAC_PI_2;
            let d = match gate.shift_rule(k) {
                ShiftRule::TwoTerm => (shifted(h)? - shifted(-h)?) / 2.0,
                ShiftRule::FourTerm => {
                    let s2 = std::f64::consts::SQRT_2;
                    let (d1, d2) = ((s2 + 1.0) / (4.0 * s2), (s2 - 1.0) / (4.0 * s2));
                    d1 * (shifted(h)? - shifted(-h)?)
                        - d2 * (shifted(3.0 * h)? - shifted(-3.0 * h)?)
                }
            };
            Ok((index, scale * d))
        })
        .collect::<Result<_>>()?;
    let mut grad = vec![0.0; circuit.num_params()];
    for (index, d) in contributions {
        grad[index] += d;
    }
    Ok((value, grad))
}

//! Writing a [`Circuit`] as OpenQASM 2.0.

use std::fmt::Write;

use num_complex::Complex64;

use crate::circuit::gate::Gate;
use crate::circuit::matrix::Matrix;
use crate::circuit::{Circuit, Operation, Param};
use crate::error::{Error, Result};

/// Qiskit's definition of `RYYGate`, which `qelib1.inc` lacks (exact, global phase included).
const RYY_DEFINITION: &str =
    "gate ryy(theta) a,b { sxdg a; sxdg b; cx a,b; rz(theta) b; cx a,b; sx a; sx b; }\n";

/// Qiskit's definition of `RZXGate` (Z on the first qubit, X on the second).
const RZX_DEFINITION: &str = "gate rzx(theta) a,b { h b; cx a,b; rz(theta) b; cx a,b; h b; }\n";

pub(super) fn to_qasm(circuit: &Circuit) -> Result<String> {
    let mut out = String::from("OPENQASM 2.0;\ninclude \"qelib1.inc\";\n");
    let uses = |wanted: Gate| {
        circuit.ops().iter().any(|op| matches!(op, Operation::Gate { gate, .. } if *gate == wanted))
    };
    if uses(Gate::Ryy) {
        out.push_str(RYY_DEFINITION);
    }
    if uses(Gate::Rzx) {
        out.push_str(RZX_DEFINITION);
    }
    // OpenQASM registers cannot be empty, and an empty circuit needs none.
    if circuit.num_qubits() > 0 {
        writeln!(out, "qreg q[{}];", circuit.num_qubits()).ok();
    }
    if circuit.num_clbits() > 0 {
        writeln!(out, "creg c[{}];", circuit.num_clbits()).ok();
    }
    for (k, op) in circuit.ops().iter().enumerate() {
        match op {
            Operation::Gate { gate, qubits, params } => {
                let mut angles = Vec::with_capacity(params.len());
                for p in params {
                    match *p {
                        Param::Fixed(v) => angles.push(v),
                        Param::Ref { index, .. } => {
                            return Err(Error::NotExportable {
                                reason: format!(
                                    "operation {k} (`{}`) refers to parameter {index} of the \
                                     parameter vector; bind the parameters with \
                                     `Circuit::bind` first",
                                    gate.name()
                                ),
                            });
                        }
                    }
                }
                let name = match *gate {
                    // Qiskit reads `u0` only with a whole count of idle steps; any `u0` is the
                    // identity, so `id` loses nothing.
                    Gate::U0 if angles[0].fract() != 0.0 => {
                        angles.clear();
                        "id"
                    }
                    g => g.name(),
                };
                write_gate(&mut out, name, &angles, qubits);
            }
            Operation::Unitary { controls, targets, matrix } => {
                match (controls.as_slice(), targets.as_slice()) {
                    ([], [t]) => {
                        let (theta, phi, lambda, _phase) = euler_angles(matrix);
                        write_gate(&mut out, "u", &[theta, phi, lambda], &[*t]);
                    }
                    ([c], [t]) => {
                        let (theta, phi, lambda, gamma) = euler_angles(matrix);
                        write_gate(&mut out, "cu", &[theta, phi, lambda, gamma], &[*c, *t]);
                    }
                    _ => {
                        return Err(Error::NotExportable {
                            reason: format!(
                                "operation {k} is a unitary on {} qubit(s) with {} control(s); \
                                 OpenQASM 2.0 can only express 1-qubit unitaries with at most \
                                 one control, so decompose it into gates first",
                                targets.len(),
                                controls.len()
                            ),
                        });
                    }
                }
            }
            Operation::Measure { qubit, clbit } => {
                writeln!(out, "measure q[{qubit}] -> c[{clbit}];").ok();
            }
            Operation::Reset { qubit } => {
                writeln!(out, "reset q[{qubit}];").ok();
            }
            // A barrier on no qubits has no OpenQASM form and no effect.
            Operation::Barrier { qubits } if qubits.is_empty() => {}
            Operation::Barrier { qubits } => write_gate(&mut out, "barrier", &[], qubits),
        }
    }
    Ok(out)
}

/// Appends `name(a,b) q[i],q[j];`; `{:?}` prints the shortest decimal that parses back to the
/// same `f64`, so angles survive the round trip bit for bit.
fn write_gate(out: &mut String, name: &str, angles: &[f64], qubits: &[usize]) {
    out.push_str(name);
    if !angles.is_empty() {
        let list: Vec<String> = angles.iter().map(|a| format!("{a:?}")).collect();
        write!(out, "({})", list.join(",")).ok();
    }
    let args: Vec<String> = qubits.iter().map(|q| format!("q[{q}]")).collect();
    writeln!(out, " {};", args.join(",")).ok();
}

/// `(theta, phi, lambda, gamma)` with `m = e^{i gamma} u3(theta, phi, lambda)` for a 2x2 unitary.
///
/// Works in SU(2), where `V = m / sqrt(det m)` has `V11 = e^{i(phi+lambda)/2} cos(theta/2)` and
/// `V10 = e^{i(phi-lambda)/2} sin(theta/2)`: the half-angle sums come straight from the phases
/// of two entries, which avoids the branch ambiguity of halving `phi + lambda` itself. The other
/// square root flips the sign of `V` and shifts `phi` by `2 pi`, which changes nothing.
fn euler_angles(m: &Matrix) -> (f64, f64, f64, f64) {
    let (a, c, d) = (m.get(0, 0), m.get(1, 0), m.get(1, 1));
    let b = m.get(0, 1);
    let det = a * d - b * c;
    let half_phase = det.arg() / 2.0;
    let to_su2 = Complex64::from_polar(1.0, -half_phase);
    let (v10, v11) = (c * to_su2, d * to_su2);
    let theta = 2.0 * c.norm().atan2(a.norm());
    let sum_half = v11.arg();
    let diff_half = v10.arg();
    let phi = sum_half + diff_half;
    let lambda = sum_half - diff_half;
    let gamma = half_phase - sum_half;
    (theta, phi, lambda, gamma)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u3_with_phase(theta: f64, phi: f64, lambda: f64, gamma: f64) -> Matrix {
        Gate::U3.matrix(&[theta, phi, lambda]).unwrap().scale(Complex64::from_polar(1.0, gamma))
    }

    #[test]
    fn euler_angles_rebuild_the_matrix_with_its_phase() {
        let cases = [
            (0.3, -1.2, 2.5, 0.7),
            (0.0, 0.4, -0.9, -2.0),
            (std::f64::consts::PI, 1.1, 0.2, 3.0),
            (2.9, 3.1, -3.1, 0.0),
            (1e-9, 0.5, 0.5, 1.5),
        ];
        for (t, p, l, g) in cases {
            let m = u3_with_phase(t, p, l, g);
            let (t2, p2, l2, g2) = euler_angles(&m);
            let back = u3_with_phase(t2, p2, l2, g2);
            assert!(back.max_abs_diff(&m) < 1e-14, "{:?}", (t, p, l, g));
        }
        for gate in [Gate::H, Gate::X, Gate::Y, Gate::Z, Gate::S, Gate::Sx, Gate::T] {
            let m = gate.matrix(&[]).unwrap();
            let (t, p, l, g) = euler_angles(&m);
            assert!(u3_with_phase(t, p, l, g).max_abs_diff(&m) < 1e-15, "{}", gate.name());
        }
    }

    #[test]
    fn unbound_parameters_are_not_exportable() {
        let mut c = Circuit::new(1);
        c.ry(0, Param::var(0)).unwrap();
        assert!(matches!(to_qasm(&c), Err(Error::NotExportable { .. })));
        assert!(to_qasm(&c.bind(&[0.5]).unwrap()).unwrap().contains("ry(0.5) q[0];"));
    }

    #[test]
    fn wide_unitaries_are_not_exportable() {
        let mut c = Circuit::new(3);
        c.unitary(&[0, 1], Matrix::identity(2)).unwrap();
        assert!(matches!(to_qasm(&c), Err(Error::NotExportable { .. })));
        let mut c = Circuit::new(3);
        c.controlled_unitary(&[0, 1], &[2], Matrix::identity(1)).unwrap();
        assert!(matches!(to_qasm(&c), Err(Error::NotExportable { .. })));
    }

    #[test]
    fn layout_of_the_output() {
        let mut c = Circuit::with_clbits(2, 1);
        c.h(0).unwrap().gate(Gate::Rzx, &[0, 1], &[Param::Fixed(-0.25)]).unwrap();
        c.barrier(&[]).unwrap().measure(1, 0).unwrap().reset(0).unwrap();
        let text = to_qasm(&c).unwrap();
        assert_eq!(
            text,
            format!(
                "OPENQASM 2.0;\ninclude \"qelib1.inc\";\n{RZX_DEFINITION}qreg q[2];\ncreg c[1];\n\
                 h q[0];\nrzx(-0.25) q[0],q[1];\nbarrier q[0],q[1];\nmeasure q[1] -> c[0];\n\
                 reset q[0];\n"
            )
        );
    }
}

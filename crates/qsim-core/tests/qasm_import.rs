//! What the OpenQASM importer builds: register layout, broadcasting, gate definitions, built-ins.

use std::f64::consts::PI;

use qsim_core::circuit::{Circuit, Operation, Param};
use qsim_core::gate::Gate;
use qsim_core::qasm;
use qsim_core::state::StateVector;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const HEADER: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\n";

fn parse(body: &str) -> Circuit {
    let source = format!("{HEADER}{body}");
    qasm::parse(&source).unwrap_or_else(|e| panic!("{e}\n{source}"))
}

fn gate(gate: Gate, qubits: &[usize], params: &[f64]) -> Operation {
    Operation::Gate {
        gate,
        qubits: qubits.to_vec(),
        params: params.iter().map(|&v| Param::Fixed(v)).collect(),
    }
}

#[test]
fn registers_are_concatenated_in_declaration_order() {
    let c = parse("qreg a[2];\ncreg m[1];\nqreg b[3];\ncreg n[2];\nx b[1];\nmeasure a[1] -> n[0];");
    assert_eq!((c.num_qubits(), c.num_clbits()), (5, 3));
    assert_eq!(c.ops()[0], gate(Gate::X, &[3], &[]));
    assert_eq!(c.ops()[1], Operation::Measure { qubit: 1, clbit: 1 });
}

#[test]
fn broadcasting_over_whole_registers() {
    let c = parse(
        "qreg a[2];\nqreg b[2];\ncreg c[2];\nh a;\ncx a, b;\ncx a, b[1];\nmeasure b -> c;\n\
         reset a;\nbarrier a, b[0];\nrx(0.5) b;",
    );
    let expected = vec![
        gate(Gate::H, &[0], &[]),
        gate(Gate::H, &[1], &[]),
        gate(Gate::Cx, &[0, 2], &[]),
        gate(Gate::Cx, &[1, 3], &[]),
        gate(Gate::Cx, &[0, 3], &[]),
        gate(Gate::Cx, &[1, 3], &[]),
        Operation::Measure { qubit: 2, clbit: 0 },
        Operation::Measure { qubit: 3, clbit: 1 },
        Operation::Reset { qubit: 0 },
        Operation::Reset { qubit: 1 },
        Operation::Barrier { qubits: vec![0, 1, 2] },
        gate(Gate::Rx, &[2], &[0.5]),
        gate(Gate::Rx, &[3], &[0.5]),
    ];
    assert_eq!(c.ops(), expected.as_slice());
}

#[test]
fn builtins_work_without_the_include() {
    let c = qasm::parse("OPENQASM 2.0;\nqreg q[2];\nU(pi, 0, pi) q[0];\nCX q[0], q[1];").unwrap();
    assert_eq!(c.ops(), &[gate(Gate::U, &[0], &[PI, 0.0, PI]), gate(Gate::Cx, &[0, 1], &[])]);
    // The header is optional, as in Qiskit.
    assert_eq!(qasm::parse("qreg q[1]; U(0,0,0) q[0];").unwrap().gate_count(), 1);
}

#[test]
fn every_qelib1_gate_name_maps_to_its_gate() {
    let names = "u3 u2 u1 cx id u0 u p x y z h s sdg t tdg rx ry rz sx sxdg cz cy swap ch ccx \
                 cswap crx cry crz cu1 cp cu3 csx cu rxx rzz rccx rc3x c3x c3sqrtx c4x";
    for name in names.split_whitespace() {
        let g = Gate::from_name(name).expect("a gate of the set");
        let params: Vec<String> = (0..g.num_params()).map(|i| format!("0.{}", i + 1)).collect();
        let params =
            if params.is_empty() { String::new() } else { format!("({})", params.join(",")) };
        let args: Vec<String> = (0..g.num_qubits()).map(|i| format!("q[{i}]")).collect();
        let c = parse(&format!("qreg q[5];\n{name}{params} {};", args.join(",")));
        let values: Vec<f64> =
            (0..g.num_params()).map(|i| format!("0.{}", i + 1).parse().unwrap()).collect();
        let qubits: Vec<usize> = (0..g.num_qubits()).collect();
        assert_eq!(c.ops(), &[gate(g, &qubits, &values)], "{name}");
    }
}

#[test]
fn gate_definitions_expand_with_their_parameters() {
    let c = parse(
        "gate inner(t) a { rz(t) a; }\n\
         gate outer(t, p) x, y { inner(2 * t) y; barrier x, y; cx x, y; U(p, 0, -p) x; }\n\
         qreg q[2];\nouter(0.25, pi) q[1], q[0];",
    );
    assert_eq!(
        c.ops(),
        &[
            gate(Gate::Rz, &[0], &[0.5]),
            Operation::Barrier { qubits: vec![1, 0] },
            gate(Gate::Cx, &[1, 0], &[]),
            gate(Gate::U, &[1], &[PI, 0.0, -PI]),
        ]
    );
}

#[test]
fn definitions_of_names_outside_qelib1_override_the_builtin() {
    // Not the real `ryy`: proves that the file's definition wins.
    let c = parse("gate ryy(theta) a, b { rzz(theta) a, b; }\nqreg q[2];\nryy(0.3) q[0], q[1];");
    assert_eq!(c.ops(), &[gate(Gate::Rzz, &[0, 1], &[0.3])]);
    // Without a definition the built-in is used.
    let c = parse("qreg q[2];\nryy(0.3) q[0], q[1];\nrzx(0.2) q[1], q[0];");
    assert_eq!(c.ops(), &[gate(Gate::Ryy, &[0, 1], &[0.3]), gate(Gate::Rzx, &[1, 0], &[0.2])]);
}

#[test]
fn unused_opaque_gates_comments_and_spacing_are_fine() {
    let c = parse(
        "// a comment\nopaque magic(a, b) x, y;\nqreg  q [ 1 ] ;// trailing\n\tid() q[0];\n\
         rx( -pi/2^2 + sin(0) ) q[0];u0(1) q[0];",
    );
    assert_eq!(
        c.ops(),
        &[
            gate(Gate::Id, &[0], &[]),
            gate(Gate::Rx, &[0], &[-PI / 4.0]),
            gate(Gate::U0, &[0], &[1.0])
        ]
    );
}

#[test]
fn empty_programs_give_empty_circuits() {
    assert_eq!(qasm::parse("").unwrap(), Circuit::new(0));
    assert_eq!(qasm::parse(HEADER).unwrap(), Circuit::new(0));
}

#[test]
fn measured_programs_run() {
    let c = parse("qreg q[2];\ncreg c[2];\nx q[1];\nmeasure q -> c;\nreset q[1];");
    let mut psi = StateVector::new(2).unwrap();
    let bits = psi.run(&c, &[], &mut ChaCha8Rng::seed_from_u64(1)).unwrap();
    assert_eq!(bits, vec![false, true]);
    assert!((psi.probabilities()[0] - 1.0).abs() < 1e-12);
}

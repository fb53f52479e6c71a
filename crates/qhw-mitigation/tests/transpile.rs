//! The device-basis translation keeps the state (up to a global phase) for random circuits of
//! every supported gate, and emits only `rz`, `sx`, `x` and `cx`.

use proptest::prelude::*;
use qhw_mitigation::transpile::{GateCounts, to_device_basis};
use qsim_core::circuit::{Circuit, Operation, Param};
use qsim_core::gate::Gate;
use qsim_core::state::StateVector;

const QUBITS: usize = 4;

/// Single-qubit gates (with their parameter counts) and supported two-qubit gates.
const ONE: [(Gate, usize); 12] = [
    (Gate::H, 0),
    (Gate::X, 0),
    (Gate::Y, 0),
    (Gate::S, 0),
    (Gate::Tdg, 0),
    (Gate::Sx, 0),
    (Gate::Rx, 1),
    (Gate::Ry, 1),
    (Gate::Rz, 1),
    (Gate::P, 1),
    (Gate::U, 3),
    (Gate::U2, 2),
];
const TWO: [(Gate, usize); 10] = [
    (Gate::Cx, 0),
    (Gate::Cz, 0),
    (Gate::Cy, 0),
    (Gate::Swap, 0),
    (Gate::Rzz, 1),
    (Gate::Rxx, 1),
    (Gate::Ryy, 1),
    (Gate::Crz, 1),
    (Gate::Cry, 1),
    (Gate::Cp, 1),
];

fn build(ops: &[(bool, usize, usize, usize, [f64; 3])]) -> Circuit {
    let mut c = Circuit::new(QUBITS);
    for &(two, g, a, b, angles) in ops {
        let params: Vec<Param> = angles.iter().map(|&v| Param::Fixed(v)).collect();
        if two {
            let (gate, np) = TWO[g % TWO.len()];
            let b = if a == b { (a + 1) % QUBITS } else { b };
            c.gate(gate, &[a, b], &params[..np]).unwrap();
        } else {
            let (gate, np) = ONE[g % ONE.len()];
            c.gate(gate, &[a], &params[..np]).unwrap();
        }
    }
    c
}

fn state(c: &Circuit) -> StateVector {
    let mut psi = StateVector::new(c.num_qubits()).unwrap();
    psi.apply_circuit(c, &[]).unwrap();
    psi
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn translation_keeps_the_state(
        ops in prop::collection::vec(
            (any::<bool>(), 0usize..12, 0usize..QUBITS, 0usize..QUBITS,
             prop::array::uniform3(-7.0f64..7.0)),
            1..30,
        )
    ) {
        let c = build(&ops);
        let out = to_device_basis(&c).unwrap();
        for op in out.ops() {
            let Operation::Gate { gate, .. } = op else { panic!("unexpected {op:?}") };
            prop_assert!(matches!(gate, Gate::Rz | Gate::Sx | Gate::X | Gate::Cx), "{gate:?}");
        }
        let fidelity = state(&c).fidelity(&state(&out)).unwrap();
        prop_assert!((fidelity - 1.0).abs() < 1e-10, "fidelity {fidelity}");
    }
}

#[test]
fn gate_costs_are_the_documented_ones() {
    let cost = |gate: Gate, params: &[f64]| {
        let mut c = Circuit::new(2);
        let p: Vec<Param> = params.iter().map(|&v| Param::Fixed(v)).collect();
        c.gate(gate, &[0, 1], &p).unwrap();
        GateCounts::of(&to_device_basis(&c).unwrap()).cx
    };
    assert_eq!(cost(Gate::Cx, &[]), 1);
    assert_eq!(cost(Gate::Cz, &[]), 1);
    assert_eq!(cost(Gate::Rxx, &[0.3]), 2);
    assert_eq!(cost(Gate::Ryy, &[0.3]), 2);
    assert_eq!(cost(Gate::Swap, &[]), 3);
    // A run of single-qubit gates costs at most two pulses.
    let mut c = Circuit::new(1);
    for k in 0..10 {
        c.ry(0, Param::Fixed(0.1 * k as f64)).unwrap().rz(0, Param::Fixed(0.7)).unwrap();
    }
    assert!(GateCounts::of(&to_device_basis(&c).unwrap()).pulses <= 2);
}

#[test]
fn resets_and_measurements_pass_through() {
    let mut c = Circuit::with_clbits(2, 2);
    c.h(0).unwrap().cx(0, 1).unwrap().reset(1).unwrap().measure(0, 0).unwrap();
    let counts = GateCounts::of(&to_device_basis(&c).unwrap());
    assert_eq!((counts.cx, counts.resets, counts.measurements, counts.pulses), (1, 1, 1, 2));
}

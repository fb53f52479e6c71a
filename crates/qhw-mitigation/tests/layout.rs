//! Routing keeps the circuit: for random circuits whose two-qubit gates join arbitrary qubits,
//! the routed circuit on a heavy-hex-like graph gives the same outcome distribution (read at the
//! final layout), and every two-qubit gate lands on a coupled pair. Paths found by
//! `best_path` are connected and as cheap as any path an exhaustive search finds.

use proptest::prelude::*;
use qhw_mitigation::device::{CouplerCalibration, DeviceCalibration};
use qhw_mitigation::layout::{CouplingMap, best_path, qubit_cost, route};
use qsim_core::circuit::{Circuit, Operation, Param};
use qsim_core::state::StateVector;

/// Two hexagons sharing an edge, with a tail: 10 qubits, degree at most 3.
const PAIRS: [[usize; 2]; 11] =
    [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 0], [3, 6], [6, 7], [7, 8], [8, 4], [8, 9]];

fn probabilities_of(c: &Circuit, read: &[usize]) -> Vec<f64> {
    let mut psi = StateVector::new(c.num_qubits()).unwrap();
    let mut unitary = Circuit::new(c.num_qubits());
    for op in c.ops() {
        if !matches!(op, Operation::Measure { .. }) {
            unitary.push(op.clone()).unwrap();
        }
    }
    psi.apply_circuit(&unitary, &[]).unwrap();
    psi.marginal_probabilities(read).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]
    #[test]
    fn routing_keeps_the_distribution(
        gates in prop::collection::vec((0usize..5, 0usize..5, -3.0f64..3.0), 1..25),
        start in 0usize..10,
    ) {
        let map = CouplingMap::new(10, &PAIRS).unwrap();
        let mut c = Circuit::new(5);
        for &(a, b, angle) in &gates {
            c.ry(a, Param::Fixed(angle)).unwrap();
            if a != b {
                c.rxx(a, b, Param::Fixed(angle * 0.7)).unwrap();
            }
        }
        // A layout of five distinct qubits from `start`.
        let layout: Vec<usize> = (0..5).map(|i| (start + 2 * i) % 10).collect();
        let routed = route(&c, &map, &layout).unwrap();
        for op in routed.circuit.ops() {
            if let [a, b] = op.qubits()[..] {
                prop_assert_eq!(map.distance(a, b), Some(1));
            }
        }
        let want = probabilities_of(&c, &[0, 1, 2, 3, 4]);
        let got = probabilities_of(&routed.circuit, &routed.final_layout);
        for (w, g) in want.iter().zip(&got) {
            prop_assert!((w - g).abs() < 1e-12);
        }
    }
}

fn device() -> DeviceCalibration {
    let mut cal = DeviceCalibration::default();
    cal.qubits = (0..10)
        .map(|q| {
            let mut qc = cal.qubits[0].clone();
            qc.readout_p1_given_0 = 0.01 + 0.003 * ((q * 7) % 5) as f64;
            qc
        })
        .collect();
    cal.couplers = PAIRS
        .iter()
        .enumerate()
        .map(|(i, &qubits)| CouplerCalibration {
            qubits,
            gate_error_2q: 0.005 + 0.001 * ((i * 3) % 7) as f64,
        })
        .collect();
    cal
}

/// The cheapest path by brute force over all orderings reachable by walks.
fn brute_force(cal: &DeviceCalibration, length: usize) -> f64 {
    let map = CouplingMap::from_calibration(cal).unwrap();
    let edge = |a: usize, b: usize| {
        cal.couplers
            .iter()
            .find(|c| c.qubits == [a, b] || c.qubits == [b, a])
            .map(|c| c.gate_error_2q)
    };
    fn walk(
        map: &CouplingMap,
        path: &mut Vec<usize>,
        length: usize,
        cost: &dyn Fn(&[usize]) -> f64,
        best: &mut f64,
    ) {
        if path.len() == length {
            *best = best.min(cost(path));
            return;
        }
        let last = *path.last().unwrap();
        for &n in map.neighbours(last) {
            if !path.contains(&n) {
                path.push(n);
                walk(map, path, length, cost, best);
                path.pop();
            }
        }
    }
    let cost = |p: &[usize]| -> f64 {
        p.iter().map(|&q| qubit_cost(cal, q)).sum::<f64>()
            + p.windows(2).map(|w| edge(w[0], w[1]).unwrap()).sum::<f64>()
    };
    let mut best = f64::INFINITY;
    for s in 0..cal.qubits.len() {
        walk(&map, &mut vec![s], length, &cost, &mut best);
    }
    best
}

#[test]
fn best_path_is_connected_and_cheapest() {
    let cal = device();
    let map = CouplingMap::from_calibration(&cal).unwrap();
    for length in [1, 3, 6, 9] {
        let path = best_path(&cal, length).unwrap();
        assert_eq!(path.len(), length);
        assert!(path.windows(2).all(|w| map.distance(w[0], w[1]) == Some(1)));
        let cost: f64 = path.iter().map(|&q| qubit_cost(&cal, q)).sum::<f64>()
            + path
                .windows(2)
                .map(|w| {
                    cal.couplers
                        .iter()
                        .find(|c| c.qubits == [w[0], w[1]] || c.qubits == [w[1], w[0]])
                        .unwrap()
                        .gate_error_2q
                })
                .sum::<f64>();
        assert!((cost - brute_force(&cal, length)).abs() < 1e-12, "length {length}");
    }
    assert!(best_path(&cal, 11).is_err());
}

#[test]
fn a_compiled_circuit_runs_on_a_device_and_keeps_its_distribution() {
    use qhw_mitigation::backend::ExactBackend;
    use qhw_mitigation::device::NoisyDevice;
    use qhw_mitigation::experiment::Experiment;
    use qhw_mitigation::layout::compile;
    // The default five-qubit line without noise: only routing and translation act.
    let mut cal = DeviceCalibration::default();
    for q in &mut cal.qubits {
        q.readout_p1_given_0 = 0.0;
        q.readout_p0_given_1 = 0.0;
        q.gate_error_1q = 0.0;
        q.relaxation = None;
    }
    cal.couplers.iter_mut().for_each(|c| c.gate_error_2q = 0.0);
    let mut c = Circuit::new(4);
    for (k, (a, b)) in [(0, 3), (1, 2), (2, 0), (3, 1), (0, 1)].into_iter().enumerate() {
        c.ry(a, Param::Fixed(0.4 + k as f64)).unwrap();
        c.ryy(a, b, Param::Fixed(0.9 - 0.3 * k as f64)).unwrap();
        c.rz(b, Param::Fixed(1.1 * k as f64)).unwrap();
    }
    let compiled = compile(&c, &cal, None).unwrap();
    assert!(compiled.swaps > 0);
    assert_eq!(compiled.gates.cx, 3 * compiled.swaps + 2 * 5);
    let device = NoisyDevice::new(cal).unwrap();
    let got = device
        .outcome_distribution(&Experiment::fixed(compiled.circuit, 0))
        .unwrap()
        .dense()
        .unwrap();
    let want = probabilities_of(&c, &[0, 1, 2, 3]);
    for (w, g) in want.iter().zip(&got) {
        assert!((w - g).abs() < 1e-12, "{w} vs {g}");
    }
}

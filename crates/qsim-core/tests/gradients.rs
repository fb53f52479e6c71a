//! Adjoint gradients, parameter-shift gradients and central finite differences agree.

use qsim_core::Complex64;
use qsim_core::circuit::{Circuit, Param};
use qsim_core::gate::Gate;
use qsim_core::gradient::{
    adjoint_gradient, parameter_shift_gradient, vjp, vjp_with_input, vjp_with_input_many,
};
use qsim_core::pauli::{PauliString, PauliSum};
use qsim_core::state::StateVector;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A random circuit mixing every gate of the set; parametric gates refer to a small parameter
/// vector, so parameters are shared between gates, and some references carry a scale.
fn random_circuit(rng: &mut ChaCha8Rng, n: usize, gates: usize, num_params: usize) -> Circuit {
    let mut c = Circuit::new(n);
    let candidates: Vec<Gate> = Gate::ALL.iter().copied().filter(|g| g.num_qubits() <= n).collect();
    for _ in 0..gates {
        let g = candidates[rng.random_range(0..candidates.len())];
        let mut qubits: Vec<usize> = (0..n).collect();
        for i in 0..g.num_qubits() {
            let j = rng.random_range(i..n);
            qubits.swap(i, j);
        }
        qubits.truncate(g.num_qubits());
        let params: Vec<Param> = (0..g.num_params())
            .map(|_| match rng.random_range(0..3) {
                0 => Param::Fixed(rng.random_range(-3.0..3.0)),
                1 => Param::var(rng.random_range(0..num_params)),
                _ => Param::Ref { index: rng.random_range(0..num_params), scale: -0.7 },
            })
            .collect();
        c.gate(g, &qubits, &params).unwrap();
    }
    c
}

fn observable(n: usize) -> PauliSum {
    let mut o = PauliSum::new();
    o.add(0.8, PauliString::parse(&format!("Z0 Z{}", n - 1)).unwrap()).unwrap();
    o.add(-0.3, PauliString::parse("X1").unwrap()).unwrap();
    o.add(0.5, PauliString::parse("Y0 X2").unwrap()).unwrap();
    o
}

fn expectation(c: &Circuit, theta: &[f64], o: &PauliSum) -> f64 {
    let mut psi = StateVector::new(c.num_qubits()).unwrap();
    psi.apply_circuit(c, theta).unwrap();
    o.expectation(psi.amplitudes()).unwrap()
}

#[test]
fn adjoint_equals_parameter_shift_equals_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    for trial in 0..12 {
        let n = 3 + trial % 4;
        let num_params = 6;
        let c = random_circuit(&mut rng, n, 40, num_params);
        let theta: Vec<f64> = (0..num_params).map(|_| rng.random_range(-3.0..3.0)).collect();
        let o = observable(n);
        let (value, adjoint) = adjoint_gradient(&c, &theta, &o).unwrap();
        let (value_ps, shift) = parameter_shift_gradient(&c, &theta, &o).unwrap();
        assert!((value - expectation(&c, &theta, &o)).abs() < 1e-12);
        assert!((value - value_ps).abs() < 1e-12);
        let h = 1e-5;
        for j in 0..num_params {
            let (mut plus, mut minus) = (theta.clone(), theta.clone());
            plus[j] += h;
            minus[j] -= h;
            let fd = (expectation(&c, &plus, &o) - expectation(&c, &minus, &o)) / (2.0 * h);
            assert!(
                (adjoint[j] - fd).abs() < 1e-6,
                "trial {trial} param {j}: adjoint {} fd {fd}",
                adjoint[j]
            );
            assert!(
                (adjoint[j] - shift[j]).abs() < 1e-10,
                "trial {trial} param {j}: adjoint {} shift {}",
                adjoint[j],
                shift[j]
            );
        }
    }
}

#[test]
fn adjoint_equals_parameter_shift_on_a_state_large_enough_for_the_parallel_paths() {
    // 15 qubits: chunked kernels for low qubits, the whole-state fallback for qubit 14.
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let n = 15;
    let mut c = random_circuit(&mut rng, n, 30, 4);
    for q in [0, 7, 14] {
        c.ry(q, Param::var(1))
            .unwrap()
            .rz(q, Param::Ref { index: 2, scale: 0.5 })
            .unwrap()
            .h(q)
            .unwrap();
        c.rx(q, Param::var(3)).unwrap();
    }
    c.cx(14, 0).unwrap();
    let theta: Vec<f64> = (0..4).map(|_| rng.random_range(-3.0..3.0)).collect();
    let o = observable(n);
    let (value, adjoint) = adjoint_gradient(&c, &theta, &o).unwrap();
    let (value_ps, shift) = parameter_shift_gradient(&c, &theta, &o).unwrap();
    assert!((value - value_ps).abs() < 1e-12);
    for j in 0..4 {
        assert!((adjoint[j] - shift[j]).abs() < 1e-10, "param {j}: {} vs {}", adjoint[j], shift[j]);
    }
}

#[test]
fn pair_runs_in_both_qubit_orders_fuse_and_differentiate_correctly() {
    let mut c = Circuit::new(4);
    c.h(0).unwrap().h(2).unwrap().ry(3, 0.4).unwrap();
    // rxx(0,1), ryy(1,0), a fixed cz(0,1), crx(1,0), rzx(0,1): one pair run, mixed orders.
    c.rxx(0, 1, Param::var(0)).unwrap();
    c.ryy(1, 0, Param::var(1)).unwrap();
    c.cz(0, 1).unwrap();
    c.crx(1, 0, Param::Ref { index: 0, scale: -0.5 }).unwrap();
    c.gate(Gate::Rzx, &[0, 1], &[Param::var(2)]).unwrap();
    // A run on a pair at the edge of the register, and a single-qubit run between pair runs.
    c.rxx(2, 3, Param::var(2)).unwrap().ryy(3, 2, Param::var(1)).unwrap();
    c.rz(1, Param::var(0)).unwrap().cx(1, 2).unwrap();
    c.rxx(1, 2, Param::var(3)).unwrap();
    let theta = [0.7, -1.3, 2.1, 0.4];
    let o = observable(4);
    let (value, adjoint) = adjoint_gradient(&c, &theta, &o).unwrap();
    let (value_ps, shift) = parameter_shift_gradient(&c, &theta, &o).unwrap();
    assert!(
        (value - value_ps).abs() < 1e-12,
        "fused parametric path {value} vs bound path {value_ps}"
    );
    for j in 0..4 {
        assert!((adjoint[j] - shift[j]).abs() < 1e-10, "param {j}: {} vs {}", adjoint[j], shift[j]);
    }
}

#[test]
fn vjp_of_a_probability_loss_matches_finite_differences() {
    // L = sum_k w_k p_k with fixed weights: cotangent g_k = w_k psi_k.
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let n = 4;
    let c = random_circuit(&mut rng, n, 30, 5);
    let theta: Vec<f64> = (0..5).map(|_| rng.random_range(-3.0..3.0)).collect();
    let w: Vec<f64> = (0..1 << n).map(|_| rng.random_range(-1.0..1.0)).collect();
    let loss = |t: &[f64]| -> f64 {
        let mut psi = StateVector::new(n).unwrap();
        psi.apply_circuit(&c, t).unwrap();
        psi.probabilities().iter().zip(&w).map(|(p, w)| p * w).sum()
    };
    let mut psi = StateVector::new(n).unwrap();
    psi.apply_circuit(&c, &theta).unwrap();
    let g: Vec<Complex64> = psi.amplitudes().iter().zip(&w).map(|(a, w)| a * *w).collect();
    let grad = vjp(&c, &theta, psi, g).unwrap();
    for j in 0..5 {
        let (mut plus, mut minus) = (theta.clone(), theta.clone());
        plus[j] += 1e-5;
        minus[j] -= 1e-5;
        let fd = (loss(&plus) - loss(&minus)) / 2e-5;
        assert!((grad[j] - fd).abs() < 1e-7, "param {j}: {} vs {fd}", grad[j]);
    }
}

#[test]
fn vjp_input_cotangent_matches_finite_differences_in_the_input_state() {
    // L(psi0) = <psi|O|psi> with psi = U psi0; perturb psi0 along a direction d: dL = 2 Re <g0|d>.
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let n = 3;
    let c = random_circuit(&mut rng, n, 25, 3);
    let theta: Vec<f64> = (0..3).map(|_| rng.random_range(-3.0..3.0)).collect();
    let o = observable(n);
    let start: Vec<Complex64> =
        (0..1 << n).map(|i| Complex64::new((i as f64).sin(), (i as f64 * 0.3).cos())).collect();
    let loss = |amps: &[Complex64]| -> f64 {
        let mut psi = StateVector::new(n).unwrap();
        psi.amplitudes_mut().copy_from_slice(amps);
        psi.apply_circuit(&c, &theta).unwrap();
        o.expectation(psi.amplitudes()).unwrap()
    };
    let mut psi = StateVector::new(n).unwrap();
    psi.amplitudes_mut().copy_from_slice(&start);
    psi.apply_circuit(&c, &theta).unwrap();
    let g = o.apply(psi.amplitudes()).unwrap();
    let (_, g0) = qsim_core::gradient::vjp_with_input(&c, &theta, psi, g).unwrap();
    let d: Vec<Complex64> = (0..1 << n)
        .map(|i| Complex64::new((i as f64 * 1.7).cos(), (i as f64 * 0.9).sin()))
        .collect();
    let h = 1e-6;
    let shifted =
        |s: f64| -> Vec<Complex64> { start.iter().zip(&d).map(|(a, b)| a + b * s).collect() };
    let fd = (loss(&shifted(h)) - loss(&shifted(-h))) / (2.0 * h);
    let analytic: f64 = 2.0 * g0.iter().zip(&d).map(|(a, b)| (a.conj() * b).re).sum::<f64>();
    assert!((fd - analytic).abs() < 1e-7, "{fd} vs {analytic}");
}

#[test]
fn gradients_reject_measurement_and_short_parameter_vectors() {
    let mut c = Circuit::with_clbits(1, 1);
    c.ry(0, Param::var(0)).unwrap().measure(0, 0).unwrap();
    let z = PauliSum::single(1.0, PauliString::parse("Z0").unwrap()).unwrap();
    assert!(adjoint_gradient(&c, &[0.1], &z).is_err());
    let mut c = Circuit::new(1);
    c.ry(0, Param::var(3)).unwrap();
    assert!(adjoint_gradient(&c, &[0.1], &z).is_err());
    assert!(parameter_shift_gradient(&c, &[0.1], &z).is_err());
}

/// The batched adjoint method returns, for every state, exactly (bit for bit) what the
/// single-state one does: on random circuits over the whole gate set (every kind of backward
/// step, batched or not) and on the XY staircase the diffusion model runs, with a number of
/// states that is not a multiple of the batch width.
#[test]
fn vjp_with_input_many_is_vjp_with_input_state_by_state() {
    let mut rng = ChaCha8Rng::seed_from_u64(77);
    let staircase = |n: usize| {
        let mut c = Circuit::new(n);
        let mut k = 0;
        let mut next = || {
            k += 1;
            Param::var(k - 1)
        };
        for q in 0..n {
            c.gate(Gate::Ry, &[q], &[next()]).unwrap().gate(Gate::Rz, &[q], &[next()]).unwrap();
        }
        for q in 0..n - 1 {
            c.gate(Gate::Rxx, &[q, q + 1], &[next()]).unwrap();
            c.gate(Gate::Ryy, &[q, q + 1], &[next()]).unwrap();
        }
        for q in 0..n - 2 {
            c.gate(Gate::Rxx, &[q, n - 1 - q % 2], &[next()]).unwrap();
            c.gate(Gate::Ryy, &[q, n - 1 - q % 2], &[next()]).unwrap();
        }
        for q in 0..n {
            c.gate(Gate::Ry, &[q], &[next()]).unwrap().gate(Gate::Rz, &[q], &[next()]).unwrap();
        }
        c
    };
    let circuits = [random_circuit(&mut rng, 5, 60, 6), random_circuit(&mut rng, 7, 80, 9)]
        .into_iter()
        .chain([staircase(4), staircase(8)]);
    for (trial, c) in circuits.enumerate() {
        let n = c.num_qubits();
        let theta: Vec<f64> = (0..c.num_params()).map(|_| rng.random_range(-3.0..3.0)).collect();
        let mut random_state = || -> Vec<Complex64> {
            let v: Vec<Complex64> = (0..1usize << n)
                .map(|_| Complex64::new(rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)))
                .collect();
            let norm = v.iter().map(|a| a.norm_sqr()).sum::<f64>().sqrt();
            v.iter().map(|a| a / norm).collect()
        };
        let finals: Vec<Vec<Complex64>> = (0..11).map(|_| random_state()).collect();
        let cotangents: Vec<Vec<Complex64>> = (0..11).map(|_| random_state()).collect();
        let refs: Vec<&[Complex64]> = finals.iter().map(|f| f.as_slice()).collect();
        let many = vjp_with_input_many(&c, &theta, &refs, cotangents.clone()).unwrap();
        assert_eq!(many.len(), finals.len());
        for (i, (f, g)) in finals.into_iter().zip(cotangents).enumerate() {
            let one = vjp_with_input(&c, &theta, StateVector::from_amplitudes(f).unwrap(), g);
            assert_eq!(many[i], one.unwrap(), "circuit {trial}, state {i}");
        }
    }
}

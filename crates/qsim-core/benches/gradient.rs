//! Gradients of `<Z_0 Z_{n-1}>` for the 15-layer staircase at 10 qubits (300 parameters), and
//! the adjoint method at 16 and 20 qubits (480 and 600), where the state outgrows the caches.
//!
//! Groups: `adjoint` (one forward and one backward sweep for all parameters) and
//! `parameter_shift` (two circuit runs per parameter), parameter = qubit count. The circuit and
//! observable are built outside the timed region; both start from `|0...0>`.
//!
//! ```sh
//! cargo bench -p qsim-core --bench gradient
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use qsim_core::gradient::{adjoint_gradient, parameter_shift_gradient};

mod workloads;

const NUM_QUBITS: usize = 10;

/// Widths of the adjoint method's wide cases.
const WIDE: [usize; 2] = [16, 20];

fn gradients(c: &mut Criterion) {
    let circuit = workloads::staircase(NUM_QUBITS, workloads::LAYERS).expect("valid staircase");
    let theta = workloads::angles(workloads::SEED, circuit.num_params());
    let zz = workloads::zz_observable(NUM_QUBITS).expect("valid observable");

    let mut group = c.benchmark_group("adjoint");
    group.bench_function(BenchmarkId::from_parameter(NUM_QUBITS), |b| {
        b.iter(|| adjoint_gradient(black_box(&circuit), black_box(&theta), black_box(&zz)))
    });
    // Tenths of a second per gradient at 20 qubits.
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    for n in WIDE {
        let circuit = workloads::staircase(n, workloads::LAYERS).expect("valid staircase");
        let theta = workloads::angles(workloads::SEED, circuit.num_params());
        let zz = workloads::zz_observable(n).expect("valid observable");
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| adjoint_gradient(black_box(&circuit), black_box(&theta), black_box(&zz)))
        });
    }
    group.finish();

    // 600 circuit runs per gradient: tenths of a second each.
    let mut group = c.benchmark_group("parameter_shift");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    group.bench_function(BenchmarkId::from_parameter(NUM_QUBITS), |b| {
        b.iter(|| parameter_shift_gradient(black_box(&circuit), black_box(&theta), black_box(&zz)))
    });
    group.finish();
}

criterion_group!(benches, gradients);
criterion_main!(benches);

//! Single-gate throughput of `StateVector::apply_gate` on states of 10 to 24 qubits.
//!
//! Groups (stable names, compare runs with them): `gate_1q` is `RX(0.3)` on qubit `n/2`,
//! `gate_2q` is `CX(n/2 - 1, n/2)` (a permutation), `gate_2q_dense` is `RXX(0.3)` on the same
//! pair (a dense 4x4). One iteration is one gate application on a state allocated beforehand.
//!
//! ```sh
//! cargo bench -p qsim-core --bench gates
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use qsim_core::gate::Gate;
use qsim_core::state::StateVector;

mod workloads;

const QUBIT_COUNTS: [usize; 4] = [10, 16, 20, 24];

/// Benches `gate` with `params` on `qubits(n)` for every qubit count, in group `name`.
fn bench_gate(
    c: &mut Criterion,
    name: &str,
    gate: Gate,
    qubits: fn(usize) -> Vec<usize>,
    params: &[f64],
) {
    let mut group = c.benchmark_group(name);
    for n in QUBIT_COUNTS {
        if n >= 24 {
            // About 10-50 ms per application: ten samples are plenty.
            group.sample_size(10).measurement_time(Duration::from_secs(5));
        }
        let targets = qubits(n);
        let mut psi = StateVector::new(n).expect("benchmark state fits in memory");
        group.throughput(Throughput::Elements(1 << n));
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| psi.apply_gate(gate, black_box(&targets), black_box(params)))
        });
    }
    group.finish();
}

fn gates(c: &mut Criterion) {
    bench_gate(c, "gate_1q", Gate::Rx, |n| vec![n / 2], &[0.3]);
    bench_gate(c, "gate_2q", Gate::Cx, |n| vec![n / 2 - 1, n / 2], &[]);
    bench_gate(c, "gate_2q_dense", Gate::Rxx, |n| vec![n / 2 - 1, n / 2], &[0.3]);
}

criterion_group!(benches, gates);
criterion_main!(benches);

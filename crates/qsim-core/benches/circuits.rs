//! The 15-layer staircase circuit (RY and RZ on every qubit, then a CNOT chain) run with
//! `StateVector::apply_circuit`, the workload of the issue's performance targets.
//!
//! Group `staircase`, parameter = qubit count (10, 20, 24). One iteration runs the pre-built
//! circuit (angles as `Param::var` references, bound at run time) on a fresh `|0...0>`; the state
//! is allocated outside the timed region.
//!
//! ```sh
//! cargo bench -p qsim-core --bench circuits
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use qsim_core::state::StateVector;

mod workloads;

fn staircase(c: &mut Criterion) {
    let mut group = c.benchmark_group("staircase");
    for n in [10, 20, 24] {
        if n >= 20 {
            // Seconds per run at 24 qubits: criterion's minimum of ten samples.
            group.sample_size(10).measurement_time(Duration::from_secs(if n >= 24 {
                60
            } else {
                10
            }));
        }
        let circuit = workloads::staircase(n, workloads::LAYERS).expect("valid staircase");
        let theta = workloads::angles(workloads::SEED, circuit.num_params());
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter_batched_ref(
                || StateVector::new(n).expect("benchmark state fits in memory"),
                |psi| psi.apply_circuit(black_box(&circuit), black_box(&theta)),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, staircase);
criterion_main!(benches);

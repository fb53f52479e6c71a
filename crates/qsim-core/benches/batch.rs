//! Throughput of `qsim_core::batch::run_batch` on 1,000 ten-qubit staircase circuits, each
//! with its own parameter vector.
//!
//! Group `batch_10q`, parameter = batch size; criterion reports circuits per second
//! (`Throughput::Elements`). The circuit and the parameter vectors are built outside the timed
//! region; the returned states are part of the work.
//!
//! ```sh
//! cargo bench -p qsim-core --bench batch
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use qsim_core::batch::run_batch;

mod workloads;

const NUM_QUBITS: usize = 10;
const BATCH: usize = 1000;

fn batch(c: &mut Criterion) {
    let circuit = workloads::staircase(NUM_QUBITS, workloads::LAYERS).expect("valid staircase");
    let thetas: Vec<Vec<f64>> = (0..BATCH as u64)
        .map(|k| workloads::angles(workloads::SEED + k, circuit.num_params()))
        .collect();

    let mut group = c.benchmark_group("batch_10q");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function(BenchmarkId::from_parameter(BATCH), |b| {
        b.iter(|| run_batch(black_box(&circuit), black_box(&thetas)))
    });
    group.finish();
}

criterion_group!(benches, batch);
criterion_main!(benches);

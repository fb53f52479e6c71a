//! Benchmarks of the forward diffusion process.
//!
//! - `depolarizing_step/{10,12}`: one local depolarizing step (every qubit) applied exactly to a
//!   10- or 12-qubit density matrix (16 MiB / 256 MiB).
//! - `two_qubit_depolarizing/{dense,pauli}_7q`: two-qubit depolarizing (what a device applies
//!   after every `cx`) on a 7-qubit density matrix, as a dense `16 x 16` superoperator and by
//!   the Pauli-channel kernel (`qsim_core::pauli_channel`).
//! - `trajectories/1000x10q_50steps`: 1,000 ten-qubit states through 50 steps of local
//!   depolarizing, measure-and-reprepare unravelling, in parallel over the batch.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use qchannels::schedule::Schedule;
use qchannels::standard;
use qchannels::trajectory::{self, Unravelling};
use qsim_core::density::DensityMatrix;
use qsim_core::pauli_channel::PauliChannel;
use qsim_core::state::StateVector;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

fn depolarizing_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("depolarizing_step");
    group.sample_size(10);
    for n in [10usize, 12] {
        let qubits: Vec<usize> = (0..n).collect();
        let channel = standard::depolarizing(0.05).unwrap();
        let mut rho = DensityMatrix::maximally_mixed(n).unwrap();
        group.throughput(Throughput::Bytes((16usize << (2 * n)) as u64));
        group.bench_function(n.to_string(), |b| {
            b.iter(|| channel.apply_to_each(&mut rho, &qubits).unwrap())
        });
    }
    group.finish();
}

fn two_qubit_depolarizing(c: &mut Criterion) {
    let mut group = c.benchmark_group("two_qubit_depolarizing");
    let n = 7;
    let qubits = [2usize, 5];
    let s = standard::depolarizing_global(2, 0.02).unwrap().superoperator();
    let pauli = PauliChannel::from_superoperator(&s).unwrap();
    let mut rho = DensityMatrix::maximally_mixed(n).unwrap();
    group.throughput(Throughput::Bytes((16usize << (2 * n)) as u64));
    group.bench_function("dense_7q", |b| b.iter(|| rho.apply_superoperator(&qubits, &s).unwrap()));
    group.bench_function("pauli_7q", |b| {
        b.iter(|| pauli.apply(rho.as_mut_slice(), n, &qubits).unwrap())
    });
    group.finish();
}

fn trajectories(c: &mut Criterion) {
    let mut group = c.benchmark_group("trajectories");
    group.sample_size(10);
    let schedule = Schedule::cosine(50, 0.008).unwrap();
    let qubits: Vec<usize> = (0..10).collect();
    group.throughput(Throughput::Elements(1000));
    group.bench_function("1000x10q_50steps", |b| {
        b.iter(|| {
            (0..1000u64).into_par_iter().for_each(|seed| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                let mut psi = StateVector::basis(10, (seed as usize * 37) % 1024).unwrap();
                for t in 1..=50 {
                    trajectory::depolarize(
                        &mut psi,
                        &qubits,
                        schedule.beta(t),
                        Unravelling::MeasureReprepare,
                        &mut rng,
                    )
                    .unwrap();
                }
            })
        })
    });
    group.finish();
}

criterion_group!(benches, depolarizing_step, two_qubit_depolarizing, trajectories);
criterion_main!(benches);

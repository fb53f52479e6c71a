//! End-to-end benches of the quantum diffusion model at the MNIST model's size
//! (`ModelConfig::default()`: 10 system qubits and 2 ancillas, so every step circuit acts on a
//! 12-qubit state of 4,096 amplitudes, 64 KiB; 50 steps; one ansatz layer per step, which with
//! the final block is 90 gates: 24 RY, 24 RZ, 21 RXX, 21 RYY; 810 trained parameters), with
//! synthetic product-state data so that no files are needed. The figures are checked by the
//! tests of `src/lib.rs`.
//!
//! ```sh
//! cargo bench -p qdiff-benches                      # all three
//! cargo bench -p qdiff-benches -- diffusion/reverse_step
//! ```
//!
//! Benchmark IDs (stable; compare runs by them):
//! - `diffusion/train_iteration`: one training iteration, `Trainer::step` with the MNIST
//!   experiment's settings: 32 chains of 50 steps forward with the tape recorded (1,600 step
//!   circuits, 144,000 gates), the end-of-chain MMD against 256 data features and the 50 level
//!   MMDs against 256 forward samples each, the pathwise adjoint backward pass through all
//!   1,600 steps, then an Adam step.
//! - `diffusion/train_iteration_end_only`: the same with the end-of-chain term alone (the
//!   experiment's loss until 2026-12-07, so its times compare with the figures measured then).
//! - `diffusion/sample_batch_64`: `sample::generate` of 64 seeds through the whole 50-step chain
//!   (3,200 step circuits, 288,000 gates, and as many ancilla measurements), Bloch readout.
//! - `diffusion/reverse_step`: one `ReverseModel::step` at `t = 25` on a 10-qubit product state:
//!   the step circuit on 12 qubits, the ancilla measurement and the renormalised block.

use std::time::Duration;

use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use qdiff_benches::{SEED, mnist_model, mnist_training, synthetic_data};
use qdiffusion::features::Readout;
use qdiffusion::sample;
use qdiffusion::train::{Loss, Terms, TrainConfig, Trainer};
use qrandom::streams::SAMPLE_TRAJECTORY;

/// Seeds per sampled batch.
const SAMPLES: usize = 64;

/// The step of the single-step bench (the middle of the chain).
const STEP: usize = 25;

fn diffusion(c: &mut Criterion) {
    let (forward, reverse) = mnist_model();
    let data = synthetic_data(reverse.num_system());
    let trainer = Trainer::new(&reverse, &forward, &data, mnist_training()).expect("a trainer");
    let end_only = TrainConfig {
        loss: match mnist_training().loss {
            Loss::Ensembles { distance, .. } => Loss::Ensembles { distance, terms: Terms::END },
            other => other,
        },
        ..mnist_training()
    };
    let end_only = Trainer::new(&reverse, &forward, &data, end_only).expect("a trainer");
    let initial = trainer.init_state();
    // The parameters every bench runs the chain with: training's starting point. The work of a
    // step does not depend on their values.
    let params = initial.sampling_params().to_vec();

    let mut group = c.benchmark_group("diffusion");

    // The two chain benches run thousands of step circuits per iteration: few, flat samples.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(20));

    // One chain-MMD training iteration: 32 chains forward and backward, then Adam. Each timed
    // iteration starts from a fresh clone of the initial state (cloned outside the timed
    // region), so every iteration does exactly the work of iteration 0: the same seeds, ancilla
    // outcomes and data batch; the state never advances.
    group.throughput(Throughput::Elements(trainer.config().batch as u64));
    for (name, trainer) in [("train_iteration", &trainer), ("train_iteration_end_only", &end_only)]
    {
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || initial.clone(),
                |state| trainer.step(state).expect("a training step"),
                BatchSize::SmallInput,
            )
        });
    }

    let seeds = sample::seeds(reverse.num_system(), SAMPLES, SEED).expect("seed states");
    // 64 samples through the 50-step chain, read out as Bloch vectors.
    group.throughput(Throughput::Elements(SAMPLES as u64));
    group.bench_function(format!("sample_batch_{SAMPLES}"), |b| {
        b.iter(|| {
            sample::generate(&reverse, &params, &seeds, SEED, Readout::Bloch).expect("samples")
        })
    });

    // One reverse step at t = 25: a 90-gate circuit on 12 qubits and the ancilla measurement.
    // A fresh generator per iteration (made outside the timed region): every iteration samples
    // the same ancilla outcome.
    let psi = seeds[0].clone();
    group
        .sample_size(100)
        .sampling_mode(SamplingMode::Auto)
        .measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(1));
    group.bench_function("reverse_step", |b| {
        b.iter_batched(
            || SAMPLE_TRAJECTORY.rng(SEED, 0),
            |mut rng| reverse.step(&params, STEP, &psi, &mut rng).expect("a reverse step"),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, diffusion);
criterion_main!(benches);

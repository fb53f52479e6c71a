//! One chain-MMD training iteration of the MNIST-sized model (the work of the
//! `diffusion/train_iteration` bench), repeated, outside criterion: a driver for profilers
//! (`valgrind --tool=callgrind`, `perf record`) and a quick check that a change leaves the
//! results alone (it prints a checksum of the parameters after each step and the loss).
//!
//! ```sh
//! cargo run --release -p qdiff-benches --example train_iteration -- [ITERATIONS] [BATCH]
//! ```
//!
//! Every repetition starts from the initial state, as the bench does, so it does the same work;
//! `BATCH` (default: the experiment's 32 chains) shrinks the iteration for slow profilers. Set
//! the thread count with `RAYON_NUM_THREADS`.

use std::time::Instant;

use qdiff_benches::{mnist_model, mnist_training, synthetic_data};
use qdiffusion::train::{TrainConfig, Trainer};

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("a count")).collect();
    let iterations = args.first().copied().unwrap_or(3);
    let (forward, reverse) = mnist_model();
    let data = synthetic_data(reverse.num_system());
    let defaults = mnist_training();
    let config = TrainConfig { batch: args.get(1).copied().unwrap_or(defaults.batch), ..defaults };
    let trainer = Trainer::new(&reverse, &forward, &data, config).expect("a trainer");
    let initial = trainer.init_state();
    for _ in 0..iterations {
        let mut state = initial.clone();
        let start = Instant::now();
        let loss = trainer.step(&mut state).expect("a training step");
        let elapsed = start.elapsed();
        // FNV-1a over the bits of the updated parameters: equal iff bit-identical (almost surely).
        let checksum = state.params().iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, p| {
            (h ^ p.to_bits()).wrapping_mul(0x0000_0100_0000_01b3)
        });
        println!(
            "{:8.2} ms  loss {loss:.17e}  params {checksum:016x}",
            elapsed.as_secs_f64() * 1e3
        );
    }
}

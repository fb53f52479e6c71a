//! The bandwidth of one global<->local swap: a Hadamard on the qubit at the highest (global)
//! position of an `n`-qubit state under [`Schedule::FewestExchanges`] is exactly one swap, in which every rank
//! sends and receives half of its slice. The same Hadamard on the local qubit at the position
//! the swap fills (no exchange, the same local work) is timed too, and the difference of the
//! best times is the swap's. Rank 0 prints both and the
//! bytes per second per rank and direction: the figure the scaling model
//! (`scripts/mpi_scaling_model.py --measured-bandwidth`) takes.
//!
//! ```sh
//! cargo build --release -p qsim-mpi --features mpi --example swap_bandwidth
//! mpirun --allow-run-as-root -np 2 target/release/examples/swap_bandwidth 26 5
//! ```

use std::process::ExitCode;
use std::time::Instant;

use mpi::traits::{Communicator, CommunicatorCollectives};
use qsim_core::circuit::Circuit;
use qsim_mpi::{DistributedState, Schedule};

fn main() -> ExitCode {
    let Some(universe) = mpi::initialize() else {
        eprintln!("error: MPI was already initialised");
        return ExitCode::FAILURE;
    };
    let world = universe.world();
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(26);
    let repeat: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    match measure(&world, n, repeat) {
        Ok(Some(line)) => println!("{line}"),
        Ok(None) => {}
        Err(e) => {
            eprintln!("error: rank {}: {e}", world.rank());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// The best of `repeat` timed swaps on `n` qubits; the report on rank 0.
fn measure<C: Communicator>(
    world: &C,
    n: usize,
    repeat: usize,
) -> Result<Option<String>, qsim_mpi::Error> {
    let mut psi = DistributedState::new(world, n)?;
    if psi.global_qubits() == 0 {
        let ranks = world.size() as usize;
        return Err(qsim_mpi::Error::NotEnoughRanks { global_qubits: 1, ranks });
    }
    psi.set_schedule(Schedule::FewestExchanges);
    // The gate alone: a Hadamard on the highest local position, where the swap puts the global
    // qubit (the engine then moves it low and back, in both cases).
    let (mut best, mut local_best, mut bytes) = (f64::INFINITY, f64::INFINITY, 0);
    for _ in 0..repeat.max(1) {
        let mut local = Circuit::new(n);
        local.h(psi.layout().logical(psi.local_qubits() - 1))?;
        world.barrier();
        let start = Instant::now();
        psi.apply_circuit(&local, &[])?;
        world.barrier();
        local_best = local_best.min(start.elapsed().as_secs_f64());
        // The qubit now at the highest (global) position: each round swaps it in.
        let mut hadamard = Circuit::new(n);
        hadamard.h(psi.layout().logical(n - 1))?;
        world.barrier();
        let start = Instant::now();
        let traffic = psi.apply_circuit(&hadamard, &[])?;
        world.barrier();
        best = best.min(start.elapsed().as_secs_f64());
        bytes = traffic.bytes_exchanged / psi.active_ranks() as u64;
    }
    let swap = (best - local_best).max(f64::MIN_POSITIVE);
    Ok((world.rank() == 0).then(|| {
        format!(
            "{n} qubits on {} ranks, best of {}: Hadamard on a global qubit {best:.4} s (one \
             swap, {bytes} bytes sent per rank), on a local qubit {local_best:.4} s; the swap \
             {swap:.4} s: {:.3} GB/s per rank and direction",
            psi.active_ranks(),
            repeat.max(1),
            bytes as f64 / swap / 1e9
        )
    }))
}

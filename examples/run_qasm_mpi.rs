//! `run_qasm --mpi`: the same simulation with the state split over the MPI ranks (qsim-mpi).
//! Every rank parses the file and runs the circuit; rank 0 returns the [`Outcome`] that the
//! single-process path would (the amplitudes gathered in logical order for JSON, the largest
//! amplitudes alone for text) and writes the communication to stderr.

use std::collections::BTreeMap;
use std::time::Instant;

use qsim_core::measure::bitstring;
use qsim_mpi::mpi::traits::{Communicator, CommunicatorCollectives};
use qsim_mpi::{DistributedState, Schedule, Traffic};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{
    Args, Final, Largest, MpiSchedule, NONZERO, Outcome, Output, TEXT_ROWS, load_circuit,
    register_bitstring,
};

/// Runs `args` under MPI; `Some` on rank 0.
pub(super) fn run(args: &Args) -> Result<Option<Outcome>, String> {
    let universe = qsim_mpi::mpi::initialize().ok_or("MPI was already initialised")?;
    let world = universe.world();
    let file = args.file.display();
    let circuit = load_circuit(args)?;
    let simulation_error = |e: qsim_mpi::Error| format!("cannot simulate {file}: {e}");
    let n = circuit.num_qubits();
    let schedule = match args.mpi_schedule {
        MpiSchedule::AsOneProcess => Schedule::AsOneProcess,
        MpiSchedule::FewestExchanges => Schedule::FewestExchanges,
    };

    // One timed simulation, as in the single-process path: a fresh state and generator (the
    // same seed on every rank, so mid-circuit outcomes agree). The time is rank 0's from a
    // barrier before to a barrier after: the slowest rank's.
    let simulate = || -> Result<(DistributedState, Traffic, f64), String> {
        let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
        world.barrier();
        let start = Instant::now();
        let mut psi = DistributedState::new(&world, n).map_err(simulation_error)?;
        psi.set_schedule(schedule);
        let traffic = if circuit.is_unitary() {
            psi.apply_circuit(&circuit, &[]).map_err(simulation_error)?
        } else {
            psi.run(&circuit, &[], &mut rng).map_err(simulation_error)?;
            psi.traffic()
        };
        world.barrier();
        Ok((psi, traffic, start.elapsed().as_secs_f64()))
    };
    let (mut state, mut traffic, mut best_seconds) = simulate()?;
    for _ in 1..args.repeat {
        let (psi, t, seconds) = simulate()?;
        (state, traffic, best_seconds) = (psi, t, best_seconds.min(seconds));
    }

    let counts = match args.shots {
        None => None,
        Some(shots) => {
            let shots = usize::try_from(shots).map_err(|e| e.to_string())?;
            let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
            let mut counts = BTreeMap::new();
            if circuit.is_unitary() {
                let drawn =
                    state.sample_counts_on_root(shots, &mut rng).map_err(simulation_error)?;
                for (index, count) in drawn.into_iter().flatten() {
                    counts.insert(bitstring(index, n), count as u64);
                }
            } else {
                for _ in 0..shots {
                    let mut psi = DistributedState::new(&world, n).map_err(simulation_error)?;
                    psi.set_schedule(schedule);
                    let bits = psi.run(&circuit, &[], &mut rng).map_err(simulation_error)?;
                    *counts.entry(register_bitstring(&bits)).or_insert(0) += 1;
                }
            }
            Some(counts)
        }
    };

    let final_state = match args.output {
        Output::Json => state.state_vector_on_root().map_err(simulation_error)?.map(Final::Pure),
        Output::Text => state
            .largest_amplitudes_on_root(TEXT_ROWS, NONZERO)
            .map(|l| Final::Largest(Largest { nonzero: l.count_above, rows: l.entries })),
    };
    let Some(final_state) = final_state else { return Ok(None) };
    eprintln!(
        "mpi: {} rank(s), {} holding amplitudes ({} global, {} local qubits), {schedule:?}; last \
         run: {} swap(s), {} bytes exchanged, lower bound {} bytes; best {best_seconds:.6} s",
        world.size(),
        state.active_ranks(),
        state.global_qubits(),
        state.local_qubits(),
        traffic.swaps,
        traffic.bytes_exchanged,
        traffic.minimum_bytes
    );
    Ok(Some(Outcome { circuit, state: final_state, best_seconds, counts }))
}

//! The MPI checks of `qsim-mpi`, run under `mpirun` at any power-of-two number of ranks:
//!
//! 1. every case of `testdata/qasm-reference` (Qiskit's statevectors), against Qiskit and
//!    against a single-process `StateVector`, to 1e-12;
//! 2. seeded random circuits over every gate kind (and controlled unitaries) with global qubits
//!    touched, against a single-process `StateVector`, with a tiny exchange chunk so that both
//!    the packed and the in-place exchange paths run;
//! 3. readout on those states: qubit probabilities, Pauli expectation values, the largest
//!    amplitudes, sampled counts (compared with the single process's for the same seed);
//! 4. mid-circuit measurement and reset with identically seeded generators.
//!
//! ```sh
//! cargo build --release -p qsim-mpi --features mpi --example mpi_check
//! mpirun --allow-run-as-root --oversubscribe -np 4 target/release/examples/mpi_check
//! ```
//!
//! Every check runs under both schedules: [`Schedule::AsOneProcess`] must give exactly one
//! process's bits (amplitudes, outcomes, sampled counts), [`Schedule::FewestExchanges`] must
//! agree to 1e-12.
//!
//! Rank 0 prints one summary line per check; the exit status is 1 if any rank found a mismatch.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mpi::traits::Communicator;
use qsim_core::circuit::{Circuit, Param};
use qsim_core::gate::Gate;
use qsim_core::pauli::{PauliString, PauliSum};
use qsim_core::state::StateVector;
use qsim_core::{Complex64, qasm};
use qsim_mpi::{DistributedState, Error, Schedule};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const TOLERANCE: f64 = 1e-12;

/// What the checks found on this rank.
#[derive(Default)]
struct Findings {
    failures: Vec<String>,
}

impl Findings {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.failures.push(what());
        }
    }
}

fn main() -> ExitCode {
    let Some(universe) = mpi::initialize() else {
        eprintln!("mpi_check: MPI was already initialised");
        return ExitCode::FAILURE;
    };
    let world = universe.world();
    let root = world.rank() == 0;
    let mut findings = Findings::default();
    let mut result = Ok(());
    for schedule in [Schedule::AsOneProcess, Schedule::FewestExchanges] {
        result = result
            .and_then(|()| reference_cases(&world, schedule, &mut findings))
            .and_then(|()| random_circuits(&world, schedule, &mut findings))
            .and_then(|()| measured_circuits(&world, schedule, &mut findings));
    }
    if let Err(e) = result {
        findings.failures.push(format!("error: {e}"));
    }
    for failure in &findings.failures {
        eprintln!("mpi_check rank {}: FAIL {failure}", world.rank());
    }
    let mut failed_ranks = 0u64;
    mpi::traits::CommunicatorCollectives::all_reduce_into(
        &world,
        &u64::from(!findings.failures.is_empty()),
        &mut failed_ranks,
        mpi::collective::SystemOperation::sum(),
    );
    if root {
        if failed_ranks == 0 {
            println!("mpi_check: {} rank(s): all checks passed", world.size());
        } else {
            println!("mpi_check: {} rank(s): {failed_ranks} rank(s) FAILED", world.size());
        }
    }
    if failed_ranks == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn reference_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/qasm-reference")
}

/// The Qiskit amplitudes of a reference case.
fn load_reference(path: &Path) -> Result<Vec<Complex64>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let pairs = json["amplitudes"].as_array().ok_or("no amplitudes array")?;
    pairs
        .iter()
        .map(|p| match (p[0].as_f64(), p[1].as_f64()) {
            (Some(re), Some(im)) => Ok(Complex64::new(re, im)),
            _ => Err("an amplitude is not a [re, im] pair".to_string()),
        })
        .collect()
}

/// How far results may be from one process's under `schedule`: not at all for the schedule
/// that reproduces it.
fn tolerance(schedule: Schedule) -> f64 {
    match schedule {
        Schedule::AsOneProcess => 0.0,
        _ => TOLERANCE,
    }
}

fn max_deviation(a: &[Complex64], b: &[Complex64]) -> f64 {
    if a.len() != b.len() {
        return f64::INFINITY;
    }
    a.iter().zip(b).map(|(x, y)| (x - y).norm()).fold(0.0, f64::max)
}

/// Check 1: the Qiskit reference cases, each with as many global qubits as fit (a case whose
/// gates need more local qubits than `n - log2(ranks)` runs on fewer ranks; counted).
fn reference_cases<C: Communicator>(
    world: &C,
    schedule: Schedule,
    findings: &mut Findings,
) -> Result<(), String> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(reference_folder())
        .map_err(|e| format!("testdata/qasm-reference: {e}"))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "qasm"))
        .collect();
    cases.sort();
    let (mut ran, mut fewer_ranks, mut vs_qiskit, mut vs_single) = (0, 0, 0.0f64, 0.0f64);
    let mut bytes = (0u64, 0u64);
    for path in &cases {
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let source = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let circuit = qasm::parse(&source).map_err(|e| format!("{name}: {e}"))?;
        let n = circuit.num_qubits();
        // As many global qubits as the ranks allow and the widest gate leaves room for.
        let most = (world.size() as usize).ilog2() as usize;
        let mut attempt = most.min(n);
        let (psi, traffic) = loop {
            let mut psi = DistributedState::with_global_qubits(world, n, attempt)
                .map_err(|e| format!("{name}: {e}"))?;
            psi.set_schedule(schedule);
            match psi.apply_circuit(&circuit, &[]) {
                Err(Error::GateTooWide { .. }) if attempt > 0 => attempt -= 1,
                other => break (psi, other.map_err(|e| format!("{name}: {e}"))?),
            }
        };
        if attempt < most {
            fewer_ranks += 1;
        }
        bytes.0 += traffic.bytes_exchanged;
        bytes.1 += traffic.minimum_bytes;
        ran += 1;
        let Some(ours) = psi.amplitudes_on_root() else { continue };
        let qiskit = load_reference(&path.with_extension("json"))?;
        let mut single = StateVector::new(n).map_err(|e| e.to_string())?;
        single.apply_circuit(&circuit, &[]).map_err(|e| e.to_string())?;
        let (dq, ds) = (max_deviation(&ours, &qiskit), max_deviation(&ours, single.amplitudes()));
        findings.check(dq <= TOLERANCE, || format!("{name}: deviation from Qiskit {dq:e}"));
        findings.check(ds <= tolerance(schedule), || {
            format!("{name} ({schedule:?}): deviation from one process {ds:e}")
        });
        (vs_qiskit, vs_single) = (vs_qiskit.max(dq), vs_single.max(ds));
    }
    if world.rank() == 0 {
        println!(
            "qasm-reference at {} rank(s), {schedule:?}: {ran} of {} cases ran ({fewer_ranks} \
             too narrow for all ranks, on 2^g of them), worst deviation from Qiskit \
             {vs_qiskit:e}, from one process {vs_single:e}; {} bytes exchanged (lower bound {})",
            world.size(),
            cases.len(),
            bytes.0,
            bytes.1
        );
    }
    Ok(())
}

/// A seeded random circuit on `n` qubits: every gate kind that fits, random qubits, some
/// angles referring to `theta`, and controlled unitaries.
fn random_circuit(n: usize, gates: usize, rng: &mut ChaCha8Rng) -> Result<Circuit, String> {
    let mut c = Circuit::new(n);
    let kinds: Vec<Gate> = Gate::ALL.iter().copied().filter(|g| g.num_qubits() <= n).collect();
    for k in 0..gates {
        let mut qubits: Vec<usize> = (0..n).collect();
        for i in 0..n {
            let j = rng.random_range(i..n);
            qubits.swap(i, j);
        }
        if k % 11 == 10 && n >= 3 {
            // A controlled two-qubit unitary (rxx on the targets).
            let m = Gate::Rxx.matrix(&[rng.random_range(-3.0..3.0)]).map_err(|e| e.to_string())?;
            c.controlled_unitary(&qubits[..1], &qubits[1..3], m).map_err(|e| e.to_string())?;
            continue;
        }
        let g = kinds[k % kinds.len()];
        let params: Vec<Param> = (0..g.num_params())
            .map(|i| {
                if i == 0 && rng.random_range(0..3) == 0 {
                    Param::var(rng.random_range(0..4))
                } else {
                    Param::Fixed(rng.random_range(-3.0..3.0))
                }
            })
            .collect();
        c.gate(g, &qubits[..g.num_qubits()], &params).map_err(|e| e.to_string())?;
    }
    Ok(c)
}

/// A random Pauli sum on `n` qubits with `terms` terms.
fn random_observable(n: usize, terms: usize, rng: &mut ChaCha8Rng) -> Result<PauliSum, String> {
    let mut sum = PauliSum::new();
    for _ in 0..terms {
        let pairs: Vec<(usize, char)> =
            (0..n).map(|q| (q, ['I', 'X', 'Y', 'Z'][rng.random_range(0..4)])).collect();
        let p = PauliString::from_pairs(&pairs).map_err(|e| e.to_string())?;
        sum.add(rng.random_range(-1.0..1.0), p).map_err(|e| e.to_string())?;
    }
    Ok(sum)
}

/// Checks 2 and 3: random circuits and readout against one process.
fn random_circuits<C: Communicator>(
    world: &C,
    schedule: Schedule,
    findings: &mut Findings,
) -> Result<(), String> {
    let global = world.size().trailing_zeros() as usize;
    let mut rng = ChaCha8Rng::seed_from_u64(15);
    let theta = [0.3, -1.1, 2.0, 0.7];
    let (mut worst, mut worst_readout, mut circuits, mut same_counts) = (0.0f64, 0.0f64, 0, 0);
    for (trial, local) in [5usize, 6, 8, 11, 15].into_iter().enumerate() {
        let n = global + local;
        let circuit = random_circuit(n, 60 + 8 * n, &mut rng)?;
        let observable = random_observable(n, 6, &mut rng)?;
        let mut psi = DistributedState::new(world, n).map_err(|e| e.to_string())?;
        psi.set_schedule(schedule);
        // A tiny chunk: blocks above it trade in place, blocks below are packed.
        psi.set_exchange_chunk(1 << (trial + 1));
        psi.apply_circuit(&circuit, &theta).map_err(|e| format!("trial {trial}: {e}"))?;
        let mut single = StateVector::new(n).map_err(|e| e.to_string())?;
        single.apply_circuit(&circuit, &theta).map_err(|e| e.to_string())?;
        circuits += 1;

        // Collective readout first, then the comparisons on rank 0.
        let ones: Vec<f64> = (0..n)
            .map(|q| psi.probability_of_one(q))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let expectation = psi.expectation(&observable).map_err(|e| e.to_string())?;
        let largest = psi.largest_amplitudes_on_root(8, 1e-24);
        let counts = psi
            .sample_counts_on_root(500, &mut ChaCha8Rng::seed_from_u64(trial as u64))
            .map_err(|e| e.to_string())?;
        let norm = psi.norm_sqr();
        let Some(ours) = psi.amplitudes_on_root() else { continue };

        let d = max_deviation(&ours, single.amplitudes());
        findings.check(d <= tolerance(schedule), || {
            format!("random trial {trial} (n = {n}, {schedule:?}): {d:e}")
        });
        worst = worst.max(d);
        let mut readout = (norm - 1.0).abs();
        for (q, p) in ones.iter().enumerate() {
            readout =
                readout.max((p - single.probability_of_one(q).map_err(|e| e.to_string())?).abs());
        }
        let e = single.expectation(&observable).map_err(|e| e.to_string())?;
        readout = readout.max((expectation - e).abs());
        if let Some(largest) = largest {
            let amps = single.amplitudes();
            let mut order: Vec<usize> =
                (0..amps.len()).filter(|&i| amps[i].norm_sqr() > 1e-24).collect();
            findings.check(largest.count_above == order.len(), || {
                format!(
                    "trial {trial}: {} amplitudes above threshold, not {}",
                    largest.count_above,
                    order.len()
                )
            });
            order.sort_by(|&a, &b| {
                amps[b].norm_sqr().total_cmp(&amps[a].norm_sqr()).then(a.cmp(&b))
            });
            for ((i, a), &j) in largest.entries.iter().zip(&order) {
                readout = readout.max((a - amps[j]).norm()).max((amps[*i] - a).norm());
            }
        }
        findings
            .check(readout <= TOLERANCE, || format!("trial {trial}: readout off by {readout:e}"));
        worst_readout = worst_readout.max(readout);
        let expected = single
            .sample_counts(500, &mut ChaCha8Rng::seed_from_u64(trial as u64))
            .map_err(|e| e.to_string())?;
        if counts.as_ref() == Some(&expected) {
            same_counts += 1;
        } else if schedule == Schedule::AsOneProcess && counts.is_some() {
            findings.check(false, || format!("trial {trial}: counts differ from one process's"));
        }
    }
    if world.rank() == 0 {
        println!(
            "random circuits at {} rank(s), {schedule:?}: {circuits} circuits, worst amplitude deviation \
             {worst:e}, worst readout deviation {worst_readout:e} (norm, qubit probabilities, \
             expectation, largest amplitudes); counts equal to one process's for the same seed \
             in {same_counts} of {circuits}",
            world.size()
        );
    }
    Ok(())
}

/// Check 4: mid-circuit measurement and reset, identically seeded on every rank, against one
/// process with the same seed (same outcomes, same post-measurement state).
fn measured_circuits<C: Communicator>(
    world: &C,
    schedule: Schedule,
    findings: &mut Findings,
) -> Result<(), String> {
    let global = world.size().trailing_zeros() as usize;
    let mut worst = 0.0f64;
    for seed in 0..6u64 {
        // Small states (one whole-state program) and larger ones (cache-blocked stages).
        let n = global + if seed < 4 { 5 } else { 14 };
        let mut c = Circuit::with_clbits(n, n);
        for q in 0..n {
            c.h(q).and_then(|c| c.ry(q, 0.3 * q as f64 + 0.1)).map_err(|e| e.to_string())?;
        }
        for q in 0..n - 1 {
            c.cx(q, q + 1).map_err(|e| e.to_string())?;
        }
        c.measure(n - 1, 0).and_then(|c| c.reset(0)).map_err(|e| e.to_string())?;
        for q in 0..n - 1 {
            c.cry(q + 1, q, 0.4).map_err(|e| e.to_string())?;
        }
        c.measure(1, 1).and_then(|c| c.measure(n - 2, 2)).map_err(|e| e.to_string())?;
        let mut psi = DistributedState::new(world, n).map_err(|e| e.to_string())?;
        psi.set_schedule(schedule);
        let bits =
            psi.run(&c, &[], &mut ChaCha8Rng::seed_from_u64(seed)).map_err(|e| e.to_string())?;
        let mut single = StateVector::new(n).map_err(|e| e.to_string())?;
        let expected =
            single.run(&c, &[], &mut ChaCha8Rng::seed_from_u64(seed)).map_err(|e| e.to_string())?;
        findings.check(bits == expected, || format!("measured seed {seed}: outcomes differ"));
        if let Some(ours) = psi.amplitudes_on_root() {
            let d = max_deviation(&ours, single.amplitudes());
            findings.check(d <= tolerance(schedule), || {
                format!("measured seed {seed} ({schedule:?}): {d:e}")
            });
            worst = worst.max(d);
        }
    }
    if world.rank() == 0 {
        println!(
            "measure and reset at {} rank(s), {schedule:?}: 6 seeded runs, same outcomes as one \
             process, worst deviation {worst:e}",
            world.size()
        );
    }
    Ok(())
}

//! Coherent batching: many circuits (e.g. several timesteps of a diffusion model) in one
//! execution, and the counts of each recovered.
//!
//! Three ways to run a batch, compared on the device's own clock ([`crate::backend::JobTiming`]:
//! a latency per job plus, per shot, a repetition time and the circuit's duration):
//! - [`BatchStrategy::Sequential`]: one job per circuit, paying the latency every time;
//! - [`BatchStrategy::OneJob`]: all circuits in one job, one latency, shots still add up;
//! - [`BatchStrategy::DisjointBlocks`]: circuits placed side by side on disjoint, contiguous
//!   qubit blocks of the wide device ([`pack_disjoint`]) so one shot of the wide circuit is one
//!   shot of each (and lasts as long as its longest block); as many wide circuits as needed,
//!   all in one job.
//!
//! Blocks are contiguous qubit ranges, so a circuit written for a line (gates on `(i, i+1)`)
//! lands on coupled pairs of a line device; the device rejects anything else
//! ([`crate::Error::NotCoupled`]). Unpacking takes the marginal of each block's bits, which is
//! exact when blocks do not interact: true of this crate's device model (noise is local to the
//! gate, no crosstalk), and what a real device's crosstalk would break.

use std::time::Instant;

use qsim_core::circuit::{Circuit, Operation};
use serde::{Deserialize, Serialize};

use crate::backend::Backend;
use crate::counts::Counts;
use crate::error::{Error, Result};
use crate::experiment::Experiment;

/// Where one circuit sits inside a packed circuit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// First device qubit of the block.
    pub qubit_offset: usize,
    /// Qubits of the block.
    pub num_qubits: usize,
    /// First classical bit of the block.
    pub bit_offset: usize,
    /// Classical bits of the block (its circuit's outputs).
    pub num_bits: usize,
}

/// Several circuits side by side in one wide circuit.
#[derive(Clone, Debug, PartialEq)]
pub struct PackedCircuit {
    /// The wide circuit (bound: no parameters left).
    pub circuit: Circuit,
    /// One block per packed circuit, in order.
    pub blocks: Vec<Block>,
}

impl PackedCircuit {
    /// The counts of each packed circuit, keyed as that circuit alone would key them.
    pub fn unpack(&self, counts: &Counts) -> Result<Vec<Counts>> {
        if counts.num_bits() != self.circuit.num_clbits() {
            return Err(Error::DimensionMismatch {
                what: "bits of the packed counts",
                expected: self.circuit.num_clbits(),
                got: counts.num_bits(),
            });
        }
        self.blocks
            .iter()
            .map(|b| {
                counts.marginal(&(b.bit_offset..b.bit_offset + b.num_bits).collect::<Vec<_>>())
            })
            .collect()
    }
}

/// The output bits of a circuit run alone: its classical register if it measures, else every
/// qubit.
fn output_bits(circuit: &Circuit) -> usize {
    if circuit.ops().iter().any(|op| matches!(op, Operation::Measure { .. })) {
        circuit.num_clbits()
    } else {
        circuit.num_qubits()
    }
}

/// Places `circuits` (each bound to its parameters) on consecutive qubit blocks of a device of
/// `device_qubits` qubits, in as many wide circuits as needed, keeping order.
pub fn pack_disjoint(
    experiments: &[(Circuit, Vec<f64>)],
    device_qubits: usize,
) -> Result<Vec<PackedCircuit>> {
    let mut packs: Vec<(Vec<Circuit>, Vec<Block>, usize, usize)> = Vec::new();
    for (circuit, theta) in experiments {
        let k = circuit.num_qubits();
        if k > device_qubits {
            return Err(Error::UnknownQubit { qubit: k - 1, num_qubits: device_qubits });
        }
        let bound = circuit.bind(theta)?;
        let bits = output_bits(&bound);
        let fits = packs.last().is_some_and(|p| p.2 + k <= device_qubits);
        if !fits {
            packs.push((Vec::new(), Vec::new(), 0, 0));
        }
        let p = packs.last_mut().expect("just ensured");
        p.1.push(Block { qubit_offset: p.2, num_qubits: k, bit_offset: p.3, num_bits: bits });
        p.0.push(bound);
        p.2 += k;
        p.3 += bits;
    }
    packs
        .into_iter()
        .map(|(circuits, blocks, width, bits)| {
            let mut wide = Circuit::with_clbits(width, bits);
            for (c, b) in circuits.iter().zip(&blocks) {
                let measures = c.ops().iter().any(|op| matches!(op, Operation::Measure { .. }));
                for op in c.ops() {
                    wide.push(shift_operation(op, b.qubit_offset, b.bit_offset))?;
                }
                if !measures {
                    for q in 0..b.num_qubits {
                        wide.measure(b.qubit_offset + q, b.bit_offset + q)?;
                    }
                }
            }
            Ok(PackedCircuit { circuit: wide, blocks })
        })
        .collect()
}

fn shift_operation(op: &Operation, dq: usize, dc: usize) -> Operation {
    let sh = |v: &[usize]| v.iter().map(|q| q + dq).collect::<Vec<_>>();
    match op {
        Operation::Gate { gate, qubits, params } => {
            Operation::Gate { gate: *gate, qubits: sh(qubits), params: params.clone() }
        }
        Operation::Unitary { controls, targets, matrix } => Operation::Unitary {
            controls: sh(controls),
            targets: sh(targets),
            matrix: matrix.clone(),
        },
        Operation::Measure { qubit, clbit } => {
            Operation::Measure { qubit: qubit + dq, clbit: clbit + dc }
        }
        Operation::Reset { qubit } => Operation::Reset { qubit: qubit + dq },
        Operation::Barrier { qubits } => Operation::Barrier { qubits: sh(qubits) },
    }
}

/// How a batch is executed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BatchStrategy {
    /// One job per circuit.
    Sequential,
    /// All circuits in one job.
    OneJob,
    /// Circuits packed onto disjoint qubit blocks, the wide circuits in one job.
    DisjointBlocks,
}

/// The counts of a batch and what it cost.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchRun {
    /// The strategy used.
    pub strategy: BatchStrategy,
    /// Counts per circuit, in order.
    pub counts: Vec<Counts>,
    /// Jobs submitted.
    pub jobs: usize,
    /// Device seconds, summed over jobs.
    pub device_seconds: f64,
    /// Host wall time, seconds.
    pub host_seconds: f64,
}

/// Runs `experiments` with `strategy`. Disjoint blocks need equal shots for all circuits (one
/// shot of the wide circuit is one shot of each block).
pub fn run_batch(
    backend: &dyn Backend,
    experiments: &[Experiment],
    strategy: BatchStrategy,
    seed: u64,
) -> Result<BatchRun> {
    let start = Instant::now();
    let (counts, jobs, device_seconds) = match strategy {
        BatchStrategy::Sequential => {
            let mut counts = Vec::with_capacity(experiments.len());
            let mut seconds = 0.0;
            for (i, e) in experiments.iter().enumerate() {
                let job = backend.run(std::slice::from_ref(e), seed.wrapping_add(i as u64))?;
                seconds += job.device_seconds;
                counts.extend(job.counts);
            }
            (counts, experiments.len(), seconds)
        }
        BatchStrategy::OneJob => {
            let job = backend.run(experiments, seed)?;
            (job.counts, 1, job.device_seconds)
        }
        BatchStrategy::DisjointBlocks => {
            let shots = experiments.first().map_or(0, |e| e.shots);
            if let Some(e) = experiments.iter().find(|e| e.shots != shots) {
                return Err(Error::InvalidConfig {
                    reason: format!("disjoint blocks share shots: {} vs {shots}", e.shots),
                });
            }
            let pairs: Vec<(Circuit, Vec<f64>)> =
                experiments.iter().map(|e| (e.circuit.clone(), e.theta.clone())).collect();
            let packs = pack_disjoint(&pairs, backend.num_qubits())?;
            let wide: Vec<Experiment> =
                packs.iter().map(|p| Experiment::fixed(p.circuit.clone(), shots)).collect();
            let job = backend.run(&wide, seed)?;
            let mut counts = Vec::with_capacity(experiments.len());
            for (p, c) in packs.iter().zip(&job.counts) {
                counts.extend(p.unpack(c)?);
            }
            (counts, 1, job.device_seconds)
        }
    };
    Ok(BatchRun {
        strategy,
        counts,
        jobs,
        device_seconds,
        host_seconds: start.elapsed().as_secs_f64(),
    })
}

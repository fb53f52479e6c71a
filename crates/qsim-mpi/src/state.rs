//! The distributed state and how circuits run on it.

use mpi::topology::{Communicator, SimpleCommunicator};
use num_complex::Complex64;
use qsim_core::circuit::{Circuit, Operation};
use qsim_core::state::{MAX_QUBITS, StateVector};
use rand::Rng;

use crate::collective::{sum_counts, sum_in_rank_order};
use crate::error::{Error, Result};
use crate::exchange::{EXCHANGE_CHUNK, swap_global_local};
use crate::layout::QubitLayout;
use crate::plan::{Step, plan_for_rank};
use crate::traffic::Traffic;

/// A pure state of `n` qubits whose `2^n` amplitudes are split over the `2^g` ranks of an MPI
/// communicator, `2^(n-g)` contiguous amplitudes each.
///
/// Logical qubit `q` sits at a physical position ([`DistributedState::layout`]); positions below
/// `n - g` are bits of the index into a rank's slice (local qubits), the `g` others are the bits
/// of the rank (global qubits). A new state has every qubit at its own position, so the highest
/// `g` qubits are global. Gates on local qubits run with qsim-core's engine on the slice; a gate
/// that mixes a global qubit first swaps it with a local one (see [`DistributedState::apply_circuit`]),
/// which changes the layout, not the state.
///
/// Every method that takes `&mut self`, and every method documented as collective, must be
/// called by all ranks in the same order with the same arguments (random number generators
/// included: seed them identically).
pub struct DistributedState {
    comm: SimpleCommunicator,
    num_qubits: usize,
    local_qubits: usize,
    rank: usize,
    ranks: usize,
    layout: QubitLayout,
    amps: Vec<Complex64>,
    traffic: Traffic,
    exchange_chunk: usize,
}

impl std::fmt::Debug for DistributedState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DistributedState")
            .field("num_qubits", &self.num_qubits)
            .field("local_qubits", &self.local_qubits)
            .field("rank", &self.rank)
            .field("ranks", &self.ranks)
            .field("layout", &self.layout)
            .field("traffic", &self.traffic)
            .finish_non_exhaustive()
    }
}

impl DistributedState {
    /// `|0...0>` on `num_qubits` qubits over all ranks of `comm` (a private duplicate is kept).
    /// Collective. The number of ranks must be a power of two no larger than `2^num_qubits`.
    pub fn new<C: Communicator>(comm: &C, num_qubits: usize) -> Result<Self> {
        let ranks = comm.size() as usize;
        if !ranks.is_power_of_two() {
            return Err(Error::RankCount { ranks });
        }
        let global = ranks.trailing_zeros() as usize;
        if num_qubits < global {
            return Err(Error::TooFewQubits { num_qubits, ranks, min_qubits: global });
        }
        if num_qubits > MAX_QUBITS + global {
            return Err(qsim_core::Error::TooManyQubits {
                num_qubits,
                bytes: (1u128 << num_qubits) * 16,
                max_qubits: MAX_QUBITS + global,
            }
            .into());
        }
        let local_qubits = num_qubits - global;
        let rank = comm.rank() as usize;
        let mut amps = Vec::new();
        let len = 1usize << local_qubits;
        if amps.try_reserve_exact(len).is_err() {
            return Err(qsim_core::Error::TooManyQubits {
                num_qubits,
                bytes: (1u128 << num_qubits) * 16,
                max_qubits: MAX_QUBITS,
            }
            .into());
        }
        amps.resize(len, Complex64::new(0.0, 0.0));
        if rank == 0 {
            amps[0] = Complex64::new(1.0, 0.0);
        }
        Ok(Self {
            comm: comm.duplicate(),
            num_qubits,
            local_qubits,
            rank,
            ranks,
            layout: QubitLayout::identity(num_qubits),
            amps,
            traffic: Traffic::default(),
            exchange_chunk: EXCHANGE_CHUNK,
        })
    }

    /// Number of qubits.
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// Qubits per rank (`n - g`).
    pub fn local_qubits(&self) -> usize {
        self.local_qubits
    }

    /// Global qubits (`g`, the base-2 logarithm of the number of ranks).
    pub fn global_qubits(&self) -> usize {
        self.num_qubits - self.local_qubits
    }

    /// This process's rank.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// Number of ranks.
    pub fn ranks(&self) -> usize {
        self.ranks
    }

    /// The communicator (a duplicate of the one given to [`DistributedState::new`]).
    pub fn communicator(&self) -> &SimpleCommunicator {
        &self.comm
    }

    /// Where each logical qubit is now.
    pub fn layout(&self) -> &QubitLayout {
        &self.layout
    }

    /// This rank's amplitudes in physical order: entry `i` is the amplitude of the physical
    /// index `rank * 2^local + i` (map it with [`QubitLayout::logical_index`]).
    pub fn local_amplitudes(&self) -> &[Complex64] {
        &self.amps
    }

    /// Amplitudes per message of a global<->local swap (default [`EXCHANGE_CHUNK`]): the extra
    /// memory a swap needs besides MPI's own buffer. Rounded up to a power of two, at least 1.
    /// Must be the same on every rank.
    pub fn set_exchange_chunk(&mut self, amplitudes: usize) {
        self.exchange_chunk = amplitudes.max(1).next_power_of_two();
    }

    /// The communication so far, summed over every circuit run on this state.
    pub fn traffic(&self) -> Traffic {
        self.traffic
    }

    /// Runs a unitary circuit (barriers allowed) with parameters `theta`; returns its
    /// communication, summed over ranks (the same value on every rank). Collective.
    ///
    /// Gates are planned for this rank (see the crate documentation): local runs of gates go to
    /// qsim-core's engine on the slice ([`StateVector::apply_circuit_to_amplitudes`]), global
    /// qubits that a gate mixes are first swapped with the local qubit whose next use is
    /// furthest away, and gates that leave a global qubit unmixed apply this rank's block.
    pub fn apply_circuit(&mut self, circuit: &Circuit, theta: &[f64]) -> Result<Traffic> {
        self.check_circuit(circuit, theta)?;
        self.apply_ops(circuit.ops(), theta)
    }

    /// Runs any circuit, sampling mid-circuit measurements with `rng` (seeded identically on
    /// every rank: each draws the same numbers). Returns the classical register, the same on
    /// every rank. Collective.
    pub fn run<R: Rng + ?Sized>(
        &mut self,
        circuit: &Circuit,
        theta: &[f64],
        rng: &mut R,
    ) -> Result<Vec<bool>> {
        self.check_circuit(circuit, theta)?;
        let mut bits = vec![false; circuit.num_clbits()];
        let ops = circuit.ops();
        let mut start = 0;
        for (i, op) in ops.iter().enumerate() {
            match op {
                Operation::Measure { qubit, clbit } => {
                    self.apply_ops(&ops[start..i], theta)?;
                    bits[*clbit] = self.measure_qubit(*qubit, rng)?;
                    start = i + 1;
                }
                Operation::Reset { qubit } => {
                    self.apply_ops(&ops[start..i], theta)?;
                    self.reset_qubit(*qubit, rng)?;
                    start = i + 1;
                }
                _ => {}
            }
        }
        self.apply_ops(&ops[start..], theta)?;
        Ok(bits)
    }

    fn check_circuit(&self, circuit: &Circuit, theta: &[f64]) -> Result<()> {
        if circuit.num_qubits() > self.num_qubits {
            return Err(qsim_core::Error::QubitOutOfRange {
                qubit: circuit.num_qubits() - 1,
                num_qubits: self.num_qubits,
            }
            .into());
        }
        Ok(circuit.check_theta(theta)?)
    }

    /// Plans and runs unitary operations; the traffic is summed over ranks and recorded.
    fn apply_ops(&mut self, ops: &[Operation], theta: &[f64]) -> Result<Traffic> {
        let plan = plan_for_rank(ops, theta, &self.layout, self.local_qubits, self.rank)?;
        let mut sent = 0u64;
        let mut swaps = 0u64;
        for step in &plan.steps {
            match step {
                Step::Local(c) => {
                    StateVector::apply_circuit_to_amplitudes(&mut self.amps, c, theta)?
                }
                Step::Scale(s) => self.amps.iter_mut().for_each(|a| *a *= s),
                Step::Swap { global, local } => {
                    sent += swap_global_local(&self.comm, &mut self.amps, *global, *local, self.exchange_chunk);
                    swaps += 1;
                }
            }
        }
        self.layout = plan.layout;
        let traffic = Traffic {
            bytes_exchanged: sum_counts(&self.comm, sent),
            minimum_bytes: Traffic::minimum(self.ranks, self.local_qubits, plan.mixed_globals),
            swaps,
        };
        self.traffic += traffic;
        Ok(traffic)
    }

    /// The bit of physical global position `position` in this rank's number.
    pub(crate) fn rank_bit(&self, position: usize) -> usize {
        (self.rank >> (position - self.local_qubits)) & 1
    }

    /// Probability that qubit `q` reads 1 (the same bits on every rank). Collective.
    pub fn probability_of_one(&self, q: usize) -> Result<f64> {
        self.check_qubit(q)?;
        let p = self.layout.physical(q);
        let partial: f64 = if p >= self.local_qubits {
            if self.rank_bit(p) == 1 { self.amps.iter().map(|a| a.norm_sqr()).sum() } else { 0.0 }
        } else {
            self.amps
                .iter()
                .enumerate()
                .filter(|(i, _)| (i >> p) & 1 == 1)
                .map(|(_, a)| a.norm_sqr())
                .sum()
        };
        Ok(sum_in_rank_order(&self.comm, partial))
    }

    /// Measures qubit `q` in the Z basis with one uniform draw from `rng` (as
    /// [`StateVector::measure_qubit`]), collapsing the state; returns the outcome. Collective.
    pub fn measure_qubit<R: Rng + ?Sized>(&mut self, q: usize, rng: &mut R) -> Result<bool> {
        let p1 = self.probability_of_one(q)?;
        let outcome = qrandom::distributions::uniform(rng) < p1;
        let p = if outcome { p1 } else { 1.0 - p1 };
        let scale = if p > 0.0 { 1.0 / p.sqrt() } else { 0.0 };
        let position = self.layout.physical(q);
        let zero = Complex64::new(0.0, 0.0);
        if position >= self.local_qubits {
            let keep = (self.rank_bit(position) == 1) == outcome;
            let factor = if keep { scale } else { 0.0 };
            self.amps.iter_mut().for_each(|a| *a *= factor);
        } else {
            for (i, a) in self.amps.iter_mut().enumerate() {
                *a = if ((i >> position) & 1 == 1) == outcome { *a * scale } else { zero };
            }
        }
        Ok(outcome)
    }

    /// Resets qubit `q` to `|0>`: measures it, then flips it if the outcome was 1. Collective.
    pub fn reset_qubit<R: Rng + ?Sized>(&mut self, q: usize, rng: &mut R) -> Result<()> {
        if self.measure_qubit(q, rng)? {
            let mut flip = Circuit::new(self.num_qubits);
            flip.x(q)?;
            self.apply_ops(flip.ops(), &[])?;
        }
        Ok(())
    }

    pub(crate) fn check_qubit(&self, q: usize) -> Result<()> {
        if q >= self.num_qubits {
            return Err(qsim_core::Error::QubitOutOfRange {
                qubit: q,
                num_qubits: self.num_qubits,
            }
            .into());
        }
        Ok(())
    }

    /// Moves every logical qubit of `qubits` that is global to a local position (swapping it
    /// with the highest local position holding none of them). Collective.
    pub(crate) fn localize(&mut self, qubits: &[usize]) -> Result<()> {
        for &q in qubits {
            let position = self.layout.physical(q);
            if position < self.local_qubits {
                continue;
            }
            let victim = (0..self.local_qubits)
                .rev()
                .find(|&p| !qubits.contains(&self.layout.logical(p)))
                .ok_or(Error::GateTooWide {
                    op: "observable",
                    qubits: qubits.len(),
                    local_qubits: self.local_qubits,
                })?;
            let sent = swap_global_local(&self.comm, &mut self.amps, position, victim, self.exchange_chunk);
            self.layout.swap_positions(position, victim);
            self.traffic.bytes_exchanged += sum_counts(&self.comm, sent);
            self.traffic.swaps += 1;
        }
        Ok(())
    }
}

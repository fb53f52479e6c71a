//! The distributed state and how circuits run on it.

use mpi::topology::{Communicator, SimpleCommunicator};
use num_complex::Complex64;
use qsim_core::circuit::{Circuit, Operation};
use qsim_core::staged::StagedRun;
use qsim_core::state::{MAX_QUBITS, StateVector};
use rand::Rng;

use crate::collective::{chained_sum, sum_counts, sum_in_rank_order};
use crate::error::{Error, Result};
use crate::exchange::{EXCHANGE_CHUNK, swap_global_local};
use crate::layout::QubitLayout;
use crate::plan::{Step, mixed_global_qubits, plan_for_rank};
use crate::schedule::Schedule;
use crate::traffic::Traffic;

/// The fewest local qubits [`DistributedState::new`] leaves: the widest named gate (`c4x`) has
/// five qubits, so every gate can have all of its qubits on one rank.
pub const MIN_LOCAL_QUBITS: usize = 5;

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
    pub(crate) comm: SimpleCommunicator,
    pub(crate) num_qubits: usize,
    pub(crate) local_qubits: usize,
    pub(crate) rank: usize,
    pub(crate) ranks: usize,
    pub(crate) active_ranks: usize,
    pub(crate) layout: QubitLayout,
    pub(crate) amps: Vec<Complex64>,
    /// Scratch for local relayouts (the schedule that reproduces one process).
    pub(crate) spare: Vec<Complex64>,
    traffic: Traffic,
    pub(crate) exchange_chunk: usize,
    schedule: Schedule,
}

impl std::fmt::Debug for DistributedState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DistributedState")
            .field("num_qubits", &self.num_qubits)
            .field("local_qubits", &self.local_qubits)
            .field("rank", &self.rank)
            .field("ranks", &self.ranks)
            .field("active_ranks", &self.active_ranks)
            .field("layout", &self.layout)
            .field("traffic", &self.traffic)
            .field("schedule", &self.schedule)
            .finish_non_exhaustive()
    }
}

impl DistributedState {
    /// `|0...0>` on `num_qubits` qubits over the ranks of `comm` (a private duplicate is kept),
    /// with as many global qubits as the ranks allow while keeping [`MIN_LOCAL_QUBITS`] local
    /// qubits (enough for every named gate): `g = min(floor(log2 K), n - MIN_LOCAL_QUBITS)`.
    /// Collective.
    pub fn new<C: Communicator>(comm: &C, num_qubits: usize) -> Result<Self> {
        let ranks = comm.size() as usize;
        let most = ranks.ilog2() as usize;
        Self::with_global_qubits(
            comm,
            num_qubits,
            most.min(num_qubits.saturating_sub(MIN_LOCAL_QUBITS)),
        )
    }

    /// `|0...0>` on `num_qubits` qubits with `global_qubits` of them global: ranks
    /// `0..2^global_qubits` of `comm` hold `2^(n - g)` amplitudes each, any further ranks hold
    /// none but take part in every collective call (their partial sums are zero). Collective.
    pub fn with_global_qubits<C: Communicator>(
        comm: &C,
        num_qubits: usize,
        global_qubits: usize,
    ) -> Result<Self> {
        let ranks = comm.size() as usize;
        if global_qubits >= usize::BITS as usize || (1usize << global_qubits) > ranks {
            return Err(Error::NotEnoughRanks { global_qubits, ranks });
        }
        if num_qubits < global_qubits {
            return Err(Error::TooFewQubits { num_qubits, global_qubits });
        }
        let too_many = || -> Error {
            qsim_core::Error::TooManyQubits {
                num_qubits,
                bytes: (1u128 << num_qubits) * 16,
                max_qubits: MAX_QUBITS + global_qubits,
            }
            .into()
        };
        if num_qubits > MAX_QUBITS + global_qubits {
            return Err(too_many());
        }
        let local_qubits = num_qubits - global_qubits;
        let active_ranks = 1usize << global_qubits;
        let rank = comm.rank() as usize;
        let len = if rank < active_ranks { 1usize << local_qubits } else { 0 };
        let mut amps = Vec::new();
        if amps.try_reserve_exact(len).is_err() {
            return Err(too_many());
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
            active_ranks,
            layout: QubitLayout::identity(num_qubits),
            amps,
            spare: Vec::new(),
            traffic: Traffic::default(),
            exchange_chunk: EXCHANGE_CHUNK,
            schedule: Schedule::default(),
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

    /// Number of ranks of the communicator.
    pub fn ranks(&self) -> usize {
        self.ranks
    }

    /// Number of ranks holding amplitudes (`2^g`, ranks `0..2^g`).
    pub fn active_ranks(&self) -> usize {
        self.active_ranks
    }

    /// True if this rank holds amplitudes.
    pub fn is_active(&self) -> bool {
        self.rank < self.active_ranks
    }

    /// Amplitudes per message of exchanges (see [`DistributedState::set_exchange_chunk`]).
    pub fn exchange_chunk(&self) -> usize {
        self.exchange_chunk
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
    /// index `rank * 2^local + i` (map it with [`QubitLayout::logical_index`]). Empty on ranks
    /// that hold none.
    pub fn local_amplitudes(&self) -> &[Complex64] {
        &self.amps
    }

    /// Amplitudes per message of a global<->local swap (default [`EXCHANGE_CHUNK`]): the extra
    /// memory a swap needs besides MPI's own buffer. Rounded up to a power of two, at least 1.
    /// Must be the same on every rank.
    pub fn set_exchange_chunk(&mut self, amplitudes: usize) {
        self.exchange_chunk = amplitudes.max(1).next_power_of_two();
    }

    /// How circuits are scheduled over the ranks (default [`Schedule::AsOneProcess`]).
    pub fn schedule(&self) -> Schedule {
        self.schedule
    }

    /// Chooses how later circuits are scheduled. Must be the same on every rank.
    pub fn set_schedule(&mut self, schedule: Schedule) {
        self.schedule = schedule;
    }

    /// The communication so far, summed over every circuit run on this state.
    pub fn traffic(&self) -> Traffic {
        self.traffic
    }

    /// Runs a unitary circuit (barriers allowed) with parameters `theta`; returns its
    /// communication, summed over ranks (the same value on every rank). Collective.
    ///
    /// With [`Schedule::AsOneProcess`] the circuit runs as qsim-core's cache-blocking stages,
    /// global qubits swapped in before the stages that need them, and the amplitudes are the
    /// bits one process computes. With [`Schedule::FewestExchanges`] it runs as light cones of
    /// local gates for the engine, each global qubit swapped in when an operation mixes it; see
    /// [`Schedule`] for when to prefer which.
    pub fn apply_circuit(&mut self, circuit: &Circuit, theta: &[f64]) -> Result<Traffic> {
        self.check_circuit(circuit, theta)?;
        match self.schedule {
            Schedule::AsOneProcess => {
                // Refuses non-unitary operations, as the other schedule's planner does.
                let staged = StagedRun::new(circuit, theta, self.num_qubits)?;
                self.run_staged(circuit.ops(), theta, &staged)
            }
            Schedule::FewestExchanges => self.apply_ops(circuit.ops(), theta),
        }
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

    /// Runs unitary operations with this state's schedule; the traffic is summed over ranks
    /// and recorded.
    fn apply_ops(&mut self, ops: &[Operation], theta: &[f64]) -> Result<Traffic> {
        if self.schedule == Schedule::AsOneProcess {
            let staged = StagedRun::from_ops(ops, theta, self.num_qubits)?;
            return self.run_staged(ops, theta, &staged);
        }
        // Every rank plans (so all agree on the layout and on errors); idle ranks use rank 0's
        // bits and run nothing.
        let bits = if self.is_active() { self.rank } else { 0 };
        let plan = plan_for_rank(ops, theta, &self.layout, self.local_qubits, bits)?;
        let mut sent = 0u64;
        let steps = if self.is_active() { &plan.steps[..] } else { &[] };
        for step in steps {
            match step {
                Step::Local(c) => {
                    StateVector::apply_circuit_to_amplitudes(&mut self.amps, c, theta)?
                }
                Step::Scale(s) => self.amps.iter_mut().for_each(|a| *a *= s),
                Step::Swap { global, local } => {
                    sent += swap_global_local(
                        &self.comm,
                        &mut self.amps,
                        *global,
                        *local,
                        self.exchange_chunk,
                    );
                }
            }
        }
        self.layout = plan.layout;
        let swaps = plan.steps.iter().filter(|s| matches!(s, Step::Swap { .. })).count();
        Ok(self.record(sent, swaps as u64, plan.mixed_globals))
    }

    /// Runs `staged` (the plan of `ops`) as one process would, and records the traffic.
    fn run_staged(
        &mut self,
        ops: &[Operation],
        theta: &[f64],
        staged: &StagedRun<'_>,
    ) -> Result<Traffic> {
        let mixed = mixed_global_qubits(ops, theta, &self.layout, self.local_qubits)?;
        let (sent, swaps) = self.run_as_one_process(staged)?;
        Ok(self.record(sent, swaps, mixed))
    }

    /// Sums this rank's bytes sent over ranks, records the traffic of one circuit and returns it.
    fn record(&mut self, sent: u64, swaps: u64, mixed_globals: usize) -> Traffic {
        let traffic = Traffic {
            bytes_exchanged: sum_counts(&self.comm, sent),
            minimum_bytes: Traffic::minimum(self.active_ranks, self.local_qubits, mixed_globals),
            swaps,
        };
        self.traffic += traffic;
        traffic
    }

    /// The bit of physical global position `position` in this rank's number.
    pub(crate) fn rank_bit(&self, position: usize) -> usize {
        (self.rank >> (position - self.local_qubits)) & 1
    }

    /// Probability that qubit `q` reads 1 (the same bits on every rank). Collective.
    pub fn probability_of_one(&self, q: usize) -> Result<f64> {
        self.check_qubit(q)?;
        let p = self.layout.physical(q);
        let partial: f64 = if !self.is_active() {
            0.0
        } else if p >= self.local_qubits {
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
        let p1 = match self.schedule {
            Schedule::AsOneProcess => {
                self.check_qubit(q)?;
                let sent = self.restore_identity_layout()?;
                self.traffic.bytes_exchanged += sum_counts(&self.comm, sent);
                self.probability_of_one_in_index_order(q)
            }
            Schedule::FewestExchanges => self.probability_of_one(q)?,
        };
        let outcome = qrandom::distributions::uniform(rng) < p1;
        let p = if outcome { p1 } else { 1.0 - p1 };
        let scale = if p > 0.0 { 1.0 / p.sqrt() } else { 0.0 };
        let position = self.layout.physical(q);
        let zero = Complex64::new(0.0, 0.0);
        if !self.is_active() {
            return Ok(outcome);
        }
        if position >= self.local_qubits {
            // Dropped amplitudes become +0 (as one process sets them), not `a * 0`.
            if (self.rank_bit(position) == 1) == outcome {
                self.amps.iter_mut().for_each(|a| *a *= scale);
            } else {
                self.amps.fill(zero);
            }
        } else {
            for (i, a) in self.amps.iter_mut().enumerate() {
                *a = if ((i >> position) & 1 == 1) == outcome { *a * scale } else { zero };
            }
        }
        Ok(outcome)
    }

    /// [`DistributedState::probability_of_one`] with the terms added in index order across
    /// ranks, as one process adds them (the layout must be the identity). Collective.
    fn probability_of_one_in_index_order(&self, q: usize) -> f64 {
        let local = self.local_qubits;
        let rank_bit = if q >= local && self.is_active() { self.rank_bit(q) } else { 0 };
        chained_sum(&self.comm, self.active_ranks, |running| {
            let add = |s: f64, a: &Complex64| s + a.norm_sqr();
            match (q >= local, rank_bit) {
                (true, 1) => self.amps.iter().fold(running, add),
                (true, _) => running,
                (false, _) => (self.amps.iter().enumerate())
                    .filter(|(i, _)| (i >> q) & 1 == 1)
                    .fold(running, |s, (_, a)| add(s, a)),
            }
        })
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
}

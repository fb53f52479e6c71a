//! Reading a distributed state out: norms, probabilities, amplitudes, the largest amplitudes,
//! Pauli expectation values and samples. Results that need the whole state are gathered on
//! rank 0 in logical qubit order; the others get `None`.

use std::collections::BTreeMap;

use mpi::datatype::Equivalence;
use mpi::traits::{Communicator, Destination, Source};
use num_complex::Complex64;
use qsim_core::measure::AliasSampler;
use qsim_core::pauli::PauliSum;
use qsim_core::state::StateVector;
use rand::Rng;

use crate::collective::sum_in_rank_order;
use crate::error::Result;
use crate::exchange::{EXCHANGE_CHUNK, flipped_overlap};
use crate::layout::IndexTables;
use crate::state::DistributedState;

/// The largest amplitudes of a state, from [`DistributedState::largest_amplitudes_on_root`].
#[derive(Clone, Debug, PartialEq)]
pub struct Largest {
    /// How many amplitudes have `|a|^2` above the threshold.
    pub count_above: usize,
    /// Up to the requested number of `(logical index, amplitude)`, largest `|a|^2` first, ties
    /// by ascending index.
    pub entries: Vec<(usize, Complex64)>,
}

impl DistributedState {
    /// Squared norm of the whole state (1 for a valid state), the same on every rank. Collective.
    pub fn norm_sqr(&self) -> f64 {
        let partial: f64 = self.local_amplitudes().iter().map(|a| a.norm_sqr()).sum();
        sum_in_rank_order(self.communicator(), partial)
    }

    /// Born-rule probabilities of every basis state, in logical order, on rank 0. Collective.
    pub fn probabilities_on_root(&self) -> Option<Vec<f64>> {
        let local: Vec<f64> = self.local_amplitudes().iter().map(|a| a.norm_sqr()).collect();
        self.gather_logical(&local, 0.0)
    }

    /// Every amplitude in logical order (bit `q` of the index is qubit `q`) on rank 0.
    /// Collective.
    pub fn amplitudes_on_root(&self) -> Option<Vec<Complex64>> {
        self.gather_logical(self.local_amplitudes(), Complex64::new(0.0, 0.0))
    }

    /// The whole state as a single-process [`StateVector`] on rank 0. Collective.
    pub fn state_vector_on_root(&self) -> Result<Option<StateVector>> {
        match self.amplitudes_on_root() {
            Some(amps) => Ok(Some(StateVector::from_amplitudes(amps)?)),
            None => Ok(None),
        }
    }

    /// `shots` Born-rule samples tallied by logical basis index, on rank 0, drawn from `rng` as
    /// [`StateVector::sample_counts`] draws them (same alias table, same draws): with the same
    /// seed the counts equal a single process's unless rounding-level differences in the
    /// probabilities move an alias-table threshold past a draw. Only rank 0 uses `rng`.
    /// Collective.
    pub fn sample_counts_on_root<R: Rng + ?Sized>(
        &self,
        shots: usize,
        rng: &mut R,
    ) -> Result<Option<BTreeMap<usize, usize>>> {
        match self.probabilities_on_root() {
            Some(probs) => Ok(Some(AliasSampler::new(&probs)?.counts(shots, rng))),
            None => Ok(None),
        }
    }

    /// The `count` largest amplitudes and how many have `|a|^2 > threshold`, on rank 0, without
    /// gathering the state (each rank sends its own `count` largest). Collective.
    pub fn largest_amplitudes_on_root(&self, count: usize, threshold: f64) -> Option<Largest> {
        let tables = IndexTables::new(self.layout());
        let offset = if self.is_active() { self.rank() << self.local_qubits() } else { 0 };
        let amps = self.local_amplitudes();
        let above: Vec<usize> =
            (0..amps.len()).filter(|&i| amps[i].norm_sqr() > threshold).collect();
        let mut mine: Vec<(usize, Complex64)> =
            above.iter().map(|&i| (tables.logical_index(offset + i), amps[i])).collect();
        sort_largest_first(&mut mine);
        mine.truncate(count);
        // One message per rank: [count above, then (index, re, im) per entry, padded with -1].
        let mut message = vec![-1.0f64; 1 + 3 * count];
        message[0] = above.len() as f64;
        for (k, (i, a)) in mine.iter().enumerate() {
            message[1 + 3 * k..4 + 3 * k].copy_from_slice(&[*i as f64, a.re, a.im]);
        }
        let gathered = self.gather(&message, 0.0, self.ranks())?;
        let mut count_above = 0usize;
        let mut entries = Vec::new();
        for part in gathered.chunks_exact(message.len()) {
            count_above += part[0] as usize;
            for e in part[1..].chunks_exact(3).filter(|e| e[0] >= 0.0) {
                entries.push((e[0] as usize, Complex64::new(e[1], e[2])));
            }
        }
        sort_largest_first(&mut entries);
        entries.truncate(count);
        Some(Largest { count_above, entries })
    }

    /// `<psi|O|psi>` for a Pauli-sum observable, the same on every rank. A term with X or Y on
    /// global qubits pairs each rank with the rank those flips lead to, and the two trade their
    /// slices chunk by chunk (not counted in [`DistributedState::traffic`], which is about
    /// circuits; the layout does not change); Z on a global qubit is a sign per rank.
    /// Collective.
    pub fn expectation(&self, observable: &PauliSum) -> Result<f64> {
        if observable.min_qubits() > self.num_qubits() {
            return Err(qsim_core::Error::QubitOutOfRange {
                qubit: observable.min_qubits() - 1,
                num_qubits: self.num_qubits(),
            }
            .into());
        }
        let mut partial = 0.0;
        for (coeff, pauli) in observable.terms().iter().filter(|_| self.is_active()) {
            let (x, z) = pauli.masks();
            let (mut x_local, mut z_local, mut x_rank, mut sign) = (0usize, 0usize, 0usize, 1.0);
            for q in (0..self.num_qubits()).filter(|q| ((x | z) >> q) & 1 == 1) {
                let (xq, zq) = (((x >> q) & 1) as usize, ((z >> q) & 1) as usize);
                let p = self.layout().physical(q);
                if p < self.local_qubits() {
                    x_local |= xq << p;
                    z_local |= zq << p;
                } else {
                    x_rank |= xq << (p - self.local_qubits());
                    if zq == 1 && self.rank_bit(p) == 1 {
                        sign = -sign;
                    }
                }
            }
            let sum = flipped_overlap(
                self.communicator(),
                self.local_amplitudes(),
                x_rank,
                x_local,
                z_local,
                self.exchange_chunk(),
            );
            let y_phase = match (x & z).count_ones() % 4 {
                0 => Complex64::new(1.0, 0.0),
                1 => Complex64::new(0.0, 1.0),
                2 => Complex64::new(-1.0, 0.0),
                _ => Complex64::new(0.0, -1.0),
            };
            partial += coeff * sign * (sum * y_phase).re;
        }
        Ok(sum_in_rank_order(self.communicator(), partial))
    }

    /// Gathers the `local` of every rank holding amplitudes (same length on all) on rank 0 and
    /// reorders the entries from physical to logical index.
    fn gather_logical<T: Equivalence + Copy>(&self, local: &[T], zero: T) -> Option<Vec<T>> {
        let physical = self.gather(local, zero, self.active_ranks())?;
        if self.layout().is_identity() {
            return Some(physical);
        }
        let tables = IndexTables::new(self.layout());
        let mut logical = vec![zero; physical.len()];
        for (i, v) in physical.into_iter().enumerate() {
            logical[tables.logical_index(i)] = v;
        }
        Some(logical)
    }

    /// Rank 0 gets the `local` of ranks `0..senders` (same length on all) concatenated in rank
    /// order; point to point, in chunks of [`EXCHANGE_CHUNK`] entries (so no message count
    /// overflows MPI's `int`). Ranks from `senders` on send nothing.
    fn gather<T: Equivalence + Copy>(
        &self,
        local: &[T],
        zero: T,
        senders: usize,
    ) -> Option<Vec<T>> {
        let comm = self.communicator();
        if self.rank() >= senders {
            return None;
        }
        if self.rank() != 0 {
            let root = comm.process_at_rank(0);
            for chunk in local.chunks(EXCHANGE_CHUNK) {
                root.send(chunk);
            }
            return None;
        }
        if local.is_empty() {
            return Some(Vec::new());
        }
        let mut all = vec![zero; local.len() * senders];
        all[..local.len()].copy_from_slice(local);
        for (r, part) in all.chunks_mut(local.len()).enumerate().skip(1) {
            let source = comm.process_at_rank(r as i32);
            for chunk in part.chunks_mut(EXCHANGE_CHUNK) {
                source.receive_into(chunk);
            }
        }
        Some(all)
    }
}

/// Sorts by `|a|^2` descending, then index ascending.
fn sort_largest_first(entries: &mut [(usize, Complex64)]) {
    entries.sort_by(|a, b| b.1.norm_sqr().total_cmp(&a.1.norm_sqr()).then(a.0.cmp(&b.0)));
}

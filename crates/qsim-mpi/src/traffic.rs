//! How many bytes a distributed run moved between ranks, beside a lower bound.

use std::ops::AddAssign;

/// The communication of one or more circuits on a [`DistributedState`](crate::DistributedState).
///
/// `minimum_bytes` is a lower bound for the circuit's gates on the qubits that were global when
/// it started. Let `d` be the number of those qubits that some gate mixes (a non-diagonal gate
/// on the qubit, or its target: diagonal gates and controls need no communication). Each such
/// qubit's pairs of amplitudes sit on different ranks, so every amplitude of the `d`-qubit
/// subspace that leaves its rank must be sent at least once: with `K` ranks of `2^L` amplitudes,
/// at least `K * 16 * (2^L - 2^(L-d))` bytes, whatever the order of the gates. For `d = 1` this
/// is one swap (half of every slice); pairwise swaps need `d` halves for `d` qubits, so the bound
/// is reached only for `d <= 1` (an all-to-all exchange of `d` qubits at once could reach it).
/// Qubits that turn global during the run and are mixed again (the price of Belady's eviction
/// under a fixed gate order) are not counted: the bound stays a bound, not an estimate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Bytes sent, summed over all ranks (each byte sent is received once).
    pub bytes_exchanged: u64,
    /// The lower bound described above, summed over circuits.
    pub minimum_bytes: u64,
    /// Global<->local swaps (each trades half of every rank's slice).
    pub swaps: u64,
}

impl Traffic {
    /// The lower bound for `mixed_globals` mixed global qubits on `ranks` ranks of
    /// `2^local_qubits` amplitudes.
    pub(crate) fn minimum(ranks: usize, local_qubits: usize, mixed_globals: usize) -> u64 {
        let slice = 1u64 << local_qubits;
        let stays = slice.checked_shr(mixed_globals as u32).unwrap_or(0);
        ranks as u64 * 16 * (slice - stays)
    }
}

impl AddAssign for Traffic {
    fn add_assign(&mut self, other: Traffic) {
        self.bytes_exchanged += other.bytes_exchanged;
        self.minimum_bytes += other.minimum_bytes;
        self.swaps += other.swaps;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_mixed_qubit_costs_half_of_every_slice() {
        // 2 ranks of 2^3 amplitudes: half of each, 16 bytes per amplitude.
        assert_eq!(Traffic::minimum(2, 3, 1), 2 * 4 * 16);
        assert_eq!(Traffic::minimum(4, 3, 2), 4 * 6 * 16);
        assert_eq!(Traffic::minimum(4, 3, 0), 0);
    }
}

//! The one communication pattern of gate application: a global<->local qubit swap, in which a
//! rank and its partner (the rank differing in the global qubit's bit) trade the half of their
//! slices whose local-qubit bit differs from their own global bit.

use mpi::point_to_point::send_receive_into;
use mpi::topology::{Communicator, SimpleCommunicator};
use num_complex::Complex64;

/// Amplitudes per message by default: `2^20` (16 MiB). Apart from MPI's own buffer for one message, this is
/// all the memory a swap needs beyond the slice.
pub const EXCHANGE_CHUNK: usize = 1 << 20;

/// Swaps the qubits at physical positions `global` (a rank bit) and `local` (a bit of the slice
/// index) of the distributed state whose slice on this rank is `amps`. Returns the bytes this
/// rank sent, in messages of at most `chunk` amplitudes (a power of two). Collective over `comm`:
/// every rank must call it with the same arguments.
///
/// After the swap, amplitude `i` of the rank with global bit `b` holds what was at index
/// `i ^ (1 << local)` of the partner, for every `i` whose `local` bit is `1 - b`; the others stay.
pub(crate) fn swap_global_local(
    comm: &SimpleCommunicator,
    amps: &mut [Complex64],
    global: usize,
    local: usize,
    chunk: usize,
) -> u64 {
    let local_qubits = amps.len().trailing_zeros() as usize;
    let rank = comm.rank() as usize;
    let rank_bit = global - local_qubits;
    let partner = comm.process_at_rank((rank ^ (1 << rank_bit)) as i32);
    // The blocks of 2^local amplitudes whose `local` bit is `1 - own bit` leave.
    let send_bit = 1 - ((rank >> rank_bit) & 1);
    let block = 1usize << local;
    let blocks = (send_bit * block..amps.len()).step_by(2 * block);
    let mut sent = 0u64;
    // A separate receive buffer: `MPI_Sendrecv_replace` would stage every message through a
    // temporary of its own.
    let zero = Complex64::new(0.0, 0.0);
    if block >= chunk {
        // Contiguous halves: send each chunk from where it is, receive beside it, copy back.
        let mut received = vec![zero; chunk.min(block)];
        for start in blocks {
            for part in amps[start..start + block].chunks_mut(chunk) {
                let into = &mut received[..part.len()];
                send_receive_into(&*part, &partner, into, &partner);
                part.copy_from_slice(into);
                sent += size_of_val(part) as u64;
            }
        }
        return sent;
    }
    // Short blocks: pack a chunk's worth, trade it, unpack into the same places.
    let per_chunk = chunk / block;
    let starts: Vec<usize> = blocks.collect();
    let capacity = chunk.min(amps.len() / 2);
    let mut packed = Vec::with_capacity(capacity);
    let mut received = vec![zero; capacity];
    for group in starts.chunks(per_chunk) {
        packed.clear();
        for &s in group {
            packed.extend_from_slice(&amps[s..s + block]);
        }
        let into = &mut received[..packed.len()];
        send_receive_into(&packed[..], &partner, into, &partner);
        sent += size_of_val(&packed[..]) as u64;
        for (&s, data) in group.iter().zip(into.chunks_exact(block)) {
            amps[s..s + block].copy_from_slice(data);
        }
    }
    sent
}

/// `sum_k conj(psi[k ^ x]) * sign(k) * psi[k]` over this rank's indices `k`, where `x` flips
/// the local bits `x_local` and the rank bits `x_rank` (so `psi[k ^ x]` lives on rank
/// `rank ^ x_rank`, which must hold amplitudes too) and `sign(k) = (-1)^|k & z_local|`. The two
/// ranks trade their slices in messages of `chunk` amplitudes, nothing is kept. Collective
/// between the pair (every active rank calls it with the same masks).
pub(crate) fn flipped_overlap(
    comm: &SimpleCommunicator,
    amps: &[Complex64],
    x_rank: usize,
    x_local: usize,
    z_local: usize,
    chunk: usize,
) -> Complex64 {
    let sign = |k: usize| if (k & z_local).count_ones() % 2 == 1 { -1.0 } else { 1.0 };
    if x_rank == 0 {
        return amps.iter().enumerate().map(|(k, a)| amps[k ^ x_local].conj() * a * sign(k)).sum();
    }
    let partner = comm.process_at_rank((comm.rank() as usize ^ x_rank) as i32);
    let chunk = chunk.min(amps.len());
    // Block b of ours meets the partner's block b ^ (high bits of x_local), and vice versa.
    let high = x_local & !(chunk - 1);
    let mut theirs = vec![Complex64::new(0.0, 0.0); chunk];
    let mut sum = Complex64::new(0.0, 0.0);
    for start in (0..amps.len()).step_by(chunk) {
        let send = start ^ high;
        send_receive_into(&amps[send..send + chunk], &partner, &mut theirs[..], &partner);
        for (k, a) in amps[start..start + chunk].iter().enumerate().map(|(i, a)| (start + i, a)) {
            sum += theirs[(k ^ x_local) & (chunk - 1)].conj() * a * sign(k);
        }
    }
    sum
}

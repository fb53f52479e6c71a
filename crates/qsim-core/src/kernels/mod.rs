//! Hot loops over amplitude arrays: the only module with `unsafe` (raw-pointer group walks and
//! scatters, the AVX2 intrinsics, and the one call into AVX2-compiled code, in
//! [`lanes::dispatch`]).
//!
//! Everything here works on a raw `&mut [Complex64]` of length `2^n` with little-endian qubit
//! bits; callers have validated the qubit indices.
//!
//! Indexing trick used throughout: the amplitudes whose bit `q` is 0 and 1 form pairs
//! `(i, i + 2^q)`; cutting the array into blocks of `2^(q+1)` and splitting each block in half
//! gives the two members of every pair as two contiguous, equally long slices, so inner loops are
//! straight zips that vectorise. Multi-qubit kernels insert zero bits into a counter ("bit
//! insertion") to enumerate the base index of each group.
//!
//! Two families:
//!
//! - Whole-state kernels (`parallel`): one operation per pass over a whole state, parallel with
//!   rayon for large states; the general and fallback paths, and relayouts between stages.
//! - Chunk kernels: serial kernels over one cache-sized chunk, the instructions ([`Kernel`]) of
//!   the programs the engine compiles; the engine hands each thread whole chunks, so nothing
//!   there spawns work. `program` holds the instruction set and the runner, `walk` the group
//!   walkers every pair and quad kernel goes through, `one_qubit`, `two_qubit`, `diagonal` and
//!   `permute` the kernels, and `adjoint` the transition kernels of the adjoint method.
//!
//! The chunk kernels are compiled twice: once for AVX2 and FMA (chosen at run time when the CPU
//! has them) and once portable. They are generic over the vector type ([`lanes::Lanes`]) and
//! `#[inline(always)]`, so each copy is compiled for its instruction set inside the one function
//! that enables it ([`lanes::dispatch`]); they apply small operation objects (`PairOp`,
//! `QuadOp`) through trait methods, never closures, which the compiler may leave un-inlined and
//! so outside the AVX2 build. Amplitudes are viewed as interleaved `f64` pairs (`re, im`); one
//! vector holds two consecutive amplitudes.

mod adjoint;
mod diagonal;
mod lanes;
mod one_qubit;
mod parallel;
mod permute;
mod program;
#[cfg(test)]
mod reference;
mod soa;
mod two_qubit;
mod walk;

pub(crate) use adjoint::{adjoint_run_1q, adjoint_run_2q, matrix_element_1q};
pub(crate) use parallel::{
    PARALLEL_THRESHOLD, apply_1q, apply_controlled_kq, for_each_pair, matrix_element, permute_bits,
};
pub(crate) use program::{Kernel, run_program, run_program_owned, run_program_split};
pub(crate) use soa::{
    Amps8, LANES, adjoint_run_1q_lanes, adjoint_run_2q_lanes, lane, pack_lanes, set_lane,
};

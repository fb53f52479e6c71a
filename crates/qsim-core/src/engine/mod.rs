//! Runs a sequence of unitary operations on an amplitude vector, fast.
//!
//! 1. Fusion (`fusion`) binds the angles, multiplies out single-qubit runs and classifies
//!    every operation (diagonal, permutation, single-qubit, dense).
//! 2. Cache blocking: for states larger than one chunk (`2^CHUNK_BITS` amplitudes, sized for a
//!    core's L2), operations are grouped into stages that each touch at most `CHUNK_BITS` qubits.
//!    The greedy planner walks the dependency order and keeps taking every operation that fits,
//!    skipping (and blocking the qubits of) those that do not, so one stage covers a whole light
//!    cone of the circuit, often many layers deep. Before a stage its qubits are moved to the low
//!    bit positions (one out-of-place pass), so every chunk is a contiguous slice that one thread
//!    finishes in cache.
//! 3. Within a stage, operations are reordered (respecting dependencies) so that diagonal
//!    operations and CNOT-like permutations meet: all diagonal factors of a run become one
//!    table-driven pass, and a chain of CNOTs one scatter.
//!
//! Files, in pipeline order: `fusion` (1), `stages` (2: stages and layouts), `schedule` (3),
//! `compile` (chunk programs of kernels), `run` (the [`Plan`] that ties them together and runs
//! it), plus `apply` (one operation at a time, for callers outside a plan) and `memory` (state
//! buffers whose allocation may fail without aborting).

mod apply;
mod compile;
mod fusion;
mod memory;
mod run;
mod schedule;
mod stages;

pub(crate) use apply::{apply_fused, apply_matrix, single_op_chunk_bits};
pub(crate) use fusion::{FusedOp, classify, in_order};
pub(crate) use memory::allocate;
pub(crate) use run::{Plan, run_unitary};

//! One operation at a time on a whole state: the appliers behind gate-by-gate simulation, the
//! density matrix and the adjoint method's undo steps.

use num_complex::Complex64;
use rayon::prelude::*;

use super::compile::Program;
use super::fusion::{FusedOp, Recipe, classify};
use super::stages::{CHUNK_BITS, Layout};
use crate::circuit::matrix::Matrix;
use crate::kernels::{self, Kernel};

/// Chunk size used to apply one operation to a large state.
pub(crate) fn single_op_chunk_bits(n: usize) -> usize {
    CHUNK_BITS.min(n)
}

/// The chunk program of a single operation whose qubits all lie below `bits`.
fn single_op_program(op: &FusedOp, bits: usize) -> Vec<Kernel> {
    let layout = Layout::identity(op.qubits().into_iter().max().map_or(0, |q| q + 1).max(bits));
    let recipes = [Recipe::Fixed(op.clone())];
    Program::compile(&recipes, &[0], &layout, bits).materialize(std::slice::from_ref(op))
}

/// Applies a matrix to validated qubits of a raw amplitude array (shared with the density
/// matrix and the gradients): classified like any fused operation, so a CX is a swap of halves and
/// an RZ a diagonal pass.
pub(crate) fn apply_matrix(amps: &mut [Complex64], qubits: &[usize], m: &Matrix) {
    apply_fused(amps, &classify(qubits, m));
}

/// Applies one classified operation with the chunk kernels, in parallel for large states.
pub(crate) fn apply_fused(amps: &mut [Complex64], op: &FusedOp) {
    let top = op.qubits().into_iter().max().unwrap_or(0);
    let n = amps.len().trailing_zeros() as usize;
    let bits = single_op_chunk_bits(n);
    if amps.len() < kernels::PARALLEL_THRESHOLD {
        let program = single_op_program(op, n);
        kernels::run_program(amps, &program, &mut Vec::new());
    } else if top < bits {
        let program = single_op_program(op, bits);
        amps.par_chunks_mut(1 << bits).for_each_init(Vec::new, |scratch, chunk| {
            kernels::run_program(chunk, &program, scratch)
        });
    } else {
        match op {
            FusedOp::Single { qubit, m } => kernels::apply_1q(amps, *qubit, m),
            _ => {
                let (qubits, m) = op.matrix();
                apply_matrix_reference(amps, &qubits, &m);
            }
        }
    }
}

/// Applies a matrix with the general dense kernel: slow, obviously right, and parallel.
pub(super) fn apply_matrix_reference(amps: &mut [Complex64], qubits: &[usize], m: &Matrix) {
    kernels::apply_controlled_kq(amps, qubits, 0, m.as_slice());
}

//! Reference checks for the chunk kernels (compiled for tests only): a test state, and a check
//! of one kernel, through every implementation, against the general dense kernel.

use num_complex::Complex64;

use super::lanes::Portable;
use super::parallel::apply_controlled_kq;
use super::program::{Kernel, run_program, run_program_with};

/// A fixed, unnormalised test state of `n` qubits with no special structure.
pub(super) fn state(n: usize) -> Vec<Complex64> {
    (0..1usize << n)
        .map(|i| Complex64::new((i as f64 * 0.37).sin(), (i as f64 * 0.11).cos()))
        .collect()
}

/// `re + i im`.
pub(super) fn c(re: f64, im: f64) -> Complex64 {
    Complex64::new(re, im)
}

/// Runs `kernel` on `state(n)` through every implementation available here (portable, and the
/// dispatched one, which is AVX2 when the CPU has it) and checks each against the general dense
/// kernel applying `m` on `targets` where `cmask` is set.
pub(super) fn check(n: usize, kernel: Kernel, targets: &[usize], cmask: usize, m: &[Complex64]) {
    let mut expected = state(n);
    apply_controlled_kq(&mut expected, targets, cmask, m);
    let program = std::slice::from_ref(&kernel);
    let mut portable = state(n);
    run_program_with(Portable, &mut portable, program, &mut Vec::new());
    let mut dispatched = state(n);
    run_program(&mut dispatched, program, &mut Vec::new());
    for (name, got) in [("portable", portable), ("dispatched", dispatched)] {
        let worst = got.iter().zip(&expected).map(|(a, b)| (a - b).norm()).fold(0.0, f64::max);
        assert!(worst < 1e-12, "{name}: {kernel:?} deviates by {worst:e}");
    }
}

//! The smallest tour of `qsim-core`: build a parameterised circuit, run it, measure it, and take
//! the adjoint gradient of an expectation value.
//!
//! ```sh
//! cargo run --release --example quickstart
//! ```

use std::process::ExitCode;

use qdiff_examples::error_line::run_main;
use qsim_core::circuit::{Circuit, Param};
use qsim_core::gradient::{adjoint_gradient, parameter_shift_gradient};
use qsim_core::measure::bitstring;
use qsim_core::pauli::{PauliString, PauliSum};
use qsim_core::state::StateVector;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn main() -> ExitCode {
    run_main(tour)
}

/// The tour: a circuit, its state, shots, and two gradients of one expectation value.
fn tour() -> Result<(), qsim_core::Error> {
    // A 3-qubit GHZ-like state with one trainable angle.
    let mut circuit = Circuit::new(3);
    circuit.ry(0, Param::var(0))?.cx(0, 1)?.cx(1, 2)?;
    let theta = [std::f64::consts::FRAC_PI_2];

    let mut psi = StateVector::new(3)?;
    psi.apply_circuit(&circuit, &theta)?;
    for (index, p) in psi.probabilities().iter().enumerate().filter(|(_, p)| **p > 1e-12) {
        println!("P({}) = {p:.4}", bitstring(index, 3));
    }

    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let counts = psi.sample_counts(1000, &mut rng)?;
    for (index, n) in counts {
        println!("{}: {n} of 1000 shots", bitstring(index, 3));
    }

    // <X0 X1 X2> = sin(theta) on this state, so its derivative is cos(theta): the adjoint method
    // (one backward sweep) and the parameter-shift rule (as on hardware) must both give it.
    let xxx = PauliSum::single(1.0, PauliString::parse("X0 X1 X2")?)?;
    let at = [0.4];
    let (value, grad) = adjoint_gradient(&circuit, &at, &xxx)?;
    let (_, shifted) = parameter_shift_gradient(&circuit, &at, &xxx)?;
    println!("<X0 X1 X2> at theta = 0.4: {value:.6} (sin 0.4 = {:.6})", at[0].sin());
    println!(
        "d/dtheta: adjoint {:.6}, parameter shift {:.6}, exact cos 0.4 = {:.6}",
        grad[0],
        shifted[0],
        at[0].cos()
    );
    Ok(())
}

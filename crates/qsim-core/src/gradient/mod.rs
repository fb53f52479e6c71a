//! Gradients of circuit outputs with respect to the parameter vector.
//!
//! - The adjoint method: one forward sweep, then one backward sweep that un-applies each gate to
//!   the state and to a co-state, collecting every parameter's derivative on the way. Exact, and
//!   O(gates) state passes for all parameters together. [`vjp`] is the general form (any real loss
//!   of the final state, given its cotangent); [`adjoint_gradient`] specialises it to `<O>`.
//! - The parameter-shift rule: each derivative from exactly shifted circuit evaluations, as on
//!   hardware. Two-term for generators with spectral gap 1, four-term for controlled rotations.
//!
//! Files: `plan` (the adjoint method's backward sweep, planned once per circuit), `undo` (its
//! steps that undo a run of gates and collect the run's derivatives in one pass), `layer` (a
//! layer of single-qubit runs of a large state undone in two passes), `adjoint` (the
//! public adjoint-method entry points), `many` (the same for many states at once, side by side) and `shift` (the parameter-shift rule).

mod adjoint;
mod layer;
mod many;
mod plan;
mod shift;
mod undo;

pub use adjoint::{adjoint_gradient, adjoint_gradient_from, vjp, vjp_with_input};
pub use many::{STATES_PER_BATCH, vjp_with_input_many};
pub use shift::parameter_shift_gradient;

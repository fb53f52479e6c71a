//! OpenQASM 2.0 import ([`parse`]) and export ([`to_qasm`]).
//!
//! The importer reads the language of the OpenQASM 2.0 paper as Qiskit does:
//!
//! - `OPENQASM 2.0;` (optional, but first if present) and `include "qelib1.inc";`, which makes
//!   the gates of Qiskit's `qelib1.inc` available (`h`, `cx`, `u3`, `rzz`, `c4x`, ...). Without
//!   the include only the built-ins `U` and `CX` exist; no other file can be included.
//! - `qreg` and `creg`; several registers are concatenated in declaration order, as in Qiskit,
//!   so with `qreg a[2]; qreg b[3];` qubit `b[0]` is qubit 2 of the [`Circuit`].
//! - Gate calls with broadcasting over whole registers (`h q;`, `cx a, b;` for equal sizes,
//!   `cx a, b[0];`), `measure` (`measure q -> c;` or bit by bit), `reset` and `barrier`.
//! - `gate name(params) a, b { ... }` definitions, expanded at every call with the angles
//!   substituted; bodies may call built-ins and earlier gates and hold barriers. A definition of
//!   a name `qelib1.inc` does not define (such as `ryy`, `rzx`, or any new name) replaces the
//!   built-in gate of that name, so files written by [`to_qasm`] or Qiskit read back exactly.
//!   As an extension, `ryy` and `rzx` may also be called without a definition once `qelib1.inc`
//!   is included.
//! - `opaque` declarations are accepted, but calling an opaque gate is an error, since there is
//!   nothing to simulate.
//! - Angle expressions with integers, reals (`1.5`, `.5`, `2e-3`), `pi`, `+ - * / ^`, unary
//!   minus, parentheses and the functions `sin cos tan exp ln sqrt asin acos atan`. Every angle
//!   must evaluate to a finite number.
//! - `//` comments.
//!
//! Classically controlled operations (`if (c == n) ...`) are rejected with an error, because the
//! [`Circuit`] IR has no classical control.
//!
//! Every problem is an [`Error::Qasm`] whose 1-based line and column (counted in characters)
//! point at the first token that cannot be accepted: the name of an unknown gate or register,
//! the gate name for a wrong parameter or qubit count, the index that is out of range, the second
//! use of a duplicated qubit, the start of a non-finite angle (or the call, for an angle computed
//! inside a gate body), the token found where a `;` was expected (or the end of the file), the
//! opening `{` or `"` of a gate body or string that is never closed. The importer never panics,
//! and bounds the memory and time a hostile program can make it use (see [`MAX_SOURCE_BYTES`],
//! [`MAX_BITS`], [`MAX_EXPANSION`] and [`MAX_EXPR_DEPTH`]).
//!
//! ```
//! use qsim_core::{qasm, state::StateVector};
//! let circuit = qasm::parse(
//!     r#"OPENQASM 2.0;
//!        include "qelib1.inc";
//!        gate bell a, b { h a; cx a, b; }
//!        qreg q[2];
//!        bell q[0], q[1];
//!        rz(pi / 4) q[1];"#,
//! )?;
//! let mut psi = StateVector::new(circuit.num_qubits())?;
//! psi.apply_circuit(&circuit, &[])?;
//! assert!((psi.probabilities()[3] - 0.5).abs() < 1e-12);
//!
//! let text = qasm::to_qasm(&circuit)?;
//! assert_eq!(qasm::parse(&text)?, circuit);
//! # Ok::<(), qsim_core::Error>(())
//! ```

mod export;
mod expr;
mod lexer;
mod parser;

use crate::circuit::Circuit;
use crate::error::{Error, QasmError, Result};

pub use expr::MAX_EXPR_DEPTH;

/// The longest program [`parse`] reads: 64 MiB, thousands of times the largest reference
/// circuit, so that the tokens of a mistaken input (a data file, say) are never all held at once.
pub const MAX_SOURCE_BYTES: usize = 64 << 20;

/// The most qubits, and separately the most classical bits, that one program may declare.
///
/// Far above what a state vector can hold; it keeps a mistyped `qreg q[1000000000];` from
/// allocating without bound.
pub const MAX_BITS: usize = 1 << 14;

/// The most work one program may expand to, counted as one unit per operation, per qubit operand
/// and per step of angle arithmetic in gate bodies.
///
/// Far beyond real circuits; it stops nested `gate` definitions that call each other twice per
/// level from expanding exponentially into an out-of-memory abort.
pub const MAX_EXPANSION: usize = 1 << 24;

/// Reads an OpenQASM 2.0 program into a [`Circuit`] (see the [module docs](self) for the
/// language accepted and how errors are reported).
///
/// A source over [`MAX_SOURCE_BYTES`] is an [`Error::TooLarge`] before anything is read.
pub fn parse(source: &str) -> Result<Circuit> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(Error::TooLarge {
            what: "the OpenQASM source",
            found: source.len() as u64,
            unit: "bytes",
            limit: MAX_SOURCE_BYTES as u64,
        });
    }
    parser::parse(source)
}

/// Writes `circuit` as an OpenQASM 2.0 program that this crate and Qiskit both read back.
///
/// The program has one register `q` (and `c` if the circuit has classical bits). Angles are
/// written with the shortest decimal that reads back to the same `f64`, so a round trip is exact.
/// `ryy` and `rzx`, which `qelib1.inc` lacks, get Qiskit's `gate` definitions. An uncontrolled
/// 1-qubit [`Operation::Unitary`](crate::circuit::Operation::Unitary) becomes `u(theta, phi,
/// lambda)` **without its global phase**, which OpenQASM 2.0 cannot express; with one control it
/// becomes `cu(theta, phi, lambda, gamma)`, which is exact. `u0(n)` is written as is for whole
/// `n` (Qiskit reads only those) and as `id` otherwise; both are the identity.
///
/// # Errors
///
/// [`Error::NotExportable`] for a gate angle that still refers to the parameter vector (call
/// [`Circuit::bind`] first) and for unitaries on more than one target or with more than one
/// control.
pub fn to_qasm(circuit: &Circuit) -> Result<String> {
    export::to_qasm(circuit)
}

/// A 1-based position in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pos {
    line: usize,
    column: usize,
}

/// An [`Error::Qasm`] at `pos`.
fn error(pos: Pos, message: impl Into<String>) -> Error {
    Error::Qasm(QasmError { line: pos.line, column: pos.column, message: message.into() })
}

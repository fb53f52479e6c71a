//! Pauli strings, dense (`XIZ`) or sparse (`Z0 X3`): `qsim_core::pauli::PauliString::parse`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qsim_core::pauli::PauliString;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(p) = PauliString::parse(text)
    {
        let _ = p.min_qubits();
    }
});

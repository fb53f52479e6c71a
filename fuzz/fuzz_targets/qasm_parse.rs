//! OpenQASM 2.0 import (`qsim_core::qasm::parse`), and export of what it accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qsim_core::qasm;

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = std::str::from_utf8(data)
        && let Ok(circuit) = qasm::parse(source)
    {
        let _ = qasm::to_qasm(&circuit);
    }
});

//! Amplitude buffers whose allocation failure is an error or a fallback, not an abort.

use num_complex::Complex64;

use crate::error::{Error, Result};

/// Allocations from this size on (bytes) are checked against the memory available.
const LARGE_ALLOCATION: u128 = 64 << 20;

/// Allocates `2^n` zeros, reporting failure as an error instead of aborting.
pub(crate) fn allocate(num_qubits: usize, max_qubits: usize) -> Result<Vec<Complex64>> {
    let bytes =
        1u128.checked_shl(num_qubits as u32).and_then(|a| a.checked_mul(16)).unwrap_or(u128::MAX);
    if num_qubits > max_qubits {
        return Err(Error::TooManyQubits { num_qubits, bytes, max_qubits });
    }
    // With overcommit, a too-large reservation succeeds and the process is killed while zeroing
    // it, so compare large ones with what the machine has first (reading /proc/meminfo costs
    // tens of microseconds: more than allocating a small state).
    if bytes >= LARGE_ALLOCATION {
        if let Some(available) = available_memory() {
            if bytes > available as u128 {
                return Err(Error::OutOfMemory { num_qubits, bytes });
            }
        }
    }
    let len = 1usize << num_qubits;
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| Error::OutOfMemory { num_qubits, bytes })?;
    v.resize(len, Complex64::new(0.0, 0.0));
    Ok(v)
}

/// Bytes of memory available to new allocations (Linux `MemAvailable`), when known.
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Makes `spare` a buffer of `len` amplitudes; false if the memory is not there.
pub(super) fn allocate_spare(spare: &mut Vec<Complex64>, len: usize) -> bool {
    spare.clear();
    if spare.try_reserve_exact(len).is_err() {
        return false;
    }
    spare.resize(len, Complex64::new(0.0, 0.0));
    true
}

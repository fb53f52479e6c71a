//! The size limits of the device-file and readout-case readers: each is a typed error naming
//! the limit.

use std::path::PathBuf;

use qhw_mitigation::Error;
use qhw_mitigation::device::DeviceCalibration;
use qhw_mitigation::device::{MAX_DEVICE_FILE_BYTES, MAX_DEVICE_QUBITS};
use qhw_mitigation::readout_case::{MAX_CASE_FILE_BYTES, ReadoutCase};

/// A sparse file (no disk space used) of `len` bytes in the temporary directory.
fn sparse_file(name: &str, len: u64) -> PathBuf {
    let path = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    std::fs::File::create(&path).unwrap().set_len(len).unwrap();
    path
}

#[test]
fn a_calibration_with_too_many_qubits_names_the_limit() {
    let mut cal = DeviceCalibration::default();
    let qubit = cal.qubits[0].clone();
    cal.qubits = vec![qubit; MAX_DEVICE_QUBITS + 1];
    let err = DeviceCalibration::from_json(&cal.to_json().unwrap()).unwrap_err();
    assert!(
        matches!(err, Error::TooManyQubits { max: MAX_DEVICE_QUBITS, got, .. } if got == MAX_DEVICE_QUBITS + 1),
        "{err}"
    );
    assert_eq!(err.to_string(), "a device calibration supports at most 10000 qubits, got 10001");
}

#[test]
fn a_calibration_file_over_the_limit_is_refused_before_reading() {
    let path = sparse_file("device-big.json", MAX_DEVICE_FILE_BYTES + 1);
    let err = DeviceCalibration::from_file(&path).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(err, Error::FileTooLarge { limit: MAX_DEVICE_FILE_BYTES, .. }), "{err}");
    assert!(
        err.to_string()
            .ends_with(&format!("is {} bytes (limit 67108864)", MAX_DEVICE_FILE_BYTES + 1)),
        "{err}"
    );
}

#[test]
fn a_case_file_over_the_limit_is_refused_before_reading() {
    let path = sparse_file("rem-big.json", MAX_CASE_FILE_BYTES + 1);
    let err = ReadoutCase::from_file(&path).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(err, Error::FileTooLarge { limit: MAX_CASE_FILE_BYTES, .. }), "{err}");
}

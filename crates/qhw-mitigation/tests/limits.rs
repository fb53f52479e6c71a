//! The size limits of the device-file reader: each is a typed error naming the limit.

use qhw_mitigation::Error;
use qhw_mitigation::device::DeviceCalibration;
use qhw_mitigation::device::{MAX_DEVICE_FILE_BYTES, MAX_DEVICE_QUBITS};

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
    let path = std::env::temp_dir().join(format!("device-big-{}.json", std::process::id()));
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(MAX_DEVICE_FILE_BYTES + 1).unwrap(); // sparse: no disk space is used
    let err = DeviceCalibration::from_file(&path).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(err, Error::FileTooLarge { limit: MAX_DEVICE_FILE_BYTES, .. }), "{err}");
    assert!(
        err.to_string()
            .ends_with(&format!("is {} bytes (limit 67108864)", MAX_DEVICE_FILE_BYTES + 1)),
        "{err}"
    );
}

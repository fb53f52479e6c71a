//! Device calibration JSON (`qhw_mitigation::device::DeviceCalibration::from_json`)
//! and the noisy device built from it (`qhw_mitigation::device::NoisyDevice::new`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use qhw_mitigation::device::{DeviceCalibration, NoisyDevice};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(calibration) = DeviceCalibration::from_json(text)
    {
        let _ = NoisyDevice::new(calibration);
    }
});

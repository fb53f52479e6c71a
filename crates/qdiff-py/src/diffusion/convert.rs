//! What crosses the boundary of the diffusion bindings: images, feature matrices, training
//! data and settings.
//!
//! - images come in as `uint8` (0-255, divided by 255 exactly as the library reads MNIST) or
//!   `float32`/`float64` intensities in `[0, 1]`, shaped `(N, 28, 28)` or `(N, 784)`, and go
//!   out as `float32` `(N, 28, 28)`; inside they are the library's 784 x N matrices;
//! - training data are Bloch angles `(N, qubits, 2)` (product states) or amplitudes
//!   `(N, 2**qubits)`, converted by NumPy from lists and other numeric dtypes;
//! - settings (the library's serde configurations) come in as Python dicts merged over the
//!   library's defaults, so a key the library does not know is an error, not silently ignored.

use nalgebra::DMatrix;
use num_complex::Complex64;
use numpy::{PyArray1, PyArray3, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use numpy::{PyReadonlyArray2, PyReadonlyArray3};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use qdecoder::dataset::{IMAGE_PIXELS, IMAGE_SIDE, ImageSet};
use qdiffusion::data::EncodedData;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{invalid, to_py};

/// The most images (or samples) one call accepts or produces: far beyond any data set of the
/// workspace, so a typo in a count is an error instead of an allocation that ends the process.
pub const MAX_ITEMS: usize = 10_000_000;

/// Checks a requested number of samples against [`MAX_ITEMS`].
pub fn check_count(n: usize, what: &str) -> PyResult<()> {
    if n > MAX_ITEMS {
        return Err(invalid(format!("{n} {what} asked for; at most {MAX_ITEMS} per call")));
    }
    Ok(())
}

/// The dtype of a NumPy array (or the Python type of anything else), for messages.
fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.getattr("dtype")
        .and_then(|d| d.str())
        .map(|s| format!("dtype {s}"))
        .or_else(|_| obj.get_type().name().map(|n| format!("type {n}")))
        .unwrap_or_else(|_| "an unknown type".into())
}

/// The number of images of an array shaped `(N, 28, 28)` or `(N, 784)`.
fn image_count(shape: &[usize], what: &str) -> PyResult<usize> {
    match shape {
        [n, IMAGE_SIDE, IMAGE_SIDE] | [n, IMAGE_PIXELS] => Ok(*n),
        _ => Err(invalid(format!(
            "{what}: expected images shaped (N, 28, 28) or (N, 784), got shape {shape:?}"
        ))),
    }
}

/// Images from Python as the library's 784 x N matrix of intensities.
pub fn images_in(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<DMatrix<f32>> {
    if let Ok(array) = obj.extract::<PyReadonlyArrayDyn<'_, u8>>() {
        image_count(array.shape(), what)?;
        let pixels: Vec<u8> = array.as_array().iter().copied().collect();
        return Ok(ImageSet::new(pixels).map_err(to_py)?.to_matrix());
    }
    let (shape, values): (Vec<usize>, Vec<f32>) =
        if let Ok(array) = obj.extract::<PyReadonlyArrayDyn<'_, f32>>() {
            (array.shape().to_vec(), array.as_array().iter().copied().collect())
        } else if let Ok(array) = obj.extract::<PyReadonlyArrayDyn<'_, f64>>() {
            let view = array.as_array();
            if let Some(bad) = view.iter().find(|v| !(0.0..=1.0).contains(*v)) {
                return Err(out_of_range(what, *bad));
            }
            (array.shape().to_vec(), view.iter().map(|&v| v as f32).collect())
        } else {
            return Err(invalid(format!(
                "{what}: expected a NumPy array of uint8 (0-255) or float32/float64 intensities \
                 in [0, 1], got {}",
                type_name(obj)
            )));
        };
    let n = image_count(&shape, what)?;
    if let Some(bad) = values.iter().find(|v| !(0.0..=1.0).contains(*v)) {
        return Err(out_of_range(what, f64::from(*bad)));
    }
    Ok(DMatrix::from_vec(IMAGE_PIXELS, n, values))
}

/// The error of a float intensity outside `[0, 1]` (or NaN).
fn out_of_range(what: &str, value: f64) -> PyErr {
    invalid(format!(
        "{what}: float intensities must lie in [0, 1] (found {value}); pass uint8 for 0-255 \
         pixels"
    ))
}

/// Images from Python as bytes (the library trains its networks on [`ImageSet`]s): `uint8`
/// only, since a float image would have to be quantised first.
pub fn image_set_in(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<ImageSet> {
    let array = obj.extract::<PyReadonlyArrayDyn<'_, u8>>().map_err(|_| {
        invalid(format!(
            "{what}: training takes uint8 images (0-255) shaped (N, 28, 28) or (N, 784), got {}",
            type_name(obj)
        ))
    })?;
    image_count(array.shape(), what)?;
    ImageSet::new(array.as_array().iter().copied().collect()).map_err(to_py)
}

/// A 784 x N matrix of intensities as a `float32` array `(N, 28, 28)`.
pub fn images_out<'py>(
    py: Python<'py>,
    images: &DMatrix<f32>,
) -> PyResult<Bound<'py, PyArray3<f32>>> {
    let n = images.ncols();
    PyArray1::from_slice(py, images.as_slice()).reshape([n, IMAGE_SIDE, IMAGE_SIDE])
}

/// Rows of equal length (features, angles) as a 2-D `float64` array.
pub fn rows_out<'py, T: numpy::Element + Copy>(
    py: Python<'py>,
    rows: &[Vec<T>],
    width: usize,
) -> PyResult<Bound<'py, numpy::PyArray2<T>>> {
    let flat: Vec<T> = rows.iter().flatten().copied().collect();
    PyArray1::from_vec(py, flat).reshape([rows.len(), width])
}

/// `obj` as a NumPy array of `float64` (of `complex128` if it is complex and `complex_ok`),
/// converted by NumPy from lists and other numeric dtypes; anything else (strings, objects) is
/// returned as it is, for the caller's error message.
pub fn numeric<'py>(obj: &Bound<'py, PyAny>, complex_ok: bool) -> Bound<'py, PyAny> {
    let convert = || -> PyResult<Option<Bound<'py, PyAny>>> {
        let numpy = obj.py().import("numpy")?;
        let array = numpy.call_method1("asarray", (obj,))?;
        let kind: String = array.getattr("dtype")?.getattr("kind")?.extract()?;
        let target = match kind.as_str() {
            "f" | "i" | "u" | "b" => "float64",
            "c" if complex_ok => "complex128",
            _ => return Ok(None),
        };
        Ok(Some(numpy.call_method1("asarray", (array, target))?))
    };
    convert().ok().flatten().unwrap_or_else(|| obj.clone())
}

/// A 2-D array of finite numbers (any float or integer dtype, or nested lists) as rows of
/// `f64`, and the row width.
pub fn rows_in(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<(Vec<Vec<f64>>, usize)> {
    let converted = numeric(obj, false);
    let array = converted.extract::<PyReadonlyArrayDyn<'_, f64>>().map_err(|_| {
        invalid(format!(
            "{what}: expected a real array shaped (N, features), got {}",
            type_name(obj)
        ))
    })?;
    let &[_, width] = array.shape() else {
        return Err(invalid(format!(
            "{what}: expected a 2-D array (N, features), got shape {:?}",
            array.shape()
        )));
    };
    let values: Vec<f64> = array.as_array().iter().copied().collect();
    if values.iter().any(|v| !v.is_finite()) {
        return Err(invalid(format!("{what}: every value must be finite")));
    }
    Ok((values.chunks(width.max(1)).map(<[f64]>::to_vec).collect(), width))
}

/// `value` as a Python object through JSON (configurations as plain dicts).
pub fn to_python<'py, T: Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value).map_err(to_py)?;
    py.import("json")?.call_method1("loads", (text,))
}

/// `defaults` with every key of `overrides` (dicts, applied in order) replaced; a key the
/// configuration does not have, or a value of the wrong form, is an error naming `what`.
pub fn merged<T: Serialize + DeserializeOwned>(
    py: Python<'_>,
    defaults: &T,
    overrides: &[Option<&Bound<'_, PyDict>>],
    what: &str,
) -> PyResult<T> {
    let mut value = serde_json::to_value(defaults).map_err(to_py)?;
    let serde_json::Value::Object(fields) = &mut value else {
        return Err(invalid(format!("{what} is not a table of settings")));
    };
    let json = py.import("json")?;
    for dict in overrides.iter().flatten() {
        let text: String = json
            .call_method1("dumps", (dict,))
            .and_then(|t| t.extract())
            .map_err(|e| invalid(format!("{what}: the settings are not plain JSON values: {e}")))?;
        let given: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| invalid(format!("{what}: {e}")))?;
        for (key, v) in given {
            if !fields.contains_key(&key) {
                let known: Vec<&String> = fields.keys().collect();
                return Err(invalid(format!("{what}: unknown setting {key:?} (known: {known:?})")));
            }
            fields.insert(key, v);
        }
    }
    serde_json::from_value(value).map_err(|e| invalid(format!("{what}: {e}")))
}

/// Training data from Python: angles `(N, qubits, 2)` as product states, amplitudes
/// `(N, 2**qubits)` (complex or real) as state vectors.
pub fn encoded_data(data: &Bound<'_, PyAny>) -> PyResult<EncodedData> {
    let data = &numeric(data, true);
    if let Ok(angles) = data.extract::<PyReadonlyArray3<'_, f64>>() {
        let &[n, qubits, two] = angles.shape() else {
            return Err(invalid("angle data must be a 3-D array (N, qubits, 2)"));
        };
        if two != 2 || qubits == 0 || n == 0 {
            return Err(invalid(format!(
                "angle data must be shaped (N, qubits, 2) with N, qubits > 0 (theta, phi per \
                 qubit), got {:?}",
                angles.shape()
            )));
        }
        let values: Vec<f64> = angles.as_array().iter().copied().collect();
        if values.iter().any(|v| !v.is_finite()) {
            return Err(invalid("angle data must be finite"));
        }
        let images = values
            .chunks_exact(2 * qubits)
            .map(|image| image.chunks_exact(2).map(|a| (a[0], a[1])).collect())
            .collect();
        return Ok(EncodedData::Product(images));
    }
    let states: Vec<Vec<Complex64>> =
        if let Ok(amps) = data.extract::<PyReadonlyArray2<'_, Complex64>>() {
            amplitude_rows(amps.shape(), amps.as_array().iter().copied().collect())?
        } else if let Ok(amps) = data.extract::<PyReadonlyArray2<'_, f64>>() {
            let values = amps.as_array().iter().map(|&a| Complex64::new(a, 0.0)).collect();
            amplitude_rows(amps.shape(), values)?
        } else {
            return Err(invalid(
                "training data must be float64 Bloch angles shaped (N, qubits, 2) or amplitudes \
                 shaped (N, 2**qubits) (complex128 or float64)",
            ));
        };
    Ok(EncodedData::Amplitudes(states))
}

/// Rows of `2^n` amplitudes.
fn amplitude_rows(shape: &[usize], values: Vec<Complex64>) -> PyResult<Vec<Vec<Complex64>>> {
    let &[n, dim] = shape else {
        return Err(invalid("amplitude data must be a 2-D array (N, 2**qubits)"));
    };
    if n == 0 || dim < 2 || !dim.is_power_of_two() {
        return Err(invalid(format!(
            "amplitude data must be shaped (N, 2**qubits) with N > 0, got {shape:?}"
        )));
    }
    if values.iter().any(|a| !(a.re.is_finite() && a.im.is_finite())) {
        return Err(invalid("amplitudes must be finite"));
    }
    Ok(values.chunks_exact(dim).map(<[Complex64]>::to_vec).collect())
}

//! MNIST and the MNIST example's sample files: the IDX format, read into NumPy `uint8` arrays.

use std::path::PathBuf;

use numpy::{PyArray1, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::prelude::*;
use qdecoder::dataset::{IMAGE_SIDE, LabeledImages, Mnist, VALIDATION_SIZE};
use qdecoder::idx::IdxArray;

use crate::error::{invalid, to_py};

/// Images `(N, 28, 28)` and labels `(N,)`, both `uint8`.
type Split<'py> = (Bound<'py, PyArrayDyn<u8>>, Bound<'py, PyArray1<u8>>);

/// One split of the MNIST directory `directory` (the four standard IDX files, gzip or raw; the
/// workspace bundles an 8,000 / 2,000 subset in `data/mnist`): images `uint8` `(N, 28, 28)` and
/// labels `uint8` `(N,)`.
///
/// `split`: `"train"` (the whole training file), `"test"` (the test file: the MNIST example's
/// reference set), or the example's split of the training file, `"validation"` (1,000 digits
/// held out, every eighth) and `"fit"` (the other 7,000, on which its models are fitted).
#[pyfunction]
#[pyo3(signature = (directory, split = "train"))]
pub fn load_mnist<'py>(py: Python<'py>, directory: PathBuf, split: &str) -> PyResult<Split<'py>> {
    let chosen = py.detach(|| -> PyResult<LabeledImages> {
        let mnist = Mnist::load(&directory).map_err(to_py)?;
        Ok(match split {
            "train" => mnist.train,
            "test" => mnist.test,
            "fit" | "validation" => {
                let splits = mnist.split_validation(VALIDATION_SIZE).map_err(to_py)?;
                if split == "fit" { splits.train } else { splits.validation }
            }
            other => {
                return Err(invalid(format!(
                    "unknown split {other:?}: use \"train\", \"test\", \"fit\" or \"validation\""
                )));
            }
        })
    })?;
    let n = chosen.len();
    let images = PyArray1::from_slice(py, chosen.images().pixels())
        .reshape(vec![n, IMAGE_SIDE, IMAGE_SIDE])?;
    Ok((images, PyArray1::from_slice(py, chosen.labels())))
}

/// An IDX file (gzip or raw, unsigned bytes) as a `uint8` array of its dimensions: the MNIST
/// files, and the sample sets the MNIST example writes (`samples_<model>.idx`, `(N, 28, 28)`,
/// intensities quantised to 0-255).
#[pyfunction]
pub fn read_idx(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyArrayDyn<u8>>> {
    let array = py.detach(|| IdxArray::read(&path)).map_err(to_py)?;
    let (dims, data) = array.into_parts();
    PyArray1::from_vec(py, data).reshape(dims)
}

/// Writes a `uint8` array as an IDX file, atomically (gzip if the name ends in `.gz`).
#[pyfunction]
pub fn write_idx(py: Python<'_>, path: PathBuf, array: &Bound<'_, PyAny>) -> PyResult<()> {
    let array = array.extract::<PyReadonlyArrayDyn<'_, u8>>().map_err(|_| {
        invalid("write_idx takes a uint8 array (quantise float images with np.round(x * 255))")
    })?;
    let dims = array.shape().to_vec();
    let data: Vec<u8> = array.as_array().iter().copied().collect();
    py.detach(|| IdxArray::new(dims, data)?.write(&path)).map_err(to_py)
}

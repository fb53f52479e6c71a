//! From images to states and back: the MNIST example's autoencoder (the latent encoding), the
//! amplitude encoding, and decoding sampled features to pixels.

use std::path::PathBuf;

use numpy::{PyArray2, PyArray3};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use qdecoder::autoencoder::AutoencoderConfig;
use qdecoder::checkpoint::{CacheStatus, Checkpoint};
use qdecoder::encoder::{AMPLITUDE_QUBITS, amplitude_images, amplitude_state};

use super::convert::{image_set_in, images_in, images_out, merged, rows_in, rows_out, to_python};
use crate::error::{invalid, to_py};

/// The autoencoder of the MNIST example's latent encoding: an encoder from images to 10-qubit
/// product states (two Bloch angles per qubit) and a decoder from per-qubit `<X>, <Y>, <Z>` to
/// pixels. The example caches it as `out/cache/autoencoder*.bin`.
#[pyclass(module = "qdiff._native", frozen)]
pub struct Autoencoder {
    inner: qdecoder::autoencoder::Autoencoder,
}

#[pymethods]
impl Autoencoder {
    /// Reads an autoencoder file (magic QDECAUTO).
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = py.detach(|| qdecoder::autoencoder::Autoencoder::load(&path)).map_err(to_py)?;
        Ok(Self { inner })
    }

    /// Trains an autoencoder on `images` (`uint8`, `(N, 28, 28)`), deterministic given the
    /// settings' seed. Settings: the library's defaults (the example's full run, minutes on two
    /// cores), then `settings` (e.g. the `config["autoencoder"]` of an example's
    /// `metrics.json`), then keywords.
    #[staticmethod]
    #[pyo3(signature = (images, settings = None, **overrides))]
    fn train<'py>(
        py: Python<'py>,
        images: &Bound<'py, PyAny>,
        settings: Option<&Bound<'py, PyDict>>,
        overrides: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Self> {
        let images = image_set_in(images, "autoencoder training images")?;
        let config = autoencoder_config(py, settings, overrides)?;
        let inner = py
            .detach(|| qdecoder::autoencoder::Autoencoder::train(&images, &config, |_| {}))
            .map_err(to_py)?;
        Ok(Self { inner })
    }

    /// The autoencoder cached at `path` if it was trained with these settings on exactly
    /// `images` (`uint8`, `(N, 28, 28)`); otherwise trains one (deterministic given the
    /// settings' seed) and caches it there atomically, as the MNIST example does. Settings: the
    /// library's defaults (the example's full run), then `settings`, then keywords. Returns
    /// `(autoencoder, loaded)`.
    #[staticmethod]
    #[pyo3(signature = (path, images, settings = None, **overrides))]
    fn load_or_train<'py>(
        py: Python<'py>,
        path: PathBuf,
        images: &Bound<'py, PyAny>,
        settings: Option<&Bound<'py, PyDict>>,
        overrides: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<(Self, bool)> {
        let images = image_set_in(images, "autoencoder training images")?;
        let config = autoencoder_config(py, settings, overrides)?;
        let (inner, status) = py
            .detach(|| {
                qdecoder::autoencoder::Autoencoder::load_or_train(&path, &images, &config, |_| {})
            })
            .map_err(to_py)?;
        Ok((Self { inner }, matches!(status, CacheStatus::Loaded)))
    }

    /// Why this autoencoder is not what `train` makes of these images and settings (another
    /// configuration, or other images), or `None` if it is: how to tell whether a cached
    /// autoencoder is the one an example run used.
    #[pyo3(signature = (images, settings = None, **overrides))]
    fn stale_for<'py>(
        &self,
        py: Python<'py>,
        images: &Bound<'py, PyAny>,
        settings: Option<&Bound<'py, PyDict>>,
        overrides: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Option<String>> {
        let images = image_set_in(images, "autoencoder training images")?;
        let config = autoencoder_config(py, settings, overrides)?;
        Ok(py.detach(|| self.inner.stale_for(&images, &config)))
    }

    /// Writes the autoencoder atomically.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| self.inner.save(&path)).map_err(to_py)
    }

    /// Qubits of the latent product states.
    #[getter]
    fn num_qubits(&self) -> usize {
        self.inner.decoder().num_qubits()
    }

    /// The settings it was trained with (a dict in the library's spelling).
    #[getter]
    fn settings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, self.inner.config())
    }

    /// The latent encoding of `images`: Bloch angles `(theta, phi)` per qubit, `float64`
    /// `(N, qubits, 2)`, the training data of `DiffusionModel.train`.
    fn encode<'py>(
        &self,
        py: Python<'py>,
        images: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray3<f64>>> {
        let images = images_in(images, "images to encode")?;
        let angles = py.detach(|| self.inner.encode_angles(&images)).map_err(to_py)?;
        let n = self.num_qubits();
        let flat: Vec<f64> = angles.iter().flatten().flat_map(|&(t, p)| [t, p]).collect();
        numpy::PyArrayMethods::reshape(&numpy::PyArray1::from_vec(py, flat), [angles.len(), n, 2])
    }

    /// Decodes Bloch features `(N, 3 * qubits)` (what a latent model's `sample` returns) to
    /// `float32` images `(N, 28, 28)`, each qubit's vector first scaled to unit length.
    fn decode<'py>(
        &self,
        py: Python<'py>,
        features: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray3<f32>>> {
        let (rows, _) = rows_in(features, "Bloch features")?;
        let images = py.detach(|| self.inner.decode_bloch_features(&rows)).map_err(to_py)?;
        images_out(py, &images)
    }

    fn __repr__(&self) -> String {
        format!("Autoencoder(num_qubits={})", self.num_qubits())
    }
}

/// Sampled features (rows of `width` numbers) to images: through `autoencoder` if given (Bloch
/// features), else in closed form for Born distributions of 10 qubits (the amplitude
/// encoding).
pub fn decode_rows<'py>(
    py: Python<'py>,
    rows: &[Vec<f64>],
    width: usize,
    autoencoder: Option<&Autoencoder>,
) -> PyResult<Bound<'py, PyArray3<f32>>> {
    let images = match autoencoder {
        Some(ae) => py.detach(|| ae.inner.decode_bloch_features(rows)).map_err(to_py)?,
        None if width == 1 << AMPLITUDE_QUBITS => {
            py.detach(|| amplitude_images(rows)).map_err(to_py)?
        }
        None => {
            return Err(invalid(format!(
                "features of width {width} need an autoencoder to decode (Bloch features of a \
                 latent model: pass autoencoder=Autoencoder.load(...)); only Born distributions \
                 of {AMPLITUDE_QUBITS} qubits (width {}) decode without one",
                1 << AMPLITUDE_QUBITS
            )));
        }
    };
    images_out(py, &images)
}

/// Decodes sampled features `(N, d)` to `float32` images `(N, 28, 28)` in `[0, 1]`: Bloch
/// features through `autoencoder` (each qubit's vector first scaled to unit length), Born
/// distributions of 10 qubits in closed form (the amplitude encoding, brightest pixel 1).
#[pyfunction]
#[pyo3(signature = (features, autoencoder = None))]
pub fn decode<'py>(
    py: Python<'py>,
    features: &Bound<'py, PyAny>,
    autoencoder: Option<PyRef<'py, Autoencoder>>,
) -> PyResult<Bound<'py, PyArray3<f32>>> {
    let (rows, width) = rows_in(features, "features")?;
    decode_rows(py, &rows, width, autoencoder.as_deref())
}
/// The amplitude encoding of `images` (the MNIST example's `--encoding amplitude`): per image
/// the 1024 amplitudes `sqrt(x_k / sum x)` of the image padded to 32 x 32, `float64`
/// `(N, 1024)`, the training data of a 10-qubit Born model. Blank images have no encoding.
#[pyfunction]
pub fn encode_amplitudes<'py>(
    py: Python<'py>,
    images: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let images = images_in(images, "images to encode")?;
    let rows = py
        .detach(|| {
            images
                .column_iter()
                .map(|c| amplitude_state(c.as_slice()))
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(to_py)?;
    rows_out(py, &rows, 1 << AMPLITUDE_QUBITS)
}

/// The library's default autoencoder settings, then `settings`, then the keyword
/// `overrides` (what every constructor and cache check here takes).
fn autoencoder_config(
    py: Python<'_>,
    settings: Option<&Bound<'_, PyDict>>,
    overrides: Option<&Bound<'_, PyDict>>,
) -> PyResult<AutoencoderConfig> {
    merged(py, &AutoencoderConfig::default(), &[settings, overrides], "autoencoder settings")
}

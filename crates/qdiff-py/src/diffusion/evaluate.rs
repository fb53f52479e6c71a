//! FID on the project's classifier features: the classifier, the evaluator that holds a
//! reference set's statistics, and the one-call `fid`. The figures are the MNIST example's: the
//! same library calls on the same images give the same bits.

use std::path::PathBuf;

use numpy::{PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use qdecoder::checkpoint::{CacheStatus, Checkpoint};
use qdecoder::classifier::ClassifierConfig;
use qdecoder::dataset::LabeledImages;
use qdecoder::score::SampleScore;

use super::convert::{image_set_in, images_in, merged, to_python};
use crate::error::to_py;

/// The project's MNIST classifier, whose last hidden layer gives the FID features (FID "on our
/// classifier features", not Inception-FID). The MNIST example caches it as
/// `out/cache/fid_classifier*.bin`.
#[pyclass(module = "qdiff._native", frozen)]
#[derive(Clone)]
pub struct Classifier {
    inner: qdecoder::classifier::Classifier,
}

/// Labelled training images from Python.
fn labelled(images: &Bound<'_, PyAny>, labels: Vec<u8>) -> PyResult<LabeledImages> {
    let images = image_set_in(images, "classifier training images")?;
    LabeledImages::new(images, labels).map_err(to_py)
}

#[pymethods]
impl Classifier {
    /// Reads a classifier file (magic QDECCLAS).
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = py.detach(|| qdecoder::classifier::Classifier::load(&path)).map_err(to_py)?;
        Ok(Self { inner })
    }

    /// Trains a classifier on `images` (`uint8`, `(N, 28, 28)`) and `labels` (digits 0-9),
    /// deterministic given the settings' seed. Settings: the library's defaults (the project's
    /// FID classifier: 30 epochs, minutes on two cores), then `settings` (e.g. the
    /// `config["classifier"]` of an example's `metrics.json`), then keywords.
    #[staticmethod]
    #[pyo3(signature = (images, labels, settings = None, **overrides))]
    fn train<'py>(
        py: Python<'py>,
        images: &Bound<'py, PyAny>,
        labels: Vec<u8>,
        settings: Option<&Bound<'py, PyDict>>,
        overrides: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Self> {
        let data = labelled(images, labels)?;
        let config = classifier_config(py, settings, overrides)?;
        let inner = py
            .detach(|| qdecoder::classifier::Classifier::train(&data, &config, |_| {}))
            .map_err(to_py)?;
        Ok(Self { inner })
    }

    /// The classifier cached at `path` if it was trained with these settings on exactly these
    /// images and labels; otherwise trains one and caches it there atomically (what the MNIST
    /// example does with the whole training split). Returns `(classifier, loaded)`.
    #[staticmethod]
    #[pyo3(signature = (path, images, labels, settings = None, **overrides))]
    fn load_or_train<'py>(
        py: Python<'py>,
        path: PathBuf,
        images: &Bound<'py, PyAny>,
        labels: Vec<u8>,
        settings: Option<&Bound<'py, PyDict>>,
        overrides: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<(Self, bool)> {
        let data = labelled(images, labels)?;
        let config = classifier_config(py, settings, overrides)?;
        let (inner, status) = py
            .detach(|| {
                qdecoder::classifier::Classifier::load_or_train(&path, &data, &config, |_| {})
            })
            .map_err(to_py)?;
        Ok((Self { inner }, matches!(status, CacheStatus::Loaded)))
    }

    /// Why this classifier is not what `train` makes of these images, labels and settings
    /// (another configuration, or other data), or `None` if it is: how to tell whether a cached
    /// classifier is the one an example run used.
    #[pyo3(signature = (images, labels, settings = None, **overrides))]
    fn stale_for<'py>(
        &self,
        py: Python<'py>,
        images: &Bound<'py, PyAny>,
        labels: Vec<u8>,
        settings: Option<&Bound<'py, PyDict>>,
        overrides: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Option<String>> {
        let data = labelled(images, labels)?;
        let config = classifier_config(py, settings, overrides)?;
        Ok(py.detach(|| self.inner.stale_for(&data, &config)))
    }

    /// Writes the classifier atomically.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| self.inner.save(&path)).map_err(to_py)
    }

    /// The settings it was trained with (a dict in the library's spelling).
    #[getter]
    fn settings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, self.inner.config())
    }

    /// Dimension of the FID features.
    #[getter]
    fn feature_dim(&self) -> usize {
        self.inner.feature_dim()
    }

    /// The FID features of `images`, `float32` `(N, feature_dim)`.
    fn features<'py>(
        &self,
        py: Python<'py>,
        images: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let images = images_in(images, "images")?;
        let features = py.detach(|| self.inner.features(&images)).map_err(to_py)?;
        // Column j of the (dim x N) matrix is image j: its column-major storage is (N, dim).
        numpy::PyArrayMethods::reshape(
            &PyArray1::from_slice(py, features.as_slice()),
            [features.ncols(), features.nrows()],
        )
    }

    /// The most probable digit of each image, `uint8` `(N,)`.
    fn predict<'py>(
        &self,
        py: Python<'py>,
        images: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<u8>>> {
        let images = images_in(images, "images")?;
        let digits = py.detach(|| self.inner.predict(&images)).map_err(to_py)?;
        Ok(PyArray1::from_vec(py, digits))
    }

    fn __repr__(&self) -> String {
        format!("Classifier(hidden={:?})", self.inner.config().hidden)
    }
}

/// A classifier with the feature statistics of a reference set (the MNIST example scores
/// against its 2,000 test digits, or the 1,000 validation digits with `--split validation`),
/// ready to score any number of sample sets exactly as the example does.
#[pyclass(module = "qdiff._native", frozen)]
pub struct Evaluator {
    inner: qdecoder::score::Evaluator,
}

/// A score as a dict.
fn score_dict<'py>(py: Python<'py>, score: &SampleScore) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("fid", score.fid)?;
    dict.set_item("mean_confidence", score.mean_confidence)?;
    dict.set_item("class_histogram", score.class_histogram.to_vec())?;
    dict.set_item("n", score.n)?;
    Ok(dict)
}

#[pymethods]
impl Evaluator {
    /// Fits the reference statistics of `reference` (images: `uint8` 0-255 or float
    /// intensities in `[0, 1]`, `(N, 28, 28)` or `(N, 784)`, at least two) with `classifier`.
    #[new]
    fn new(
        py: Python<'_>,
        classifier: &Classifier,
        reference: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let reference = images_in(reference, "reference images")?;
        let classifier = classifier.inner.clone();
        let inner =
            py.detach(|| qdecoder::score::Evaluator::new(classifier, &reference)).map_err(to_py)?;
        Ok(Self { inner })
    }

    /// The classifier it scores with.
    #[getter]
    fn classifier(&self) -> Classifier {
        Classifier { inner: self.inner.classifier().clone() }
    }

    /// FID of `images` (at least two) against the reference set, on the classifier's
    /// features.
    fn fid(&self, py: Python<'_>, images: &Bound<'_, PyAny>) -> PyResult<f64> {
        let images = images_in(images, "images")?;
        Ok(py.detach(|| self.inner.score(&images)).map_err(to_py)?.fid)
    }

    /// Every score of `images` the MNIST example reports: a dict with `fid`,
    /// `mean_confidence` (mean top-class probability), `class_histogram` (fraction per digit)
    /// and `n`.
    fn score<'py>(
        &self,
        py: Python<'py>,
        images: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let images = images_in(images, "images")?;
        let score = py.detach(|| self.inner.score(&images)).map_err(to_py)?;
        score_dict(py, &score)
    }

    fn __repr__(&self) -> String {
        format!("Evaluator(reference_n={})", self.inner.reference().count())
    }
}

/// FID of `samples` against `reference` on `classifier`'s features (both image sets as
/// `Evaluator` takes them). To score several sets against one reference, build an `Evaluator`
/// once.
#[pyfunction]
pub fn fid(
    py: Python<'_>,
    samples: &Bound<'_, PyAny>,
    reference: &Bound<'_, PyAny>,
    classifier: &Classifier,
) -> PyResult<f64> {
    let evaluator = Evaluator::new(py, classifier, reference)?;
    evaluator.fid(py, samples)
}

/// The library's default classifier settings, then `settings`, then the keyword
/// `overrides` (what every constructor and cache check here takes).
fn classifier_config(
    py: Python<'_>,
    settings: Option<&Bound<'_, PyDict>>,
    overrides: Option<&Bound<'_, PyDict>>,
) -> PyResult<ClassifierConfig> {
    merged(py, &ClassifierConfig::default(), &[settings, overrides], "classifier settings")
}

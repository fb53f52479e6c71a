//! `ModelConfig` and `DiffusionModel`: build, load, save, sample and train the quantum diffusion
//! model of `qdiffusion` from Python.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use numpy::{PyArray1, PyArray2, PyArray3};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use qansatz_mps::params;
use qdecoder::checkpoint::{
    AUTOENCODER_FORMAT, CLASSIFIER_FORMAT, Checkpoint, DECODER_FORMAT, ENCODER_FORMAT,
    NETWORK_FORMAT,
};
use qdiffusion::baseline::model::Ddpm;
use qdiffusion::data::EncodedData;
use qdiffusion::features::Readout;
use qdiffusion::model;
use qdiffusion::reverse::ReverseModel;
use qdiffusion::sample;
use qdiffusion::train::{CHECKPOINT_FORMAT, CheckpointFile, TrainConfig, Trainer};

use super::codec::{Autoencoder, decode_rows};
use super::convert::{check_count, encoded_data, merged, rows_out, to_python};
use crate::error::{invalid, to_py};

/// The most bytes of seed states one sampling call may hold (the library builds every seed
/// state before running the chains): 4 GiB, so an oversized request is an error, not an
/// allocation failure that ends the process.
const MAX_SEED_BYTES: usize = 1 << 32;

/// The shape of a quantum diffusion model (qdiffusion's `ModelConfig`).
///
/// Every keyword is optional; the defaults are the library's, the MNIST model: `qubits=10`,
/// `ancillas=2`, `steps=50`, `layers=1`, `entangler="StaircaseXy"` (or `"Staircase"`,
/// `"Brickwork"`), `ancilla_coupling="Spread"` (or `"Chain"`),
/// `conditioning={"Embedded": {"dim": 8}}` (or `"PerStep"`, `"None"`),
/// `cosine_offset=0.008`.
///
/// >>> ModelConfig(qubits=2, ancillas=1, steps=3).steps
/// 3
#[pyclass(module = "qdiff._native", name = "ModelConfig", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct PyModelConfig {
    /// The library's configuration.
    pub inner: model::ModelConfig,
}

#[pymethods]
impl PyModelConfig {
    /// The library's defaults with the given settings replaced.
    #[new]
    #[pyo3(signature = (**settings))]
    fn new(py: Python<'_>, settings: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let inner: model::ModelConfig =
            merged(py, &model::ModelConfig::default(), &[settings], "ModelConfig")?;
        // Building the model checks every value (qubit counts, steps, parameter limits).
        inner.reverse_model().map_err(to_py)?;
        inner.forward_process().map_err(to_py)?;
        Ok(Self { inner })
    }

    /// System qubits `n` (the data's).
    #[getter]
    fn qubits(&self) -> usize {
        self.inner.qubits
    }

    /// Ancillas `k`, measured and reset after every reverse step.
    #[getter]
    fn ancillas(&self) -> usize {
        self.inner.ancillas
    }

    /// Diffusion steps `T`.
    #[getter]
    fn steps(&self) -> usize {
        self.inner.steps
    }

    /// Ansatz layers per reverse step.
    #[getter]
    fn layers(&self) -> usize {
        self.inner.layers
    }

    /// Offset `s` of the forward process's cosine schedule.
    #[getter]
    fn cosine_offset(&self) -> f64 {
        self.inner.cosine_offset
    }

    /// Trainable parameters of the model this configuration builds.
    #[getter]
    fn num_params(&self) -> PyResult<usize> {
        Ok(self.inner.reverse_model().map_err(to_py)?.model().num_params())
    }

    /// Every setting as a dict (the library's spelling; `ModelConfig(**d)` rebuilds it).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.inner)
    }

    fn __repr__(&self) -> String {
        let c = &self.inner;
        format!(
            "ModelConfig(qubits={}, ancillas={}, steps={}, layers={}, entangler={}, \
             ancilla_coupling={}, conditioning={}, cosine_offset={})",
            c.qubits,
            c.ancillas,
            c.steps,
            c.layers,
            json_text(&c.entangler),
            json_text(&c.ancilla_coupling),
            json_text(&c.conditioning),
            c.cosine_offset
        )
    }
}

/// A setting as JSON text, how Python spells it in `ModelConfig(...)` (`"Spread"`,
/// `{"Embedded":{"dim":8}}`).
fn json_text<T: serde::Serialize>(value: &T) -> String {
    // Every configuration type serializes; an empty text would only shorten a repr.
    serde_json::to_string(value).unwrap_or_default()
}

/// The training settings of the library (`qdiffusion::train::TrainConfig::default()`) as a
/// dict: what `DiffusionModel.train` starts from before its keywords.
#[pyfunction]
pub fn default_train_settings(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    to_python(py, &TrainConfig::default())
}

/// A quantum diffusion model: its configuration, the parameters it samples with, the readout
/// of its final states and, once trained or when loaded from a training checkpoint, the
/// training state (iteration, losses, settings).
///
/// Safe to share between Python threads: `train` replaces the trained state whole when it
/// ends, and every other call works on the state as it was when the call began.
#[pyclass(module = "qdiff._native", frozen)]
pub struct DiffusionModel {
    config: model::ModelConfig,
    reverse: ReverseModel,
    /// What training changes, replaced whole by `train`; calls take a snapshot.
    trained: Mutex<Arc<Trained>>,
}

/// The part of a model that training changes.
struct Trained {
    /// The parameters sampling uses (a checkpoint's moving average if it keeps one).
    params: Vec<f64>,
    /// What sampling reads out.
    readout: Readout,
    /// The training state and settings, if the model has been trained or was loaded from a
    /// checkpoint.
    checkpoint: Option<CheckpointFile>,
}

impl DiffusionModel {
    /// A model of `config` with `params` and nothing else.
    fn with(config: model::ModelConfig, params: Vec<f64>, readout: Readout) -> PyResult<Self> {
        let reverse = config.reverse_model().map_err(to_py)?;
        let expected = reverse.model().num_params();
        if params.len() != expected {
            return Err(invalid(format!(
                "{} parameters for a model that has {expected}",
                params.len()
            )));
        }
        if params.iter().any(|p| !p.is_finite()) {
            return Err(invalid("every parameter must be finite"));
        }
        let trained = Trained { params, readout, checkpoint: None };
        Ok(Self { config, reverse, trained: Mutex::new(Arc::new(trained)) })
    }

    /// The trained state as it is now. (The lock is only held to copy the `Arc`, never while
    /// Python or a computation runs, so it cannot deadlock with the GIL.)
    fn trained(&self) -> Arc<Trained> {
        Arc::clone(&self.trained.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Checks that `n` seed states fit [`MAX_SEED_BYTES`] (sampling holds them all at once).
    fn check_samples(&self, n: usize) -> PyResult<()> {
        check_count(n, "samples")?;
        let amplitudes = u32::try_from(self.config.qubits)
            .ok()
            .and_then(|q| 1usize.checked_shl(q))
            .unwrap_or(usize::MAX);
        let per_state = 16usize.saturating_mul(amplitudes);
        if n.saturating_mul(per_state) > MAX_SEED_BYTES {
            return Err(invalid(format!(
                "{n} samples of a {}-qubit model need {} GiB of seed states at once; at most \
                 {} per call",
                self.config.qubits,
                n.saturating_mul(per_state) >> 30,
                MAX_SEED_BYTES / per_state
            )));
        }
        Ok(())
    }

    /// The features of `n` samples (the GIL released while the chains run).
    fn sample_rows(
        &self,
        py: Python<'_>,
        params: &[f64],
        n: usize,
        seed: u64,
        readout: Readout,
    ) -> PyResult<Vec<Vec<f64>>> {
        self.check_samples(n)?;
        py.detach(|| {
            let seeds = sample::seeds(self.config.qubits, n, seed).map_err(to_py)?;
            sample::generate(&self.reverse, params, &seeds, seed, readout).map_err(to_py)
        })
    }
}

/// `"bloch"` or `"born"` as the library's readout.
fn parse_readout(name: &str) -> PyResult<Readout> {
    match name.to_ascii_lowercase().as_str() {
        "bloch" => Ok(Readout::Bloch),
        "born" => Ok(Readout::Born),
        _ => Err(invalid(format!("unknown readout {name:?}: use \"bloch\" or \"born\""))),
    }
}

/// A copy of the settings `dict` with a `"readout"` given as `sample` takes it (`"bloch"`,
/// `"born"`, any case) in the library's spelling.
fn readout_spelled<'py>(dict: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyDict>> {
    let copy = dict.copy()?;
    if let Some(value) = copy.get_item("readout")? {
        if let Ok(name) = value.extract::<String>() {
            let spelled = match parse_readout(&name)? {
                Readout::Bloch => "Bloch",
                Readout::Born => "Born",
            };
            copy.set_item("readout", spelled)?;
        }
    }
    Ok(copy)
}

/// The readout's name in Python.
fn readout_name(readout: Readout) -> &'static str {
    match readout {
        Readout::Bloch => "bloch",
        Readout::Born => "born",
    }
}

/// Reads a training checkpoint or a parameter file, telling apart by their magic bytes.
fn load_file(path: &Path) -> PyResult<DiffusionModel> {
    let bytes = qfile::read_limited(path, qfile::MAX_FRAMED_FILE_LEN).map_err(to_py)?;
    let magic = bytes.get(..8);
    if magic == Some(&CHECKPOINT_FORMAT.magic()[..]) {
        let file = CheckpointFile::decode(&bytes, path).map_err(to_py)?;
        let config = model::ModelConfig::from_stored(file.model_config()).map_err(to_py)?;
        let params = file.state().sampling_params().to_vec();
        let readout = file.train_config().readout;
        let mut model = DiffusionModel::with(config, params.clone(), readout)
            .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
        if model.reverse.model().config() != *file.model_config() {
            return Err(invalid(format!("{}: the stored model does not rebuild", path.display())));
        }
        model.trained = Mutex::new(Arc::new(Trained { params, readout, checkpoint: Some(file) }));
        return Ok(model);
    }
    if magic == Some(&params::FORMAT.magic()[..]) {
        let (ansatz, values) = params::decode_params(&bytes, path).map_err(to_py)?;
        let config = model::ModelConfig::from_stored(&ansatz.config()).map_err(to_py)?;
        return DiffusionModel::with(config, values, Readout::Bloch);
    }
    let other = [
        (CLASSIFIER_FORMAT.magic(), "an FID classifier: load it with Classifier.load"),
        (AUTOENCODER_FORMAT.magic(), "an autoencoder: load it with Autoencoder.load"),
        (Ddpm::FORMAT.magic(), "a classical DDPM baseline (not exposed in Python)"),
        (NETWORK_FORMAT.magic(), "a qdecoder network (not a diffusion model)"),
        (ENCODER_FORMAT.magic(), "a qdecoder encoder (not a diffusion model)"),
        (DECODER_FORMAT.magic(), "a qdecoder decoder (not a diffusion model)"),
    ];
    let kind = other
        .iter()
        .find(|(m, _)| magic == Some(&m[..]))
        .map_or("not a file of the workspace's framed format", |(_, what)| *what);
    Err(invalid(format!(
        "{}: not a quantum diffusion model ({kind}); DiffusionModel.load reads training \
         checkpoints (magic QDIFFCKP, e.g. the MNIST example's checkpoint_quantum_*.bin) and \
         parameter files (magic QDIFFPAR)",
        path.display()
    )))
}

#[pymethods]
impl DiffusionModel {
    /// A new model of `config` (default: `ModelConfig()`, the MNIST shape) with the initial
    /// parameters training would start from with training seed `seed`.
    #[new]
    #[pyo3(signature = (config = None, seed = 1))]
    fn new(config: Option<PyRef<'_, PyModelConfig>>, seed: u64) -> PyResult<Self> {
        let config = config.map_or_else(model::ModelConfig::default, |c| c.inner.clone());
        let reverse = config.reverse_model().map_err(to_py)?;
        let params = TrainConfig { seed, ..TrainConfig::default() }.initial_params(reverse.model());
        Self::with(config, params, Readout::Bloch)
    }

    /// Reads a training checkpoint (what the MNIST example writes as
    /// `checkpoint_quantum_<encoding>.bin`, and what `train(checkpoint=...)` and `save` write)
    /// or a parameter file. A checkpoint's model samples with its sampling parameters (the
    /// moving average if it keeps one) and its training readout; a parameter file's with the
    /// Bloch readout.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        py.detach(|| load_file(&path))
    }

    /// Writes the model atomically: as a training checkpoint if it has a training state (so it
    /// resumes and keeps its iteration and losses), else, or with `params_only=True`, as a
    /// parameter file (the configuration and the sampling parameters).
    #[pyo3(signature = (path, params_only = false))]
    fn save(&self, py: Python<'_>, path: PathBuf, params_only: bool) -> PyResult<()> {
        let trained = self.trained();
        py.detach(|| match (&trained.checkpoint, params_only) {
            (Some(file), false) => file.save(&path).map_err(to_py),
            _ => params::save_params(&path, self.reverse.model(), &trained.params).map_err(to_py),
        })
    }

    /// A copy of this model with other parameters (a parameter-file model: no training state).
    fn with_params(&self, params: Vec<f64>) -> PyResult<Self> {
        Self::with(self.config.clone(), params, self.trained().readout)
    }

    /// The model's configuration.
    #[getter]
    fn config(&self) -> PyModelConfig {
        PyModelConfig { inner: self.config.clone() }
    }

    /// The parameters sampling uses (a copy), `float64` of length `num_params`.
    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, &self.trained().params)
    }

    /// Number of parameters.
    #[getter]
    fn num_params(&self) -> usize {
        self.trained().params.len()
    }

    /// What `sample` reads out of the final states: `"bloch"` (three numbers per qubit) or
    /// `"born"` (the `2**qubits` probabilities).
    #[getter]
    fn readout(&self) -> &'static str {
        readout_name(self.trained().readout)
    }

    /// Training iterations done, or `None` for a model without training state.
    #[getter]
    fn iteration(&self) -> Option<usize> {
        self.trained().checkpoint.as_ref().map(|c| c.state().iteration())
    }

    /// The loss of every training iteration so far (empty without training state).
    #[getter]
    fn losses<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        let trained = self.trained();
        let losses = trained.checkpoint.as_ref().map_or(&[][..], |c| c.state().losses());
        PyArray1::from_slice(py, losses)
    }

    /// The training settings (a dict in the library's spelling), or `None`.
    #[getter]
    fn train_settings<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.trained().checkpoint.as_ref().map(|c| to_python(py, c.train_config())).transpose()
    }

    /// The fingerprint of the training data recorded in the checkpoint, or `None`.
    #[getter]
    fn data_fingerprint(&self) -> Option<u64> {
        self.trained().checkpoint.as_ref().map(CheckpointFile::data_fingerprint)
    }

    /// `n` samples: the reverse chain from `n` Haar-random product seeds (seed `i` depends only
    /// on `(seed, i)`), one trajectory each, read out exactly; shape `(n, 3 * qubits)` for the
    /// Bloch readout, `(n, 2**qubits)` for Born. The MNIST example samples with `seed=7`.
    #[pyo3(signature = (n, seed = 7, readout = None))]
    fn sample<'py>(
        &self,
        py: Python<'py>,
        n: usize,
        seed: u64,
        readout: Option<&str>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let trained = self.trained();
        let readout = readout.map_or(Ok(trained.readout), parse_readout)?;
        let rows = self.sample_rows(py, &trained.params, n, seed, readout)?;
        rows_out(py, &rows, readout.dim(self.config.qubits))
    }

    /// The ablation of `sample(n, seed)`: the same seeds read out with the reverse process
    /// removed (the MNIST example's "ablation" row).
    #[pyo3(signature = (n, seed = 7, readout = None))]
    fn ablation<'py>(
        &self,
        py: Python<'py>,
        n: usize,
        seed: u64,
        readout: Option<&str>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let readout = readout.map_or(Ok(self.trained().readout), parse_readout)?;
        self.check_samples(n)?;
        let rows = py.detach(|| -> PyResult<Vec<Vec<f64>>> {
            let seeds = sample::seeds(self.config.qubits, n, seed).map_err(to_py)?;
            Ok(sample::ablation(&seeds, readout))
        })?;
        rows_out(py, &rows, readout.dim(self.config.qubits))
    }

    /// `sample(n, seed)` decoded to images, `float32` `(n, 28, 28)` in `[0, 1]`: Bloch samples
    /// through `autoencoder` (the MNIST example's latent decoder, each qubit's vector first
    /// scaled to unit length), Born samples of 10 qubits in closed form (the amplitude
    /// encoding).
    #[pyo3(signature = (n, seed = 7, autoencoder = None))]
    fn sample_images<'py>(
        &self,
        py: Python<'py>,
        n: usize,
        seed: u64,
        autoencoder: Option<PyRef<'py, Autoencoder>>,
    ) -> PyResult<Bound<'py, PyArray3<f32>>> {
        let trained = self.trained();
        let rows = self.sample_rows(py, &trained.params, n, seed, trained.readout)?;
        decode_rows(py, &rows, trained.readout.dim(self.config.qubits), autoencoder.as_deref())
    }

    /// Trains the model on `data` and returns the loss of every iteration (a `float64` array).
    ///
    /// `data`: Bloch angles `(N, qubits, 2)` (`theta`, `phi` per qubit: product states, as the
    /// latent encoding gives them) or amplitudes `(N, 2**qubits)`. Settings: the library's
    /// defaults (`default_train_settings()`), then the dict `settings` (e.g. another model's
    /// `train_settings`), then keywords (`iterations=`, `seed=`, `batch=`, `data_batch=`,
    /// `learning_rate=`, `final_learning_rate=`, `readout=`, `ema=`, `loss=`,
    /// `checkpoint_every=`, ...). The readout defaults to Bloch for angles, Born for amplitudes.
    ///
    /// Training starts from the initial parameters of the training seed, or with
    /// `resume=True` from the checkpoint at `checkpoint` (which must have been written for this
    /// model, these settings and these data). With `checkpoint`, a checkpoint is written there
    /// every `checkpoint_every` iterations and at the end. The same arguments give the same
    /// losses and parameters bit for bit, whatever the thread count.
    #[pyo3(signature = (data, settings = None, checkpoint = None, resume = false, **overrides))]
    fn train<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        settings: Option<&Bound<'py, PyDict>>,
        checkpoint: Option<PathBuf>,
        resume: bool,
        overrides: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let data = encoded_data(data)?;
        let mut defaults = TrainConfig::default();
        if matches!(data, EncodedData::Amplitudes(_)) {
            defaults.readout = Readout::Born;
        }
        let settings = settings.map(readout_spelled).transpose()?;
        let overrides = overrides.map(readout_spelled).transpose()?;
        let config: TrainConfig =
            merged(py, &defaults, &[settings.as_ref(), overrides.as_ref()], "train settings")?;
        if resume && checkpoint.is_none() {
            return Err(invalid("resume=True needs the checkpoint to resume from"));
        }
        let forward = self.config.forward_process().map_err(to_py)?;
        let reverse = &self.reverse;
        let (state, file) = py.detach(|| -> PyResult<_> {
            let trainer = Trainer::new(reverse, &forward, &data, config).map_err(to_py)?;
            let mut state = match (&checkpoint, resume) {
                (Some(path), true) => trainer.load_checkpoint(path).map_err(to_py)?,
                _ => trainer.init_state(),
            };
            trainer.train(&mut state, checkpoint.as_deref(), |_| {}).map_err(to_py)?;
            let file = trainer.checkpoint(&state);
            Ok((state, file))
        })?;
        let trained = Trained {
            params: state.sampling_params().to_vec(),
            readout: file.train_config().readout,
            checkpoint: Some(file),
        };
        *self.trained.lock().unwrap_or_else(PoisonError::into_inner) = Arc::new(trained);
        Ok(PyArray1::from_slice(py, state.losses()))
    }

    fn __repr__(&self) -> String {
        let snapshot = self.trained();
        let trained = match snapshot.checkpoint.as_ref().map(|c| c.state().iteration()) {
            Some(k) => format!(", iteration={k}"),
            None => String::new(),
        };
        format!(
            "DiffusionModel(qubits={}, ancillas={}, steps={}, num_params={}, readout={:?}{trained})",
            self.config.qubits,
            self.config.ancillas,
            self.config.steps,
            snapshot.params.len(),
            readout_name(snapshot.readout)
        )
    }
}

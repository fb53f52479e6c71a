"""Tests of qdiff.diffusion: the quantum diffusion model, the MNIST example's outputs and FID.

The MNIST example's run in ``testdata/mnist-example-quick`` (its ``metrics.json``, checkpoint
and quantum samples; how it was made is in ``testdata/README.md``) is the reference: Python must
read it, retrain its classifier, autoencoder and quantum model bit for bit from its recorded
settings, and reproduce the FIDs it reports exactly.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import qdiff.diffusion as qd
from qdiff.diffusion import QdiffError

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "mnist"
EXAMPLE = ROOT / "testdata" / "mnist-example-quick"

HALF_PI = math.pi / 2
# Two 2-qubit "images" as Bloch angles: |0>|1> and |+>|+>.
TINY_DATA = np.array([[[0.0, 0.0], [math.pi, 0.0]], [[HALF_PI, 0.0], [HALF_PI, 0.0]]])
TINY = dict(iterations=8, batch=8, data_batch=16, checkpoint_every=0)


def tiny_model(seed: int = 1) -> qd.DiffusionModel:
    return qd.DiffusionModel(qd.ModelConfig(qubits=2, ancillas=1, steps=3), seed=seed)


# --- the example run, and the models it scored with (retrained from its settings) -------------


@pytest.fixture(scope="module")
def run() -> qd.ExampleRun:
    return qd.load_example(EXAMPLE)


@pytest.fixture(scope="module")
def evaluator(run) -> qd.Evaluator:
    # No cache: the classifier is retrained from the run's settings, as the example trains it.
    return run.evaluator(DATA)


@pytest.fixture(scope="module")
def autoencoder(run) -> qd.Autoencoder:
    return run.autoencoder(DATA)


@pytest.fixture(scope="module")
def trained():
    model = tiny_model()
    losses = model.train(TINY_DATA, **TINY)
    return model, losses


# --- configuration ------------------------------------------------------------------------------


def test_model_config_has_the_librarys_defaults_and_round_trips():
    default = qd.ModelConfig()
    assert qd.DiffusionModel().config == default
    assert qd.ModelConfig(**default.to_dict()) == default
    small = qd.ModelConfig(qubits=3, steps=4)
    assert (small.qubits, small.steps, small.ancillas) == (3, 4, default.ancillas)
    model = qd.DiffusionModel(small)
    assert small.num_params == model.num_params == len(model.params)
    assert qd.ModelConfig(conditioning="PerStep", steps=4).num_params == 4 * qd.ModelConfig(
        conditioning="None", steps=4
    ).num_params


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(qubits=0), "qubits"),
        (dict(steps=0), "steps"),
        (dict(qubits=40), "too many"),
        (dict(colour="red"), "unknown setting"),
        (dict(entangler="Zigzag"), "unknown variant"),
        (dict(qubits=-1), "ModelConfig"),
    ],
)
def test_bad_model_config_is_a_qdiff_error(settings, message):
    with pytest.raises(QdiffError, match=message):
        qd.ModelConfig(**settings)


# --- training -----------------------------------------------------------------------------------


def test_training_is_deterministic_and_reduces_the_loss():
    first, second = tiny_model(), tiny_model()
    settings = dict(TINY, iterations=30)
    losses = first.train(TINY_DATA, **settings)
    assert losses.shape == (30,) and np.all(np.isfinite(losses))
    # The same call twice: the same losses and parameters, bit for bit.
    assert np.array_equal(second.train(TINY_DATA, **settings), losses)
    assert np.array_equal(first.params, second.params)
    assert first.iteration == 30 and np.array_equal(first.losses, losses)
    # Learning: the last third of the run is lower on average than the first.
    assert losses[-10:].mean() < losses[:10].mean()
    # Another seed draws other batches.
    other = tiny_model().train(TINY_DATA, **dict(settings, seed=2))
    assert not np.array_equal(other, losses)


def test_training_starts_from_the_models_initial_parameters():
    model = tiny_model(seed=5)
    before = model.params
    assert np.array_equal(before, tiny_model(seed=5).params)
    assert not np.array_equal(before, tiny_model(seed=6).params)
    model.train(TINY_DATA, **dict(TINY, iterations=1, seed=5))
    assert not np.array_equal(model.params, before)


def test_resuming_from_a_checkpoint_equals_an_uninterrupted_run(tmp_path):
    path = tmp_path / "ckpt.bin"
    whole = tiny_model()
    expected = whole.train(TINY_DATA, **dict(TINY, iterations=6))
    part = tiny_model()
    assert len(part.train(TINY_DATA, checkpoint=path, **dict(TINY, iterations=3))) == 3
    assert qd.DiffusionModel.load(path).iteration == 3
    resumed = tiny_model()
    losses = resumed.train(TINY_DATA, checkpoint=path, resume=True, **dict(TINY, iterations=6))
    assert np.array_equal(losses, expected)
    assert np.array_equal(resumed.params, whole.params)
    # A checkpoint is only resumed for the same settings.
    with pytest.raises(QdiffError, match="other training settings"):
        tiny_model().train(TINY_DATA, checkpoint=path, resume=True, **dict(TINY, batch=4))


def test_training_reproduces_the_examples_checkpoint_bit_for_bit(run, autoencoder):
    """The Rust example trained this checkpoint; Python retrains it from the same data (the
    autoencoder's encoding of the split the example fits on) and settings."""
    example = run.model()
    images, _ = qd.load_mnist(DATA, "fit")
    angles = autoencoder.encode(images)
    assert angles.shape == (len(images), example.config.qubits, 2)
    model = qd.DiffusionModel(example.config)
    losses = model.train(angles, settings=example.train_settings)
    assert np.array_equal(losses, example.losses)
    assert np.array_equal(model.params, example.params)
    assert model.data_fingerprint == example.data_fingerprint


def test_amplitude_data_train_a_born_model():
    images, _ = qd.load_mnist(DATA, "test")
    amplitudes = qd.encode_amplitudes(images[:40])
    assert amplitudes.shape == (40, 1024)
    np.testing.assert_allclose((amplitudes**2).sum(axis=1), 1.0, rtol=1e-12)
    model = qd.DiffusionModel(qd.ModelConfig(qubits=10, ancillas=1, steps=2))
    losses = model.train(amplitudes, iterations=2, batch=4, data_batch=8, checkpoint_every=0)
    assert model.readout == "born" and np.all(np.isfinite(losses))
    images = model.sample_images(3, seed=1)
    assert images.shape == (3, 28, 28) and images.dtype == np.float32
    # The amplitude decoding rescales every image to a brightest pixel of 1.
    np.testing.assert_allclose(images.reshape(3, -1).max(axis=1), 1.0)


# --- saving, loading, sampling ------------------------------------------------------------------


def test_save_and_load_give_identical_samples(trained, tmp_path):
    model, losses = trained
    path = tmp_path / "model.bin"
    model.save(path)
    loaded = qd.DiffusionModel.load(path)
    assert loaded.config == model.config and loaded.iteration == len(losses)
    assert np.array_equal(loaded.losses, losses)
    assert loaded.train_settings == model.train_settings
    assert np.array_equal(loaded.params, model.params)
    assert np.array_equal(loaded.sample(16, seed=3), model.sample(16, seed=3))
    # A parameter file keeps the model and its parameters, not the training state.
    model.save(tmp_path / "params.bin", params_only=True)
    bare = qd.DiffusionModel.load(tmp_path / "params.bin")
    assert bare.iteration is None and len(bare.losses) == 0 and bare.train_settings is None
    assert np.array_equal(bare.sample(16, seed=3), model.sample(16, seed=3))
    # Saving replaces the file atomically: no temporary file is left beside it.
    model.save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bin", "params.bin"]


def test_samples_have_the_readouts_shapes_and_ranges(trained):
    model, _ = trained
    qubits = model.config.qubits
    bloch = model.sample(12, seed=4)
    assert bloch.shape == (12, 3 * qubits) and bloch.dtype == np.float64
    norms = np.linalg.norm(bloch.reshape(12, qubits, 3), axis=2)
    assert np.all(norms <= 1 + 1e-12)
    born = model.sample(12, seed=4, readout="born")
    assert born.shape == (12, 2**qubits) and np.all(born >= 0)
    np.testing.assert_allclose(born.sum(axis=1), 1.0, rtol=1e-12)
    # Sample i depends only on (seed, i).
    assert np.array_equal(model.sample(5, seed=4), bloch[:5])
    assert not np.array_equal(model.sample(5, seed=5), bloch[:5])
    # The ablation reads out the seeds themselves: pure product states.
    ablation = model.ablation(12, seed=4)
    np.testing.assert_allclose(np.linalg.norm(ablation.reshape(12, qubits, 3), axis=2), 1.0)
    assert model.sample(0).shape == (0, 3 * qubits)


def test_arrays_convert_like_numpy(trained, autoencoder):
    model, _ = trained
    # Lists and other numeric dtypes are converted: the same losses as float64 angles.
    reference = tiny_model().train(TINY_DATA, **TINY)
    assert np.array_equal(tiny_model().train(TINY_DATA.tolist(), **TINY), reference)
    # The readout is spelt as sample() takes it, or as the library does.
    born = tiny_model().train(TINY_DATA, readout="born", **TINY)
    assert np.array_equal(tiny_model().train(TINY_DATA, readout="Born", **TINY), born)
    features = np.random.default_rng(3).uniform(-1, 1, (4, 3 * autoencoder.num_qubits))
    images = qd.decode(features, autoencoder)
    assert np.array_equal(qd.decode(features.astype(np.float32), autoencoder), qd.decode(
        features.astype(np.float32).astype(np.float64), autoencoder))
    assert np.array_equal(autoencoder.decode(features.tolist()), images)


def test_the_examples_checkpoint_loads_with_its_metadata(run):
    model = run.model()
    quantum = run.config["quantum"]
    assert model.config.to_dict() == quantum["model"]
    assert model.iteration == quantum["train"]["iterations"]
    assert model.losses.tolist() == run.metrics["quantum_losses"]
    assert {k: v for k, v in model.train_settings.items() if k != "readout"} == {
        k: v for k, v in quantum["train"].items() if k != "readout"
    }
    assert model.readout == "bloch"  # the latent encoding reads Bloch vectors


# --- FID and the example's figures --------------------------------------------------------------


def test_fid_is_the_figure_the_example_reports(run, evaluator, autoencoder):
    n, seed = run.config["samples"], run.config["seed"]
    model = run.model()
    # Real images: the first n digits of the split the example fits on.
    fit, _ = qd.load_mnist(DATA, "fit")
    assert evaluator.fid(fit[:n]) == run.fid("RealImages")
    # The quantum samples, redrawn and decoded as the example drew them.
    images = model.sample_images(n, seed, autoencoder)
    assert images.shape == (n, 28, 28) and images.min() >= 0 and images.max() <= 1
    assert evaluator.fid(images) == run.fid("Quantum")
    row = next(r for r in run.metrics["rows"] if r["kind"] == "Quantum")
    assert evaluator.score(images) == row["score"]
    assert np.array_equal(run.sample_images(DATA), images)
    # ... and its sample file holds them quantised to bytes.
    assert np.array_equal(np.round(images * 255).astype(np.uint8), run.samples("quantum"))
    # The ablation: the same seeds, no reverse process.
    ablation = qd.decode(model.ablation(n, seed), autoencoder)
    assert evaluator.fid(ablation) == run.fid("Ablation")
    # The one-call form agrees with the evaluator.
    test, _ = qd.load_mnist(DATA, "test")
    assert qd.fid(images, test, evaluator.classifier) == evaluator.fid(images)


def test_fid_of_a_set_against_itself_is_zero_and_against_noise_is_large(evaluator):
    test, _ = qd.load_mnist(DATA, "test")
    assert abs(evaluator.fid(test)) < 1e-6
    fit, _ = qd.load_mnist(DATA, "fit")
    real = evaluator.fid(fit[:500])
    noise = evaluator.fid(np.random.default_rng(0).random((500, 28, 28)))
    assert 0 < real and noise > 20 * real
    # uint8 pixels and their float intensities score the same.
    assert evaluator.fid(fit[:500] / 255.0) == pytest.approx(real, rel=1e-6)


def test_classifier_and_autoencoder_files_round_trip(evaluator, autoencoder, tmp_path):
    classifier = evaluator.classifier
    classifier.save(tmp_path / "classifier.bin")
    loaded = qd.Classifier.load(tmp_path / "classifier.bin")
    images, labels = qd.load_mnist(DATA, "test")
    assert np.array_equal(loaded.features(images[:50]), classifier.features(images[:50]))
    assert loaded.features(images[:50]).shape == (50, classifier.feature_dim)
    predicted = classifier.predict(images)
    assert predicted.dtype == np.uint8 and (predicted == labels).mean() > 0.5
    autoencoder.save(tmp_path / "autoencoder.bin")
    again = qd.Autoencoder.load(tmp_path / "autoencoder.bin")
    angles = again.encode(images[:5])
    assert np.array_equal(angles, autoencoder.encode(images[:5]))
    # A cache that fits is loaded, not retrained.
    cached, loaded_flag = qd.Autoencoder.load_or_train(
        tmp_path / "autoencoder.bin", qd.load_mnist(DATA, "fit")[0], settings=autoencoder.settings
    )
    assert loaded_flag and np.array_equal(cached.encode(images[:5]), angles)


def test_the_runs_models_are_found_in_a_cache_by_settings_and_data(run, evaluator, tmp_path):
    train, labels = qd.load_mnist(DATA, "train")
    settings = run.config["classifier"]
    right = evaluator.classifier
    assert right.stale_for(train, labels, settings=settings) is None
    # A classifier of the same settings trained on other digits is not the run's.
    decoy = qd.Classifier.train(train[:500], labels[:500], settings=settings)
    assert "other data" in decoy.stale_for(train, labels, settings=settings)
    assert "configuration" in right.stale_for(train, labels, settings=dict(settings, hidden=[8]))
    decoy.save(tmp_path / "fid_classifier_a.bin")
    right.save(tmp_path / "fid_classifier_b.bin")
    found = run.classifier(DATA, cache_dir=tmp_path)
    test, _ = qd.load_mnist(DATA, "test")
    assert np.array_equal(found.features(test[:20]), right.features(test[:20]))


# --- MNIST and IDX ------------------------------------------------------------------------------


def test_mnist_splits_and_idx_files(tmp_path):
    train, train_labels = qd.load_mnist(DATA, "train")
    fit, _ = qd.load_mnist(DATA, "fit")
    validation, validation_labels = qd.load_mnist(DATA, "validation")
    assert train.dtype == np.uint8 and train.shape[1:] == (28, 28)
    assert len(fit) + len(validation) == len(train)
    # The example holds out an even spread of the training file (every eighth of 8,000).
    step = len(train) // len(validation)
    assert np.array_equal(validation, train[::step])
    assert np.array_equal(validation_labels, train_labels[::step])
    assert train_labels.max() <= 9
    qd.write_idx(tmp_path / "set.idx", fit[:7])
    assert np.array_equal(qd.read_idx(tmp_path / "set.idx"), fit[:7])
    qd.write_idx(tmp_path / "set.idx.gz", fit[:7])
    assert np.array_equal(qd.read_idx(tmp_path / "set.idx.gz"), fit[:7])


# --- errors -------------------------------------------------------------------------------------


def test_corrupt_and_wrong_kind_files_raise_qdiff_error(evaluator, tmp_path):
    good = (EXAMPLE / "checkpoint_quantum_latent.bin").read_bytes()
    corrupt = bytearray(good)
    corrupt[len(corrupt) // 2] ^= 0xFF
    (tmp_path / "corrupt.bin").write_bytes(bytes(corrupt))
    with pytest.raises(QdiffError, match="corrupt"):
        qd.DiffusionModel.load(tmp_path / "corrupt.bin")
    (tmp_path / "short.bin").write_bytes(good[: len(good) // 2])
    with pytest.raises(QdiffError, match="truncated"):
        qd.DiffusionModel.load(tmp_path / "short.bin")
    evaluator.classifier.save(tmp_path / "classifier.bin")
    with pytest.raises(QdiffError, match="FID classifier"):
        qd.DiffusionModel.load(tmp_path / "classifier.bin")
    with pytest.raises(QdiffError, match="not a qdecoder classifier"):
        qd.Classifier.load(EXAMPLE / "checkpoint_quantum_latent.bin")
    with pytest.raises(QdiffError, match="not a quantum diffusion model"):
        qd.DiffusionModel.load(EXAMPLE / "metrics.json")
    with pytest.raises(QdiffError, match="missing.bin"):
        qd.DiffusionModel.load(tmp_path / "missing.bin")
    with pytest.raises(QdiffError, match="IDX"):
        qd.read_idx(EXAMPLE / "metrics.json")
    with pytest.raises(QdiffError, match="metrics"):
        qd.load_metrics(tmp_path)


def test_bad_images_raise_qdiff_error(evaluator, autoencoder):
    with pytest.raises(QdiffError, match=r"shape \[5, 27, 27\]"):
        evaluator.fid(np.zeros((5, 27, 27), np.uint8))
    with pytest.raises(QdiffError, match=r"\[0, 1\]"):
        evaluator.fid(np.full((5, 28, 28), 2.0))
    with pytest.raises(QdiffError, match=r"\[0, 1\]"):
        evaluator.fid(np.full((5, 784), np.nan, np.float32))
    with pytest.raises(QdiffError, match="int64"):
        evaluator.fid(np.zeros((5, 28, 28), np.int64))
    with pytest.raises(QdiffError, match="at least 2"):
        evaluator.fid(np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(QdiffError, match="uint8"):
        qd.Classifier.train(np.zeros((4, 28, 28)), [0, 1, 2, 3])
    with pytest.raises(QdiffError, match="labels"):
        qd.Classifier.train(np.zeros((4, 28, 28), np.uint8), [0, 1, 2])
    with pytest.raises(QdiffError, match="Bloch features per sample"):
        autoencoder.decode(np.zeros((3, 7)))
    with pytest.raises(QdiffError, match="autoencoder"):
        qd.decode(np.zeros((3, 30)))
    with pytest.raises(QdiffError, match="blank image"):
        qd.encode_amplitudes(np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(QdiffError, match="split"):
        qd.load_mnist(DATA, "holdout")
    with pytest.raises(QdiffError, match="none of"):
        qd.load_mnist(EXAMPLE, "train")


def test_bad_training_input_raises_qdiff_error(trained):
    model, _ = trained
    with pytest.raises(QdiffError, match="qubits of the data"):
        model.train(np.zeros((3, 4, 2)), **TINY)
    with pytest.raises(QdiffError, match=r"\(N, qubits, 2\)"):
        model.train(np.zeros((3, 2, 3)), **TINY)
    with pytest.raises(QdiffError, match="finite"):
        model.train(np.full((3, 2, 2), np.nan), **TINY)
    with pytest.raises(QdiffError, match="normali"):
        model.train(np.ones((3, 4)), **TINY)
    with pytest.raises(QdiffError, match="unknown setting"):
        model.train(TINY_DATA, learning_rat=0.1)
    with pytest.raises(QdiffError, match="at least two"):
        model.train(TINY_DATA, **dict(TINY, batch=1))
    with pytest.raises(QdiffError, match="resume"):
        model.train(TINY_DATA, resume=True, **TINY)
    with pytest.raises(QdiffError, match="training data"):
        model.train("not an array", **TINY)
    with pytest.raises(QdiffError, match="parameters"):
        model.with_params([0.0, 1.0])
    with pytest.raises(QdiffError, match="at most"):
        model.sample(10**12)
    wide = qd.DiffusionModel(qd.ModelConfig(qubits=20, ancillas=1, steps=1))
    with pytest.raises(QdiffError, match="GiB of seed states"):
        wide.sample(10**5)
    with pytest.raises(QdiffError, match="readout"):
        model.sample(2, readout="husimi")
    # A failed call leaves the model as it was.
    assert model.iteration == TINY["iterations"]


# --- the GIL ------------------------------------------------------------------------------------


def ticks_during(call) -> int:
    """How often the main thread ran Python while `call` ran in another thread: none if the call
    held the GIL throughout."""
    import threading
    import time

    span = []

    def worker():
        start = time.perf_counter()
        call()
        span.extend([start, time.perf_counter()])

    thread = threading.Thread(target=worker)
    stamps = []
    thread.start()
    while thread.is_alive():
        stamps.append(time.perf_counter())
        time.sleep(0.0005)
    thread.join()
    start, end = span
    return sum(start < t < end for t in stamps)


def test_training_sampling_and_scoring_release_the_gil(evaluator):
    model = qd.DiffusionModel(qd.ModelConfig(qubits=6, ancillas=2, steps=10))
    data = np.random.default_rng(1).uniform(0, math.pi, (8, 6, 2))
    assert ticks_during(lambda: model.train(data, iterations=4, batch=16, data_batch=8)) >= 2
    assert ticks_during(lambda: model.sample(300, seed=2)) >= 2
    test, _ = qd.load_mnist(DATA, "test")
    assert ticks_during(lambda: evaluator.fid(np.concatenate([test] * 4))) >= 2


def test_one_model_is_safe_to_use_from_two_threads():
    """Sampling and reading a model while another thread trains it sees the state before or
    after the training, never an error or half of it."""
    import threading

    model = qd.DiffusionModel(qd.ModelConfig(qubits=6, ancillas=2, steps=10))
    data = np.random.default_rng(1).uniform(0, math.pi, (8, 6, 2))
    before = model.sample(20, seed=3)
    params_before = model.params
    errors = []

    def train():
        try:
            model.train(data, iterations=6, batch=16, data_batch=8)
        except Exception as e:  # noqa: BLE001 - the test reports whatever was raised
            errors.append(e)

    thread = threading.Thread(target=train)
    thread.start()
    seen = []
    while thread.is_alive():
        # Read in this order: iteration first, parameters last.
        seen.append((model.iteration, model.sample(20, seed=3), model.params))
    thread.join()
    assert not errors, errors
    after = model.sample(20, seed=3)
    assert model.iteration == 6 and not np.array_equal(after, before)
    assert seen, "the training ended before a single sample"
    for iteration, samples, params in seen:
        if np.array_equal(params, params_before):
            # Still untrained when read last: untrained when read before too.
            assert iteration is None
            np.testing.assert_array_equal(samples, before)
        if iteration is not None:
            # Trained when read first: trained when read after too.
            assert iteration == 6
            np.testing.assert_array_equal(samples, after)
            np.testing.assert_array_equal(params, model.params)

"""The quantum diffusion model from Python: build, train, sample, decode and score.

The classes and functions come from the Rust library (``qdiffusion`` and ``qdecoder``, through
``qdiff._native``); this module adds the pure-Python helpers that read the outputs of the MNIST
example (``cargo run --release --example mnist_diffusion``): its ``metrics.json``, checkpoints,
sample files and the cached models it scored with.

- :class:`ModelConfig`, :class:`DiffusionModel`: the model (``load``/``save`` of training
  checkpoints and parameter files, ``sample``, ``sample_images``, ``ablation``, ``train``);
- :class:`Autoencoder`, :func:`encode_amplitudes`, :func:`decode`: images to states and
  sampled features back to 28 x 28 images;
- :class:`Classifier`, :class:`Evaluator`, :func:`fid`: FID on the project's classifier features
  (not Inception-FID), the same figures the example reports for the same images;
- :func:`load_mnist`, :func:`read_idx`, :func:`write_idx`: MNIST and the example's sample files;
- :func:`find_metrics`, :func:`load_metrics`, :func:`load_example`, :class:`ExampleRun`: an
  example run's outputs.

Arrays are NumPy: images ``uint8`` (0-255) or float intensities in ``[0, 1]`` shaped
``(N, 28, 28)`` or ``(N, 784)``; decoded images come back as ``float32`` ``(N, 28, 28)``.
Training, sampling and scoring release the GIL. Every rejected input (a bad shape, a value out
of range, a corrupt file or one of another kind) raises :class:`qdiff.QdiffError` with a
message that names what to fix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qdiff._native import (
    Autoencoder,
    Classifier,
    DiffusionModel,
    Evaluator,
    ModelConfig,
    QdiffError,
    decode,
    default_train_settings,
    encode_amplitudes,
    fid,
    load_mnist,
    read_idx,
    write_idx,
)

__all__ = [
    "Autoencoder",
    "Classifier",
    "DiffusionModel",
    "Evaluator",
    "ExampleRun",
    "ModelConfig",
    "QdiffError",
    "decode",
    "default_train_settings",
    "encode_amplitudes",
    "fid",
    "find_metrics",
    "load_example",
    "load_metrics",
    "load_mnist",
    "read_idx",
    "write_idx",
]

METRICS_FILE = "metrics.json"
"""The name of the metrics file the MNIST example writes into its output folder."""


def find_metrics(path: str | Path) -> Path:
    """The ``metrics.json`` of an MNIST example run.

    ``path`` is the file itself, the run's output folder, or a folder of output folders (then
    the most recently written ``*/metrics.json`` is taken). Raises :class:`QdiffError` if there
    is none.
    """
    path = Path(path)
    if path.is_file():
        return path
    if (path / METRICS_FILE).is_file():
        return path / METRICS_FILE
    found = sorted(path.glob(f"*/{METRICS_FILE}"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise QdiffError(f"{path}: no {METRICS_FILE} there or in its sub-folders")
    return found[-1]


def load_metrics(path: str | Path) -> dict[str, Any]:
    """The metrics of an MNIST example run as a dict (``find_metrics`` locates the file).

    Keys as the example writes them: ``config`` (the whole experiment configuration), ``rows``
    (one per scored image set, each with ``kind``, ``name`` and ``score`` = ``fid``,
    ``mean_confidence``, ``class_histogram``, ``n``), ``quantum_losses``, ratios and timings.
    """
    file = find_metrics(path)
    try:
        metrics = json.loads(file.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise QdiffError(f"{file}: not a readable metrics file: {e}") from e
    if not isinstance(metrics, dict) or "rows" not in metrics or "config" not in metrics:
        raise QdiffError(f"{file}: not an MNIST example metrics file (no 'rows' and 'config')")
    return metrics


def _cached(directory: Path, stem: str, loader, is_stale):
    """The first model ``directory/stem*.bin`` that loads and is not stale (``is_stale(model)``
    gives why not, or ``None``)."""
    for file in sorted(directory.glob(f"{stem}*.bin")):
        try:
            model = loader(file)
        except QdiffError:
            continue
        if is_stale(model) is None:
            return model
    return None


@dataclass
class ExampleRun:
    """The outputs of one MNIST example run (see :func:`load_example`)."""

    out_dir: Path
    """The run's output folder."""
    metrics: dict[str, Any]
    """Its ``metrics.json``."""
    checkpoints: dict[str, Path] = field(default_factory=dict)
    """The quantum model's checkpoint per encoding (``"latent"``, ``"amplitude"``)."""
    sample_files: dict[str, Path] = field(default_factory=dict)
    """Every sample set, by model name (``"quantum"``, ``"ablation"``, ``"ddim50"``, ...)."""

    @property
    def config(self) -> dict[str, Any]:
        """The experiment configuration of the run."""
        return self.metrics["config"]

    @property
    def encoding(self) -> str:
        """The quantum model's encoding: ``"latent"`` or ``"amplitude"``."""
        return self.config["quantum"]["encoding"].lower()

    def fid(self, kind: str) -> float:
        """The FID the run reports for the row of ``kind`` (``"Quantum"``, ``"Ablation"``,
        ``"RealImages"``, ``"DecodedTrainImages"``, ``"LatentDdim"``, ...)."""
        for row in self.metrics["rows"]:
            if row["kind"] == kind:
                return row["score"]["fid"]
        kinds = [row["kind"] for row in self.metrics["rows"]]
        raise QdiffError(f"no row of kind {kind!r} in this run (it has {kinds})")

    def model(self) -> DiffusionModel:
        """The quantum model of the run, from its checkpoint."""
        if self.encoding not in self.checkpoints:
            raise QdiffError(f"{self.out_dir}: no checkpoint of the {self.encoding} model")
        return DiffusionModel.load(self.checkpoints[self.encoding])

    def samples(self, name: str = "quantum") -> np.ndarray:
        """The sample set ``name`` as the run wrote it: ``uint8`` ``(N, 28, 28)``."""
        if name not in self.sample_files:
            raise QdiffError(f"no sample set {name!r} (the run has {sorted(self.sample_files)})")
        return read_idx(self.sample_files[name])

    def classifier(self, data_dir: str | Path, cache_dir: str | Path | None = None) -> Classifier:
        """The FID classifier the run scored with: the one in ``cache_dir`` (the example's
        ``--cache``, default ``out/cache``) trained with the run's settings on the same digits,
        else trained afresh on the MNIST training split of ``data_dir`` exactly as the example
        trains it (the library's training is deterministic; the default classifier takes
        minutes, the ``--quick`` one seconds). Nothing is written to the cache."""
        settings = self.config["classifier"]
        images, labels = load_mnist(data_dir, "train")
        if cache_dir is not None:
            found = _cached(
                Path(cache_dir),
                "fid_classifier",
                Classifier.load,
                lambda c: c.stale_for(images, labels, settings=settings),
            )
            if found is not None:
                return found
        return Classifier.train(images, labels, settings=settings)

    def evaluator(self, data_dir: str | Path, cache_dir: str | Path | None = None) -> Evaluator:
        """The evaluator of the run: its classifier (see :meth:`classifier`) with the reference
        split it scored against (the test digits, or the validation digits)."""
        split = "test" if self.config["split"] == "Test" else "validation"
        reference, _ = load_mnist(data_dir, split)
        return Evaluator(self.classifier(data_dir, cache_dir), reference)

    def autoencoder(self, data_dir: str | Path, cache_dir: str | Path | None = None) -> Autoencoder:
        """The latent encoding's autoencoder of the run: from ``cache_dir`` if it holds one
        trained with the run's settings on the same digits, else trained afresh on the split the
        example fits on (deterministic; seconds for ``--quick``, minutes for the full run).
        Nothing is written to the cache."""
        if self.encoding != "latent":
            raise QdiffError(f"the {self.encoding} encoding has no autoencoder")
        settings = self.config["autoencoder"]
        images, _ = load_mnist(data_dir, "fit")
        if cache_dir is not None:
            found = _cached(
                Path(cache_dir),
                "autoencoder",
                Autoencoder.load,
                lambda a: a.stale_for(images, settings=settings),
            )
            if found is not None:
                return found
        return Autoencoder.train(images, settings=settings)

    def sample_images(
        self, data_dir: str | Path, cache_dir: str | Path | None = None
    ) -> np.ndarray:
        """The quantum model's samples redrawn and decoded as the run drew them (its sample
        count and seed): ``float32`` ``(N, 28, 28)``, unquantised, the images its ``Quantum``
        row scores."""
        model = self.model()
        autoencoder = self.autoencoder(data_dir, cache_dir) if self.encoding == "latent" else None
        return model.sample_images(self.config["samples"], self.config["seed"], autoencoder)


def load_example(path: str | Path) -> ExampleRun:
    """The outputs of an MNIST example run: ``path`` is its output folder (or anything
    :func:`find_metrics` accepts)."""
    metrics_file = find_metrics(path)
    out_dir = metrics_file.parent
    checkpoints = {
        p.stem.removeprefix("checkpoint_quantum_"): p
        for p in sorted(out_dir.glob("checkpoint_quantum_*.bin"))
    }
    samples = {p.stem.removeprefix("samples_"): p for p in sorted(out_dir.glob("samples_*.idx"))}
    return ExampleRun(out_dir, load_metrics(metrics_file), checkpoints, samples)

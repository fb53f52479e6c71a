"""``qdiff.qiskit.Estimator``: Qiskit's V2 Estimator primitive on qsim-core."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from qiskit.primitives import BaseEstimatorV2
from qiskit.primitives.containers import DataBin, EstimatorPubLike, PrimitiveResult, PubResult
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.primitives.primitive_job import PrimitiveJob

from qdiff._native import QdiffError, expectations
from qdiff.qiskit._convert import Converted, convert
from qdiff.qiskit._observables import to_pauli_sum


class Estimator(BaseEstimatorV2):
    """Exact expectation values of Pauli observables, simulated by qsim-core.

    A drop-in replacement for :class:`qiskit.primitives.StatevectorEstimator`: the same PUBs
    ``(circuit, observables, parameter_values, precision)``, the same broadcasting of the
    observables against the parameter bindings, and the same results (``evs`` and ``stds`` of the
    broadcast shape, metadata ``target_precision`` and ``circuit_metadata``). Each circuit is
    converted once per call and simulated once per parameter binding; all the observables paired
    with that binding are evaluated on the same final state.

    With ``precision > 0`` each value gets Gaussian noise of that standard deviation, drawn from
    ``numpy.random.default_rng(seed)`` anew for each PUB as ``StatevectorEstimator`` does (so the
    noisy values equal its values for the same seed), and ``stds`` is ``precision``.

    Circuits must be unitary (no measurement, no reset); control flow is not supported.

    Args:
        default_precision: The precision used when neither ``run`` nor the PUB gives one.
        seed: Seed or ``numpy.random.Generator`` of the noise added when ``precision > 0``.
    """

    def __init__(
        self, *, default_precision: float = 0.0, seed: np.random.Generator | int | None = None
    ):
        self._default_precision = default_precision
        self._seed = seed

    @property
    def default_precision(self) -> float:
        """The precision used when neither ``run`` nor a PUB gives one."""
        return self._default_precision

    @property
    def seed(self) -> np.random.Generator | int | None:
        """The seed of the noise added when ``precision > 0``."""
        return self._seed

    def run(
        self, pubs: Iterable[EstimatorPubLike], *, precision: float | None = None
    ) -> PrimitiveJob[PrimitiveResult[PubResult]]:
        """Estimates the expectation values of every PUB of ``pubs``; returns a started job."""
        if precision is None:
            precision = self._default_precision
        coerced = [EstimatorPub.coerce(pub, precision) for pub in pubs]
        job = PrimitiveJob(self._run, coerced)
        job._submit()
        return job

    def _run(self, pubs: list[EstimatorPub]) -> PrimitiveResult[PubResult]:
        converted: dict[int, Converted] = {}
        results = []
        for pub in pubs:
            conv = converted.get(id(pub.circuit))
            if conv is None:
                conv = converted[id(pub.circuit)] = convert(pub.circuit)
            results.append(self._run_pub(pub, conv))
        return PrimitiveResult(results, metadata={"version": 2})

    def _run_pub(self, pub: EstimatorPub, conv: Converted) -> PubResult:
        if not conv.is_unitary:
            raise QdiffError(
                "the Estimator runs unitary circuits: remove the measurements and resets"
            )
        bindings = pub.parameter_values
        values = bindings.as_array(conv.parameters) if conv.parameters else None
        thetas = conv.thetas(values).reshape(bindings.size, -1)
        observables = pub.observables
        shape = np.broadcast_shapes(bindings.shape, observables.shape)
        # For each point of the broadcast shape: which binding and which observable.
        b_index = np.broadcast_to(np.arange(bindings.size).reshape(bindings.shape), shape).ravel()
        o_index = np.broadcast_to(
            np.arange(observables.size).reshape(observables.shape), shape
        ).ravel()
        sparse = observables.sparse_observables_array().ravel()
        sums = {}
        groups: dict[int, dict[int, list[int]]] = {}
        for pos, (b, o) in enumerate(zip(b_index.tolist(), o_index.tolist())):
            groups.setdefault(b, {}).setdefault(o, []).append(pos)
        evs = np.empty(b_index.size)
        for b, by_obs in groups.items():
            obs_ids = list(by_obs)
            paulis = []
            for o in obs_ids:
                ps = sums.get(o)
                if ps is None:
                    ps = sums[o] = to_pauli_sum(sparse[o])
                paulis.append(ps)
            theta = thetas[b] if thetas.shape[1] else None
            values_b = expectations(conv.circuit, paulis, theta)
            for o, v in zip(obs_ids, values_b.tolist()):
                evs[by_obs[o]] = v
        evs = evs.reshape(shape)
        stds = np.zeros(shape)
        precision = pub.precision
        if precision != 0:
            rng = np.random.default_rng(self._seed)
            evs = np.asarray(rng.normal(evs, precision), dtype=np.float64).reshape(shape)
            stds = np.full(shape, float(precision))
        data = DataBin(evs=evs, stds=stds, shape=shape)
        return PubResult(
            data,
            metadata={"target_precision": precision, "circuit_metadata": pub.circuit.metadata},
        )

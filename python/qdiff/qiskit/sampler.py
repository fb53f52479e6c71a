"""``qdiff.qiskit.Sampler``: Qiskit's V2 Sampler primitive on qsim-core."""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np
from qiskit.primitives import BaseSamplerV2
from qiskit.primitives.containers import (
    BitArray,
    DataBin,
    PrimitiveResult,
    SamplerPubLike,
    SamplerPubResult,
)
from qiskit.primitives.containers.sampler_pub import SamplerPub
from qiskit.primitives.primitive_job import PrimitiveJob

from qdiff._native import QdiffError, run_shots
from qdiff.qiskit._convert import Converted, convert


class Sampler(BaseSamplerV2):
    """Shots of the classical registers of circuits, simulated by qsim-core.

    A drop-in replacement for :class:`qiskit.primitives.StatevectorSampler` (the same PUBs
    ``(circuit, parameter_values, shots)``, one :class:`~qiskit.primitives.BitArray` per
    classical register in the result's ``DataBin``, metadata ``shots`` and
    ``circuit_metadata``) that also runs **mid-circuit measurements and resets**: when every
    measurement is final the state is simulated once per binding and the shots are drawn from
    it, otherwise every shot follows its own trajectory.

    Results are reproducible for an integer ``seed``: each call of ``run`` draws one seed per
    binding of every PUB, in order, from ``numpy.random.default_rng(seed)``. Classical bits
    not written by any measurement read 0. At most 64 classical bits per circuit; control flow
    is not supported.

    Args:
        default_shots: Shots per binding when neither ``run`` nor the PUB gives a number.
        seed: Seed or ``numpy.random.Generator`` of the shots (None: fresh randomness).
    """

    def __init__(self, *, default_shots: int = 1024, seed: np.random.Generator | int | None = None):
        self._default_shots = default_shots
        self._seed = seed

    @property
    def default_shots(self) -> int:
        """Shots per binding when neither ``run`` nor the PUB gives a number."""
        return self._default_shots

    @property
    def seed(self) -> np.random.Generator | int | None:
        """The seed of the shots."""
        return self._seed

    def run(
        self, pubs: Iterable[SamplerPubLike], *, shots: int | None = None
    ) -> PrimitiveJob[PrimitiveResult[SamplerPubResult]]:
        """Samples every PUB of ``pubs``; returns a started job."""
        if shots is None:
            shots = self._default_shots
        coerced = [SamplerPub.coerce(pub, shots) for pub in pubs]
        if any(len(pub.circuit.cregs) == 0 for pub in coerced):
            warnings.warn(
                "One of your circuits has no output classical registers and so the result "
                "will be empty. Did you mean to add measurement instructions?",
                UserWarning,
            )
        job = PrimitiveJob(self._run, coerced)
        job._submit()
        return job

    def _run(self, pubs: list[SamplerPub]) -> PrimitiveResult[SamplerPubResult]:
        converted: dict[int, Converted] = {}
        # One stream per call: every binding of every PUB gets its own seed from it.
        rng = np.random.default_rng(self._seed)
        results = []
        for pub in pubs:
            conv = converted.get(id(pub.circuit))
            if conv is None:
                conv = converted[id(pub.circuit)] = convert(pub.circuit)
            results.append(self._run_pub(pub, conv, rng))
        return PrimitiveResult(results, metadata={"version": 2})

    def _run_pub(
        self, pub: SamplerPub, conv: Converted, rng: np.random.Generator
    ) -> SamplerPubResult:
        circuit = pub.circuit
        if circuit.num_clbits > 64:
            raise QdiffError(
                f"the Sampler handles at most 64 classical bits, the circuit has "
                f"{circuit.num_clbits}"
            )
        bindings = pub.parameter_values
        values = bindings.as_array(conv.parameters) if conv.parameters else None
        thetas = conv.thetas(values).reshape(bindings.size, -1)
        seeds = rng.integers(0, 2**63, size=bindings.size, dtype=np.uint64)
        shots = pub.shots
        registers = [
            (creg.name, [circuit.find_bit(bit).index for bit in creg]) for creg in circuit.cregs
        ]
        arrays = {
            name: np.zeros((bindings.size, shots, _num_bytes(len(bits))), dtype=np.uint8)
            for name, bits in registers
        }
        if registers:
            for b in range(bindings.size):
                theta = thetas[b] if thetas.shape[1] else None
                outcomes = run_shots(conv.circuit, shots, int(seeds[b]), theta)
                for name, bits in registers:
                    arrays[name][b] = _pack(_gather(outcomes, bits), len(bits))
        meas = {
            name: BitArray(arrays[name].reshape(bindings.shape + arrays[name].shape[1:]), len(bits))
            for name, bits in registers
        }
        return SamplerPubResult(
            DataBin(**meas, shape=pub.shape),
            metadata={"shots": shots, "circuit_metadata": circuit.metadata},
        )


def _num_bytes(num_bits: int) -> int:
    return num_bits // 8 + (num_bits % 8 > 0)


def _gather(outcomes: np.ndarray, bits: list[int]) -> np.ndarray:
    """The register value of every shot: bit ``j`` is classical bit ``bits[j]``."""
    if not bits:
        return np.zeros(outcomes.shape, dtype=np.uint64)
    start = bits[0]
    if bits == list(range(start, start + len(bits))):
        mask = np.uint64((1 << len(bits)) - 1) if len(bits) < 64 else np.uint64(2**64 - 1)
        return (outcomes >> np.uint64(start)) & mask
    value = np.zeros(outcomes.shape, dtype=np.uint64)
    for j, c in enumerate(bits):
        value |= ((outcomes >> np.uint64(c)) & np.uint64(1)) << np.uint64(j)
    return value


def _pack(values: np.ndarray, num_bits: int) -> np.ndarray:
    """Register values as ``BitArray`` rows: big-endian bytes, the last byte holds bit 0."""
    num_bytes = _num_bytes(num_bits)
    shifts = np.arange(num_bytes - 1, -1, -1, dtype=np.uint64) * np.uint64(8)
    return ((values[:, None] >> shifts[None, :]) & np.uint64(0xFF)).astype(np.uint8)

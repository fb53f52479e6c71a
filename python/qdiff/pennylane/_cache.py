"""qsim circuits reused across executions of tapes with the same structure.

A training loop runs the same circuit with new angles at every step. Building the qsim circuit
again each time costs a Python call per operation, and qsim-core plans its execution (fusion,
cache-blocking stages, the adjoint method's backward sweep) once per circuit object: a circuit
kept with every angle a parameter reference (``theta[k]`` = the tape's parameter ``k``) is
planned once and then only bound to new angles.

Only tapes made of operations whose translation depends on nothing but their name and wires
(and whose parameters are all angles) are cached; a leading state preparation, ``GlobalPhase``
and dense unitaries take the direct path of ``build_circuit``.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ._translate import CACHEABLE, build_circuit

# Circuits kept per device (least recently used first out).
CAPACITY = 32


class CircuitCache:
    """The qsim circuits of recently executed tape structures, keyed by the operations' names
    and wires and the wire-to-qubit map."""

    def __init__(self, capacity: int = CAPACITY):
        self._capacity = capacity
        self._circuits: OrderedDict = OrderedDict()

    def __len__(self) -> int:
        return len(self._circuits)

    def lookup(self, tape, qmap: dict, num_qubits: int):
        """``(circuit, theta)`` for ``tape``: a circuit whose angle ``k`` is ``theta[k]``, the
        tape's parameter ``k`` (operations first, then observables), and ``theta`` the tape's
        parameters as floats; None if the tape cannot be cached."""
        if tape.num_preps:
            return None
        parts = []
        for op in tape.operations:
            name = op.name
            if name not in CACHEABLE:
                return None
            parts.append((name, op.wires))
        params = tape.get_parameters(trainable_only=False)
        # Observables' parameters (coefficients, matrices) are never angles: placeholders.
        theta = np.array(
            [float(np.real(p)) if np.ndim(p) == 0 else 0.0 for p in params], dtype=np.float64
        )
        key = (num_qubits, tuple(qmap), tuple(parts))
        circuit = self._circuits.get(key)
        if circuit is None:
            every = {k: k for k in range(len(params))}
            circuit, _, _ = build_circuit(tape, qmap, num_qubits, every)
            self._circuits[key] = circuit
            if len(self._circuits) > self._capacity:
                self._circuits.popitem(last=False)
        else:
            self._circuits.move_to_end(key)
        return circuit, theta

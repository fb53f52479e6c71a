"""``qdiff.qubit``: the PennyLane device on qsim-core (PennyLane's current ``Device`` API)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pennylane as qml
from pennylane.devices import Device, ExecutionConfig
from pennylane.devices.modifiers import simulator_tracking, single_tape_support
from pennylane.devices.preprocess import (
    decompose,
    device_resolve_dynamic_wires,
    no_sampling,
    null_postprocessing,
    validate_adjoint_trainable_params,
    validate_device_wires,
    validate_measurements,
    validate_observables,
)
from pennylane.exceptions import DeviceError
from pennylane.measurements import ExpectationMP
from pennylane.transforms.core import CompilePipeline

from qdiff._native import MAX_QUBITS, adjoint_jacobian, adjoint_vjp, simulate

from ._cache import CircuitCache
from ._measure import measure_shots, measure_state
from ._translate import (
    NATIVE,
    build_circuit,
    global_phase_factor,
    observable_sum,
    pauli_sentence,
    qubit_map,
    supports_adjoint_operation,
    supports_operation,
)

_NAME = "qdiff.qubit"


def _supports_observable(obs) -> bool:
    """Observables the device measures exactly: a Pauli form, diagonalising gates and
    eigenvalues (through the state in NumPy), or a ``SparseHamiltonian``."""
    return (
        obs.pauli_rep is not None
        or obs.has_diagonalizing_gates
        or isinstance(obs, qml.SparseHamiltonian)
    )


def _supports_observable_shots(obs) -> bool:
    """Observables the device samples: it needs their diagonalising gates."""
    return obs.pauli_rep is not None or obs.has_diagonalizing_gates


def _supports_adjoint_observable(obs) -> bool:
    """Observables the adjoint method differentiates: they need a Pauli decomposition."""
    return pauli_sentence(obs) is not None


def _adjoint_measurement(mp) -> bool:
    """The adjoint method differentiates expectation values only."""
    return isinstance(mp, ExpectationMP)


@qml.transform
def _split_if_sampled(tape):
    """With finite shots, splits non-commuting measurements into separate tapes (each
    observable is then sampled in its own eigenbasis); analytic tapes pass through."""
    if tape.shots and any(mp.obs is not None for mp in tape.measurements):
        return qml.transforms.split_non_commuting(tape)
    return (tape,), null_postprocessing


@simulator_tracking
@single_tape_support
class QdiffQubit(Device):
    """A state-vector simulator device on qsim-core, with adjoint differentiation.

    >>> dev = qml.device("qdiff.qubit", wires=2)
    >>> @qml.qnode(dev, diff_method="adjoint")
    ... def circuit(x):
    ...     qml.RX(x, wires=0)
    ...     qml.CNOT(wires=[0, 1])
    ...     return qml.expval(qml.Z(1))

    Args:
        wires (int or Iterable): the number of wires (``wires=n`` is ``range(n)``) or their
            labels (integers, strings, ...). The wire at position ``k`` is qsim qubit
            ``n - 1 - k``, so states and probabilities come out in PennyLane's order. If None,
            each circuit runs on its own wires, in the order they appear.
        shots: default shots (deprecated by PennyLane: use ``qml.set_shots`` on the QNode).
        seed (int, numpy Generator or None): seed of the generator that seeds every draw of
            finite-shot outcomes; the same seed gives the same samples for the same sequence of
            executions. None seeds from the operating system.

    Supported: the gates qsim-core runs natively (Pauli, Hadamard, S, T, SX and their adjoints,
    RX/RY/RZ, PhaseShift, U1/U2/U3, Rot, CNOT, CY, CZ, CH, SWAP, CRX/CRY/CRZ, CRot,
    ControlledPhaseShift, IsingXX/YY/ZZ, MultiRZ on up to 2 wires, Toffoli, CSWAP,
    MultiControlledX with up to 4 controls, QubitUnitary and ControlledQubitUnitary on up to 6
    wires, GlobalPhase, Identity); every other operation is decomposed by PennyLane. A leading
    ``StatePrep`` or ``BasisState`` becomes the initial state. Measurements: ``expval``, ``var``,
    ``probs``, ``state``, ``density_matrix`` and the other state-based measurements without
    shots; ``sample``, ``counts``, ``expval``, ``var``, ``probs`` with shots (shot vectors too).
    Mid-circuit measurements are deferred (``qml.defer_measurements``), which needs a spare
    device wire per measurement. Derivatives: ``diff_method="adjoint"`` (also chosen by
    ``"best"`` without shots) for expectation values, as Jacobians or VJPs
    (``device_vjp=True``); parameter-shift and finite differences work as on any device;
    backpropagation is not supported (the simulator is not written in an autodiff framework).
    """

    name = _NAME

    def __init__(self, wires=None, shots=None, seed=None):
        super().__init__(wires=wires, shots=shots)
        if self.wires is not None and len(self.wires) > MAX_QUBITS:
            raise DeviceError(
                f"qdiff.qubit simulates at most {MAX_QUBITS} qubits; {len(self.wires)} wires "
                "were requested"
            )
        self._rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self._qmap = qubit_map(self.wires) if self.wires is not None else None
        self._circuits = CircuitCache()

    # ----------------------------------------------------------------- configuration

    def setup_execution_config(self, config=None, circuit=None) -> ExecutionConfig:
        """Fills in the configuration: ``"best"`` and ``"device"`` become ``"adjoint"``, which
        uses the device's own Jacobian and VJP; mid-circuit measurements are deferred."""
        if config is None:
            config = ExecutionConfig()
        updated = {}
        method = config.gradient_method
        if method in ("best", "device"):
            updated["gradient_method"] = method = "adjoint"
        adjoint = method == "adjoint"
        if config.use_device_gradient is None:
            updated["use_device_gradient"] = adjoint
        if config.use_device_jacobian_product is None:
            updated["use_device_jacobian_product"] = adjoint
        if adjoint and config.grad_on_execution is None:
            updated["grad_on_execution"] = True
        mcm = config.mcm_config
        if mcm.mcm_method not in (None, "deferred"):
            raise DeviceError(
                f"mcm_method={mcm.mcm_method!r} is not supported on qdiff.qubit: mid-circuit "
                "measurements are deferred (mcm_method='deferred')"
            )
        if mcm.mcm_method is None:
            updated["mcm_config"] = replace(mcm, mcm_method="deferred")
        return replace(config, **updated)

    def preprocess_transforms(self, execution_config=None) -> CompilePipeline:
        """The transforms that turn any circuit into one the device runs: mid-circuit
        measurements deferred, operations decomposed down to the native set (the stopping
        condition is :func:`supports_operation`), wires and measurements validated,
        broadcasting expanded, non-commuting observables split under shots; with the adjoint
        method, trainable operations are further decomposed into differentiable ones."""
        if execution_config is None:
            execution_config = ExecutionConfig()
        program = CompilePipeline()
        program.add_transform(validate_measurements, name=_NAME)
        program.add_transform(
            validate_observables,
            stopping_condition=_supports_observable,
            stopping_condition_shots=_supports_observable_shots,
            name=_NAME,
        )
        program.add_transform(qml.defer_measurements, allow_postselect=False)
        program.add_transform(
            decompose,
            stopping_condition=supports_operation,
            skip_initial_state_prep=True,
            name=_NAME,
            device_wires=self.wires,
            target_gates=NATIVE,
        )
        program.add_transform(device_resolve_dynamic_wires, wires=self.wires, allow_resets=False)
        program.add_transform(validate_device_wires, self.wires, name=_NAME)
        program.add_transform(qml.transforms.broadcast_expand)
        program.add_transform(_split_if_sampled)
        if execution_config.gradient_method == "adjoint":
            name = f"adjoint + {_NAME}"
            program.add_transform(no_sampling, name=name)
            program.add_transform(
                decompose,
                stopping_condition=supports_adjoint_operation,
                skip_initial_state_prep=True,
                name=name,
                device_wires=self.wires,
            )
            program.add_transform(
                validate_observables, stopping_condition=_supports_adjoint_observable, name=name
            )
            program.add_transform(
                validate_measurements, analytic_measurements=_adjoint_measurement, name=name
            )
            program.add_transform(validate_adjoint_trainable_params)
        return program

    # ----------------------------------------------------------------- execution

    def _layout(self, tape):
        """``(qubit map, wire order, number of qubits)`` for ``tape``."""
        if self._qmap is not None:
            return self._qmap, self.wires, len(self.wires)
        wires = tape.wires
        if len(wires) > MAX_QUBITS:
            raise DeviceError(
                f"qdiff.qubit simulates at most {MAX_QUBITS} qubits; the circuit uses "
                f"{len(wires)} wires"
            )
        return qubit_map(wires), wires, len(wires)

    def _final_state(self, tape, qmap, num_qubits):
        """The final amplitudes of ``tape`` (PennyLane's order)."""
        cached = self._circuits.lookup(tape, qmap, num_qubits)
        if cached is not None:
            return simulate(cached[0], cached[1])
        circuit, initial, phase = build_circuit(tape, qmap, num_qubits)
        state = simulate(circuit, None, initial)
        if phase:
            state *= global_phase_factor(phase)
        return state

    def _run(self, tape):
        """The results of one tape."""
        qmap, order, n = self._layout(tape)
        state = self._final_state(tape, qmap, n)
        if tape.shots:
            return measure_shots(tape, state, qmap, order, n, self._rng)
        return measure_state(tape, state, qmap, order, n)

    def execute(self, circuits, execution_config=None):
        """Runs every circuit and returns its results (a tuple, one entry per circuit)."""
        return tuple(self._run(tape) for tape in circuits)

    # ----------------------------------------------------------------- derivatives

    def supports_derivatives(self, execution_config=None, circuit=None) -> bool:
        """True for the adjoint method (``"adjoint"``, ``"best"``, ``"device"``) on analytic
        circuits whose measurements are all expectation values of observables with a Pauli
        form and whose state preparation is not trainable.

        Operations are not checked here: every operation the device runs at all is either
        differentiated natively or decomposed into ones that are, and checking would mean
        decomposing the circuit twice per QNode call."""
        if execution_config is None:
            return circuit is None or not circuit.shots
        if execution_config.gradient_method not in ("adjoint", "best", "device"):
            return False
        if execution_config.derivative_order != 1:
            return False
        if circuit is None:
            return True
        if circuit.shots:
            return False
        for mp in circuit.measurements:
            if not _adjoint_measurement(mp) or mp.obs is None:
                return False
            if not _supports_adjoint_observable(mp.obs):
                return False
        for op in circuit.operations[: circuit.num_preps]:
            if any(qml.math.requires_grad(d) for d in op.data):
                return False
        return True

    def supports_vjp(self, execution_config=None, circuit=None) -> bool:
        """The device computes VJPs wherever it computes Jacobians (adjoint method)."""
        return self.supports_derivatives(execution_config, circuit)

    def _adjoint_setup(self, tape):
        """``(circuit, initial state, observables, theta, columns)``: the circuit with the
        tape's trainable operation parameters as ``theta`` (``columns`` None), or a cached
        circuit with every parameter as ``theta`` (``columns``: the trainable parameters'
        entries of its gradient)."""
        qmap, _, n = self._layout(tape)
        observables = [observable_sum(mp.obs, qmap) for mp in tape.measurements]
        cached = self._circuits.lookup(tape, qmap, n)
        if cached is not None:
            circuit, theta = cached
            return circuit, None, observables, theta, list(tape.trainable_params)
        trainable = {p: j for j, p in enumerate(tape.trainable_params)}
        circuit, initial, _ = build_circuit(tape, qmap, n, trainable)
        params = tape.get_parameters(trainable_only=False)
        # Trainable parameters of observables (no adjoint gradient) are placeholders.
        theta = np.array(
            [float(np.real(params[p])) if np.ndim(params[p]) == 0 else 0.0 for p in trainable]
        )
        return circuit, initial, observables, theta, None

    def _jacobian(self, tape):
        """``(results, jacobian)`` of one tape by the adjoint method, in PennyLane's shapes."""
        circuit, initial, observables, theta, columns = self._adjoint_setup(tape)
        values, jac = adjoint_jacobian(circuit, observables, theta, initial)
        jac = _pad_columns(jac, len(theta))
        if columns is not None:
            jac = jac[:, columns]
        return _values(values), _jacobian_shape(jac)

    def compute_derivatives(self, circuits, execution_config=None):
        """The Jacobian of every circuit by the adjoint method."""
        return tuple(self._jacobian(tape)[1] for tape in circuits)

    def execute_and_compute_derivatives(self, circuits, execution_config=None):
        """The results and the Jacobian of every circuit from one forward sweep each."""
        pairs = [self._jacobian(tape) for tape in circuits]
        return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)

    def _vjp(self, tape, cotangent):
        """``(results, vjp)`` of one tape by the adjoint method."""
        circuit, initial, observables, theta, columns = self._adjoint_setup(tape)
        dy = _cotangents(cotangent, len(observables))

        def trainable(grad):
            grad = _pad(grad, len(theta))
            return grad if columns is None else grad[columns]

        if dy.ndim == 1:
            values, grad = adjoint_vjp(circuit, observables, dy, theta, initial)
            return _values(values), tuple(trainable(grad))
        # Batched cotangents, shape (m, batch): one backward sweep per column.
        grads = []
        values = None
        for b in range(dy.shape[1]):
            values, grad = adjoint_vjp(circuit, observables, dy[:, b], theta, initial)
            grads.append(trainable(grad))
        width = len(theta) if columns is None else len(columns)
        stacked = np.stack(grads, axis=1) if grads else np.zeros((width, 0))
        return _values(values), tuple(stacked)

    def compute_vjp(self, circuits, cotangents, execution_config=None):
        """The vector-Jacobian product of every circuit by the adjoint method."""
        return tuple(self._vjp(t, c)[1] for t, c in zip(circuits, cotangents))

    def execute_and_compute_vjp(self, circuits, cotangents, execution_config=None):
        """The results and the vector-Jacobian product of every circuit."""
        pairs = [self._vjp(t, c) for t, c in zip(circuits, cotangents)]
        return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)


def _cotangents(cotangent, num_outputs):
    """The cotangents of one tape as an array ``(outputs,)`` or, batched, ``(outputs, batch)``
    (scalar zeros PennyLane gives for unused outputs are broadcast to the batch)."""
    if num_outputs == 1:
        dy = np.asarray(cotangent, dtype=np.float64)
        return dy.reshape(1, *dy.shape)
    parts = [np.asarray(c, dtype=np.float64) for c in cotangent]
    shape = next((c.shape for c in parts if c.ndim), ())
    return np.stack([np.broadcast_to(c, shape) for c in parts])


def _pad(vector, length):
    """``vector`` padded with zeros to ``length`` (trainable observable parameters have no
    gradient in the adjoint method)."""
    vector = np.asarray(vector)
    if len(vector) >= length:
        return vector[:length]
    return np.concatenate([vector, np.zeros(length - len(vector))])


def _pad_columns(jac, length):
    """``jac`` with zero columns appended up to ``length`` columns."""
    if jac.shape[1] >= length:
        return jac[:, :length]
    return np.concatenate([jac, np.zeros((jac.shape[0], length - jac.shape[1]))], axis=1)


def _values(values):
    """Expectation values in PennyLane's shape: a scalar for one, a tuple otherwise."""
    if len(values) == 1:
        return np.float64(values[0])
    return tuple(np.float64(v) for v in values)


def _jacobian_shape(jac):
    """A ``(measurements, parameters)`` Jacobian in PennyLane's nested-tuple shape (singleton
    dimensions removed, as ``default.qubit`` returns it)."""
    m, p = jac.shape
    if m == 1 and p == 1:
        return np.array(jac[0, 0])
    if m == 1:
        return tuple(np.array(v) for v in jac[0])
    if p == 1:
        return tuple(np.array(v) for v in jac[:, 0])
    return tuple(tuple(np.array(v) for v in row) for row in jac)

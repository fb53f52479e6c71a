"""Qiskit ``QuantumCircuit`` -> ``qdiff.Circuit``, converted once per circuit.

Every instruction is one dict lookup: a gate qsim-core has (Qiskit's name and qubit order map
1:1, bit ``i`` of a basis index is qubit ``i`` in both) is appended as is; any other gate is
replaced by its matrix (when its parameters are bound and it acts on few qubits) or by its
``definition``, recursively. Unbound parameters become references into the parameter vector
``theta`` of the qsim circuit, so one converted circuit serves every parameter binding: a plain
``Parameter`` is entry ``k`` of ``circuit.parameters``, and every parameter *expression* gets an
entry of its own, evaluated per binding (vectorised when the expression is linear).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from qiskit.circuit import Parameter, ParameterExpression, QuantumCircuit

from qdiff._native import Circuit, QdiffError

# Qiskit instruction name -> qsim-core (OpenQASM 2 qelib1.inc) gate name. Same matrices.
_GATES: dict[str, str] = {
    name: name
    for name in (
        "id x y z h s sdg t tdg sx sxdg rx ry rz p u1 u2 u3 u cx cy cz ch csx swap crx cry crz "
        "cp cu1 cu3 cu rxx ryy rzz rzx ccx cswap rccx"
    ).split()
}
_GATES.update({"c3sx": "c3sqrtx", "rcccx": "rc3x"})
# `mcx` is Qiskit's name for C3X, C4X and every multi-controlled X: qsim has 1 to 4 controls.
_MCX = {2: "cx", 3: "ccx", 4: "c3x", 5: "c4x"}
# Instructions without effect on the state.
_SKIP = frozenset(("barrier", "delay"))
# Gates this wide or narrower with bound parameters and no qsim equivalent run as one matrix.
_MATRIX_MAX_QUBITS = 3
_CONTROL_FLOW = frozenset(("if_else", "while_loop", "for_loop", "switch_case", "break_loop",
                           "continue_loop", "box"))


@dataclass
class Converted:
    """A converted circuit: the qsim circuit and how to compute its ``theta`` per binding.

    ``theta`` has one entry per parameter of ``parameters`` (in that order: the order of
    ``QuantumCircuit.parameters``, which is the order ``BindingsArray.as_array`` uses), then one
    per expression of ``expressions``. ``phase`` and ``phase_expressions`` add up to the global
    phase (only a state vector sees it).
    """

    circuit: Circuit
    parameters: list[Parameter]
    expressions: list[ParameterExpression] = field(default_factory=list)
    phase: float = 0.0
    phase_expressions: list[ParameterExpression] = field(default_factory=list)
    has_measurements: bool = False
    has_resets: bool = False
    # Qubits no instruction has acted on yet: a reset of one of them is a no-op and is dropped
    # (so `initialize` at the start of a circuit keeps it unitary).
    untouched: set = field(default_factory=set)

    @property
    def is_unitary(self) -> bool:
        """True if the circuit has no measurement and no reset."""
        return not (self.has_measurements or self.has_resets)

    def thetas(self, values: np.ndarray | None) -> np.ndarray:
        """``theta`` for every binding: ``values`` has shape ``(..., len(parameters))`` (None or
        empty when the circuit has no parameters); the result has shape ``(..., num_theta)``."""
        values = np.zeros((0,)) if values is None else np.asarray(values, dtype=float)
        if not self.expressions:
            return values
        extra = _evaluate(self.expressions, self.parameters, values)
        return np.concatenate([values, extra], axis=-1)

    def global_phase(self, values: np.ndarray | None = None) -> np.ndarray | float:
        """The global phase (for one binding, or for each binding of ``values``)."""
        if not self.phase_expressions:
            return self.phase
        values = np.zeros((0,)) if values is None else np.asarray(values, dtype=float)
        return self.phase + _evaluate(self.phase_expressions, self.parameters, values).sum(-1)


def convert(circuit: QuantumCircuit) -> Converted:
    """Converts ``circuit`` (parameters bound or not) into a :class:`Converted`.

    Raises ``QdiffError`` for instructions it cannot express: control flow, and instructions
    that are neither qsim gates, nor gates with a matrix, nor defined by other instructions.
    """
    parameters = list(circuit.parameters)
    out = Converted(
        circuit=Circuit(circuit.num_qubits, circuit.num_clbits),
        parameters=parameters,
        untouched=set(range(circuit.num_qubits)),
    )
    index = {p: k for k, p in enumerate(parameters)}
    qmap = {q: i for i, q in enumerate(circuit.qubits)}
    cmap = {c: i for i, c in enumerate(circuit.clbits)}
    _add_phase(out, circuit.global_phase)
    _append(out, index, circuit, qmap, cmap, depth=0)
    return out


def _append(out: Converted, index, circuit: QuantumCircuit, qmap, cmap, depth: int) -> None:
    if depth > 64:
        raise QdiffError("gate definitions nest more than 64 levels deep")
    c = out.circuit
    for inst in circuit.data:
        name = inst.name
        qsim = _GATES.get(name)
        if qsim is None and name == "mcx":
            qsim = _MCX.get(len(inst.qubits))
        if qsim is not None:
            qubits = [qmap[q] for q in inst.qubits]
            if out.untouched:
                out.untouched.difference_update(qubits)
            params = inst.params
            if not params:
                c.gate(qsim, qubits)
                continue
            values, refs = _angles(out, index, params)
            c.gate(qsim, qubits, values, refs)
        elif name == "measure":
            q = qmap[inst.qubits[0]]
            c.measure(q, cmap[inst.clbits[0]])
            out.untouched.discard(q)
            out.has_measurements = True
        elif name == "reset":
            q = qmap[inst.qubits[0]]
            if q not in out.untouched:
                c.reset(q)
                out.has_resets = True
        elif name in _SKIP:
            continue
        elif name == "global_phase":
            _add_phase(out, inst.params[0])
        elif name == "unitary":
            matrix = np.asarray(inst.operation.to_matrix(), dtype=complex)
            qubits = [qmap[q] for q in inst.qubits]
            out.untouched.difference_update(qubits)
            c.unitary(qubits, matrix)
        else:
            _fallback(out, index, inst, qmap, cmap, depth)


def _fallback(out: Converted, index, inst, qmap, cmap, depth: int) -> None:
    """A gate qsim-core lacks: its matrix when bound and small, else its definition."""
    name = inst.name
    if name in _CONTROL_FLOW or inst.is_control_flow():
        raise QdiffError(
            f"unsupported instruction `{name}`: control flow is not supported by qdiff's "
            "Qiskit primitives"
        )
    op = inst.operation
    if (
        len(inst.qubits) <= _MATRIX_MAX_QUBITS
        and not inst.clbits
        and not inst.is_parameterized()
        and hasattr(op, "to_matrix")
    ):
        try:
            matrix = np.asarray(op.to_matrix(), dtype=complex)
        except Exception:  # noqa: BLE001 - no matrix: fall through to the definition
            matrix = None
        if matrix is not None:
            qubits = [qmap[q] for q in inst.qubits]
            out.untouched.difference_update(qubits)
            out.circuit.unitary(qubits, matrix)
            return
    definition = getattr(op, "definition", None)
    if definition is None:
        raise QdiffError(
            f"unsupported instruction `{name}` on {len(inst.qubits)} qubit(s): it is not a "
            "qsim-core gate, has no matrix and no definition"
        )
    inner_q = {dq: qmap[q] for dq, q in zip(definition.qubits, inst.qubits)}
    inner_c = {dc: cmap[c] for dc, c in zip(definition.clbits, inst.clbits)}
    _add_phase(out, definition.global_phase)
    _append(out, index, definition, inner_q, inner_c, depth + 1)


def _angles(out: Converted, index, params) -> tuple[list[float], list[int] | None]:
    """Numbers and ``vars`` entries for a gate's angles (``vars`` None if all are numbers)."""
    values: list[float] = []
    refs: list[int] = []
    symbolic = False
    for p in params:
        if isinstance(p, ParameterExpression):
            if isinstance(p, Parameter):
                values.append(0.0)
                refs.append(index[p])
                symbolic = True
                continue
            if p.parameters:
                values.append(0.0)
                refs.append(len(out.parameters) + len(out.expressions))
                out.expressions.append(p)
                symbolic = True
                continue
            p = _number(p)
        values.append(float(p))
        refs.append(-1)
    return values, (refs if symbolic else None)


def _number(expr: ParameterExpression) -> float:
    value = complex(expr.numeric())
    if abs(value.imag) > 1e-12:
        raise QdiffError(f"a gate angle evaluates to the complex number {value}")
    return value.real


def _add_phase(out: Converted, phase) -> None:
    if isinstance(phase, ParameterExpression):
        if phase.parameters:
            out.phase_expressions.append(phase)
            return
        phase = _number(phase)
    out.phase += float(phase)


def _evaluate(
    expressions: list[ParameterExpression], parameters: list[Parameter], values: np.ndarray
) -> np.ndarray:
    """Each expression at every binding of ``values`` (shape ``(..., len(parameters))``)."""
    batch = values.shape[:-1] if values.ndim else ()
    flat = values.reshape(-1, len(parameters)) if parameters else np.zeros((1, 0))
    position = {p: k for k, p in enumerate(parameters)}
    result = np.empty((flat.shape[0], len(expressions)))
    for j, expr in enumerate(expressions):
        linear = _linear(expr)
        if linear is not None:
            const, grads = linear
            col = np.full(flat.shape[0], const)
            for p, g in grads:
                col += g * flat[:, position[p]]
            result[:, j] = col
            continue
        used = list(expr.parameters)
        for b in range(flat.shape[0]):
            result[b, j] = _number(expr.bind({p: flat[b, position[p]] for p in used}))
    return result.reshape(batch + (len(expressions),))


def _linear(expr: ParameterExpression):
    """``(constant, [(parameter, coefficient)])`` if ``expr`` is affine in its parameters."""
    grads = []
    for p in expr.parameters:
        g = expr.gradient(p)
        if isinstance(g, ParameterExpression):
            if g.parameters:
                return None
            g = _number(g)
        g = complex(g)
        if abs(g.imag) > 1e-12:
            return None
        grads.append((p, g.real))
    const = _number(expr.bind({p: 0.0 for p in expr.parameters}))
    return const, grads


def statevector(circuit: QuantumCircuit, parameter_values=None) -> np.ndarray:
    """The final state of a unitary ``circuit`` simulated by qsim-core, global phase included
    (``parameter_values`` in the order of ``circuit.parameters``). For tests and users who want
    amplitudes; the primitives do not need it."""
    from qdiff._native import simulate

    conv = convert(circuit)
    values = None if parameter_values is None else np.asarray(parameter_values, dtype=float)
    theta = conv.thetas(values)
    state = simulate(conv.circuit, theta if theta.size else None)
    return state * np.exp(1j * float(conv.global_phase(values)))

"""Regenerates testdata/qasm-dumps with Qiskit (2.6.2 was used):

    python testdata/qasm-dumps/generate.py

Each case is a seeded `random_circuit` written by `qasm2.dumps`, which defines every gate that
`qelib1.inc` lacks (ecr, iswap, xx_plus_yy, rzx, ...) with a `gate` statement. The answer is the
statevector of the *reloaded* text, since OpenQASM 2 cannot carry the global phase of some of
those definitions.
"""

import json
import pathlib

from qiskit import qasm2
from qiskit.circuit.random import random_circuit
from qiskit.quantum_info import Statevector

HERE = pathlib.Path(__file__).resolve().parent

for i in range(40):
    text = qasm2.dumps(random_circuit(1 + i % 7, 12, max_operands=3, seed=1000 + i))
    reloaded = qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    amplitudes = Statevector.from_instruction(reloaded).data
    (HERE / f"dump_{i:03}.qasm").write_text(text)
    answer = {
        "num_qubits": reloaded.num_qubits,
        "amplitudes": [[z.real, z.imag] for z in amplitudes],
    }
    (HERE / f"dump_{i:03}.json").write_text(json.dumps(answer) + "\n")

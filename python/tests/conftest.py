"""Shared fixtures of the qdiff test suite: where the repository's reference files are."""

import json
import pathlib

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
TESTDATA = REPO / "testdata"


def load_reference_state(path):
    """The amplitudes of a reference file (`num_qubits`, `amplitudes` as [re, im] pairs)."""
    with open(path) as f:
        case = json.load(f)
    pairs = np.asarray(case["amplitudes"], dtype=float)
    return case["num_qubits"], pairs[:, 0] + 1j * pairs[:, 1]


def qasm_cases(folder, pattern):
    """`(name, qasm text, num_qubits, reference amplitudes)` for every case in `folder`."""
    cases = []
    for qasm in sorted((TESTDATA / folder).glob(pattern)):
        n, amps = load_reference_state(qasm.with_suffix(".json"))
        cases.append((qasm.stem, qasm.read_text(), n, amps))
    if not cases:
        raise FileNotFoundError(f"no reference cases matching {pattern} in {TESTDATA / folder}")
    return cases


@pytest.fixture(scope="session")
def testdata():
    """The repository's testdata folder."""
    return TESTDATA

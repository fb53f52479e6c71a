"""The PennyLane device ``qdiff.qubit`` (``qml.device("qdiff.qubit", wires=n)``).

Registered through the ``pennylane.plugins`` entry point of the ``qdiff`` wheel; importing this
module is only needed to use :class:`QdiffQubit` directly. See :class:`QdiffQubit` for what the
device supports.
"""

from qdiff.pennylane.device import QdiffQubit

__all__ = ["QdiffQubit"]

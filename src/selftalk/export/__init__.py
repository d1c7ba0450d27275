"""Export face motions to other tools: mesh sequences, animated glTF, ARKit-52 curves.

Public API::

    from selftalk.export import write_glb, write_sequence, export_arkit

    write_glb("talk.glb", motion, faces, fps=30, template=template, audio="speech.wav")
    export_arkit("talk.csv", motion, fps=30)          # bundled head's ARKit basis

Heavy modules (pygltflib, soundfile) are imported only when used.
"""

from selftalk.arkit import LIVE_LINK, LIVE_LINK_HEADER, live_link_csv
from selftalk.export.arkit import (
    BlendshapeBasis,
    SolveResult,
    SolverOptions,
    bundled_basis,
    export_arkit,
    load_basis,
    solve_weights,
    to_arkit,
    write_arkit,
)
from selftalk.export.basis import MotionBasis, fit_basis
from selftalk.export.gltf import GlbInfo, glb_bytes, write_glb
from selftalk.export.sequence import write_sequence

#: the older name of :data:`selftalk.arkit.LIVE_LINK`, the column order of every curve file
ARKIT_NAMES = LIVE_LINK

__all__ = [
    "ARKIT_NAMES",
    "LIVE_LINK",
    "LIVE_LINK_HEADER",
    "BlendshapeBasis",
    "GlbInfo",
    "MotionBasis",
    "SolveResult",
    "SolverOptions",
    "bundled_basis",
    "export_arkit",
    "fit_basis",
    "glb_bytes",
    "live_link_csv",
    "load_basis",
    "solve_weights",
    "to_arkit",
    "write_arkit",
    "write_glb",
    "write_sequence",
]

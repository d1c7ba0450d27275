"""The bundled head as a ``.glb`` whose morph targets are its 52 ARKit blendshapes (named as
ARKit names them), for a browser to drive with streamed weights."""

from __future__ import annotations

import functools

import numpy as np


@functools.lru_cache(maxsize=1)
def arkit_head_glb() -> bytes:
    """The bundled CC0 head, rest shape + 52 named ARKit morph targets, no animation."""
    from selftalk.export.basis import MotionBasis
    from selftalk.export.gltf import glb_bytes
    from selftalk.synth.head import load_head

    head = load_head()
    targets = np.asarray(head.blendshapes, np.float32)
    basis = MotionBasis(
        base=np.asarray(head.template, np.float32),
        targets=targets,
        weights=np.zeros((0, len(targets)), np.float32),
        max_error=0.0,
        rms_error=0.0,
        tolerance=0.0,
    )
    return glb_bytes(
        basis, head.faces, fps=30.0, name="head", target_names=list(head.blendshape_names)
    )

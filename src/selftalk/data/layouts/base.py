"""What every layout of another repository shares: regions, a topology, splits without a file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from selftalk.data.layout import SPLITS_FILE, DatasetLayout
from selftalk.errors import InputError


class ForeignLayout(DatasetLayout):
    """A dataset folder kept as another repository keeps it, read as it is.

    Presents :class:`DatasetLayout`'s interface; subclasses say how to find clips, meta,
    templates and splits, and implement ``detect(root) -> bool``. Lip and upper-face
    vertices come from whichever known mask the folder holds
    (:func:`selftalk.data.regions.resolve_regions`).
    """

    layout_name = "foreign"

    @staticmethod
    def detect(root: Path) -> bool:
        raise NotImplementedError

    @property
    def splits_path(self) -> Path:
        return self.split_file or self.root / SPLITS_FILE

    def lip_indices(self) -> np.ndarray:
        return self.regions().lip

    def upper_face_indices(self) -> np.ndarray | None:
        return self.regions().upper

    def topology(self):
        """The :class:`selftalk.topology.Topology` of the mesh file and the regions found."""
        from selftalk.topology import Topology

        mesh = self.mesh()
        if mesh is None:
            raise InputError(self.mesh_path, "no mesh file: the topology (triangles) is unknown")
        regions = self.regions()
        upper = regions.upper if regions.upper is not None else np.zeros(0, np.int64)
        return Topology(
            template=mesh.vertices,
            faces=mesh.faces,
            lip_indices=regions.lip,
            upper_face_indices=upper,
            fps=float(self.meta.fps),
            name=self.meta.name,
        )

"""Find and load a model with the faces it animates: a model directory, a training run, or the
bundled model."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from selftalk.checks import same_vertex_count
from selftalk.data.layout import TopologyFiles
from selftalk.errors import InputError
from selftalk.mesh import Mesh, read_mesh
from selftalk.models.selftalk import SelfTalk


def bundled_model_dir(*, streaming: bool = False) -> Path:
    """The directory of a small model shipped with selftalk: the bundled model, or with
    ``streaming`` the bundled streaming model (less look-ahead, so less latency; see
    docs/bundled-model.md)."""
    return (
        Path(__file__).resolve().parent.parent
        / "assets"
        / ("stream-model" if streaming else "model")
    )


@dataclass(kw_only=True)
class LoadedModel:
    """A model and the topology files found beside it.

    Attributes:
        model: the network, in eval mode.
        directory: where its topology files live (model directory or run directory).
        templates: neutral faces by subject (may be empty).
        mesh: the topology mesh (faces + a neutral face), if present.
    """

    model: SelfTalk
    directory: Path
    templates: dict[str, np.ndarray] = field(default_factory=dict)
    mesh: Mesh | None = None

    @property
    def faces(self) -> np.ndarray | None:
        return None if self.mesh is None else self.mesh.faces

    def template(
        self, *, subject: str | None = None, mesh_path: str | Path | None = None
    ) -> np.ndarray:
        """(V, 3) neutral face: from ``mesh_path``, a named ``subject``, or the default one."""
        n = self.model.config.n_vertices
        if mesh_path is not None:
            vertices = read_mesh(mesh_path).vertices
            same_vertex_count(len(vertices), n, mesh_path, "the model animates")
            return vertices
        if subject is not None:
            if subject not in self.templates:
                known = ", ".join(sorted(self.templates)) or "none"
                raise InputError(self.directory, f"has no subject {subject!r} (subjects: {known})")
            return self.templates[subject]
        if self.mesh is not None:
            return self.mesh.vertices
        if self.templates:
            return self.templates[sorted(self.templates)[0]]
        raise InputError(self.directory, "has no template: pass --template MESH")


def load_model(
    *,
    model_dir: str | Path | None = None,
    run_dir: str | Path | None = None,
    checkpoint: str = "best",
    device: str = "cpu",
    lite: bool = True,
    streaming: bool = False,
) -> LoadedModel:
    """Load ``model_dir``, the ``best``/``latest`` checkpoint of ``run_dir``, or the bundled model
    (with ``streaming``, the bundled streaming model).

    ``lite`` (default) loads the inference-only audio encoder, which starts without importing
    ``transformers``; its predictions equal the Hugging Face encoder's (tested).
    """
    if model_dir is not None and run_dir is not None:
        raise InputError(run_dir, "give a model directory or a run directory, not both")
    if run_dir is not None:
        from selftalk.training.checkpoint import checkpoint_path

        try:
            weights_dir = checkpoint_path(run_dir, checkpoint) / "model"
        except InputError:
            if checkpoint != "best":
                raise
            weights_dir = checkpoint_path(run_dir, "latest") / "model"  # no validation split
        home = Path(run_dir)
    else:
        home = weights_dir = (
            Path(model_dir) if model_dir is not None else bundled_model_dir(streaming=streaming)
        )
        if model_dir is None and not (home / "config.json").is_file():
            raise InputError(home, "the bundled model is missing from this installation")
    model = SelfTalk.from_pretrained(weights_dir, device=device, lite=lite)
    files = TopologyFiles(home)
    templates, mesh = files.templates(missing_ok=True), files.mesh()
    n = model.config.n_vertices  # checked here, not deep inside the animator
    for subject, template in templates.items():
        same_vertex_count(len(template), n, files.templates_path, f"the model animates ({subject})")
    if mesh is not None:
        same_vertex_count(len(mesh.vertices), n, files.mesh_path, "the model animates")
    return LoadedModel(model=model, directory=home, templates=templates, mesh=mesh)

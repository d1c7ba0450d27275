"""ONNX export of a model's inference graph, its JSON sidecar, and an ONNX Runtime engine.

The graph and its inputs come from the model's :class:`~selftalk.models.contract.InferenceContract`
(``model.inference_contract()``), so a model whose ears run outside the graph exports the same
way with a different contract. Export uses ``torch.onnx.export(dynamo=True)`` (onnxscript) at a
stated opset, checks the file with ``onnx.checker`` and writes it atomically. ``onnx``,
``onnxruntime`` and ``onnxscript`` are imported only here, when used.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from selftalk import __version__
from selftalk.data.layout import MESH_FILE
from selftalk.errors import InputError, SelfTalkError
from selftalk.io import read_json, write_json
from selftalk.models.contract import InferenceContract

OPSET = 18
"""ONNX opset of exported graphs (ONNX Runtime ≥ 1.14, Unreal NNE; the oldest the exporter writes)."""

SIDECAR_FORMAT = "selftalk-onnx"
EXTERNAL_DATA_BYTES = 1_800_000_000
"""Weights above this go to ``NAME.onnx.data`` beside the graph (protobuf caps a file at 2 GB)."""


def _require(name: str):
    try:
        return __import__(name)
    except ImportError:
        raise SelfTalkError(
            f"the ONNX engine needs the Python package {name!r}: pip install 'selftalk[onnx]'"
        ) from None


@contextlib.contextmanager
def _quiet():
    """Silence the exporter's progress lines, warnings and log messages."""
    loggers = [logging.getLogger(n) for n in ("torch.onnx", "torch.export", "torch._dynamo")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
        ):
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def sidecar_path(onnx_path: str | Path) -> Path:
    """``model.onnx`` → ``model.json``: the contract, topology and parity of an exported graph."""
    return Path(onnx_path).with_suffix(".json")


def export_graph(contract: InferenceContract, path: str | Path, *, opset: int = OPSET) -> Path:
    """Export ``contract.graph`` to ``path`` (dynamic axes from the contract), check it with
    ``onnx.checker`` and move it into place atomically (with ``path.data`` when large)."""
    _require("onnxscript")
    onnx = _require("onnx")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dims: dict[str, torch.export.Dim] = {}
    dynamic_shapes = tuple(
        {axis: dims.setdefault(name, torch.export.Dim(name, min=2)) for axis, name in axes.items()}
        or None
        for axes in contract.dynamic_axes().values()
    )
    n_bytes = sum(p.numel() * p.element_size() for p in contract.graph.parameters())
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.stem}.") as tmp:
        staged = Path(tmp) / path.name
        with torch.no_grad(), _quiet():
            program = torch.onnx.export(
                contract.graph,
                contract.example_inputs,
                dynamo=True,
                dynamic_shapes=dynamic_shapes,
                opset_version=opset,
                input_names=contract.input_names,
                output_names=contract.output_names,
                verbose=False,
            )
        program.save(str(staged), external_data=n_bytes > EXTERNAL_DATA_BYTES)
        onnx.checker.check_model(str(staged))
        data = staged.with_name(staged.name + ".data")
        if data.exists():
            os.replace(data, path.with_name(path.name + ".data"))
        os.replace(staged, path)
    return path


def write_sidecar(path: str | Path, contract: InferenceContract, **facts: Any) -> Path:
    """Write the JSON sidecar of ``path``: format, opset, contract and the given facts."""
    out = sidecar_path(path)
    write_json(
        out,
        {
            "format": SIDECAR_FORMAT,
            "selftalk_version": __version__,
            "onnx": Path(path).name,
            **facts,
            "contract": contract.to_json(),
        },
    )
    return out


@dataclass
class Parity:
    """Largest vertex difference between the ONNX graph and torch over the clips tried."""

    max_abs: float
    motion_scale: float
    """Largest absolute offset from the template in torch's output."""
    seconds: tuple[float, ...]

    @property
    def relative(self) -> float:
        return self.max_abs / self.motion_scale if self.motion_scale > 0 else float("nan")

    def to_json(self) -> dict[str, Any]:
        return {
            "max_abs_vertex_diff": self.max_abs,
            "motion_scale": self.motion_scale,
            "relative": self.relative,
            "clip_seconds": list(self.seconds),
        }


@torch.no_grad()
def parity(contract: InferenceContract, engine: OnnxEngine, seconds=(1.3, 2.0)) -> Parity:
    """Run torch and ONNX Runtime on random audio of each length in ``seconds``, compare."""
    generator = torch.Generator().manual_seed(1)
    template = torch.randn(contract.example_inputs[1].shape, generator=generator) * 0.1
    worst, scale = 0.0, 0.0
    for s in seconds:
        audio = torch.randn(1, int(s * contract.sample_rate), generator=generator)
        expected = contract.graph(audio, template).numpy()
        got = engine.run(audio[0].numpy(), template.numpy())
        if got.shape != expected.shape:
            raise SelfTalkError(f"ONNX graph made {got.shape}, torch {expected.shape}")
        worst = max(worst, float(np.abs(got - expected).max()))
        scale = max(scale, float(np.abs(expected - template.numpy()).max()))
    return Parity(worst, scale, tuple(seconds))


class OnnxEngine:
    """Run an exported raw-audio graph with ONNX Runtime: one window of normalised audio →
    vertices. Callable as ``engine(samples (S,), template (V, 3)) → (T, V, 3)`` float32, the
    signature :func:`selftalk.inference.predict.predict_motion` takes."""

    def __init__(
        self,
        path: str | Path,
        *,
        threads: int | None = None,
        optimization: str = "all",
        meta: dict[str, Any] | None = None,
    ):
        """Load ``path`` and its sidecar (or ``meta``, the sidecar's content)."""
        ort = _require("onnxruntime")
        self.path = path = Path(path)
        if not path.is_file():
            raise InputError(path, "no such ONNX file")
        meta_path = sidecar_path(path)
        self.meta = meta or read_json(
            meta_path, missing=f"missing sidecar (export writes {meta_path.name})"
        )
        if self.meta.get("format") != SIDECAR_FORMAT:
            raise InputError(
                meta_path, f"not a selftalk ONNX sidecar (format {self.meta.get('format')!r})"
            )
        contract = self.meta["contract"]
        if contract["kind"] != "raw_audio":
            raise InputError(
                meta_path, f"a {contract['kind']!r} graph: this engine feeds raw audio"
            )
        self.fps = float(contract["fps"])
        self.min_samples = int(contract["min_samples"])
        options = ort.SessionOptions()
        levels = {
            "none": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
            "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
        }
        options.graph_optimization_level = levels[optimization]
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:
            raise InputError(
                path, f"ONNX Runtime cannot load it ({str(error).splitlines()[0]})"
            ) from None
        self.input_names = [i.name for i in self.session.get_inputs()]

    def run(self, samples: np.ndarray, template: np.ndarray) -> np.ndarray:
        """(S,) normalised 16 kHz audio, (V, 3) template → (T, V, 3) float32."""
        samples = np.ascontiguousarray(samples, dtype=np.float32).reshape(1, -1)
        if samples.shape[1] < self.min_samples:
            raise InputError(
                "audio",
                f"{samples.shape[1]} samples is too short for the ONNX graph "
                f"(at least {self.min_samples})",
            )
        feed = dict(zip(self.input_names, (samples, np.asarray(template, np.float32))))
        return self.session.run(None, feed)[0]

    def __call__(self, samples, template) -> np.ndarray:
        if isinstance(samples, torch.Tensor):
            samples = samples.detach().cpu().numpy()
        if isinstance(template, torch.Tensor):
            template = template.detach().cpu().numpy()
        return self.run(samples, template)


def topology_facts(model, mesh_name: str | None) -> dict[str, Any]:
    """What the sidecar says about the face: vertex count, frame rate, mesh file."""
    config = model.config
    return {
        "topology": {
            "n_vertices": config.n_vertices,
            "mesh": mesh_name,
        },
        "fps": float(config.fps),
    }


def copy_mesh(mesh_path: Path | None, onnx_path: Path) -> str | None:
    """Copy the model's ``mesh.ply`` beside the graph as ``NAME.ply``; its name, or None."""
    if mesh_path is None or not mesh_path.is_file():
        return None
    out = Path(onnx_path).with_suffix(".ply")
    from selftalk.io import atomic_path

    with atomic_path(out) as tmp:
        shutil.copyfile(mesh_path, tmp)
    return out.name


@dataclass
class ExportReport:
    """What :func:`export_model` wrote and measured."""

    path: Path
    sidecar: Path
    parity: Parity | None
    seconds: float


def export_model(
    loaded,
    path: str | Path,
    *,
    opset: int = OPSET,
    check_parity: bool = True,
    source: dict[str, Any] | None = None,
) -> ExportReport:
    """Export ``loaded`` (a :class:`~selftalk.inference.loading.LoadedModel`) to ``path`` with its
    sidecar and mesh, and compare ONNX Runtime with torch."""
    import time

    start = time.perf_counter()
    path = Path(path)
    model = loaded.model.eval()
    contract = model.inference_contract()
    export_graph(contract, path, opset=opset)
    elapsed = time.perf_counter() - start
    meta = {"format": SIDECAR_FORMAT, "contract": contract.to_json()}
    result = parity(contract, OnnxEngine(path, meta=meta)) if check_parity else None
    mesh_name = copy_mesh(loaded.directory / MESH_FILE, path)
    sidecar = write_sidecar(
        path,
        contract,
        opset=opset,
        source=source or {},
        **topology_facts(model, mesh_name),
        parity=None if result is None else result.to_json(),
    )
    return ExportReport(path=path, sidecar=sidecar, parity=result, seconds=elapsed)


def cache_dir() -> Path:
    """Where ``--engine onnx`` keeps graphs it exported: ``$SELFTALK_CACHE`` or
    ``$XDG_CACHE_HOME/selftalk`` (``~/.cache/selftalk``)."""
    if os.environ.get("SELFTALK_CACHE"):
        return Path(os.environ["SELFTALK_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "selftalk"


def model_fingerprint(model, opset: int) -> str:
    """sha256 of the model's config, weights, the opset and the selftalk and torch versions."""
    import hashlib
    import json

    from selftalk.config import to_dict

    digest = hashlib.sha256()
    digest.update(
        json.dumps([to_dict(model.config), opset, __version__, torch.__version__]).encode()
    )
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(memoryview(tensor.detach().contiguous().cpu().numpy()).cast("B"))
    return digest.hexdigest()[:24]


def engine_for(
    loaded,
    onnx_path: str | Path | None = None,
    *,
    threads: int | None = None,
    optimization: str = "all",
) -> OnnxEngine:
    """An ONNX Runtime engine for ``loaded``: from ``onnx_path`` (exported earlier), else a
    graph exported once into :func:`cache_dir` and reused while the weights stay the same."""
    if onnx_path is None:
        onnx_path = cache_dir() / "onnx" / model_fingerprint(loaded.model, OPSET) / "model.onnx"
        if not (onnx_path.is_file() and sidecar_path(onnx_path).is_file()):
            export_model(loaded, onnx_path, check_parity=False, source={"cache": True})
    engine = OnnxEngine(onnx_path, threads=threads, optimization=optimization)
    n = engine.meta.get("topology", {}).get("n_vertices")
    if n is not None and n != loaded.model.config.n_vertices:
        raise InputError(
            onnx_path, f"animates {n} vertices; the model has {loaded.model.config.n_vertices}"
        )
    return engine

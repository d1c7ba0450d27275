"""Ways to run the animator on a CPU, each as one engine ``(samples (S,), template (V, 3)) → (T, V, 3)``.

``benchmarks/bench_cpu.py`` measures each one's speed and its error against float32 torch;
``selftalk predict``/``animate`` pick one with ``--engine``. Options:

- ``torch``: eager float32, the lite encoder with PyTorch's fused attention (SDPA).
- ``torch-math-attention``: the same with SDPA's unfused reference kernel (what eager
  attention does), to show what fusing attention is worth.
- ``torch-compile``: ``torch.compile`` of the exported graph module (dynamic shapes).
- ``torch-bf16``: bfloat16 autocast (fast where the CPU has bf16 units; large error).
- ``torch-int8``: int8 dynamic quantisation of every ``nn.Linear`` (torch.ao).
- ``onnx``: ONNX Runtime, all graph optimisations; ``onnx-basic``/``onnx-none``: fewer.
- ``onnx-int8``: ONNX Runtime on the graph with int8 dynamic quantisation of its MatMuls.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from selftalk.errors import ConfigError
from selftalk.models.raw_audio_graph import RawAudioGraph

Engine = Callable[[np.ndarray, np.ndarray], np.ndarray]

OPTIONS = (
    "torch",
    "torch-math-attention",
    "torch-compile",
    "torch-bf16",
    "torch-int8",
    "onnx",
    "onnx-basic",
    "onnx-none",
    "onnx-int8",
)


def _torch_engine(graph: torch.nn.Module, context=None) -> Engine:
    import contextlib

    @torch.inference_mode()
    def run(samples, template):
        audio = torch.as_tensor(np.asarray(samples, np.float32))[None]
        with context() if context else contextlib.nullcontext():
            out = graph(audio, torch.as_tensor(np.asarray(template, np.float32)))
        return out.float().numpy()

    return run


def quantize_onnx_int8(src: str | Path, dst: str | Path) -> Path:
    """Int8 dynamic quantisation of the MatMul weights of an exported graph, written atomically
    with a copy of its sidecar."""
    import os
    import shutil
    import tempfile

    from onnxruntime.quantization import QuantType, quantize_dynamic

    from selftalk.inference.onnx import sidecar_path

    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dst.parent, prefix=".int8.") as tmp:
        staged = Path(tmp) / dst.name
        quantize_dynamic(
            str(src), str(staged), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"]
        )
        shutil.copyfile(sidecar_path(src), sidecar_path(staged))
        os.replace(sidecar_path(staged), sidecar_path(dst))
        os.replace(staged, dst)
    return dst


def int8_path(src: Path) -> Path:
    """Where the int8 version of graph ``src`` is kept: in the cache, keyed by ``src``'s path,
    size and modification time (nothing is written beside a user's file)."""
    import hashlib

    from selftalk.inference.onnx import cache_dir

    stat = src.stat()
    key = hashlib.sha256(f"{src.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return cache_dir() / "onnx-int8" / key.hexdigest()[:24] / "model.onnx"


def make_engine(option: str, loaded, *, onnx_path=None, threads: int | None = None) -> Engine:
    """The engine ``option`` names for ``loaded`` (a LoadedModel); ONNX options export into the
    cache when ``onnx_path`` is not given."""
    if option not in OPTIONS:
        raise ConfigError(f"unknown engine {option!r}; choose from {', '.join(OPTIONS)}")
    if option.startswith("onnx"):
        from selftalk.inference.onnx import OnnxEngine, engine_for

        base = engine_for(loaded, onnx_path, threads=threads)
        if option == "onnx":
            return base
        if option == "onnx-int8":
            dst = int8_path(base.path)
            if not dst.is_file():
                quantize_onnx_int8(base.path, dst)
            return OnnxEngine(dst, threads=threads)
        level = option.split("-")[1]
        return OnnxEngine(base.path, threads=threads, optimization=level)
    if threads:
        torch.set_num_threads(threads)
    graph = RawAudioGraph(loaded.model.animator).eval()
    if option == "torch":
        return _torch_engine(graph)
    if option == "torch-math-attention":
        from torch.nn.attention import SDPBackend, sdpa_kernel

        return _torch_engine(graph, lambda: sdpa_kernel(SDPBackend.MATH))
    if option == "torch-compile":
        return _torch_engine(torch.compile(graph, dynamic=True))
    if option == "torch-bf16":
        return _torch_engine(graph, lambda: torch.autocast("cpu", dtype=torch.bfloat16))
    quantized = torch.ao.quantization.quantize_dynamic(graph, {torch.nn.Linear}, dtype=torch.qint8)
    return _torch_engine(quantized)

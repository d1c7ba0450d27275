"""Renderer and exporter speed: frames/s at 512x512 and 1024x1024, MP4 encoding time, glTF
export and ARKit solve times. Prints a table and writes JSON.

    python benchmarks/bench_render.py [--frames 300] [--out benchmarks/results/render.json]

The head is the bundled one (``selftalk.synth.head``) when installed, else a synthetic
ellipsoid with 5,120 vertices and 10,080 triangles (the size of a FLAME-like head).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def load_head():
    try:
        from selftalk.synth.head import load_head as bundled

        head = bundled()
        return "bundled head", np.asarray(head.template, np.float32), np.asarray(head.faces)
    except ImportError:
        pass
    # the render tests' ellipsoid, reused rather than copied
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "render"))
    from synthetic_head import head

    vertices, faces = head(64, 80)
    return "synthetic ellipsoid", vertices.astype(np.float32), faces


def talking(template: np.ndarray, frames: int, fps: float = 30.0) -> np.ndarray:
    """A jaw-like motion: the lower front third of the head moves down and back."""
    t = np.arange(frames) / fps
    lo, hi = template.min(axis=0), template.max(axis=0)
    size = hi - lo
    lower = np.clip((lo[1] + 0.4 * size[1] - template[:, 1]) / (0.4 * size[1]), 0, 1)
    front = template[:, 2] > lo[2] + 0.6 * size[2]
    weight = (lower * front)[None, :]
    opening = (0.08 * size[1] * np.abs(np.sin(2 * np.pi * t)))[:, None]
    motion = np.repeat(template[None], frames, axis=0)
    motion[:, :, 1] -= opening * weight
    motion[:, :, 2] -= 0.5 * opening * weight
    # lip corners stretching and a cheek swell at other rhythms: a few independent components
    centre_x = (lo[0] + hi[0]) / 2
    stretch = (0.04 * np.sin(2 * np.pi * 0.7 * t))[:, None] * weight
    motion[:, :, 0] += stretch * (template[None, :, 0] - centre_x)
    swell = (0.02 * np.sin(2 * np.pi * 0.3 * t))[:, None]
    motion[:, :, 0] += swell * (template[None, :, 0] - centre_x) * (1 - weight)
    return motion.astype(np.float32)


def render_fps(template, faces, motion, *, size, backend="egl", samples=0, repeats=1) -> dict:
    from selftalk.render import Renderer, RenderOptions

    options = RenderOptions(width=size, height=size, backend=backend, samples=samples)
    with Renderer(faces, template, options) as renderer:
        for _image in renderer.render_motion(motion[:5]):  # warm up
            pass
        best = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            for image in renderer.render_motion(motion):  # noqa: B007 (the last one is checked below)
                pass
            best = min(best, time.perf_counter() - start)
        info = renderer.backend.info
    assert image.shape == (size, size, 3)
    return {
        "size": size,
        "backend": backend,
        "samples": samples,
        "frames": len(motion),
        "seconds": best,
        "fps": len(motion) / best,
        "device": info,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300, help="frames a measurement (300 = 10 s)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "render.json"))
    args = parser.parse_args()

    from selftalk.arkit import LIVE_LINK
    from selftalk.export import fit_basis, solve_weights, write_glb
    from selftalk.export.arkit import BlendshapeBasis
    from selftalk.io import write_json
    from selftalk.render import Renderer, RenderOptions, render_video, write_video

    name, template, faces = load_head()
    motion = talking(template, args.frames)
    fps = 30.0
    results: dict = {
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_1min_at_start": os.getloadavg()[0],
        },
        "mesh": {"name": name, "vertices": len(template), "faces": len(faces)},
        "render": [],
    }
    for size, samples in ((512, 0), (1024, 0), (512, 4)):
        results["render"].append(
            render_fps(template, faces, motion, size=size, samples=samples, repeats=2)
        )
    results["render"].append(render_fps(template, faces, motion[:20], size=512, backend="numpy"))

    audio = (0.1 * np.sin(np.arange(int(16_000 * args.frames / fps)) * 0.07)).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        with Renderer(faces, template, RenderOptions()) as renderer:
            frames = list(renderer.render_motion(motion))
        start = time.perf_counter()
        write_video(Path(tmp) / "encode.mp4", frames, fps=fps, audio=audio)
        encode = time.perf_counter() - start
        start = time.perf_counter()
        info = render_video(
            motion, faces, out=Path(tmp) / "full.mp4", fps=fps, audio=audio, template=template
        )
        full = time.perf_counter() - start
        results["video"] = {
            "frames": args.frames,
            "seconds_of_video": args.frames / fps,
            "size": 512,
            "encode_only_seconds": encode,
            "encode_fps": args.frames / encode,
            "render_and_encode_seconds": full,
            "render_and_encode_fps": args.frames / full,
            "realtime_factor": (args.frames / fps) / full,
            "mp4_bytes": info.path.stat().st_size if info.path.exists() else None,
        }
        start = time.perf_counter()
        glb = write_glb(Path(tmp) / "talk.glb", motion, faces, fps=fps, template=template)
        results["glb"] = {
            "seconds": time.perf_counter() - start,
            "targets": glb.n_targets,
            "max_error": glb.max_error,
            "tolerance": glb.tolerance,
            "bytes": glb.bytes,
        }

    if name == "bundled head":  # its 52 ARKit blendshapes
        from selftalk.export import bundled_basis

        basis, basis_name = bundled_basis(), "bundled ARKit-52"
    else:  # the motion's own components padded with random shapes to 52
        rng = np.random.default_rng(0)
        basis_fit = fit_basis(motion, base=template, max_components=52, tolerance=0.0)
        extra = rng.normal(0, 1e-3, (52 - basis_fit.n_components, len(template), 3))
        deltas = np.concatenate([basis_fit.targets, extra]).astype(np.float32)
        basis = BlendshapeBasis(names=LIVE_LINK, deltas=deltas, neutral=template)
        basis_name = "synthetic 52"
    start = time.perf_counter()
    solved = solve_weights(motion, basis)
    results["arkit"] = {
        "frames": args.frames,
        "seconds": time.perf_counter() - start,
        "iterations": solved.iterations,
        "converged": solved.converged,
        "basis": basis_name,
        "fit_rms_error": solved.rms_error,
    }

    print(f"mesh: {name}, {len(template)} vertices, {len(faces)} triangles")
    for r in results["render"]:
        print(
            f"render {r['size']}x{r['size']} {r['backend']:5s} msaa={r['samples']}: "
            f"{r['fps']:7.1f} frames/s  ({r['device']})"
        )
    v = results["video"]
    print(
        f"video {v['seconds_of_video']:.0f} s at 512x512: encode only {v['encode_only_seconds']:.2f} s "
        f"({v['encode_fps']:.0f} frames/s); render+encode {v['render_and_encode_seconds']:.2f} s "
        f"({v['realtime_factor']:.1f}x real time)"
    )
    g = results["glb"]
    print(
        f"glb: {g['seconds']:.2f} s, {g['targets']} targets, max error {g['max_error']:.2g} "
        f"(tolerance {g['tolerance']:.2g}), {g['bytes'] / 1e6:.1f} MB"
    )
    a = results["arkit"]
    print(
        f"arkit solve: {a['seconds']:.2f} s for {a['frames']} frames ({a['iterations']} iterations)"
    )
    write_json(args.out, results)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

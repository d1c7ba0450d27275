"""``selftalk export MOTION.npy [--template MESH] -o OUT.{glb,csv,json}`` or ``-o DIR --format obj|ply``."""

from __future__ import annotations

import argparse

from selftalk.cli.common import add_motion_input, add_output
from selftalk.cli.types import non_negative_float, positive_float, positive_int

FORMATS = ("glb", "csv", "json", "obj", "ply")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export a motion as .glb, ARKit-52 curves (.csv/.json) or OBJ/PLY frames",
        description="Export a (T, V, 3) or (T, V*3) .npy motion. OUT.glb: binary glTF with a "
        "PCA morph-target animation (audio written beside it). OUT.csv / OUT.json: ARKit-52 "
        "blendshape weights (Live Link Face CSV layout) solved against a blendshape basis. "
        "DIR with --format obj|ply: one mesh file a frame.",
    )
    add_motion_input(parser)
    add_output(parser, required=True, metavar="OUT", help="OUT.glb | .csv | .json, or a folder")
    parser.add_argument("--format", choices=FORMATS, help="default: from OUT's suffix")
    gl = parser.add_argument_group("glb")
    gl.add_argument("--audio", metavar="AUDIO", help="audio to write beside the .glb (as .wav)")
    gl.add_argument(
        "--tolerance", type=positive_float, help="max vertex error of the PCA basis, in mesh units"
    )
    gl.add_argument(
        "--relative-tolerance",
        type=positive_float,
        default=1e-3,
        help="default tolerance as a fraction of the mesh's box diagonal (1e-3)",
    )
    gl.add_argument(
        "--max-components", type=positive_int, default=64, help="cap on morph targets (64)"
    )
    gl.add_argument(
        "--force",
        action="store_true",
        help="let the .wav written beside the .glb replace a file selftalk did not write",
    )
    ar = parser.add_argument_group("ARKit csv/json")
    ar.add_argument(
        "--basis",
        metavar="BASIS.npz",
        help="blendshape basis (names, deltas[, neutral]); default: the bundled head",
    )
    ar.add_argument(
        "--smoothing", type=non_negative_float, default=0.01, help="temporal smoothing (0.01)"
    )
    ar.add_argument(
        "--regularization", type=non_negative_float, default=1e-4, help="ridge penalty (1e-4)"
    )
    parser.set_defaults(handler=run)


def _format(args: argparse.Namespace) -> str:
    from pathlib import Path

    from selftalk.errors import ConfigError

    suffix = Path(args.output).suffix.lower().lstrip(".")
    if args.format in ("obj", "ply"):
        return args.format
    if args.format and suffix != args.format:
        raise ConfigError(
            f"--format {args.format} writes a .{args.format} file, "
            f"but -o {args.output} says .{suffix or '(no suffix)'}"
        )
    if suffix in ("glb", "csv", "json"):
        return suffix
    raise ConfigError(f"cannot tell the format of {args.output!r}: use .glb/.csv/.json or --format")


def _check_outputs(args: argparse.Namespace, fmt: str) -> None:
    """Every file export would write, checked before any work (selftalk.outputs)."""
    from selftalk.outputs import check_output_file, check_output_folder, same_file

    inputs = [args.motion, args.template, args.audio, args.basis]
    if fmt in ("obj", "ply"):
        check_output_folder(args.output, inputs=inputs)
        return
    check_output_file(args.output, inputs=inputs)
    if fmt == "glb" and args.audio:
        from selftalk.export.gltf import audio_beside

        if not same_file(audio_beside(args.output), args.audio):
            check_output_file(
                audio_beside(args.output), inputs=inputs, chosen=True, force=args.force
            )


def run(args: argparse.Namespace) -> int:
    from selftalk.render.motion import load_motion, template_mesh

    fmt = _format(args)
    _check_outputs(args, fmt)
    mesh = template_mesh(args.template)
    motion = load_motion(args.motion, len(mesh.vertices))
    if fmt == "glb":
        from selftalk.export.gltf import write_glb

        info = write_glb(
            args.output,
            motion,
            mesh.faces,
            fps=args.fps,
            template=mesh.vertices,
            audio=args.audio,
            tolerance=args.tolerance,
            relative_tolerance=args.relative_tolerance,
            max_components=args.max_components,
            force=args.force,
        )
        print(
            f"wrote {info.path} ({info.bytes / 1e6:.1f} MB): {info.frames} frames, "
            f"{info.n_targets} morph target{'' if info.n_targets == 1 else 's'}, max vertex error {info.max_error:.3g} "
            f"(tolerance {info.tolerance:.3g}), rms {info.rms_error:.3g}"
            + (f"; audio {info.audio_path}" if info.audio_path else "")
        )
        if info.max_error > info.tolerance:
            print(f"note: --max-components {args.max_components} was reached before the tolerance")
    elif fmt in ("csv", "json"):
        from selftalk.export.arkit import (
            SolverOptions,
            bundled_basis,
            load_basis,
            solve_weights,
            write_arkit,
        )

        basis = load_basis(args.basis) if args.basis else bundled_basis()
        result = solve_weights(
            motion,
            basis,
            neutral=mesh.vertices,
            options=SolverOptions(smoothing=args.smoothing, regularization=args.regularization),
        )
        path, missing = write_arkit(args.output, result, fps=args.fps)
        print(
            f"wrote {path}: {len(result.weights)} frames of 52 ARKit weights; fit rms "
            f"{result.rms_error:.3g}, max {result.max_error:.3g} (mesh units)"
        )
        if missing:
            print(f"note: the basis has no {', '.join(missing)} (written as 0)")
    else:
        from selftalk.export.sequence import write_sequence

        paths = write_sequence(args.output, motion, mesh.faces, fmt=fmt)
        print(f"wrote {len(paths)} {fmt.upper()} files to {args.output}")
    return 0

"""``selftalk render MOTION.npy [--template MESH] [--audio AUDIO] -o OUT.mp4``."""

from __future__ import annotations

import argparse

from selftalk.cli.common import add_hidden_alias, add_output, add_size
from selftalk.cli.types import finite_float, fps, int_range, positive_float


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "render",
        help="render a motion to an MP4 video (H.264 + AAC)",
        description="Render a (T, V, 3) or (T, V*3) .npy motion on a mesh's faces to an MP4 "
        "video, with the audio muxed in. --compare adds side-by-side panels; --error-map "
        "colours every vertex by its distance to a ground truth.",
    )
    parser.add_argument(
        "motion",
        help="motion .npy: (T, V, 3) or (T, V*3) vertex positions; or an animated .glb/.vrm/"
        ".gltf (its morph-target animation, e.g. from `animate --avatar`)",
    )
    parser.add_argument(
        "--template",
        metavar="MESH",
        help="mesh (.ply/.obj) with the motion's topology (default: the bundled head)",
    )
    add_output(parser, required=True, metavar="OUT.mp4", help="the video to write")
    parser.add_argument("--audio", metavar="AUDIO", help="audio file to mux in (any format)")
    parser.add_argument("--fps", type=fps, help="motion frame rate (default 30; a glTF's own rate)")
    parser.add_argument(
        "--compare",
        nargs="+",
        default=[],
        metavar="OTHER.npy",
        help="more motions, drawn in panels right of MOTION",
    )
    parser.add_argument(
        "--labels",
        nargs="+",
        metavar="TEXT",
        help="one label a panel (default: file names when comparing)",
    )
    parser.add_argument(
        "--error-map",
        metavar="GT.npy",
        help="colour vertices by their distance to this ground-truth motion",
    )
    parser.add_argument(
        "--error-max", type=positive_float, help="top of the colour scale (default: 99th pct)"
    )
    parser.add_argument(
        "--error-scale",
        type=positive_float,
        default=1.0,
        help="multiply distances by this (1000: metres to millimetres)",
    )
    parser.add_argument("--error-unit", default="", help="unit shown above the colour bar")
    look = parser.add_argument_group("look")
    add_size(look, default="512x512", help="panel size")
    look.add_argument("--background", default="#ffffff", help="background colour (#rrggbb)")
    look.add_argument("--color", default="#b3b3bd", help="mesh colour (#rrggbb)")
    look.add_argument("--up", default="+y", help="mesh axis pointing up (default +y)")
    look.add_argument("--front", default="+z", help="mesh axis the face looks along (default +z)")
    look.add_argument("--yaw", type=finite_float, default=0.0, help="turn the camera (degrees)")
    look.add_argument("--pitch", type=finite_float, default=0.0, help="raise the camera (degrees)")
    look.add_argument(
        "--samples", type=int_range(0, 16), default=0, help="MSAA samples (e.g. 4; slower)"
    )
    look.add_argument("--backend", default="auto", choices=["auto", "egl", "numpy"])
    enc = parser.add_argument_group("encoding")
    enc.add_argument(
        "--crf", type=int_range(0, 51), default=18, help="x264 quality (lower is better; 18)"
    )
    x264 = enc.add_argument(
        "--x264-preset",
        "--preset",
        dest="x264_preset",
        default="veryfast",
        help="x264 speed/size trade-off: ultrafast … veryslow (default veryfast)",
    )
    add_hidden_alias(x264, "--preset")  # the old spelling; render has no config preset
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from selftalk.outputs import check_output_file
    from selftalk.render import (
        ErrorMapOptions,
        VideoOptions,
        load_motion,
        render_video,
    )
    from selftalk.render.motion import template_mesh

    inputs = [args.motion, *args.compare, args.error_map, args.audio, args.template]
    check_output_file(args.output, suffixes=(".mp4",), inputs=inputs)  # before any work
    if Path(args.motion).suffix.lower() in (".glb", ".gltf", ".vrm"):
        return _run_gltf(args)
    args.fps = args.fps or 30.0
    mesh = template_mesh(args.template)
    n = len(mesh.vertices)
    motion = load_motion(args.motion, n)
    compare = [load_motion(p, n) for p in args.compare]
    labels = args.labels
    if labels is None and compare:
        labels = [Path(p).stem for p in [args.motion, *args.compare]]
    truth = load_motion(args.error_map, n) if args.error_map else None
    info = render_video(
        motion,
        mesh.faces,
        out=args.output,
        fps=args.fps,
        audio=args.audio,
        template=mesh.vertices,
        compare=compare,
        labels=labels,
        ground_truth=truth,
        error_map=ErrorMapOptions(
            vmax=args.error_max, scale=args.error_scale, unit=args.error_unit
        ),
        options=render_options(args),
        video=VideoOptions(crf=args.crf, preset=args.x264_preset),
    )
    return _printed(info)


def render_options(args: argparse.Namespace, front: str | None = None):
    from selftalk.render import RenderOptions, parse_color

    width, height = args.size
    return RenderOptions(
        width=width,
        height=height,
        background=parse_color(args.background),
        color=parse_color(args.color),
        up=args.up,
        front=front or args.front,
        yaw_deg=args.yaw,
        pitch_deg=args.pitch,
        samples=args.samples,
        backend=args.backend,
    )


def _run_gltf(args: argparse.Namespace) -> int:
    """An animated glTF/VRM: its animated meshes, read back as vertex motion."""
    from selftalk.avatar.playback import avatar_motion
    from selftalk.errors import ConfigError
    from selftalk.render import VideoOptions, render_video

    if args.compare or args.error_map or args.template:
        raise ConfigError("--compare, --error-map and --template take .npy motions, not glTF")
    played = avatar_motion(args.motion, fps=args.fps)
    if played.audio is not None:  # the audio beside the glTF is an input too
        from selftalk.outputs import refuse_input

        refuse_input(args.output, [played.audio])
    info = render_video(
        played.motion,
        played.faces,
        out=args.output,
        fps=played.fps,
        audio=args.audio or played.audio,
        template=played.template,
        labels=args.labels,
        options=render_options(args, front=played.front if args.front == "+z" else None),
        video=VideoOptions(crf=args.crf, preset=args.x264_preset),
    )
    return _printed(info)


def _printed(info) -> int:
    print(
        f"wrote {info.path}: {info.frames} frames at {info.fps:g} fps ({info.duration_s:.2f} s), "
        f"{info.width}x{info.height}{', with audio' if info.audio_rate else ''}, "
        f"in {info.seconds:.1f} s"
    )
    return 0

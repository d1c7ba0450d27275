"""``selftalk rig MESH -o rigged.glb``: the 52 ARKit blendshapes for any head mesh."""

from __future__ import annotations

import argparse

from selftalk.cli.common import add_output


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "rig",
        help="build the 52 ARKit blendshapes for any head mesh (a .glb --avatar can animate)",
        description="Fit the bundled head to MESH (similarity alignment, then non-rigid ICP) "
        "and transfer its 52 ARKit blendshapes by deformation transfer. MESH may have any "
        "vertex count, topology, units and pose; the .glb keeps its vertices as they are.",
        epilog="example:\n  selftalk rig head.obj -o rigged.glb && "
        "selftalk animate speech.wav --avatar rigged.glb -o talking.glb",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("mesh", metavar="MESH", help="a head mesh (.ply or .obj)")
    add_output(parser, required=True, metavar="OUT.glb", help="the rigged head to write")
    parser.add_argument(
        "--landmarks",
        metavar="FILE",
        help="JSON/YAML {name: [x, y, z]} on MESH, at least 4 of: noseTip chin "
        "mouthCornerLeft mouthCornerRight upperLipMid lowerLipMid eyeOuterLeft eyeInnerLeft "
        "eyeOuterRight eyeInnerRight (default: found by aligning the whole head)",
    )
    parser.add_argument(
        "--quality",
        choices=("fast", "full"),
        default="full",
        help="non-rigid ICP iterations (full: about 40, fast: about 5)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from selftalk.errors import InputError
    from selftalk.mesh import read_mesh
    from selftalk.outputs import check_output_file
    from selftalk.rig import read_landmarks, rig_mesh, write_rigged

    output = Path(args.output)
    if output.suffix.lower() != ".glb":
        raise InputError(output, "the rigged mesh is written as .glb")
    if output.resolve() == Path(args.mesh).resolve():
        raise InputError(output, "would replace the input mesh")
    check_output_file(output, inputs=[args.mesh, args.landmarks])  # links too; before any work
    mesh = read_mesh(args.mesh)
    if len(mesh.faces) < 4:
        raise InputError(args.mesh, "has no triangles to rig")
    landmarks = read_landmarks(args.landmarks) if args.landmarks else None
    rig = rig_mesh(mesh.vertices, mesh.faces, landmarks=landmarks, quality=args.quality)
    size = write_rigged(output, rig)
    print(
        f"{output}: {len(rig.vertices)} vertices, 52 ARKit blendshapes ({size / 1e6:.1f} MB) in "
        f"{rig.seconds:.1f} s; scale to the bundled head {rig.similarity.scale:.4g}, distance "
        f"to the fitted head {rig.fit_rms * 1e3:.2f} mm RMS (head units)\n"
        f"animate it: selftalk animate SPEECH.wav --avatar {output} -o talking.glb"
    )
    return 0

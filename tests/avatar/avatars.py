"""Avatars the tests build themselves: a small head mesh with ARKit-named morph targets under a
chosen naming convention, a teeth mesh, optionally a skin, a texture, and VRM 0.x / 1.0
extensions. Written as raw glTF JSON + one binary buffer, independently of selftalk's code.
"""

from __future__ import annotations

import io
import json
import struct
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "render"))
from synthetic_head import head, jaw_mask  # noqa: E402

# ARKit shapes the test head has, and how each naming convention spells them.
SHAPES = ["jawOpen", "eyeBlinkLeft", "eyeBlinkRight", "mouthSmileLeft", "mouthFunnel", "tongueOut"]
NAMINGS = {
    "arkit": lambda s: s,
    "pascal": lambda s: s[0].upper() + s[1:],
    "maya": lambda s: f"blendShape1.{s}",
    "prefixed": lambda s: "A_" + s[0].upper() + s[1:],
    "snake": lambda s: "".join("_" + c.lower() if c.isupper() else c for c in s).replace(
        "_left", "_L"
    ),
}
OTHER = "Custom_Frown"  # a target that is not an ARKit shape: never driven
VRM_TARGETS = ["Fcl_MTH_A", "Fcl_MTH_I", "Fcl_MTH_U", "Fcl_MTH_E", "Fcl_MTH_O", "Fcl_EYE_Close"]


class _Blob:
    def __init__(self):
        self.data = bytearray()
        self.views, self.accessors = [], []

    def add(self, array, component, kind, *, bounds=False, target=None):
        array = np.ascontiguousarray(array)
        while len(self.data) % 4:
            self.data.append(0)
        view = {"buffer": 0, "byteOffset": len(self.data), "byteLength": array.nbytes}
        if target:
            view["target"] = target
        self.data += array.tobytes()
        self.views.append(view)
        if component is None:
            return len(self.views) - 1
        width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}[kind]
        flat = array.reshape(-1, width)
        acc = {
            "bufferView": len(self.views) - 1,
            "componentType": component,
            "count": len(flat),
            "type": kind,
        }
        if bounds:
            acc["min"] = [float(x) for x in flat.min(0)]
            acc["max"] = [float(x) for x in flat.max(0)]
        self.accessors.append(acc)
        return len(self.accessors) - 1


def shape_delta(name: str, vertices: np.ndarray) -> np.ndarray:
    """A plausible (V, 3) float32 delta for each test shape."""
    delta = np.zeros_like(vertices)
    if name == "jawOpen":
        delta[jaw_mask(vertices), 1] = -0.02
    elif name.startswith("eyeBlink"):
        side = 1 if name.endswith("Left") else -1
        mask = (vertices[:, 1] > 0.02) & (side * vertices[:, 0] > 0.01) & (vertices[:, 2] > 0.05)
        delta[mask, 1] = -0.01
    else:
        rng = np.random.default_rng(abs(hash(name)) % 2**32)
        delta[vertices[:, 2] > 0.06] = rng.normal(scale=0.003, size=3)
    return delta.astype(np.float32)


def png_bytes(size: int = 8) -> bytes:
    from PIL import Image

    image = Image.fromarray((np.indices((size, size)).sum(0) % 2 * 255).astype(np.uint8))
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG")
    return out.getvalue()


def make_avatar(
    path: Path,
    *,
    naming: str = "arkit",
    names_in: str = "mesh",
    skin: bool = False,
    texture: bool = False,
    vrm: str | None = None,
    shapes: list[str] | None = None,
    resolution: tuple[int, int] = (10, 14),
) -> dict:
    """Write the avatar; return facts the tests check against (target names per mesh…)."""
    vertices, faces = head(*resolution)
    shapes = SHAPES if shapes is None else shapes
    spell = NAMINGS[naming]
    blob = _Blob()
    face_names = [spell(s) for s in shapes] + [OTHER]
    deltas = [shape_delta(s, vertices) for s in shapes] + [shape_delta(OTHER, vertices)]
    if vrm:
        face_names += VRM_TARGETS
        deltas += [shape_delta("jawOpen", vertices) * (i + 1) / 6 for i in range(6)]
    teeth_v = (vertices[jaw_mask(vertices)][:8] * 0.9).astype(np.float32)
    if vrm == "0":  # VRM 0.x avatars look along -Z: turn the head (and its shapes) around
        flip = np.array([-1, 1, -1], np.float32)
        vertices, teeth_v, deltas = vertices * flip, teeth_v * flip, [d * flip for d in deltas]
    attributes = {
        "POSITION": blob.add(vertices, 5126, "VEC3", bounds=True, target=34962),
    }
    if texture:
        uv = np.stack(
            [
                np.arctan2(vertices[:, 0], vertices[:, 2]) / np.pi / 2 + 0.5,
                vertices[:, 1] * 4 + 0.5,
            ],
            1,
        ).astype(np.float32)
        attributes["TEXCOORD_0"] = blob.add(uv, 5126, "VEC2", target=34962)
    if skin:
        joints = np.zeros((len(vertices), 4), np.uint8)
        joints[:, 1] = 1
        w = np.zeros((len(vertices), 4), np.float32)
        w[:, 1] = np.clip((0.0 - vertices[:, 1]) * 10, 0, 1)
        w[:, 0] = 1 - w[:, 1]
        attributes["JOINTS_0"] = blob.add(joints, 5121, "VEC4", target=34962)
        attributes["WEIGHTS_0"] = blob.add(w, 5126, "VEC4", target=34962)
    indices = blob.add(faces.astype(np.uint16).reshape(-1), 5123, "SCALAR", target=34963)
    targets = [{"POSITION": blob.add(d, 5126, "VEC3", bounds=True, target=34962)} for d in deltas]
    face_mesh = {
        "name": "Face",
        "primitives": [
            {"attributes": attributes, "indices": indices, "targets": targets, "material": 0}
        ],
        "weights": [0.0] * len(targets),
    }
    face_mesh["weights"][len(shapes)] = 0.25  # the non-ARKit target rests at 0.25
    if names_in == "mesh":
        face_mesh["extras"] = {"targetNames": face_names}
    else:
        face_mesh["primitives"][0]["extras"] = {"targetNames": face_names}
    assert len(teeth_v) == 8
    teeth_f = np.array([[0, 1, 2], [2, 3, 0], [4, 5, 6]], np.uint16)
    teeth_names = ["Teeth_Down" if vrm else spell("jawOpen")]
    teeth = {
        "name": "Teeth",
        "primitives": [
            {
                "attributes": {
                    "POSITION": blob.add(teeth_v, 5126, "VEC3", bounds=True, target=34962)
                },
                "indices": blob.add(teeth_f.reshape(-1), 5123, "SCALAR", target=34963),
                "targets": [
                    {
                        "POSITION": blob.add(
                            np.tile([[0, -0.02, 0]], (8, 1)).astype(np.float32),
                            5126,
                            "VEC3",
                            bounds=True,
                            target=34962,
                        )
                    }
                ],
            }
        ],
        "extras": {"targetNames": teeth_names},
    }
    material = {
        "name": "skin",
        "pbrMetallicRoughness": {"baseColorFactor": [0.8, 0.7, 0.6, 1]},
        "doubleSided": True,
        "extras": {"note": "keep me"},
    }
    doc = {
        "asset": {"version": "2.0", "generator": "selftalk tests", "copyright": "CC0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [
            {"name": "Root", "children": [1, 2]},
            {"name": "FaceNode", "mesh": 0, "translation": [0, 1.5, 0]},
            {"name": "TeethNode", "mesh": 1, "translation": [0, 1.5, 0]},
        ],
        "meshes": [face_mesh, teeth],
        "materials": [material],
        "extras": {"author": "tests", "custom": {"nested": [1, 2, 3]}},
    }
    if texture:
        image_view = blob.add(np.frombuffer(png_bytes(), np.uint8), None, None)
        doc["images"] = [{"bufferView": image_view, "mimeType": "image/png"}]
        doc["samplers"] = [{"magFilter": 9729, "minFilter": 9729}]
        doc["textures"] = [{"sampler": 0, "source": 0}]
        material["pbrMetallicRoughness"]["baseColorTexture"] = {"index": 0}
    if skin:
        doc["nodes"][0]["children"].append(3)
        doc["nodes"].append({"name": "Neck", "children": [4], "translation": [0, 1.3, 0]})
        doc["nodes"].append({"name": "Jaw", "translation": [0, 0.2, 0]})
        ibm = np.stack([np.eye(4), np.eye(4)]).astype(np.float32)
        ibm[0, 3, 1], ibm[1, 3, 1] = -1.3, -1.5  # column-major: translation in the last column
        doc["skins"] = [
            {"joints": [3, 4], "inverseBindMatrices": blob.add(ibm.reshape(2, 16), 5126, "MAT4")}
        ]
        doc["nodes"][1]["skin"] = 0
    if vrm == "0":
        doc["extensionsUsed"] = ["VRM"]
        base = len(shapes) + 1
        groups = [
            {
                "name": p.upper(),
                "presetName": p,
                "isBinary": False,
                "binds": [{"mesh": 0, "index": base + i, "weight": 100}],
                "materialValues": [],
            }
            for i, p in enumerate("aiueo")
        ]
        groups.append(
            {
                "name": "Blink",
                "presetName": "blink",
                "binds": [{"mesh": 0, "index": base + 5, "weight": 80}],
            }
        )
        doc["extensions"] = {
            "VRM": {
                "specVersion": "0.0",
                "exporterVersion": "tests",
                "meta": {"title": "test"},
                "blendShapeMaster": {"blendShapeGroups": groups},
            }
        }
    elif vrm == "1":
        doc["extensionsUsed"] = ["VRMC_vrm"]
        base = len(shapes) + 1
        preset = {
            name: {
                "morphTargetBinds": [{"node": 1, "index": base + i, "weight": 1.0}],
                "isBinary": False,
            }
            for i, name in enumerate(["aa", "ih", "ou", "ee", "oh"])
        }
        preset["blink"] = {"morphTargetBinds": [{"node": 1, "index": base + 5, "weight": 0.8}]}
        doc["extensions"] = {
            "VRMC_vrm": {
                "specVersion": "1.0",
                "meta": {"name": "test"},
                "expressions": {"preset": preset, "custom": {}},
            }
        }
    doc["accessors"], doc["bufferViews"] = blob.accessors, blob.views
    doc["buffers"] = [{"byteLength": len(blob.data)}]
    write_glb(path, doc, bytes(blob.data))
    return {
        "face_names": face_names,
        "teeth_names": teeth_names,
        "shapes": shapes,
        "n_face_targets": len(face_names),
        "doc": doc,
        "bin": bytes(blob.data),
    }


def write_glb(path: Path, doc: dict, data: bytes) -> None:
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    data = data + b"\0" * (-len(data) % 4)
    body = struct.pack("<II", len(text), 0x4E4F534A) + text
    body += struct.pack("<II", len(data), 0x004E4942) + data
    Path(path).write_bytes(struct.pack("<III", 0x46546C67, 2, 12 + len(body)) + body)


def read_glb(path: Path) -> tuple[dict, bytes]:
    """(JSON, BIN chunk) of a GLB, parsed here with the spec's rules."""
    data = Path(path).read_bytes()
    n = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20 : 20 + n])
    rest = data[20 + n :]
    binary = rest[8 : 8 + struct.unpack_from("<I", rest, 0)[0]] if rest else b""
    return doc, binary


def accessor(doc: dict, binary: bytes, index: int) -> np.ndarray:
    acc = doc["accessors"][index]
    view = doc["bufferViews"][acc["bufferView"]]
    width = {"SCALAR": 1, "VEC3": 3}[acc["type"]]
    start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
    return np.frombuffer(binary, np.float32, acc["count"] * width, start).reshape(-1, width)

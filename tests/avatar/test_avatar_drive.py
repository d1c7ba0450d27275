"""`drive_avatar`: avatars the tests build (each naming convention, skins, textures, VRM 0.x and
1.0) get an animation of the right targets, every other part unchanged, and bad avatars fail
with one line and no file."""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from avatars import NAMINGS, OTHER, SHAPES, accessor, make_avatar, read_glb

from selftalk.arkit import ALPHABETICAL, ALPHABETICAL_INDEX
from selftalk.avatar import drive_avatar, read_gltf
from selftalk.avatar.vrm import ARKIT_TO_VRM
from selftalk.errors import InputError


def curves(frames: int = 24, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(size=(frames, 52)).astype(np.float32)


def animated(doc: dict, binary: bytes) -> dict[int, np.ndarray]:
    """{node: (T, n_targets) weights} of the last animation, decoded here."""
    animation = doc["animations"][-1]
    out = {}
    for channel in animation["channels"]:
        assert channel["target"]["path"] == "weights"
        sampler = animation["samplers"][channel["sampler"]]
        times = accessor(doc, binary, sampler["input"]).reshape(-1)
        values = accessor(doc, binary, sampler["output"]).reshape(len(times), -1)
        out[channel["target"]["node"]] = values
    return out


def untouched(before: tuple[dict, bytes], after: tuple[dict, bytes]) -> None:
    """Everything but the new animation, accessors, views and buffer length is identical."""
    (doc0, bin0), (doc1, bin1) = before, after
    doc1 = json.loads(json.dumps(doc1))
    n_acc, n_views = len(doc0.get("accessors", [])), len(doc0.get("bufferViews", []))
    assert doc1["accessors"][:n_acc] == doc0["accessors"]
    assert doc1["bufferViews"][:n_views] == doc0["bufferViews"]
    assert doc1["animations"][: len(doc0.get("animations", []))] == doc0.get("animations", [])
    assert doc1["buffers"][0]["byteLength"] >= doc0["buffers"][0]["byteLength"]
    for key in ("accessors", "bufferViews", "animations", "buffers"):
        doc0.pop(key, None), doc1.pop(key)
    assert doc1 == doc0
    assert bin1[: len(bin0)] == bin0  # existing bytes kept, new data appended


@pytest.mark.parametrize("naming", sorted(NAMINGS))
@pytest.mark.parametrize("skin,texture", [(False, False), (True, True)])
def test_each_naming_drives_its_arkit_targets(tmp_path, naming, skin, texture):
    avatar = tmp_path / "avatar.glb"
    info = make_avatar(
        avatar,
        naming=naming,
        skin=skin,
        texture=texture,
        names_in="mesh" if naming != "maya" else "primitive",
    )
    arkit = curves()
    out = tmp_path / "talking.glb"
    result = drive_avatar(avatar, arkit, out, fps=25, audio=np.zeros(8000, np.float32))
    assert result.plan.driven == sorted(SHAPES, key=ALPHABETICAL.index)
    assert set(result.plan.missing) == set(ALPHABETICAL) - set(SHAPES)
    doc, binary = read_glb(out)
    weights = animated(doc, binary)
    assert set(weights) == {1, 2}  # the face node and the teeth node
    face = weights[1]
    assert face.shape == (24, info["n_face_targets"])
    for j, shape in enumerate(SHAPES):
        np.testing.assert_allclose(face[:, j], arkit[:, ALPHABETICAL_INDEX[shape]], atol=1e-6)
    np.testing.assert_allclose(face[:, len(SHAPES)], 0.25)  # not ARKit: keeps its rest weight
    np.testing.assert_allclose(weights[2][:, 0], arkit[:, ALPHABETICAL_INDEX["jawOpen"]], atol=1e-6)
    times = accessor(doc, binary, doc["animations"][-1]["samplers"][0]["input"]).reshape(-1)
    np.testing.assert_allclose(times, np.arange(24) / 25, atol=1e-6)
    assert doc["animations"][-1]["extras"]["audio"] == "talking.wav"
    assert (tmp_path / "talking.wav").is_file()
    untouched(read_glb(avatar), (doc, binary))
    text = "\n".join(result.report())
    assert "jawOpen -> Face/" in text and "Teeth/" in text and OTHER not in text


@pytest.mark.parametrize("version", ["0", "1"])
def test_vrm_presets_drive_the_targets_they_bind(tmp_path, version):
    avatar = tmp_path / "avatar.vrm"
    info = make_avatar(avatar, vrm=version, shapes=[], texture=True)
    arkit = curves(30, seed=1)
    out = tmp_path / "talking.vrm"
    result = drive_avatar(avatar, arkit, out, fps=30)
    assert result.plan.presets == ["aa", "ih", "ou", "ee", "oh", "blink"]
    doc, binary = read_glb(out)
    face = animated(doc, binary)[1]
    base = info["face_names"].index("Fcl_MTH_A")
    for i, preset in enumerate(["aa", "ih", "ou", "ee", "oh"]):
        expected = sum(c * arkit[:, ALPHABETICAL_INDEX[s]] for s, c in ARKIT_TO_VRM[preset].items())
        np.testing.assert_allclose(face[:, base + i], np.clip(expected, 0, 1), atol=1e-5)
    blink = 0.5 * (
        arkit[:, ALPHABETICAL_INDEX["eyeBlinkLeft"]] + arkit[:, ALPHABETICAL_INDEX["eyeBlinkRight"]]
    )
    np.testing.assert_allclose(face[:, base + 5], 0.8 * blink, atol=1e-5)  # bind weight 0.8
    untouched(read_glb(avatar), (doc, binary))
    assert ("VRM" if version == "0" else "VRMC_vrm") in doc["extensions"]


def test_arkit_targets_on_a_vrm_win_over_presets(tmp_path):
    avatar = tmp_path / "perfect_sync.vrm"
    make_avatar(avatar, vrm="1")  # ARKit-named targets and presets
    result = drive_avatar(avatar, curves(), tmp_path / "out.vrm", fps=30)
    assert result.plan.presets == []  # the mouth and the blinks have ARKit targets
    assert "jawOpen" in result.plan.driven


def test_map_file_names_custom_targets_with_weights(tmp_path):
    avatar = tmp_path / "avatar.glb"
    make_avatar(avatar, shapes=["eyeBlinkLeft"])
    mapping = tmp_path / "map.yaml"
    mapping.write_text(f"JawOpen: {{{OTHER}: 0.5}}\neyeBlink_L: [eyeBlinkLeft]\n")
    arkit = curves()
    result = drive_avatar(avatar, arkit, tmp_path / "out.glb", fps=30, mapping=mapping)
    doc, binary = read_glb(tmp_path / "out.glb")
    face = animated(doc, binary)[1]
    np.testing.assert_allclose(face[:, 1], 0.5 * arkit[:, ALPHABETICAL_INDEX["jawOpen"]], atol=1e-6)
    np.testing.assert_allclose(face[:, 0], arkit[:, ALPHABETICAL_INDEX["eyeBlinkLeft"]], atol=1e-6)
    assert "jawOpen" in result.plan.driven
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"jawOpen": "NoSuchTarget"}))
    with pytest.raises(InputError, match="NoSuchTarget"):
        drive_avatar(avatar, arkit, tmp_path / "out2.glb", fps=30, mapping=bad)
    bad.write_text(json.dumps({"notAShape": "x"}))
    with pytest.raises(InputError, match="not an ARKit"):
        drive_avatar(avatar, arkit, tmp_path / "out2.glb", fps=30, mapping=bad)
    assert not (tmp_path / "out2.glb").exists()


def test_gltf_json_in_and_out(tmp_path):
    """A .gltf (JSON, buffer as a data URI) comes out as .gltf and as .glb."""
    import base64

    glb = tmp_path / "a.glb"
    make_avatar(glb)
    doc, binary = read_glb(glb)
    doc["buffers"][0]["uri"] = (
        "data:application/octet-stream;base64," + base64.b64encode(binary).decode()
    )
    gltf = tmp_path / "a.gltf"
    gltf.write_text(json.dumps(doc))
    for out in (tmp_path / "o.gltf", tmp_path / "o.glb"):
        result = drive_avatar(gltf, curves(), out, fps=30)
        back = read_gltf(out)
        assert back.buffers[0] == binary  # the original buffer, unchanged
        assert len(back.doc["animations"]) == 1 and result.plan.driven


def _reject(tmp_path, data: bytes, match: str, suffix=".glb"):
    bad = tmp_path / f"bad{suffix}"
    bad.write_bytes(data)
    out = tmp_path / "out.glb"
    with pytest.raises(InputError, match=match) as error:
        drive_avatar(bad, curves(), out, fps=30)
    assert "\n" not in str(error.value) and str(bad) in str(error.value)
    assert not out.exists() and not list(tmp_path.glob(".out*"))


def test_bad_avatars_fail_with_one_line_and_no_file(tmp_path):
    good = tmp_path / "good.glb"
    make_avatar(good)
    data = good.read_bytes()
    doc, binary = read_glb(good)
    _reject(tmp_path, b"glTF" + data[4:40], "declares|truncated")  # cut short
    _reject(tmp_path, data[:20] + b"{not json" + data[29:], "broken glTF JSON")
    _reject(tmp_path, b"{oops", "broken glTF JSON", ".gltf")
    huge = bytearray(data)
    struct.pack_into("<I", huge, 8, 2**31)  # the header claims 2 GB
    _reject(tmp_path, bytes(huge), "declares 2147483648 bytes")
    n = struct.unpack_from("<I", data, 12)[0]
    huge = bytearray(data)
    struct.pack_into("<I", huge, 20 + n, 2**31)  # the BIN chunk claims 2 GB
    _reject(tmp_path, bytes(huge), "past the end")
    from avatars import write_glb

    def variant(edit) -> bytes:
        d = json.loads(json.dumps(doc))
        edit(d)
        path = tmp_path / "variant.glb"
        write_glb(path, d, binary)
        return path.read_bytes()

    def past_end(d):
        d["bufferViews"][0]["byteOffset"] = 10**9

    def huge_buffer(d):
        d["buffers"][0]["byteLength"] = 2**40

    def no_targets(d):
        for mesh in d["meshes"]:
            for p in mesh["primitives"]:
                p.pop("targets")
            mesh.pop("weights", None)

    def no_names(d):
        d["meshes"][0]["extras"]["targetNames"] = [f"shape{i}" for i in range(7)]
        d["meshes"][1]["extras"]["targetNames"] = ["Down"]

    def absurd_count(d):
        d["accessors"][0]["count"] = 10**12

    _reject(tmp_path, variant(huge_buffer), "declares 1099511627776 bytes")
    _reject(tmp_path, variant(no_targets), "has no morph targets")
    _reject(tmp_path, variant(no_names), "none of its 8 morph targets")
    bad_views = tmp_path / "views.glb"
    bad_views.write_bytes(variant(past_end))
    from selftalk.avatar.gltf_file import read_gltf as read

    with pytest.raises(InputError, match="past the end of buffer"):
        read(bad_views).accessor(0)
    bad_count = tmp_path / "count.glb"
    bad_count.write_bytes(variant(absurd_count))
    with pytest.raises(InputError, match="needs"):
        read(bad_count).accessor(0)


def test_output_never_replaces_the_avatar(tmp_path):
    avatar = tmp_path / "a.glb"
    make_avatar(avatar)
    before = avatar.read_bytes()
    with pytest.raises(InputError, match="replace the input"):
        drive_avatar(avatar, curves(), avatar, fps=30)
    with pytest.raises(InputError, match="written as"):
        drive_avatar(avatar, curves(), tmp_path / "a.fbx", fps=30)
    assert avatar.read_bytes() == before

"""The output rules of the error contract (docs/errors.md), verb by verb through ``main``:
no output replaces an input, OS errors while writing are one line, nothing is left behind."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
from hostile import dataset, motion, wav

from selftalk import cli
from selftalk.io import atomic_path, save_npy

N_HEAD = 4538  # vertices of the bundled head (render/export default mesh)


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run(capsys, *argv) -> tuple[int, str]:
    """``selftalk ARGV`` in this process: (exit status, stderr)."""
    code = cli.main([str(a) for a in argv])
    return code, capsys.readouterr().err


def one_error_line(err: str, verb: str, *names: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"selftalk {verb}: error: "), err
    assert "Traceback" not in err
    for name in names:
        assert name in lines[0], (name, err)
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name)


# ------------------------------------------------------------------ an output is never an input


def test_predict_refuses_to_write_over_its_audio(tmp_path, capsys):
    audio = wav(tmp_path / "in.flac")
    before = digest(audio)
    code, err = run(capsys, "predict", audio, "-o", audio)
    assert code == 2
    one_error_line(err, "predict", "in.flac")
    assert digest(audio) == before


def test_predict_refuses_a_hard_link_to_its_audio(tmp_path, capsys):
    audio = wav(tmp_path / "in.wav")
    os.link(audio, tmp_path / "out.npy")
    before = digest(audio)
    code, err = run(capsys, "predict", audio, "-o", tmp_path / "out.npy")
    assert code == 2
    assert "input" in one_error_line(err, "predict", "out.npy")
    assert digest(audio) == before


def test_render_refuses_to_write_over_its_motion(tmp_path, capsys):
    m = motion(tmp_path / "m.npy", N_HEAD)
    before = digest(m)
    code, err = run(capsys, "render", m, "-o", m)
    assert code == 2
    one_error_line(err, "render", "m.npy")
    os.symlink(m, tmp_path / "m.mp4")  # right suffix, but the motion itself
    code, err = run(capsys, "render", m, "-o", tmp_path / "m.mp4")
    assert code == 2
    assert "input" in one_error_line(err, "render", "m.mp4")
    assert digest(m) == before


def test_render_and_export_write_what_the_suffix_says(tmp_path, capsys):
    m = motion(tmp_path / "m.npy", N_HEAD)
    code, err = run(capsys, "render", m, "-o", tmp_path / "m.xyz")
    assert code == 2
    one_error_line(err, "render", "m.xyz", ".mp4")
    code, err = run(capsys, "export", m, "--format", "glb", "-o", tmp_path / "m.csv")
    assert code == 2
    one_error_line(err, "export", "--format", "m.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npy"]


def test_lipsync_rejects_the_arkit_suffix_before_any_work(tmp_path, capsys):
    audio = wav(tmp_path / "a.wav")
    code, err = run(capsys, "lipsync", audio, "--text", "hello", "-o", tmp_path / "m.npy",
                    "--arkit", tmp_path / "w.xyz")  # fmt: skip
    assert code == 2
    one_error_line(err, "lipsync", "w.xyz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.wav"]


def test_test_refuses_to_write_over_the_ground_truth(tmp_path):
    from selftalk.errors import OutputError
    from selftalk.inference.evaluate import predict_split

    data = dataset(tmp_path / "data")
    gt = data / "vertices_npy" / "s_a.npy"
    before = digest(gt)
    with pytest.raises(OutputError, match="input"):  # before the model is even looked for
        predict_split(
            data_dir=data, split="test", out_dir=data / "vertices_npy", model_dir=tmp_path / "no"
        )
    assert digest(gt) == before


def test_stream_refuses_to_write_over_its_audio_or_basis(tmp_path, capsys):
    audio = wav(tmp_path / "in.wav")
    os.link(audio, tmp_path / "out.jsonl")
    before = digest(audio)
    code, err = run(capsys, "stream", audio, "-o", tmp_path / "out.jsonl")
    assert code == 2
    assert "input" in one_error_line(err, "stream", "out.jsonl")
    basis = tmp_path / "basis.npz"
    basis.write_bytes(b"a basis")
    os.symlink(basis, tmp_path / "b.csv")
    code, err = run(capsys, "stream", audio, "--basis", basis, "-o", tmp_path / "b.csv")
    assert code == 2
    assert "input" in one_error_line(err, "stream", "b.csv")
    assert digest(audio) == before and basis.read_bytes() == b"a basis"


def test_serve_writes_no_file_and_its_bad_options_are_one_line(tmp_path, capsys):
    """serve writes nothing a user names (uploads are animated in a private temporary
    folder); what it is given is checked before it loads a model or binds a port."""
    code, err = run(capsys, "serve", "--no-http", "--no-grpc")
    assert code == 2 and "nothing to serve" in one_error_line(err, "serve")
    code, err = run(capsys, "serve", "--web", tmp_path)
    assert code == 2 and "live.html" in one_error_line(err, "serve", str(tmp_path))
    code, err = run(capsys, "serve", "--max-upload-mb", "nan")
    assert code == 2 and "--max-upload-mb" in one_error_line(err, "serve")
    assert list(tmp_path.iterdir()) == []


def test_export_onnx_refuses_a_graph_or_sidecar_over_the_model(tmp_path, capsys, tiny_model):
    config = tiny_model / "config.json"
    before = digest(config)
    os.link(config, tmp_path / "graph.json")  # the sidecar of graph.onnx
    code, err = run(capsys, "export-onnx", "--model", tiny_model, "-o", tmp_path / "graph.onnx")
    assert code == 2
    assert "model directory" in one_error_line(err, "export-onnx", "graph.onnx")
    code, err = run(capsys, "export-onnx", "--model", tiny_model, "-o", tiny_model / "config.onnx")
    assert code == 2
    assert "model directory" in one_error_line(err, "export-onnx", "config.onnx")
    assert digest(config) == before
    assert not (tmp_path / "graph.onnx").exists()


def test_rig_refuses_to_write_over_its_mesh_or_landmarks(tmp_path, capsys):
    mesh = tmp_path / "head.obj"
    mesh.write_text("v 0 0 0\n")
    os.link(mesh, tmp_path / "rigged.glb")
    code, err = run(capsys, "rig", mesh, "-o", tmp_path / "rigged.glb")
    assert code == 2
    assert "input" in one_error_line(err, "rig", "rigged.glb")
    marks = tmp_path / "marks.json"
    marks.write_text("{}")
    os.symlink(marks, tmp_path / "marks.glb")
    code, err = run(capsys, "rig", mesh, "--landmarks", marks, "-o", tmp_path / "marks.glb")
    assert code == 2
    assert "input" in one_error_line(err, "rig", "marks.glb")
    assert mesh.read_text() == "v 0 0 0\n" and marks.read_text() == "{}"


def test_compare_and_metrics_refuse_to_write_over_a_file_of_the_dataset(tmp_path, capsys):
    data = dataset(tmp_path / "data")
    meta = data / "meta.json"
    before = digest(meta)
    pred = tmp_path / "pred"
    pred.mkdir()
    argv = ["compare", pred, "--data", data, "--format", "json", "-o", meta]
    code, err = run(capsys, *argv)
    assert code == 2
    assert "input" in one_error_line(err, "compare", "meta.json")
    code, err = run(capsys, "metrics", "--pred", pred, "--data", data, "-o", meta)
    assert code == 2
    assert "input" in one_error_line(err, "metrics", "meta.json")
    assert digest(meta) == before


def test_animate_avatar_refuses_inputs_and_the_users_wav(tmp_path, capsys):
    audio = wav(tmp_path / "talk.wav")
    avatar = tmp_path / "me.glb"
    avatar.write_bytes(b"glTF avatar")
    os.link(audio, tmp_path / "out.glb")
    code, err = run(capsys, "animate", audio, "--avatar", avatar, "-o", tmp_path / "out.glb")
    assert code == 2
    assert "input" in one_error_line(err, "animate", "out.glb")
    code, err = run(capsys, "animate", audio, "--avatar", avatar, "-o", avatar)
    assert code == 2
    assert "avatar" in one_error_line(err, "animate", "me.glb")
    (tmp_path / "new.wav").write_bytes(b"the user's own recording")
    code, err = run(capsys, "animate", audio, "--avatar", avatar, "-o", tmp_path / "new.vrm")
    assert code == 2
    assert "--force" in one_error_line(err, "animate", "new.wav")
    assert (tmp_path / "new.wav").read_bytes() == b"the user's own recording"
    assert avatar.read_bytes() == b"glTF avatar" and not (tmp_path / "new.vrm").exists()


# ------------------------------------------------------------------ where an output goes


def test_an_existing_folder_or_a_file_as_folder_is_one_line(tmp_path, capsys):
    audio = wav(tmp_path / "a.wav")
    (tmp_path / "d").mkdir()
    code, err = run(capsys, "predict", audio, "-o", tmp_path / "d")
    assert code == 2 and "folder" in one_error_line(err, "predict", "d")
    (tmp_path / "f").write_text("x")
    code, err = run(capsys, "predict", audio, "-o", tmp_path / "f" / "x.npy")
    assert code == 2 and "is a file, not a folder" in one_error_line(err, "predict", "f")
    code, err = run(capsys, "test", "--model", tmp_path, "--data", tmp_path, "-o", tmp_path / "f")
    assert code == 2 and "not a folder" in one_error_line(err, "test", "f")


def test_animate_never_replaces_a_file_it_did_not_write_at_a_path_it_chose(tmp_path, capsys):
    audio = wav(tmp_path / "talk.wav")
    video = tmp_path / "talk.mp4"
    video.write_bytes(b"the user's own recording")
    code, err = run(capsys, "animate", audio)
    assert code == 2
    assert "--force" in one_error_line(err, "animate", "talk.mp4")
    assert video.read_bytes() == b"the user's own recording"


def test_files_selftalk_wrote_carry_its_mark(tmp_path):
    from selftalk.outputs import written_by_selftalk
    from selftalk.render.video import write_video

    frames = [np.zeros((16, 16, 3), np.uint8)] * 2
    write_video(tmp_path / "v.mp4", frames, fps=30)
    assert written_by_selftalk(tmp_path / "v.mp4")
    (tmp_path / "w.mp4").write_bytes(b"x")
    assert not written_by_selftalk(tmp_path / "w.mp4")
    wav(tmp_path / "plain.wav")
    assert not written_by_selftalk(tmp_path / "plain.wav")


def test_the_wav_beside_a_glb_does_not_replace_the_users_file(tmp_path, capsys):
    from selftalk.outputs import written_by_selftalk

    m = motion(tmp_path / "m.npy", N_HEAD, frames=3)
    audio = wav(tmp_path / "speech.flac")
    (tmp_path / "talk.wav").write_bytes(b"someone else's audio")
    code, err = run(capsys, "export", m, "-o", tmp_path / "talk.glb", "--audio", audio)
    assert code == 2
    one_error_line(err, "export", "talk.wav", "--force")
    assert not (tmp_path / "talk.glb").exists()
    assert (
        run(capsys, "export", m, "-o", tmp_path / "talk.glb", "--audio", audio, "--force")[0] == 0
    )
    assert written_by_selftalk(tmp_path / "talk.wav")  # so a re-run may replace it
    assert run(capsys, "export", m, "-o", tmp_path / "talk.glb", "--audio", audio)[0] == 0


# ------------------------------------------------------------------ OS errors while writing


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from hostile import model_dir

    return model_dir(tmp_path_factory.mktemp("model") / "tiny")


@pytest.mark.parametrize(
    "failure, words",
    [
        (OSError(errno.ENOSPC, "No space left on device"), "no space left"),
        (OSError(errno.EROFS, "Read-only file system"), "read-only"),
        (PermissionError(errno.EACCES, "Permission denied"), "permission denied"),
    ],
)
def test_os_errors_while_writing_are_one_line_and_leave_nothing(
    tmp_path, capsys, monkeypatch, tiny_model, failure, words
):
    """Writing fails half-way (as on a full disk): one line naming the output, exit 2, no
    temporary file, and no folder that the command created for it."""

    def failing_save(file, array, allow_pickle=True):
        file.write(b"half an array")
        raise failure

    monkeypatch.setattr(np, "save", failing_save)
    out = tmp_path / "new" / "deeper" / "w.npy"
    code, err = run(capsys, "predict", wav(tmp_path / "a.wav"), "--model", tiny_model, "-o", out)
    assert code == 2, err
    assert words in one_error_line(err, "predict", str(out))
    assert not (tmp_path / "new").exists()
    assert leftovers(tmp_path) == []


def test_an_os_error_anywhere_is_one_line(tmp_path, capsys, monkeypatch):
    """An OS error the library does not expect still ends as one line naming its file."""
    from selftalk.cli import predict

    def broken(args):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "secret.wav"))

    monkeypatch.setattr(predict, "run", broken)
    code, err = run(capsys, "predict", tmp_path / "x.wav", "-o", tmp_path / "x.npy")
    assert code == 2
    assert "permission denied" in one_error_line(err, "predict", "secret.wav")


def test_atomic_path_removes_the_folders_it_made_when_the_write_fails(tmp_path):
    from selftalk.io import output_folder

    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "a" / "b" / "c.json") as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "keep").mkdir()
    with pytest.raises(KeyboardInterrupt):
        with output_folder(tmp_path / "keep" / "new"):
            raise KeyboardInterrupt
    assert [p.name for p in tmp_path.iterdir()] == ["keep"]
    assert list((tmp_path / "keep").iterdir()) == []


def test_atomic_path_refuses_inputs_and_folders(tmp_path):
    from selftalk.errors import OutputError
    from selftalk.outputs import guarding, protect

    source = tmp_path / "in.npy"
    save_npy(source, np.arange(3))
    with guarding():
        protect(source)
        with pytest.raises(OutputError, match="input"):
            save_npy(tmp_path / "in.npy", np.zeros(3))
    save_npy(source, np.arange(4))  # outside the guard it is an ordinary file again
    (tmp_path / "d.npy").mkdir()
    with pytest.raises(OutputError, match="folder"):
        save_npy(tmp_path / "d.npy", np.zeros(3))
    with pytest.raises(OutputError, match="NaN"):
        save_npy(tmp_path / "nan.npy", np.array([1.0, np.nan]))
    assert not (tmp_path / "nan.npy").exists()


def test_check_output_file_names_the_accepted_suffixes(tmp_path):
    from selftalk.errors import OutputError
    from selftalk.outputs import check_output_file

    with pytest.raises(OutputError, match=r"\.npy"):
        check_output_file(tmp_path / "x.flac", suffixes=(".npy",))
    assert check_output_file(tmp_path / "x.NPY", suffixes=(".npy",)) == tmp_path / "x.NPY"

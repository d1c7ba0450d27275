import json
import pickle

import numpy as np
import pytest
import torch
from official_factories import (
    LIPS,
    N_VERTICES,
    official_state,
    random_audio,
    reference_kwargs,
    tiny_official,
)
from official_reference import official_predict

from selftalk import cli
from selftalk.inference.loading import load_model
from selftalk.mesh import read_mesh, write_mesh
from selftalk.models.selftalk import SelfTalk

TINY_OFFICIAL = [
    "--preset",
    "tiny",
    "--set",
    "model.lip_reader.architecture=encoder_decoder",
    "--set",
    "model.animator.encoder.mask_time_prob=0.05",
    "--set",
    "recognizer.mask_time_prob=0.05",
]


@pytest.fixture
def selftalk_cli(monkeypatch):
    """``selftalk`` as the console script runs it, with this verb registered."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["selftalk.cli.import_official"])
    return cli.main


@pytest.fixture
def release_files(tmp_path):
    """A tiny checkpoint in the release's layout (weight_g/weight_v), lips, a mesh."""
    state = official_state(tiny_official(), layout="old")
    torch.save(state, tmp_path / "vocaset.pth")
    with open(tmp_path / "FLAME_masks.pkl", "wb") as f:
        pickle.dump({"lips": LIPS.astype(np.uint32), "nose": np.arange(4)}, f, protocol=2)
    rng = np.random.default_rng(0)
    write_mesh(
        tmp_path / "head.obj",
        rng.normal(size=(N_VERTICES, 3)),
        rng.integers(0, N_VERTICES, size=(20, 3)),
    )
    # templates.pkl as VOCASET/BIWI ship it: {subject: (V, 3) array}, one flattened here
    templates = {"F3": rng.normal(size=(N_VERTICES, 3)), "M1": rng.normal(size=N_VERTICES * 3)}
    with open(tmp_path / "templates.pkl", "wb") as f:
        pickle.dump(templates, f, protocol=2)
    return tmp_path, state


def test_import_official_end_to_end(selftalk_cli, release_files, capsys):
    root, state = release_files
    out = root / "model"
    code = selftalk_cli(
        [
            "import-official",
            str(root / "vocaset.pth"),
            *TINY_OFFICIAL,
            "--lips",
            str(root / "FLAME_masks.pkl"),
            "--mesh",
            str(root / "head.obj"),
            "--templates",
            str(root / "templates.pkl"),
            "-o",
            str(out),
        ]
    )
    assert code == 0
    assert "wrote" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == [
        "config.json",
        "mesh.ply",
        "model.safetensors",
        "recognizer",
        "templates.npz",
    ]
    meta = json.loads((out / "config.json").read_text())
    assert meta["official"] == {"source": "vocaset.pth", "recognizer": "recognizer"}

    loaded = load_model(model_dir=out)  # what `selftalk predict --model` uses
    np.testing.assert_allclose(
        loaded.mesh.vertices, read_mesh(root / "head.obj").vertices, atol=1e-6
    )
    np.testing.assert_array_equal(loaded.faces, read_mesh(root / "head.obj").faces)
    assert sorted(loaded.templates) == ["F3", "M1"]
    template = torch.from_numpy(loaded.template(subject="M1"))
    audio = random_audio(20_000)
    expected, _ = official_predict(
        state,
        audio,
        template,
        torch.as_tensor(LIPS),
        **reference_kwargs(tiny_official(), "vocaset"),
    )
    ours = loaded.model.predict(audio, template)
    assert (ours - expected).abs().max() <= 1e-5 * max(1.0, float(expected.abs().max()))
    # the lite encoder (load_model's default) and the Hugging Face one agree to float rounding
    torch.testing.assert_close(
        ours, SelfTalk.from_pretrained(out).predict(audio, template), rtol=1e-5, atol=1e-5
    )

    # the recognizer is a Hugging Face directory holding the release's text_encoder
    from transformers import Wav2Vec2ForCTC

    recognizer = Wav2Vec2ForCTC.from_pretrained(out / "recognizer").eval()
    for key, value in recognizer.state_dict().items():
        old = key.replace("parametrizations.weight.original0", "weight_g")
        old = old.replace("parametrizations.weight.original1", "weight_v")
        assert torch.equal(value, state["text_encoder." + old]), key


def test_no_recognizer_option(selftalk_cli, release_files):
    root, _ = release_files
    code = selftalk_cli(
        [
            "import-official",
            str(root / "vocaset.pth"),
            *TINY_OFFICIAL,
            "--no-recognizer",
            "--lips",
            str(root / "FLAME_masks.pkl"),
            "-o",
            str(root / "m"),
        ]
    )
    assert code == 0
    assert sorted(p.name for p in (root / "m").iterdir()) == ["config.json", "model.safetensors"]


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing-key", "missing key(s): lm_head.bias"),
        ("wrong-lips", "its lip_map reads 8 lip vertices but the lip file lists 3"),
        ("unsafe-lips", "refused to load"),
        ("no-checkpoint", "no such checkpoint file"),
        ("wrong-mesh", "the mesh has 5 vertices; the model animates 64"),
        ("wrong-template", "the template of 'F9' has 5 vertices; the model animates 64"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(selftalk_cli, release_files, capsys, case, message):
    root, state = release_files
    checkpoint, lips, extra = root / "vocaset.pth", root / "FLAME_masks.pkl", []
    if case == "missing-key":
        state.pop("lm_head.bias")
        torch.save(state, checkpoint)
    elif case == "wrong-lips":
        lips = root / "lips.txt"
        lips.write_text("1, 2, 3\n")
    elif case == "unsafe-lips":
        lips = root / "evil.pkl"
        lips.write_bytes(b"cos\nsystem\n(S'echo hi'\ntR.")
    elif case == "no-checkpoint":
        checkpoint = root / "absent.pth"
    elif case == "wrong-mesh":
        write_mesh(root / "small.obj", np.zeros((5, 3)), np.array([[0, 1, 2]]))
        extra = ["--mesh", str(root / "small.obj")]
    elif case == "wrong-template":
        with open(root / "bad_templates.pkl", "wb") as f:
            pickle.dump({"F9": np.zeros((5, 3))}, f)
        extra = ["--templates", str(root / "bad_templates.pkl")]
    code = selftalk_cli(
        [
            "import-official",
            str(checkpoint),
            *TINY_OFFICIAL,
            "--lips",
            str(lips),
            *extra,
            "-o",
            str(root / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (root / "out").exists()

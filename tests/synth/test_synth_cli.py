import argparse
import json
import sys
import types

import numpy as np
import soundfile
from fakespeech import FakeBackend, speak

from selftalk.arkit import ALPHABETICAL, LIVE_LINK, LIVE_LINK_HEADER, read_live_link_csv, reorder
from selftalk.cli import lipsync as lipsync_cli
from selftalk.cli import synth as synth_cli
from selftalk.synth.head import load_head


def _parser():
    parser = argparse.ArgumentParser(prog="selftalk")
    sub = parser.add_subparsers(dest="command")
    synth_cli.register(sub)
    lipsync_cli.register(sub)
    return parser


def test_synth_small_command(tmp_path, monkeypatch):
    import selftalk.synth.sources as sources

    monkeypatch.setattr(sources, "SynthSpeech", lambda **kwargs: FakeBackend())
    out = tmp_path / "corpus"
    args = _parser().parse_args(
        ["synth", str(out), "--small", "--fps", "25", "--seed", "3", "--quiet", "--workers", "1"]
    )
    assert args.handler(args) == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["fps"] == 25 and len(meta["clips"]) == 12 and len(meta["subjects"]) == 3


def test_lipsync_command(tmp_path, monkeypatch):
    utt = speak("bob saw papa", "fake:v0")
    wav = tmp_path / "speech.wav"
    soundfile.write(wav, utt.audio, utt.sample_rate)
    seen = {}

    def align(audio, sample_rate, text):
        seen["text"], seen["rate"] = text, sample_rate
        return utt.phones

    fake = types.ModuleType("selftalk.synth.speech.align")
    fake.align = align
    monkeypatch.setitem(sys.modules, "selftalk.synth.speech.align", fake)
    out, csv = tmp_path / "out.npy", tmp_path / "w.csv"
    args = _parser().parse_args(
        [
            "lipsync",
            str(wav),
            "--text",
            "bob saw papa",
            "-o",
            str(out),
            "--subject",
            "2",
            "--arkit",
            str(csv),
        ]
    )
    assert args.handler(args) == 0
    vertices = np.load(out)
    head = load_head()
    assert vertices.shape == (round(utt.duration * 30), head.n_vertices, 3)
    assert seen == {"text": "bob saw papa", "rate": 16000}
    lines = csv.read_text().splitlines()
    assert tuple(lines[0].split(",")) == LIVE_LINK_HEADER and len(lines) == len(vertices) + 1
    # the same curves as the animator's alphabetical weights, in Live Link Face's columns
    argv = ["lipsync", str(wav), "--text", "bob saw papa", "-o", str(out), "--subject", "S02"]
    args = _parser().parse_args([*argv, "--arkit", str(tmp_path / "w.npy")])
    assert args.handler(args) == 0
    weights = np.load(tmp_path / "w.npy")
    np.testing.assert_allclose(
        read_live_link_csv(csv), reorder(weights, ALPHABETICAL, LIVE_LINK), atol=1e-6
    )


def test_lipsync_without_a_transcript_recognises_phones(tmp_path):
    from conftest import require_module

    require_module("pocketsphinx")
    from selftalk.synth.speech import synthesize

    utt = synthesize("Bob bought a big map.", "flite:slt")
    wav = tmp_path / "speech.wav"
    soundfile.write(wav, utt.audio, utt.sample_rate)
    out = tmp_path / "out.npy"
    args = _parser().parse_args(["lipsync", str(wav), "--recognize-phones", "-o", str(out)])
    assert args.handler(args) == 0
    vertices = np.load(out)
    head = load_head()
    assert vertices.shape == (round(utt.duration * 30), head.n_vertices, 3)
    lips = head.regions["lips"]
    assert np.ptp(vertices[:, lips, 1], axis=0).max() > 0.002  # the lips move

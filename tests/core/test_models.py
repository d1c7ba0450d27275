import pytest
import torch
from core_factories import N_VERTICES, item, make_batch, make_model, make_recognizer

from selftalk.config import LossConfig, apply_overrides, tiny
from selftalk.models.diagram import CommutativeDiagram
from selftalk.models.frames import conv_output_lengths
from selftalk.models.selftalk import SelfTalk


def config_with(alignment="interpolate_cnn", fps=30.0, architecture="encoder"):
    return apply_overrides(
        tiny().model,
        {
            "fps": fps,
            "animator": {"alignment": alignment},
            "lip_reader": {"architecture": architecture},
        },
    )


ALIGNMENTS = [(a, fps) for a in ("interpolate_cnn", "interpolate") for fps in (25.0, 30.0, 60.0)]
ALIGNMENTS += [("stack", 25.0), ("stack", 50.0)]


@pytest.mark.parametrize("alignment, fps", ALIGNMENTS)
@pytest.mark.parametrize("samples", [16_000, 16_001, 23_457, 7_919])
def test_inference_shapes_follow_audio_duration(fps, alignment, samples):
    model = make_model(config_with(alignment, fps)).eval()
    template = torch.randn(N_VERTICES, 3)
    motion = model.predict(torch.randn(samples), template)
    audio_frames = int(conv_output_lengths(torch.tensor([samples]), (10, 8, 4), (5, 8, 8)))
    expected = (
        audio_frames // round(50 / fps) if alignment == "stack" else int(audio_frames / 50 * fps)
    )
    assert motion.shape == (expected, N_VERTICES, 3)
    assert torch.isfinite(motion).all()


def test_untrained_animator_outputs_the_template():
    model = SelfTalk(tiny().model, torch.arange(8)).eval()  # zero-initialised vertex head
    template = torch.randn(N_VERTICES, 3)
    motion = model.predict(torch.randn(16_000), template)
    torch.testing.assert_close(motion, template.expand_as(motion))


@pytest.mark.parametrize(
    "alignment, fps", [("interpolate_cnn", 30.0), ("interpolate", 60.0), ("stack", 25.0)]
)
@pytest.mark.parametrize("architecture", ["encoder", "encoder_decoder"])
def test_padded_batch_equals_one_by_one(alignment, fps, architecture):
    frames = (30, 20) if fps == 30 else ((60, 40) if fps == 60 else (25, 13))
    batch = make_batch(frame_lengths=frames)
    model = make_model(config_with(alignment, fps, architecture)).eval()
    diagram = CommutativeDiagram(model, make_recognizer(), LossConfig())
    with torch.no_grad():
        together = diagram(batch)
        alone = [diagram(item(batch, i)) for i in range(len(batch))]
    for i, single in enumerate(alone):
        n = int(single.motion.frame_lengths[0])
        assert int(together.motion.frame_lengths[i]) == n
        torch.testing.assert_close(
            together.motion.vertices[i, :n], single.motion.vertices[0], rtol=1e-4, atol=1e-5
        )
        m = int(single.lips.lengths[0])
        torch.testing.assert_close(
            together.lips.logits[i, :m], single.lips.logits[0], rtol=1e-4, atol=1e-4
        )
        for name in ("rec", "vel", "lat", "ctc"):
            torch.testing.assert_close(
                together.per_clip[name][i], single.per_clip[name][0], rtol=1e-4, atol=1e-6
            )
    for name in ("rec", "vel", "lat", "ctc"):
        mean = torch.stack([s.terms[name] for s in alone]).mean()
        torch.testing.assert_close(together.terms[name], mean, rtol=1e-4, atol=1e-6)


def test_gradients_reach_animator_and_lip_reader_but_never_the_recognizer():
    batch = make_batch()
    model, recognizer = make_model(), make_recognizer()
    diagram = CommutativeDiagram(model, recognizer, LossConfig()).train()
    diagram(batch).loss.backward()
    named = dict(model.named_parameters())
    for prefix in (
        "animator.audio_encoder.encoder.",
        "animator.decoder.",
        "animator.vertex_head.",
        "lip_reader.lip_map.",
        "lip_reader.transformer.",
        "lip_reader.text_head.",
    ):
        grads = [p.grad for n, p in named.items() if n.startswith(prefix)]
        assert grads and all(g is not None for g in grads), prefix
        assert any(g.abs().sum() > 0 for g in grads), prefix
    cnn = [p for n, p in named.items() if n.startswith("animator.audio_encoder.feature_extractor.")]
    assert cnn and all(not p.requires_grad and p.grad is None for p in cnn)
    assert all(not p.requires_grad and p.grad is None for p in recognizer.parameters())


def test_frozen_parts_stay_bit_identical_after_an_optimizer_step():
    batch = make_batch()
    model, recognizer = make_model(), make_recognizer()
    diagram = CommutativeDiagram(model, recognizer, LossConfig()).train()
    frozen = {
        n: p.detach().clone()
        for n, p in diagram.named_parameters()
        if "feature_extractor" in n or n.startswith("recognizer.")
    }
    trainable = {n: p.detach().clone() for n, p in diagram.named_parameters() if p.requires_grad}
    optimizer = torch.optim.Adam([p for p in diagram.parameters() if p.requires_grad], lr=1e-2)
    diagram(batch).loss.backward()
    optimizer.step()
    after = dict(diagram.named_parameters())
    assert frozen and all(torch.equal(after[n], v) for n, v in frozen.items())
    assert any(not torch.equal(after[n], v) for n, v in trainable.items())


def test_recognizer_stays_in_eval_mode():
    recognizer = make_recognizer()
    diagram = CommutativeDiagram(make_model(), recognizer, LossConfig())
    diagram.train()
    assert not recognizer.training and not recognizer.model.training
    assert diagram.model.training


def test_without_the_diagram_only_reconstruction_and_velocity_are_computed():
    batch = make_batch()
    diagram = CommutativeDiagram(make_model(), None, LossConfig(lat=0.0, ctc=0.0))
    out = diagram(batch)
    assert set(out.terms) == {"rec", "vel"} and out.lips is None
    torch.testing.assert_close(out.loss, 1000 * (out.terms["rec"] + out.terms["vel"]))


def test_weighted_total():
    batch = make_batch()
    weights = LossConfig(rec=2.0, vel=3.0, lat=0.5, ctc=0.25)
    out = CommutativeDiagram(make_model(), make_recognizer(), weights)(batch)
    expected = (
        2 * out.terms["rec"]
        + 3 * out.terms["vel"]
        + 0.5 * out.terms["lat"]
        + 0.25 * out.terms["ctc"]
    )
    torch.testing.assert_close(out.loss, expected)
    assert all(torch.isfinite(v) for v in out.terms.values())


def test_lip_term_is_the_lip_vertices_error_and_joins_the_total():
    batch = make_batch()
    weights = LossConfig(lat=0.0, ctc=0.0, lip=7.0)
    out = CommutativeDiagram(make_model(), None, weights)(batch)
    lips = make_model().lip_reader.lip_indices
    expected = []
    for i, n in enumerate(out.motion.frame_lengths.tolist()):
        pred = out.motion.vertices[i, :n, lips]
        expected.append((pred - batch.vertices[i, :n, lips]).square().mean())
    torch.testing.assert_close(out.per_clip["lip"], torch.stack(expected))
    total = 1000 * (out.terms["rec"] + out.terms["vel"]) + 7 * out.terms["lip"]
    torch.testing.assert_close(out.loss, total)
    without = CommutativeDiagram(make_model(), None, LossConfig(lat=0.0, ctc=0.0))(batch)
    assert "lip" not in without.terms


def test_diagram_accepts_cached_recognizer_outputs():
    batch = make_batch()
    recognizer = make_recognizer()
    diagram = CommutativeDiagram(make_model(), recognizer, LossConfig()).eval()
    with torch.no_grad():
        direct = diagram(batch)
        cached = recognizer(batch.audio, batch.audio_lengths)
        cached.logits = None
        reused = diagram(batch, recognized=cached)
    for name in direct.terms:
        torch.testing.assert_close(direct.terms[name], reused.terms[name])


def test_save_load_round_trip_gives_identical_predictions(tmp_path):
    model = make_model(config_with("stack", 25.0, "encoder_decoder")).eval()
    model.save_pretrained(tmp_path / "m")
    loaded = SelfTalk.from_pretrained(tmp_path / "m")
    audio, template = torch.randn(20_000), torch.randn(N_VERTICES, 3)
    assert torch.equal(model.predict(audio, template), loaded.predict(audio, template))
    assert loaded.config == model.config
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "config.json",
        "model.safetensors",
    ]


def test_old_weight_norm_layout_loads(tmp_path):
    from safetensors.torch import load_file, save_file

    model = make_model().eval()
    model.save_pretrained(tmp_path)
    state = load_file(str(tmp_path / "model.safetensors"))
    renamed = {
        k.replace("parametrizations.weight.original0", "weight_g").replace(
            "parametrizations.weight.original1", "weight_v"
        ): v
        for k, v in state.items()
    }
    assert renamed.keys() != state.keys()
    save_file(renamed, str(tmp_path / "model.safetensors"))
    audio, template = torch.randn(9_000), torch.randn(N_VERTICES, 3)
    torch.testing.assert_close(
        SelfTalk.from_pretrained(tmp_path).predict(audio, template), model.predict(audio, template)
    )


def test_loading_rejects_a_directory_that_is_not_a_model(tmp_path):
    from selftalk.errors import InputError

    with pytest.raises(InputError, match="not a selftalk model directory"):
        SelfTalk.from_pretrained(tmp_path)


def test_a_pretrained_encoder_can_keep_its_first_layers(tmp_path):
    import dataclasses

    from selftalk.config import tiny_encoder
    from selftalk.models.wav2vec2 import build_wav2vec2

    recognizer = make_recognizer()
    recognizer.model.save_pretrained(tmp_path)
    spec = dataclasses.replace(tiny_encoder(), pretrained=str(tmp_path), keep_layers=1)
    encoder = build_wav2vec2(spec)
    assert len(encoder.encoder.layers) == 1
    source = recognizer.model.wav2vec2.state_dict()
    for key, value in encoder.state_dict().items():
        assert torch.equal(value, source[key]), key

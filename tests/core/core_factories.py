import torch

from selftalk.config import tiny
from selftalk.data.batch import Batch
from selftalk.models.recognizer import SpeechRecognizer
from selftalk.models.selftalk import SelfTalk

N_VERTICES, N_LIPS = 64, 8


def make_model(config=None, seed=0):
    torch.manual_seed(seed)
    config = config or tiny().model
    model = SelfTalk(config, torch.arange(config.n_lip_vertices) * 3)
    # the vertex head starts at zero (as in the paper); give it weights so outputs differ
    torch.nn.init.normal_(model.animator.vertex_head.weight, std=0.01)
    return model


def make_recognizer(seed=1):
    torch.manual_seed(seed)
    return SpeechRecognizer.from_config(tiny().recognizer)


def make_batch(sample_lengths=(16_000, 11_111), frame_lengths=(30, 20), seed=2):
    g = torch.Generator().manual_seed(seed)
    b = len(sample_lengths)
    audio = torch.zeros(b, max(sample_lengths))
    vertices = torch.zeros(b, max(frame_lengths), N_VERTICES, 3)
    for i, (s, t) in enumerate(zip(sample_lengths, frame_lengths)):
        audio[i, :s] = torch.randn(s, generator=g)
        vertices[i, :t] = 0.01 * torch.randn(t, N_VERTICES, 3, generator=g)
    templates = 0.1 * torch.randn(b, N_VERTICES, 3, generator=g)
    vertices = vertices + templates[:, None] * (vertices != 0)
    return Batch(
        names=[f"s{i}_c{i}" for i in range(b)],
        subjects=[f"s{i}" for i in range(b)],
        audio=audio,
        audio_lengths=torch.tensor(sample_lengths),
        vertices=vertices,
        frame_lengths=torch.tensor(frame_lengths),
        templates=templates,
    )


def item(batch: Batch, i: int) -> Batch:
    s, t = int(batch.audio_lengths[i]), int(batch.frame_lengths[i])
    return Batch(
        names=[batch.names[i]],
        subjects=[batch.subjects[i]],
        audio=batch.audio[i : i + 1, :s],
        audio_lengths=batch.audio_lengths[i : i + 1],
        vertices=batch.vertices[i : i + 1, :t],
        frame_lengths=batch.frame_lengths[i : i + 1],
        templates=batch.templates[i : i + 1],
    )

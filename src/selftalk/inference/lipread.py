"""Read text back from motion with a model's lip-reading interpreter (for lip-reading CER)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from selftalk.models.selftalk import SelfTalk
from selftalk.models.vocab import decode_ids, greedy_ctc_labels


@torch.no_grad()
def read_lips(model: SelfTalk, motion: np.ndarray, template: np.ndarray) -> str:
    """Greedy transcript of (T, V, 3) ``motion`` on its (V, 3) ``template``."""
    model.eval()
    device = model.device
    offsets = torch.as_tensor(motion - template[None], dtype=torch.float32, device=device)[None]
    frames = torch.tensor([len(motion)], device=device)
    rate = model.animator.audio_rate / model.config.fps
    target = torch.round(frames.double() * rate).long()
    out = model.lip_reader(offsets, frames, target)
    labels, lengths = greedy_ctc_labels(out.logits.argmax(-1), out.lengths)
    return decode_ids(labels[0, : lengths[0]])


def read_predictions(
    model: SelfTalk,
    pred_dir: str | Path,
    data_dir: str | Path,
    split: str,
    *,
    split_file: str | Path | None = None,
) -> dict[str, str]:
    """Lip-reading transcripts of ``pred_dir/{clip}.npy`` for the clips of a split."""
    from selftalk.metrics.evaluate import load_prediction
    from selftalk.metrics.groundtruth import EvaluationData

    data = EvaluationData(data_dir, split_file=split_file)
    texts = {}
    for clip in data.split_clips(split):
        path = Path(pred_dir) / f"{clip}.npy"
        if path.is_file():
            template = data.template(clip)
            texts[clip] = read_lips(model, load_prediction(path, len(template)), template)
    return texts

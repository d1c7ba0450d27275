"""Predict every clip of a dataset split, for scoring with the field's metrics."""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from tqdm import tqdm

from selftalk.checks import same_vertex_count
from selftalk.inference.loading import load_model
from selftalk.io import output_folder, save_npy
from selftalk.models.smoothing import smooth_motion
from selftalk.outputs import check_output_folder, refuse_input


@torch.no_grad()
def predict_split(
    *,
    data_dir: str | Path,
    split: str,
    out_dir: str | Path,
    model_dir=None,
    run_dir=None,
    checkpoint: str = "best",
    frames: str = "gt",
    device: str = "cpu",
    progress: bool = True,
    split_file: str | Path | None = None,
) -> int:
    """Write ``out_dir/{clip}.npy`` (T, V, 3) for each clip of ``split``; returns the count.

    ``frames="gt"`` predicts as many frames as the ground truth has (as in training);
    ``"audio"`` lets the audio duration decide (as in inference). ``data_dir`` may be in any
    layout :func:`selftalk.data.layouts.open_dataset` reads; ``split_file`` replaces its splits.
    """
    from selftalk.data.dataset import TalkingFaceDataset, collate

    out_dir = check_output_folder(out_dir, inputs=[data_dir, model_dir, run_dir, split_file])
    early = TalkingFaceDataset(data_dir, split, splits_file=split_file)
    targets = [out_dir / f"{name}.npy" for name in early.names]
    for target, name in zip(targets, early.names):  # e.g. -o DATA/vertices_npy
        refuse_input(target, [early.layout.audio_path(name), early.layout.vertices_path(name)])
    loaded = load_model(model_dir=model_dir, run_dir=run_dir, checkpoint=checkpoint, device=device)
    model = loaded.model
    dataset = TalkingFaceDataset(
        data_dir, split, splits_file=split_file, fps=model.config.fps, normalize=False
    )
    for note in dataset.notes:
        print(f"selftalk test: note: {note}", file=sys.stderr)
    for subject, template in dataset.templates.items():
        same_vertex_count(
            len(template),
            model.config.n_vertices,
            dataset.layout.templates_path,
            f"the model animates (subject {subject})",
        )
    with output_folder(out_dir):
        for index in tqdm(range(len(dataset)), desc=f"predict {split}", disable=not progress):
            batch = collate([dataset[index]]).to(model.device)
            lengths = batch.frame_lengths if frames == "gt" else None
            heard = model.hear(batch.audio[0].cpu().numpy()).to(model.device)[None]
            motion = model(heard, batch.templates, torch.tensor([heard.shape[1]]), lengths)
            n = int(motion.frame_lengths[0])
            vertices = motion.vertices[0, :n].cpu().numpy()
            save_npy(targets[index], smooth_motion(vertices, model.config.animator.smoothing))
    return len(dataset)

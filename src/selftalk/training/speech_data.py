"""Speech with transcripts for training a recognizer: dataset clips, extra TTS, recorded prompts.

Held-out material stays held out: voices listed in a SynthTalk corpus's ``held_out_voices``
and prompts in its ``held_out_prompts`` are never used for training.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selftalk.audio import SAMPLE_RATE, load_audio
from selftalk.metrics.text import normalize_transcript
from selftalk.models.vocab import encode_text


@dataclass(frozen=True, kw_only=True)
class SpeechExample:
    """One utterance: where its audio is, what is said, who says it."""

    name: str
    path: Path
    text: str
    voice: str


def labels(text: str) -> list[int]:
    return encode_text(normalize_transcript(text))


def held_out(data_dir: str | Path) -> tuple[set[str], set[str]]:
    """``(voices, prompts)`` a SynthTalk corpus holds out for testing."""
    from selftalk.data.layout import read_meta

    synth = read_meta(data_dir).extra.get("synthtalk", {})
    return set(synth.get("held_out_voices", [])), set(synth.get("held_out_prompts", []))


def dataset_examples(data_dir: str | Path, split: str) -> list[SpeechExample]:
    """Clips of a split of a processed dataset that have a transcript in ``meta.json``."""
    from selftalk.data.layout import DatasetLayout
    from selftalk.data.splits import split_clips

    layout = DatasetLayout(data_dir)
    clips = layout.meta.clips
    out = []
    for name in split_clips(layout.splits()[split]):
        info = clips.get(name, {})
        if info.get("transcript") and normalize_transcript(info["transcript"]):
            out.append(
                SpeechExample(
                    name=name,
                    path=layout.audio_path(name),
                    text=info["transcript"],
                    voice=info.get("voice", ""),
                )
            )
    return out


def recorded_examples(exclude: set[str]) -> list[SpeechExample]:
    """Every recorded prompt with speech in it, except those named in ``exclude``."""
    from selftalk.synth.speech import recorded

    return [
        SpeechExample(
            name=f"recorded:{p.name}", path=p.path, text=p.text, voice="recorded:asterisk"
        )
        for p in recorded.list_prompts()
        if p.is_speech and p.name not in exclude
    ]


def _synthesize_one(job: tuple[str, str, str]) -> tuple[str, float]:
    from selftalk.data.layout import write_audio
    from selftalk.synth.speech import synthesize

    path, text, voice = job
    utterance = synthesize(text, voice)
    write_audio(path, utterance.audio, utterance.sample_rate)
    return path, utterance.duration


def tts_examples(
    out_dir: str | Path,
    count: int,
    *,
    exclude_voices: set[str],
    seed: int = 0,
    workers: int = 2,
    progress: bool = True,
) -> list[SpeechExample]:
    """``count`` generated sentences spoken by every installed voice but the excluded ones,
    written once to ``out_dir`` (later calls reuse the files)."""
    from multiprocessing import get_context

    from tqdm import tqdm

    from selftalk.synth.speech import list_voices
    from selftalk.synth.text import generate_sentences

    out_dir = Path(out_dir)
    manifest = out_dir / "manifest.json"
    if manifest.is_file():
        entries = json.loads(manifest.read_text())
        if len(entries) >= count:
            return [
                SpeechExample(
                    name=e["name"], path=out_dir / e["file"], text=e["text"], voice=e["voice"]
                )
                for e in entries[:count]
            ]
    voices = sorted(set(list_voices()) - exclude_voices)
    rng = np.random.default_rng(seed)
    sentences = generate_sentences(count, seed=1000 + seed)
    jobs, entries = [], []
    for i, text in enumerate(sentences):
        voice = voices[rng.integers(len(voices))]
        name = f"tts{i:05d}"
        jobs.append((str(out_dir / "wav" / f"{name}.wav"), text, voice))
        entries.append({"name": name, "file": f"wav/{name}.wav", "text": text, "voice": voice})
    todo = [j for j in jobs if not Path(j[0]).is_file()]
    with get_context("fork").Pool(workers) as pool:
        for _ in tqdm(
            pool.imap_unordered(_synthesize_one, todo, chunksize=8),
            total=len(todo),
            desc="synthesize",
            disable=not progress,
        ):
            pass
    from selftalk.io import write_json

    write_json(manifest, entries)
    return [
        SpeechExample(name=e["name"], path=out_dir / e["file"], text=e["text"], voice=e["voice"])
        for e in entries
    ]


class SpeechSet:
    """Decoded audio (kept in memory) and label ids of a list of examples."""

    def __init__(self, examples: list[SpeechExample], *, max_seconds: float = 15.0):
        self.examples, self.audio, self.labels = [], [], []
        for example in examples:
            audio = load_audio(example.path)
            ids = labels(example.text)
            if not ids or len(audio) > max_seconds * SAMPLE_RATE:
                continue
            self.examples.append(example)
            self.audio.append(audio)
            self.labels.append(ids)

    def __len__(self) -> int:
        return len(self.examples)

    @property
    def seconds(self) -> float:
        return sum(len(a) for a in self.audio) / SAMPLE_RATE

"""Build a SynthTalk corpus: subjects × sentences of speech, lip motion and ARKit weights.

The output is the processed dataset layout (docs/data-format.md) plus ``arkit/{clip}.npy``
(T, 52) per-frame weights, the ground truth the vertices were made from. Plan first (which
subject says what with which voice: deterministic for a seed), then render clips in parallel.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from selftalk.arkit import ALPHABETICAL
from selftalk.data.layout import DatasetWriter, split_clip_name
from selftalk.errors import ConfigError, SelfTalkError
from selftalk.synth.animator import AnimatorOptions, animate, n_frames
from selftalk.synth.head import Head, load_head
from selftalk.synth.phones import Utterance
from selftalk.synth.subjects import Subject, make_subjects

RECORDED = "recorded"
#: the folder of per-clip (T, 52) ARKit weights beside the processed layout
ARKIT_FOLDER = "arkit"


class SpeechBackend(Protocol):
    """Where a corpus gets its speech (see :mod:`selftalk.synth.sources` for the real one)."""

    def voices(self) -> list[str]:
        """TTS voices that work here, e.g. ``espeak:en-us+m3``, ``flite:kal``."""

    def sentences(self, count: int, seed: int) -> list[str]:
        """``count`` distinct sentence texts."""

    def prompts(self) -> list[tuple[str, str]]:
        """Recorded prompts as ``(prompt id, transcript)`` (empty when none are installed)."""

    def synthesize(self, text: str, voice: str) -> Utterance:
        """Speak ``text`` with a TTS ``voice``."""

    def recording(self, prompt_id: str) -> Utterance:
        """A recorded prompt with its phones aligned."""


@dataclass(frozen=True, kw_only=True)
class CorpusOptions:
    """What to build.

    Attributes:
        n_subjects: synthetic speakers (VOCASET: 12).
        n_sentences: clips a subject (VOCASET has 40; the default 200 gives about two hours
            of speech, enough to learn from).
        voices: TTS voices to use (None: every voice the backend has).
        fps: frame rate of the motion files (stored at this rate: ``file_fps == fps``).
        seed: everything (subjects, texts, voices, blinks) follows from it.
        recorded_share: share of clips spoken by recorded speech, when prompts exist.
        held_out_share: share of each subject's sentences kept for the held-out-voice and
            held-out-recording test splits.
        held_out_voices: TTS voices never used in train/val/test (None: a quarter, at least 1
            when there are 2 voices or more).
        workers: processes rendering clips.
        name: dataset name in meta.json.
    """

    n_subjects: int = 12
    n_sentences: int = 200
    voices: tuple[str, ...] | None = None
    fps: float = 30.0
    seed: int = 0
    recorded_share: float = 0.25
    held_out_share: float = 0.06
    held_out_voices: int | None = None
    workers: int = 1
    name: str = "synthtalk"

    def validate(self) -> None:
        if self.n_subjects < 1:
            raise ConfigError(f"n_subjects must be at least 1, got {self.n_subjects}")
        if self.n_sentences < 1:
            raise ConfigError(f"n_sentences must be at least 1, got {self.n_sentences}")
        if not self.fps > 0:
            raise ConfigError(f"fps must be positive, got {self.fps}")
        if not 0 <= self.recorded_share <= 1 or not 0 <= self.held_out_share < 1:
            raise ConfigError("recorded_share must be in [0, 1] and held_out_share in [0, 1)")
        if self.workers < 1:
            raise ConfigError(f"workers must be at least 1, got {self.workers}")


def small_options(**overrides) -> CorpusOptions:
    """A tiny corpus (3 subjects × 4 sentences) that builds in seconds."""
    return CorpusOptions(**{"n_subjects": 3, "n_sentences": 4, "held_out_share": 0.25, **overrides})


@dataclass(frozen=True, kw_only=True)
class ClipJob:
    """One clip to render: who says what, with which voice (or recorded prompt)."""

    clip: str
    subject: int
    sentence: str
    group: str  # "main" or "held_out"
    source: str  # "tts" or "recorded"
    text: str
    voice: str  # TTS voice, or the prompt id for recorded speech
    seed: int
    fallbacks: tuple[tuple[str, str], ...] = ()  # other (prompt id, text) if a prompt fails


@dataclass(kw_only=True)
class CorpusPlan:
    subjects: list[Subject]
    jobs: list[ClipJob]
    train_voices: list[str]
    held_out_voices: list[str]
    train_prompts: list[str] = field(default_factory=list)
    held_out_prompts: list[str] = field(default_factory=list)


def plan_corpus(backend: SpeechBackend, options: CorpusOptions, head: Head) -> CorpusPlan:
    """Decide every clip (deterministic for ``options.seed``); no audio is made here."""
    options.validate()
    rng = np.random.default_rng([options.seed, 0xC0])
    available = sorted(backend.voices())
    voices = list(options.voices) if options.voices else available
    missing = [v for v in voices if v not in available]
    if missing:
        raise ConfigError(
            f"voices not available here: {', '.join(missing)} (have: {', '.join(available)})"
        )
    if not voices:
        raise SelfTalkError("no speech voice is available: install espeak-ng, flite or festival")
    voices = [voices[i] for i in rng.permutation(len(voices))]
    n_held = options.held_out_voices
    if n_held is None:
        n_held = max(1, len(voices) // 4) if len(voices) >= 2 else 0
    n_held = min(n_held, len(voices) - 1)
    train_voices, held_voices = voices[: len(voices) - n_held], voices[len(voices) - n_held :]

    prompts = sorted(backend.prompts()) if options.recorded_share > 0 else []
    order = rng.permutation(len(prompts))
    prompts = [prompts[i] for i in order]
    n_held_prompts = int(round(len(prompts) * 0.2))
    held_prompts, train_prompts = prompts[:n_held_prompts], prompts[n_held_prompts:]

    subjects = make_subjects(head, options.n_subjects, seed=options.seed)
    m = options.n_sentences
    n_held_sentences = int(round(m * options.held_out_share)) if m >= 2 else 0
    texts = iter(backend.sentences(options.n_subjects * m, options.seed))
    width = max(2, len(str(m)))
    jobs: list[ClipJob] = []
    cursor = {"main": 0, "held_out": 0}
    for i, subject in enumerate(subjects):
        for j in range(m):
            group = "held_out" if j >= m - n_held_sentences else "main"
            pool = held_prompts if group == "held_out" else train_prompts
            tts_voices = held_voices if (group == "held_out" and held_voices) else train_voices
            sentence = f"sentence{j + 1:0{width}d}"
            draw = rng.uniform()
            # held-out sentences alternate between recorded prompts and held-out voices
            alternate = group == "held_out" and (i + j) % 2 == 0
            use_recorded = bool(pool) and (
                alternate or (group == "main" and draw < options.recorded_share)
            )
            text = next(texts)
            fallbacks: tuple = ()
            if use_recorded:
                k = cursor[group]
                prompt_id, text = pool[k % len(pool)]
                fallbacks = tuple(pool[(k + n) % len(pool)] for n in range(1, min(4, len(pool))))
                cursor[group] += 1
                source, voice = RECORDED, prompt_id
            else:
                source, voice = "tts", tts_voices[(i + j) % len(tts_voices)]
            jobs.append(
                ClipJob(
                    clip=f"{subject.name}_{sentence}",
                    subject=i,
                    sentence=sentence,
                    group=group,
                    source=source,
                    text=text,
                    voice=voice,
                    seed=int(rng.integers(2**31)),
                    fallbacks=fallbacks,
                )
            )
    return CorpusPlan(
        subjects=subjects,
        jobs=jobs,
        train_voices=train_voices,
        held_out_voices=held_voices,
        train_prompts=[p for p, _ in train_prompts],
        held_out_prompts=[p for p, _ in held_prompts],
    )


def make_splits(plan: CorpusPlan, done: set[str]) -> dict[str, dict[str, list[str]]]:
    """train/val/test by subject and sentence, plus ``test_voices`` and ``test_recorded``.

    Like VOCASET: most subjects train on all their main sentences; val and test subjects
    (one sixth each, at least one when there are three subjects or more) are evaluated on
    the second half of theirs. ``test_voices``: held-out sentences spoken by TTS voices that
    no other split hears; ``test_recorded``: held-out sentences of recorded prompts that no
    other split uses.
    """
    n = len(plan.subjects)
    n_eval = max(1, round(n / 6)) if n >= 3 else 0
    roles = ["train"] * (n - 2 * n_eval) + ["val"] * n_eval + ["test"] * n_eval
    if n == 2:
        roles = ["train", "test"]
    splits: dict[str, dict[str, list[str]]] = {
        k: {} for k in ("train", "val", "test", "test_voices", "test_recorded")
    }
    by_subject: dict[int, list[ClipJob]] = {}
    for job in plan.jobs:
        by_subject.setdefault(job.subject, []).append(job)
    for i, jobs in by_subject.items():
        name = plan.subjects[i].name
        main = [j for j in jobs if j.group == "main"]
        role = roles[i]
        chosen = main if role == "train" else main[len(main) // 2 :]
        _add(splits[role], name, [j for j in chosen if j.clip in done])
        held = [j for j in jobs if j.group == "held_out" and j.clip in done]
        _add(splits["test_recorded"], name, [j for j in held if j.source == RECORDED])
        _add(splits["test_voices"], name, [j for j in held if j.source != RECORDED])
    return splits


def _add(split: dict[str, list[str]], subject: str, jobs: list[ClipJob]) -> None:
    if jobs:
        split[subject] = [j.sentence for j in jobs]


# --- rendering (runs in worker processes) -------------------------------------------------

_WORKER: dict = {}


def _init_worker(backend: SpeechBackend, plan: CorpusPlan, out_dir: Path, fps: float) -> None:
    _WORKER.update(backend=backend, plan=plan, out_dir=out_dir, fps=fps, head=load_head())


def _render(job: ClipJob) -> tuple[str, dict | None, str | None]:
    try:
        return job.clip, render_clip(job, **_WORKER), None
    except SelfTalkError as error:
        return job.clip, None, str(error)


def render_clip(
    job: ClipJob, *, backend: SpeechBackend, plan: CorpusPlan, out_dir: Path, fps: float, head: Head
) -> dict:
    """Make one clip's speech, motion and weights; write them; return its meta.json entry."""
    subject = plan.subjects[job.subject]
    prompt = job.voice
    if job.source == RECORDED:
        # A prompt that cannot be aligned (a transcript that describes silence, say) gives way
        # to the next ones of its pool, in a fixed order, so the build stays deterministic.
        candidates = [job.voice] + [p for p, _ in job.fallbacks]
        for n, prompt in enumerate(candidates):
            try:
                utt = backend.recording(prompt)
                break
            except SelfTalkError:
                if n == len(candidates) - 1:
                    raise
    else:
        utt = backend.synthesize(job.text, job.voice)
    weights = animate(
        utt.phones,
        utt.duration,
        style=subject.style,
        options=AnimatorOptions(fps=fps, seed=job.seed),
        audio=utt.audio,
        sample_rate=utt.sample_rate,
    )
    vertices = head.pose(weights, subject.template)
    writer = DatasetWriter(out_dir, name="", fps=fps, overwrite=True)
    writer.write_vertices(subject.name, job.sentence, vertices)
    writer.write_clip_array(ARKIT_FOLDER, subject.name, job.sentence, weights)
    writer.write_audio(subject.name, job.sentence, utt.audio, utt.sample_rate, subtype="PCM_16")
    return {
        "transcript": utt.text,
        "subject": subject.name,
        "voice": utt.voice,
        "source": utt.source,
        "duration": round(utt.duration, 4),
        "n_frames": int(len(weights)),
        "sample_rate": int(utt.sample_rate),
        "phones": [[p.phone, round(p.start, 4), round(p.end, 4)] for p in utt.phones],
        **({"prompt": prompt} if job.source == RECORDED else {}),
    }


def build_corpus(
    out_dir: str | Path,
    backend: SpeechBackend,
    options: CorpusOptions,
    *,
    progress: bool = True,
    on_clip: Callable[[str], None] | None = None,
) -> dict:
    """Plan and render a corpus into ``out_dir``; returns the summary stored in meta.json."""
    start = time.time()
    out_dir = Path(out_dir)
    head = load_head()
    plan = plan_corpus(backend, options, head)
    writer = DatasetWriter(out_dir, name=options.name, fps=options.fps, overwrite=True)
    _write_static(writer, head, plan)

    clips: dict[str, dict] = {}
    failures: dict[str, str] = {}
    results = _run_jobs(plan, backend, out_dir, options, progress)
    for clip, meta, error in results:
        if meta is not None:
            clips[clip] = meta
        else:
            failures[clip] = error or "failed"
        if on_clip:
            on_clip(clip)
    if not clips:
        first = next(iter(failures.items()), ("", "nothing to build"))
        raise SelfTalkError(f"no clip could be made ({first[0]}: {first[1]})")
    order = [j.clip for j in plan.jobs if j.clip in clips]
    clips = {c: clips[c] for c in order}
    writer.write_splits(make_splits(plan, set(clips)))
    summary = _summary(plan, clips, failures, options, time.time() - start)
    for clip, info in clips.items():
        writer.add_clip_info(*split_clip_name(clip), info)
    writer.finish({"arkit_names": list(ALPHABETICAL), "synthtalk": summary})
    return summary


def _run_jobs(plan: CorpusPlan, backend, out_dir: Path, options: CorpusOptions, progress: bool):
    from tqdm import tqdm

    bar = tqdm(total=len(plan.jobs), unit="clip", disable=not progress, file=sys.stderr)
    args = (backend, plan, out_dir, options.fps)
    try:
        if options.workers == 1:
            _init_worker(*args)
            for job in plan.jobs:
                yield _render(job)
                bar.update()
            return
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        ctx = multiprocessing.get_context(method)
        with ctx.Pool(options.workers, initializer=_init_worker, initargs=args) as pool:
            for result in pool.imap_unordered(_render, plan.jobs, chunksize=1):
                yield result
                bar.update()
    finally:
        bar.close()


def _write_static(writer: DatasetWriter, head: Head, plan: CorpusPlan) -> None:
    writer.write_mesh(head.template, head.faces)
    writer.write_templates({s.name: s.template for s in plan.subjects})
    writer.write_regions(lip=head.regions["lips"], upper_face=head.regions["upper_face"])


def _summary(
    plan: CorpusPlan, clips: dict, failures: dict, options: CorpusOptions, seconds: float
) -> dict:
    recorded = [c for c in clips.values() if c["source"] == RECORDED]
    voices = sorted({c["voice"] for c in clips.values()})
    return {
        "options": {
            k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(options).items()
        },
        "n_clips": len(clips),
        "failed": failures,
        "hours": round(sum(c["duration"] for c in clips.values()) / 3600, 4),
        "voices": voices,
        "train_voices": plan.train_voices,
        "held_out_voices": plan.held_out_voices,
        "recorded_clips": len(recorded),
        "recorded_minutes": round(sum(c["duration"] for c in recorded) / 60, 3),
        "held_out_prompts": plan.held_out_prompts,
        "build_seconds": round(seconds, 2),
        "subject_details": {s.name: s.describe() for s in plan.subjects},
    }


def check_frames(meta_clip: dict, fps: float) -> bool:
    """True when a clip's frame count matches its audio duration (within half a frame)."""
    return meta_clip["n_frames"] == n_frames(meta_clip["duration"], fps)


__all__ = [
    "SpeechBackend",
    "CorpusOptions",
    "small_options",
    "ClipJob",
    "CorpusPlan",
    "plan_corpus",
    "make_splits",
    "render_clip",
    "build_corpus",
    "check_frames",
]

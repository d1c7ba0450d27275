"""Build a streamer for a loaded model: session, ARKit solver and warm-up, in one call."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from selftalk.audio import SAMPLE_RATE
from selftalk.errors import ConfigError


def compute_on_one_thread() -> None:
    """Make torch and the BLAS under numpy compute on the calling thread only.

    Real-time passes are small: helper threads speed them up little, and OpenBLAS's spin
    between calls. On 2 cores they burned a second core for every stream
    (benchmarks/bench_stream.py: 0.78 CPU-seconds per audio second instead of 0.37), which
    halves how many streams a machine serves. Parallelism comes from streams instead.
    """
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(1)


@dataclass(kw_only=True)
class StreamSettings:
    """What every stream of one model shares (the CLI's and the server's options)."""

    context: float = 1.0
    """Seconds of left context of a windowed session."""
    lookahead: float = 0.05
    """Least seconds of audio after a frame before it is decided (windowed session)."""
    block: float = 0.1
    """Seconds of frames a windowed pass decides."""
    native: bool = True
    """Use the model's own stream session when it has one."""
    weights: bool = True
    """Solve ARKit-52 weights for every frame."""
    basis: str | None = None
    """Blendshape basis ``.npz`` for the weights (default: the bundled head's)."""
    ears_window: tuple[int, int] | None = None
    """(left, right) recognizer context frames of a phoneme model's session (default: its
    config's)."""
    window_extra: dict = field(default_factory=dict)
    """Further :class:`~selftalk.streaming.windowed.WindowOptions` fields."""


class StreamFactory:
    """Opens :class:`~selftalk.streaming.streamer.Streamer` s of one loaded model and template."""

    def __init__(self, loaded, template: np.ndarray, settings: StreamSettings | None = None):
        self.loaded = loaded
        self.template = np.asarray(template, np.float32)
        self.settings = settings or StreamSettings()
        self.basis = self._basis() if self.settings.weights else None
        self.fps = float(loaded.model.config.fps)
        self._solver = None  # the prototype every stream's solver shares matrices with
        probe = self.session()
        self.lookahead = float(probe.lookahead)
        # how finely a stream's passes can be staggered (None: a session without phases)
        self.offset_step: float | None = getattr(probe, "phase_step", None)

    def _basis(self):
        from selftalk.export.arkit import bundled_basis, load_basis

        basis = load_basis(self.settings.basis) if self.settings.basis else bundled_basis()
        if basis.n_vertices != len(self.template):
            raise ConfigError(
                f"ARKit weights need a blendshape basis on the model's topology: the basis has "
                f"{basis.n_vertices} vertices, the model {len(self.template)} (pass --basis)"
            )
        return basis

    def session(self, offset: float = 0.0):
        """A new stream session; ``offset``: seconds its blocks start early (see
        :func:`~selftalk.streaming.session.open_session`)."""
        from selftalk.streaming.session import open_session

        s = self.settings
        return open_session(
            self.loaded.model,
            self.template,
            native=s.native,
            context=s.context,
            lookahead=s.lookahead,
            block=s.block,
            ears_window=s.ears_window,
            offset=offset,
            **s.window_extra,
        )

    def solver(self):
        """A fresh ARKit solver (None without weights); all share one set of matrices."""
        from selftalk.export.arkit_stream import ArkitStreamSolver

        if self.basis is None:
            return None
        if self._solver is None:
            self._solver = ArkitStreamSolver(self.basis, neutral=self.template)
        return self._solver.spawn()

    def streamer(
        self,
        *,
        rate: int = SAMPLE_RATE,
        clock=None,
        keep_vertices: bool = True,
        offset: float = 0.0,
    ):
        """A new stream at ``rate`` Hz (:class:`~selftalk.streaming.streamer.Streamer`) whose
        blocks start ``offset`` seconds early."""
        from selftalk.streaming.streamer import Streamer

        kwargs = {} if clock is None else {"clock": clock}
        return Streamer(
            self.session(offset),
            rate=rate,
            solver=self.solver(),
            keep_vertices=keep_vertices,
            **kwargs,
        )

    def warm_up(self) -> None:
        """Run one short stream, so the first real frames do not pay for lazy initialisation."""
        streamer = self.streamer()
        noise = np.random.default_rng(0).normal(0, 0.01, SAMPLE_RATE).astype(np.float32)
        streamer.push(noise)
        streamer.flush()

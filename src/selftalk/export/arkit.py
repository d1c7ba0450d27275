"""ARKit-52 blendshape curves: solve weights from vertex motion, write Live Link Face CSV / JSON.

The solver finds, for all frames at once, weights W (T, K) in [0, 1] minimising

    sum_t |A w_t - (x_t - neutral)|^2 + s * sum_t |w_t - w_(t-1)|^2 + r * sum_t |w_t|^2

with A the (3V, K) blendshape deltas. It runs ADMM: the quadratic step is solved exactly by
diagonalising A^T A (K x K) and the temporal difference operator (a DCT-II diagonalises the
path-graph Laplacian), so each iteration costs O(T K^2 + T K log T), vectorised over frames;
the box step is a clip. ``s`` and ``r`` are given relative to the mean diagonal of A^T A, so
they mean the same on any mesh scale.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selftalk.arkit import LIVE_LINK, match_names, write_curves
from selftalk.checks import finite_array, frame_rate, non_negative, positive
from selftalk.errors import ConfigError, InputError


@dataclass(frozen=True, kw_only=True)
class BlendshapeBasis:
    """Linear blendshapes: face = neutral + sum_k w_k * deltas[k].

    Attributes:
        names: K names (ARKit names, any case, ``_L``/``_R`` suffixes allowed).
        deltas: (K, V, 3) float32 displacements at weight 1.
        neutral: (V, 3) float32 rest face, or None (then the motion's template is needed).
    """

    names: tuple[str, ...]
    deltas: np.ndarray
    neutral: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.deltas.ndim != 3 or self.deltas.shape[2] != 3:
            raise ConfigError(f"blendshape deltas must be (K, V, 3), got {self.deltas.shape}")
        if len(self.names) != len(self.deltas):
            raise ConfigError(f"{len(self.names)} names for {len(self.deltas)} blendshapes")
        if self.neutral is not None and self.neutral.shape != self.deltas.shape[1:]:
            raise ConfigError(
                f"neutral {self.neutral.shape} does not match deltas {self.deltas.shape}"
            )

    @property
    def n_vertices(self) -> int:
        return self.deltas.shape[1]


def load_basis(path: str | Path) -> BlendshapeBasis:
    """Read a basis from ``.npz`` with ``names`` (K,) str, ``deltas`` (K, V, 3), optional ``neutral``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such blendshape basis file")
    try:
        with np.load(path, allow_pickle=False) as data:
            names = tuple(str(n) for n in data["names"])
            deltas = np.asarray(data["deltas"], np.float32)
            neutral = np.asarray(data["neutral"], np.float32) if "neutral" in data else None
    except KeyError as error:
        raise InputError(path, f"missing array {error} (need names, deltas)") from None
    except Exception as error:  # noqa: BLE001 - zip, header and dtype errors all mean 'bad file'
        raise InputError(path, f"not a readable .npz basis ({error})") from None
    finite_array(deltas, path, "the blendshape deltas")
    if neutral is not None:
        finite_array(neutral, path, "the neutral face")
    try:
        return BlendshapeBasis(names=names, deltas=deltas, neutral=neutral)
    except ConfigError as error:
        raise InputError(path, str(error)) from None


def bundled_basis() -> BlendshapeBasis:
    """The ARKit-52 basis of the bundled CC0 head (``selftalk.synth.head``)."""
    try:
        from selftalk.synth.head import load_head
    except ImportError:
        raise ConfigError(
            "this installation has no bundled head (selftalk.synth.head); pass a basis .npz"
        ) from None
    head = load_head()
    return BlendshapeBasis(
        names=tuple(head.blendshape_names),
        deltas=np.asarray(head.blendshapes, np.float32),
        neutral=np.asarray(head.template, np.float32),
    )


@dataclass(kw_only=True)
class SolverOptions:
    """Weights of the penalties and stopping rule of :func:`solve_weights`."""

    smoothing: float = 0.01
    """Penalty on frame-to-frame weight change, relative to the mean diagonal of A^T A."""
    regularization: float = 1e-4
    """Penalty on weight size (ridge), relative to the same scale; keeps ties well posed."""
    max_iterations: int = 2000
    tolerance: float = 1e-6
    """Stop when the primal and dual residuals fall below this (relative)."""

    def validate(self) -> SolverOptions:
        non_negative(self.smoothing, "smoothing")
        non_negative(self.regularization, "regularization")
        positive(self.tolerance, "tolerance")
        if self.max_iterations < 1:
            raise ConfigError("max_iterations must be at least 1")
        return self


@dataclass(frozen=True, kw_only=True)
class SolveResult:
    """Weights (T, K) in [0, 1] and how well ``neutral + weights @ deltas`` fits the motion."""

    weights: np.ndarray
    names: tuple[str, ...]
    rms_error: float
    max_error: float
    iterations: int
    converged: bool


def solve_weights(
    motion: np.ndarray,
    basis: BlendshapeBasis,
    *,
    neutral: np.ndarray | None = None,
    options: SolverOptions | None = None,
) -> SolveResult:
    """Fit blendshape weights in [0, 1] to (T, V, 3) ``motion`` (see the module docstring).

    ``neutral`` (V, 3) overrides ``basis.neutral`` (e.g. the subject's own template).
    """
    options = (options or SolverOptions()).validate()
    motion = np.asarray(motion)
    if motion.ndim != 3 or motion.shape[2] != 3 or len(motion) == 0:
        raise ConfigError(f"the motion must be (T, V, 3) with T > 0, got {motion.shape}")
    t, v, _ = motion.shape
    if v != basis.n_vertices:
        raise ConfigError(
            f"the motion has {v} vertices but the blendshape basis {basis.n_vertices}"
        )
    neutral = basis.neutral if neutral is None else neutral
    if neutral is None:
        raise ConfigError("the basis has no neutral face: pass the motion's template")
    neutral = np.asarray(neutral, np.float64)
    a = basis.deltas.reshape(len(basis.deltas), -1).astype(np.float64).T  # (3V, K)
    gram = a.T @ a
    # (T, K) right-hand side, a block of frames at a time: the (T, 3V) float64 offsets of a
    # long motion would take gigabytes (10 min of a 4.5 k-vertex head: 2 GB)
    rhs = np.concatenate([_offsets(motion, s, neutral) @ a for s in _blocks(t, v)])
    scale = float(np.mean(np.diag(gram))) or 1.0
    solved = _admm_box_qp(
        gram,
        rhs,
        smoothing=options.smoothing * scale,
        ridge=options.regularization * scale,
        options=options,
    )
    weights = solved.weights
    squares, largest = 0.0, 0.0
    for s in _blocks(t, v):
        residual = (weights[s] @ a.T - _offsets(motion, s, neutral)).reshape(-1, v, 3)
        distance = np.linalg.norm(residual, axis=-1)
        squares += float(np.sum(distance**2))
        largest = max(largest, float(distance.max()))
    return SolveResult(
        weights=weights.astype(np.float32),
        names=tuple(basis.names),
        rms_error=float(np.sqrt(squares / (t * v))),
        max_error=largest,
        iterations=solved.iterations,
        converged=solved.converged,
    )


#: Values (frames x 3V) in one block of :func:`solve_weights` (32 MB of float64).
BLOCK_VALUES = 1 << 22


def _blocks(t: int, v: int) -> list[slice]:
    step = max(1, BLOCK_VALUES // (3 * v))
    return [slice(i, min(i + step, t)) for i in range(0, t, step)]


def _offsets(motion: np.ndarray, frames: slice, neutral: np.ndarray) -> np.ndarray:
    """(n, 3V) float64 offsets from ``neutral`` of a block of frames."""
    block = np.asarray(motion[frames], np.float64) - neutral[None]
    return block.reshape(len(block), -1)


@dataclass(frozen=True)
class AdmmResult:
    """What :func:`_admm_box_qp` ends with; ``rho`` and ``dual`` warm-start the next block."""

    weights: np.ndarray  # (T, K) in [0, 1]
    iterations: int
    converged: bool
    rho: float  # the final penalty
    dual: np.ndarray  # (T, K) the final scaled dual variable


def gram_spectrum(gram: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (K,) and vectors (K, K) of A^T A: what every ADMM step solves with."""
    return np.linalg.eigh(gram)


def _admm_box_qp(
    gram, rhs, *, smoothing, ridge, options, previous=None, rho=None, spectrum=None, start=None
) -> AdmmResult:
    """min_W sum_t (w_t^T G w_t / 2 - b_t^T w_t) + s/2 |D W|^2 + r/2 |W|^2 s.t. 0 <= W <= 1.

    ``previous`` (K,): weights of the frame before the first, held fixed; the smoothing term
    then also ties the first frame to it (causal smoothing, for streams solved block by block);
    ``rho``: the penalty to start from (the one the previous block ended with, say);
    ``spectrum``: :func:`gram_spectrum` of ``gram``, if already known; ``start``: (K,)
    weights and (K,) scaled dual to start every frame from (a stream passes its last frame's:
    consecutive frames differ little, so a block converges in a fraction of the iterations).
    """
    from scipy.fft import dct, idct

    t = len(rhs)
    eig_g, q = spectrum if spectrum is not None else gram_spectrum(gram)
    if previous is None:  # path Laplacian, diagonalised by the DCT-II
        eig_l = 2.0 - 2.0 * np.cos(np.pi * np.arange(t) / t)
        to_time = lambda x: dct(x, type=2, norm="ortho", axis=0)
        from_time = lambda x: idct(x, type=2, norm="ortho", axis=0)
    else:  # path Laplacian + the edge to the fixed previous frame
        eig_l, vectors = _anchored_path_eigen(t)
        to_time = lambda x: vectors.T @ x
        from_time = lambda x: vectors @ x
        rhs = rhs.copy()
        rhs[0] += smoothing * np.asarray(previous, np.float64)
    if rho is None:
        rho = np.sqrt(max(eig_g.max(), 1e-12) * max(eig_g.min() + ridge, 1e-6 * eig_g.max()))
    rho = max(float(rho), 1e-12)
    base = eig_g[None, :] + ridge + smoothing * eig_l[:, None]  # (T, K)

    # The loop multiplies only (T, K) by (K, K) matrices: einsum's own loops keep that at a
    # fraction of a millisecond, while a threaded BLAS can take 50x longer on a busy machine.
    def solve(b, rho):  # (G + r + rho) W + s L W = b
        spectral = to_time(np.einsum("tk,kj->tj", b, q)) / (base + rho)
        return np.einsum("tj,kj->tk", from_time(spectral), q)

    def norm(x):
        return float(np.sqrt(np.sum(x * x)))

    if start is None:
        z = np.clip(solve(rhs, rho), 0.0, 1.0)
        u = np.zeros_like(z)
    else:
        z = np.repeat(np.asarray(start[0], np.float64)[None], t, axis=0)
        u = np.repeat(np.asarray(start[1], np.float64)[None], t, axis=0)
    alpha = 1.6  # over-relaxation
    norm_b = max(np.linalg.norm(rhs) / max(eig_g.max(), 1e-12), 1e-12)
    for iteration in range(1, options.max_iterations + 1):
        w = solve(rhs + rho * (z - u), rho)
        w_hat = alpha * w + (1 - alpha) * z
        z_old = z
        z = np.clip(w_hat + u, 0.0, 1.0)
        u = u + w_hat - z
        if iteration % 10:  # residuals are checked every 10 iterations: norms cost as much
            continue
        primal = norm(w - z)  # constraint violation, in weight units
        change = norm(z - z_old)  # dual residual / rho, in weight units too
        scale = max(norm(z), norm_b, 1.0)
        if primal < options.tolerance * scale and change < options.tolerance * scale:
            return AdmmResult(z, iteration, True, rho, u)
        # residual balancing (Boyd et al. 2011, section 3.4.1), both residuals in weight units
        if primal > 10 * change:
            rho, u = rho * 2, u / 2
        elif change > 10 * primal:
            rho, u = rho / 2, u * 2
    return AdmmResult(z, options.max_iterations, False, rho, u)


@functools.lru_cache(maxsize=16)
def _anchored_path_eigen(t: int) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (T,) and vectors (T, T) of the path Laplacian of T frames plus the edge
    from the first frame to a fixed one before it."""
    laplacian = np.diag(np.full(t, 2.0)) - np.eye(t, k=1) - np.eye(t, k=-1)
    laplacian[-1, -1] = 1.0
    return np.linalg.eigh(laplacian)


def to_arkit(
    weights: np.ndarray, names: tuple[str, ...] | list[str]
) -> tuple[np.ndarray, list[str]]:
    """(T, K) weights named ``names`` -> (T, 52) in Live Link order, and the ARKit names missing
    from ``names`` (their columns are 0). Names that are not ARKit names are dropped."""
    return match_names(weights, names, LIVE_LINK)


def write_arkit(path: str | Path, result: SolveResult, *, fps: float) -> tuple[Path, list[str]]:
    """Write ``result`` as Live Link Face CSV (``.csv``) or JSON (``.json``).

    Returns the path and the ARKit names the basis lacked (written as 0).
    """
    path = Path(path)
    fps = frame_rate(fps)
    weights, missing = to_arkit(result.weights, result.names)
    fit = {
        "rms_error": result.rms_error,
        "max_error": result.max_error,
        "iterations": result.iterations,
        "converged": result.converged,
        "missing": missing,
    }
    write_curves(path, weights, fps=fps, order=LIVE_LINK, fit=fit)
    return path, missing


def export_arkit(
    path: str | Path,
    motion: np.ndarray,
    *,
    fps: float = 30.0,
    basis: BlendshapeBasis | None = None,
    neutral: np.ndarray | None = None,
    options: SolverOptions | None = None,
) -> tuple[SolveResult, list[str]]:
    """Solve and write ARKit-52 curves (``.csv`` or ``.json``) for (T, V, 3) ``motion`` in one
    call. ``basis`` defaults to the bundled head's; ``neutral`` to the basis's neutral face.

    Returns the solve result and the ARKit names the basis lacked (written as 0).
    """
    basis = basis or bundled_basis()
    if Path(path).suffix.lower() not in (".csv", ".json"):  # before the work, not after it
        raise ConfigError(f"{path}: ARKit curves are written as .csv or .json")
    result = solve_weights(motion, basis, neutral=neutral, options=options)
    _, missing = write_arkit(path, result, fps=fps)
    return result, missing

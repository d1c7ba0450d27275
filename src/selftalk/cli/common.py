"""The flags every verb shares, added and read in one place (fairseq2's recipe flags).

- ``-o/--output``: where a verb writes (``--out`` is a hidden alias);
- ``--progress/--no-progress``: progress bars (default: when stderr is a terminal; ``--quiet``
  and ``-q`` are hidden aliases of ``--no-progress``);
- a config, wherever a verb has one: ``--preset NAME``, ``--config FILE.yaml`` (repeatable),
  ``--set KEY=VALUE`` (repeatable), ``--list-presets`` and ``--dump-config``;
- ``--subject``: a subject's name, or its number counted from 1 in sorted order;
- ``--size``: a video size, ``WxH`` or ``N`` for N×N.

Verbs call the ``add_*`` functions in ``register`` and read the values back with
:func:`progress_enabled`, :func:`resolve_config`, :func:`resolve_subject`. Nothing here
imports numpy or torch, so ``selftalk --help`` stays instant.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from selftalk.cli.types import fps, positive_float, video_side
from selftalk.errors import ConfigError, InputError


def add_hidden_alias(action: argparse.Action, *aliases: str) -> argparse.Action:
    """Keep ``aliases`` working for ``action`` but leave them out of ``--help`` and messages.

    Used for old spellings that users and docs rely on (``--out`` for ``--output``…).
    """
    for alias in aliases:
        action.option_strings.remove(alias)
    return action


# --------------------------------------------------------------------------- output


def add_output(
    parser: argparse.ArgumentParser,
    *,
    required: bool = False,
    metavar: str = "OUT",
    help: str | None = None,
    type: Callable[[str], Any] | None = None,
) -> argparse.Action:
    """``-o/--output`` (and the hidden old spelling ``--out``), stored in ``args.output``."""
    action = parser.add_argument(
        "-o",
        "--output",
        "--out",
        dest="output",
        required=required,
        metavar=metavar,
        help=help,
        **({"type": type} if type is not None else {}),
    )
    return add_hidden_alias(action, "--out")


# --------------------------------------------------------------------------- progress


def add_progress(parser: argparse.ArgumentParser) -> None:
    """``--progress/--no-progress``; ``--quiet`` and ``-q`` are hidden aliases of the latter."""
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress bars (default: when stderr is a terminal)",
    )
    parser.add_argument(
        "-q", "--quiet", dest="progress", action="store_false", help=argparse.SUPPRESS
    )


def progress_enabled(args: argparse.Namespace) -> bool:
    """What ``--progress/--no-progress`` asked for; by default, whether stderr is a terminal."""
    value = getattr(args, "progress", None)
    return sys.stderr.isatty() if value is None else bool(value)


# --------------------------------------------------------------------------- configs


@dataclass(frozen=True)
class ConfigRecipe:
    """A verb's config: its named presets and how its flags resolve to one config object.

    Attributes:
        presets: preset name → function returning a fresh config (a dataclass tree).
        default: the preset used without ``--preset``.
        resolve: ``args → config`` for verbs that build their config in another way too
            (``train --resume`` reads the run's); default :func:`resolve_config`.
        validate: called on the resolved config (default: its ``validate()`` if it has one).
    """

    presets: Mapping[str, Callable[[], Any]]
    default: str | None = None
    resolve: Callable[[argparse.Namespace], Any] | None = None
    validate: Callable[[Any], Any] | None = None


def add_config(
    parser: argparse.ArgumentParser,
    recipe: ConfigRecipe,
    *,
    positional_overrides: bool = False,
    preset_required: bool = False,
) -> None:
    """``--preset``, ``--config``, ``--set``, ``--list-presets``, ``--dump-config``.

    ``positional_overrides`` also takes bare ``KEY=VALUE`` arguments (``train``'s old
    spelling of ``--set``). ``--list-presets`` and ``--dump-config`` print and exit before
    anything else runs, so the verb's other required options are not needed for them.
    """
    names = ", ".join(recipe.presets)
    default = f" (default: {recipe.default})" if recipe.default else ""
    parser.add_argument(
        "--preset",
        default=None,
        required=preset_required,
        metavar="NAME",
        help=f"named config: {names}{default}",
    )
    config = parser.add_argument(
        "--config",
        "--config-file",
        dest="config_files",
        action="append",
        default=[],
        metavar="FILE.yaml",
        help="YAML file of overrides (repeatable; applied in order, after the preset)",
    )
    add_hidden_alias(config, "--config-file")
    parser.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config value, e.g. --set train.lr=3e-4 (repeatable; applied last)",
    )
    if positional_overrides:
        parser.add_argument(
            "overrides", nargs="*", metavar="KEY=VALUE", help="like --set KEY=VALUE"
        )
    parser.add_argument(
        "--list-presets",
        action=_ListPresets,
        nargs=0,
        presets=recipe.presets,
        help="print the named configs and exit",
    )
    parser.add_argument(
        "--dump-config",
        action="store_true",
        help="print the resolved config as YAML and exit",
    )
    parser.set_defaults(config_recipe=recipe)


class _ListPresets(argparse.Action):
    def __init__(self, *args, presets: Mapping[str, Callable[[], Any]], **kwargs):
        super().__init__(*args, **kwargs)
        self.presets = presets

    def __call__(self, parser, namespace, values, option_string=None):
        for name, make in self.presets.items():
            doc = (make.__doc__ or "").strip().splitlines()
            print(f"{name:20} {doc[0] if doc else ''}".rstrip())
        parser.exit(0)


def defer_required(parser: argparse.ArgumentParser) -> None:
    """Make a verb's required options optional for argparse, to be checked by
    :func:`check_required` once it is known that no ``--dump-config`` was asked for.

    Called by :func:`selftalk.cli.build_parser` on verbs with a config, after every option
    is added."""
    deferred = []
    for action in parser._actions:  # noqa: SLF001 (argparse has no public accessor)
        if action.required and action.option_strings:
            action.required = False
            deferred.append(action)
    parser.set_defaults(_required_options=deferred, _parser=parser)


def check_required(args: argparse.Namespace) -> None:
    """Report required options that :func:`defer_required` deferred, as argparse would."""
    missing = [
        "/".join(a.option_strings)
        for a in getattr(args, "_required_options", ())
        if getattr(args, a.dest, None) in (None, [])
    ]
    if missing:
        args._parser.error(f"the following arguments are required: {', '.join(missing)}")


def config_assignments(args: argparse.Namespace) -> list[str]:
    """Every ``KEY=VALUE`` given: bare positionals first, then ``--set`` in order."""
    return [*getattr(args, "overrides", []), *getattr(args, "assignments", [])]


def resolve_config(args: argparse.Namespace, recipe: ConfigRecipe | None = None) -> Any:
    """The preset, then each ``--config`` file, then every ``KEY=VALUE``; validated."""
    from selftalk.config import apply_overrides, load_overrides, parse_assignments

    recipe = recipe or args.config_recipe
    name = args.preset or recipe.default
    if name is None:
        raise ConfigError(f"--preset is required; choose from {', '.join(recipe.presets)}")
    if name not in recipe.presets:
        raise ConfigError(f"unknown preset {name!r}; choose from {', '.join(recipe.presets)}")
    config = recipe.presets[name]()
    for path in args.config_files:
        config = apply_overrides(config, load_overrides(path))
    assignments = config_assignments(args)
    if assignments:
        config = apply_overrides(config, parse_assignments(assignments))
    if recipe.validate is not None:
        return recipe.validate(config)
    if hasattr(config, "validate"):
        config.validate()  # some return the config, some None; both raise ConfigError
    return config


def dump_config(args: argparse.Namespace) -> str:
    """The resolved config of ``args`` as YAML."""
    import dataclasses
    import json

    import yaml

    recipe: ConfigRecipe = args.config_recipe
    config = (recipe.resolve or resolve_config)(args)
    data = json.loads(json.dumps(dataclasses.asdict(config)))  # tuples → lists
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


# --------------------------------------------------------------------------- models


def add_model_arguments(
    parser: argparse.ArgumentParser,
    *,
    required: bool = False,
    faces: bool = True,
    streaming: bool = False,
) -> None:
    """--model / --run / --checkpoint / --device, and with ``faces`` --subject / --template.
    ``streaming``: the default model is the bundled streaming model (see :func:`load_for_args`)."""
    source = parser.add_mutually_exclusive_group(required=required)
    default = "the bundled streaming model" if streaming else "the bundled model"
    source.add_argument(
        "--model",
        metavar="MODEL_DIR",
        help=f"a model directory (default: {default})" if not required else "a model directory",
    )
    parser.set_defaults(streaming_default=streaming)
    source.add_argument("--run", metavar="RUN_DIR", help="a training run (its best checkpoint)")
    parser.add_argument(
        "--checkpoint",
        choices=("best", "latest"),
        default="best",
        help="with --run: which checkpoint (default: best)",
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda, … (default: cpu)")
    if not faces:
        return
    face = parser.add_mutually_exclusive_group()
    face.add_argument(
        "--subject",
        metavar="NAME|N",
        help="a subject whose template the model holds: its name, or its number from 1",
    )
    face.add_argument(
        "--template", metavar="MESH", help="a neutral face (.ply/.obj) on the model's topology"
    )


def add_window(parser: argparse.ArgumentParser) -> None:
    """``--window SECONDS``: audio per model pass; longer audio is cross-faded."""
    parser.add_argument(
        "--window",
        type=positive_float,
        default=20.0,
        help="seconds of audio per model pass; longer audio is cross-faded (default 20)",
    )


def add_motion_input(parser: argparse.ArgumentParser) -> None:
    """``MOTION`` (a .npy), ``--template MESH`` (its topology) and ``--fps`` (its frame rate)."""
    parser.add_argument("motion", help="motion .npy: (T, V, 3) or (T, V*3) vertex positions")
    parser.add_argument(
        "--template",
        metavar="MESH",
        help="mesh (.ply/.obj) with the motion's topology (default: the bundled head)",
    )
    parser.add_argument("--fps", type=fps, default=30.0, help="motion frame rate (default 30)")


def load_for_args(args: argparse.Namespace):
    """The model of ``--model``/``--run``/``--checkpoint``/``--device``, and the ``--subject``
    resolved to one of its subjects' names (None when not given). Without ``--model`` or
    ``--run``, the bundled model, or the bundled streaming model for the verbs that stream."""
    from selftalk.inference.loading import load_model

    loaded = load_model(
        model_dir=args.model,
        run_dir=args.run,
        checkpoint=args.checkpoint,
        device=args.device,
        streaming=getattr(args, "streaming_default", False),
    )
    subject = getattr(args, "subject", None)
    if subject is not None:
        subject = resolve_subject(subject, list(loaded.templates), where=loaded.directory)
    return loaded, subject


# --------------------------------------------------------------------------- subjects and sizes


def resolve_subject(value: str, names: Sequence[str], *, where: Any = "--subject") -> str:
    """A subject by name, or by its number counted from 1 in sorted order."""
    if value in names:
        return value
    ordered = sorted(names)
    if value.isdigit() and 1 <= int(value) <= len(ordered):
        return ordered[int(value) - 1]
    known = ", ".join(ordered) or "none"
    raise InputError(where, f"has no subject {value!r} (subjects: {known}; or a number 1..)")


def subject_number(value: str) -> int:
    """A synthetic subject's number from ``3``, ``S03`` or ``S3`` (counted from 1)."""
    text = value[1:] if value[:1] in "sS" else value
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"--subject must be a number from 1 or a name like S03, got {value!r}")
    return int(text)


def parse_size(text: str) -> tuple[int, int]:
    """``"640x480"`` → (640, 480); ``"512"`` → (512, 512). The ``--size`` type: each side an
    even number of pixels from 16 to 8192 (:data:`selftalk.cli.types.video_side`)."""
    parts = text.lower().split("x")
    try:
        if len(parts) > 2:
            raise argparse.ArgumentTypeError(text)
        sides = [video_side(part.strip()) for part in parts]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected 512 or 640x480 (even numbers of pixels from 16 to 8192), got {text!r}"
        ) from None
    width, height = sides * 2 if len(sides) == 1 else sides
    return width, height


def add_size(parser, *, default: str = "512x512", help: str = "video size") -> None:
    """``--size WxH`` or ``--size N`` (N×N) into ``args.size`` as (width, height)."""
    parser.add_argument(
        "--size",
        type=parse_size,
        default=default,
        metavar="WxH",
        help=f"{help}: WxH, or N for N×N (default {default})",
    )

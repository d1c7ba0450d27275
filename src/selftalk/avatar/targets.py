"""Which morph targets of an avatar an ARKit curve drives: by name, by a ``--map`` file, through
VRM expressions, and VRM preset expressions standing in for missing ARKit shapes.

Order of precedence for each ARKit shape: the ``--map`` file; morph targets whose names spell
it (``selftalk.avatar.names``); VRM expressions whose names spell it (Perfect Sync avatars).
Then VRM presets (``aa ih ou ee oh``, blinks, looks) drive the shapes the avatar still lacks,
through ``selftalk.avatar.vrm.ARKIT_TO_VRM``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from selftalk.arkit import ALPHABETICAL, ALPHABETICAL_INDEX
from selftalk.avatar.gltf_file import GltfFile
from selftalk.avatar.names import arkit_name
from selftalk.avatar.vrm import STANDS_IN_FOR, Expression, expressions, preset_weights
from selftalk.errors import InputError


@dataclass
class MorphMesh:
    """A glTF mesh with morph targets, and the nodes that show it."""

    mesh: int
    name: str
    n_targets: int
    target_names: list[str | None]
    nodes: list[int]
    default: np.ndarray  # (n_targets,) weights at rest (mesh.weights or 0)


@dataclass(frozen=True)
class Drive:
    """``source`` (an ARKit name, or ``vrm:<preset>``) moves ``mesh``'s target ``index``."""

    source: str
    mesh: int
    index: int
    weight: float
    via: str  # "name", "map" or "vrm:<expression>"


@dataclass
class Plan:
    meshes: dict[int, MorphMesh]
    drives: list[Drive] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    presets: list[str] = field(default_factory=list)

    @property
    def driven(self) -> list[str]:
        """ARKit names driven directly (not through a preset), in ARKit order."""
        sources = {d.source for d in self.drives}
        return [name for name in ALPHABETICAL if name in sources]

    def weights(self, arkit: np.ndarray) -> dict[int, np.ndarray]:
        """(T, 52) ARKit weights -> {mesh: (T, n_targets) morph weights}: driven targets get
        the sum of their drives clipped to [0, 1]; the others keep their rest weight."""
        presets = preset_weights(arkit, self.presets) if self.presets else None
        out, driven = {}, {}
        for m, mesh in self.meshes.items():
            out[m] = np.repeat(mesh.default[None].astype(np.float32), len(arkit), axis=0)
            driven[m] = set()
        for drive in self.drives:
            if drive.source.startswith("vrm:"):
                curve = presets[:, self.presets.index(drive.source[4:])]
            else:
                curve = arkit[:, ALPHABETICAL_INDEX[drive.source]]
            if drive.index not in driven[drive.mesh]:
                out[drive.mesh][:, drive.index] = 0.0
                driven[drive.mesh].add(drive.index)
            out[drive.mesh][:, drive.index] += drive.weight * curve
        for m, indices in driven.items():
            idx = sorted(indices)
            out[m][:, idx] = np.clip(out[m][:, idx], 0.0, 1.0)
        return {m: w for m, w in out.items() if driven[m]}


def morph_meshes(gltf: GltfFile) -> dict[int, MorphMesh]:
    """Every mesh with morph targets, with its target names and the nodes that use it."""
    nodes_of: dict[int, list[int]] = {}
    for n, node in enumerate(gltf.items("nodes")):
        if isinstance(node, dict) and isinstance(node.get("mesh"), int):
            nodes_of.setdefault(node["mesh"], []).append(n)
    found = {}
    for m, mesh in enumerate(gltf.items("meshes")):
        primitives = mesh.get("primitives") if isinstance(mesh, dict) else None
        if not isinstance(primitives, list) or not primitives:
            continue
        counts = {len(p.get("targets") or []) for p in primitives if isinstance(p, dict)}
        if len(counts) != 1:
            raise gltf.error(f"meshes[{m}]: its primitives have different morph target counts")
        n = counts.pop()
        if not n:
            continue
        names = _target_names(mesh, n)
        default = np.zeros(n, np.float32)
        if isinstance(mesh.get("weights"), list) and len(mesh["weights"]) == n:
            default[:] = np.asarray(mesh["weights"], np.float32)
        found[m] = MorphMesh(
            mesh=m,
            name=str(mesh.get("name") or f"mesh {m}"),
            n_targets=n,
            target_names=names,
            nodes=nodes_of.get(m, []),
            default=default,
        )
    return found


def _target_names(mesh: dict, n: int) -> list[str | None]:
    """Names from ``mesh.extras.targetNames`` or the first primitive's ``extras.targetNames``."""
    for holder in (mesh, (mesh.get("primitives") or [{}])[0]):
        extras = holder.get("extras") if isinstance(holder, dict) else None
        names = extras.get("targetNames") if isinstance(extras, dict) else None
        if isinstance(names, list) and names:
            names = [str(x) if isinstance(x, str) else None for x in names[:n]]
            return names + [None] * (n - len(names))
    return [None] * n


def plan_drives(
    gltf: GltfFile,
    mapping: dict[str, dict[str, float]] | None = None,
    map_path: str | Path | None = None,
) -> Plan:
    """Decide which targets each ARKit curve drives (see the module docstring)."""
    meshes = morph_meshes(gltf)
    if not meshes:
        raise gltf.error("has no morph targets: nothing to animate (`selftalk rig` adds them)")
    plan = Plan(meshes=meshes)
    exprs = [e for e in expressions(gltf) if e.binds]
    by_target = {}
    for m, mesh in meshes.items():
        for i, name in enumerate(mesh.target_names):
            if name is not None:
                by_target.setdefault(name, []).append((m, i))
    done = set()
    for shape, targets in (mapping or {}).items():
        for target, weight in targets.items():
            places = by_target.get(target)
            expression = next((e for e in exprs if e.name == target), None)
            if places:
                plan.drives += [Drive(shape, m, i, weight, "map") for m, i in places]
            elif expression is not None:
                plan.drives += _expression_drives(shape, expression, weight, meshes, "map")
            else:
                raise InputError(
                    map_path or gltf.path,
                    f"{shape}: no morph target or VRM "
                    f"expression named {target!r} in {gltf.path.name}",
                )
        done.add(shape)
    for name, places in by_target.items():
        shape = arkit_name(name)
        if shape and shape not in done:
            plan.drives += [Drive(shape, m, i, 1.0, "name") for m, i in places]
    done |= {d.source for d in plan.drives}
    for expression in exprs:
        shape = arkit_name(expression.name) if not expression.preset else None
        if shape and shape not in done:
            plan.drives += _expression_drives(shape, expression, 1.0, meshes, "vrm")
    done |= {d.source for d in plan.drives}
    presets = {e.name: e for e in exprs if e.preset}
    for group, shapes in STANDS_IN_FOR.values():
        if any(shape in done for shape in shapes):
            continue
        for name in group:
            if name in presets:
                plan.presets.append(name)
                plan.drives += _expression_drives(f"vrm:{name}", presets[name], 1.0, meshes, "vrm")
    if not plan.drives:
        sample = [n for mesh in meshes.values() for n in mesh.target_names if n][:6]
        listing = f" ({', '.join(sample)}…)" if sample else " (they have no names)"
        raise gltf.error(
            f"none of its {sum(m.n_targets for m in meshes.values())} morph targets is named "
            f"like an ARKit shape{listing} and no VRM expression binds them: name them with --map"
        )
    plan.missing = [name for name in ALPHABETICAL if name not in done]
    return plan


def _expression_drives(source: str, expression: Expression, weight: float, meshes, via: str):
    return [
        Drive(source, b.mesh, b.index, weight * b.weight, f"{via}:{expression.name}")
        for b in expression.binds
        if b.mesh in meshes and 0 <= b.index < meshes[b.mesh].n_targets
    ]


def read_mapping(path: str | Path) -> dict[str, dict[str, float]]:
    """A ``--map`` file (JSON or YAML): ARKit name -> a target name, a list of names, or
    ``{name: weight}``. Keys may be spelled any way :func:`arkit_name` understands."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))  # JSON is YAML too
    except FileNotFoundError:
        raise InputError(path, "no such --map file") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise InputError(path, f"not valid JSON/YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(data, dict) or not data:
        raise InputError(path, "a --map file is an object: ARKit name -> target name(s)")
    mapping = {}
    for key, value in data.items():
        shape = arkit_name(str(key))
        if shape is None:
            raise InputError(path, f"{key!r} is not an ARKit blendshape name")
        if isinstance(value, str):
            value = {value: 1.0}
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = dict.fromkeys(value, 1.0)
        elif not (
            isinstance(value, dict)
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values())
        ):
            raise InputError(
                path, f"{key}: give a target name, a list of names or {{name: weight}}"
            )
        mapping[shape] = {str(k): float(v) for k, v in value.items()}
    return mapping

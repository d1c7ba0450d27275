"""One lighting model for every backend: ambient + two directional lights + a highlight.

Lights are fixed in view space (they move with the camera), so a face is lit the same way
whatever its orientation in the file. The GLSL source is generated from the same constants
as the NumPy version, so both backends draw the same picture.
"""

from __future__ import annotations

import numpy as np

AMBIENT = 0.30
# (direction towards the light in view space, strength)
LIGHTS = (
    ((-0.45, 0.55, 1.0), 0.62),
    ((0.65, 0.05, 0.75), 0.22),
)
SHININESS = 24.0


def _unit(vector: tuple[float, float, float]) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float64)
    return v / np.linalg.norm(v)


def shade(
    position: np.ndarray, normal: np.ndarray, color: np.ndarray, specular: float
) -> np.ndarray:
    """(N, 3) view-space positions, normals and base colours -> (N, 3) RGB in [0, 1].

    Two-sided: a normal facing away from the eye is flipped (the inside of an open mouth).
    """
    normal = normal / np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    eye = -position / np.maximum(np.linalg.norm(position, axis=1, keepdims=True), 1e-12)
    flip = np.sum(normal * eye, axis=1, keepdims=True) < 0
    normal = np.where(flip, -normal, normal)
    light = np.full((len(normal), 1), AMBIENT)
    for direction, strength in LIGHTS:
        light = light + strength * np.maximum(normal @ _unit(direction), 0.0)[:, None]
    half = _unit(LIGHTS[0][0]) + eye
    half /= np.maximum(np.linalg.norm(half, axis=1, keepdims=True), 1e-12)
    highlight = specular * np.maximum(np.sum(normal * half, axis=1), 0.0) ** SHININESS
    return np.clip(color * light + highlight[:, None], 0.0, 1.0)


def _vec3(vector: np.ndarray) -> str:
    return "vec3({:.6f}, {:.6f}, {:.6f})".format(*vector)


VERTEX_SHADER = """
#version 330
uniform mat4 u_view;
uniform mat4 u_projection;
in vec3 in_position;
in vec3 in_normal;
in vec3 in_color;
out vec3 v_position;
out vec3 v_normal;
out vec3 v_color;
void main() {
    vec4 p = u_view * vec4(in_position, 1.0);
    v_position = p.xyz;
    v_normal = mat3(u_view) * in_normal;
    v_color = in_color;
    gl_Position = u_projection * p;
}
"""


def fragment_shader() -> str:
    """GLSL twin of :func:`shade`."""
    terms = "\n".join(
        f"    light += {strength:.6f} * max(dot(n, {_vec3(_unit(direction))}), 0.0);"
        for direction, strength in LIGHTS
    )
    return f"""
#version 330
uniform float u_specular;
in vec3 v_position;
in vec3 v_normal;
in vec3 v_color;
out vec4 f_color;
void main() {{
    vec3 n = normalize(v_normal);
    vec3 e = normalize(-v_position);
    if (dot(n, e) < 0.0) n = -n;
    float light = {AMBIENT:.6f};
{terms}
    vec3 h = normalize({_vec3(_unit(LIGHTS[0][0]))} + e);
    float highlight = u_specular * pow(max(dot(n, h), 0.0), {SHININESS:.1f});
    f_color = vec4(clamp(v_color * light + highlight, 0.0, 1.0), 1.0);
}}
"""

"""What ``selftalk animate`` can write, by file suffix (a light module: no torch import)."""

OUTPUTS = {
    ".mp4": "H.264 + AAC video of the face",
    ".npy": "(frames, vertices, 3) float32 vertex positions",
    ".glb": "binary glTF with a morph-target animation (audio beside it)",
    ".csv": "ARKit-52 blendshape curves, Live Link Face layout",
    ".json": "ARKit-52 blendshape curves",
}

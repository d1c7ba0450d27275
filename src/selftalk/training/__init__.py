"""Training SelfTalk: the loop, checkpoints, the recognizer cache and distributed helpers."""

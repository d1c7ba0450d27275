"""Inference: load a trained model with its faces and predict motion for any audio."""

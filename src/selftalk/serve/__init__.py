"""Serving streams: one process, HTTP + WebSocket and Audio2Face-3D gRPC (``selftalk serve``)."""

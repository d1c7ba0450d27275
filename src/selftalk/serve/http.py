"""The HTTP side of ``selftalk serve`` (aiohttp): the live page, health, uploads, WebSocket.

Routes:
  GET  /                the page: upload a file or talk into the microphone, the head moves
  GET  /health          {"status": "ok", "streams": …, "counts": …, "latency": …}
  GET  /head.glb        the bundled head with its 52 ARKit morph targets
  POST /animate?format=glb|mp4|csv|json   audio file in (raw body or multipart field
                        ``audio``), the animation out; 400 bad audio, 413 too large, 503 busy
  GET  /stream          the WebSocket protocol (:mod:`selftalk.serve.ws`)
  GET  /player/…        the static three.js player and its modules (from ``web/dist``)

aiohttp rather than FastAPI + uvicorn: one dependency gives the server, WebSockets and the
client the tests and benchmarks use; it runs on our own event loop beside grpc.aio with
our own signal handling and shutdown order; and there is no validation layer to add here.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from aiohttp import web

from selftalk.errors import SelfTalkError
from selftalk.serve.engine import Busy, ShuttingDown
from selftalk.serve.ws import stream_socket

OUTPUT_TYPES = {
    "glb": "model/gltf-binary",
    "mp4": "video/mp4",
    "csv": "text/csv",
    "json": "application/json",
}


def default_web_dir() -> Path | None:
    """The built page (``web/dist`` of a source checkout), if there is one."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "web" / "dist"
        if (candidate / "live.html").is_file():
            return candidate
    return None


def build_app(
    engine, *, web_dir: Path | None = None, max_upload_mb: float = 64.0
) -> web.Application:
    app = web.Application(client_max_size=int(max_upload_mb * 1024 * 1024))
    app["engine"] = engine
    app["web_dir"] = web_dir
    app["max_upload_mb"] = max_upload_mb
    app.router.add_get("/health", health)
    app.router.add_get("/head.glb", head)
    app.router.add_post("/animate", animate)
    app.router.add_get("/stream", stream_socket)
    app.router.add_get("/", page)
    if web_dir is not None:
        app.router.add_static("/player/", web_dir)
    return app


async def health(request: web.Request) -> web.Response:
    engine = request.app["engine"]
    body = engine.health()
    body["model"] = {"fps": engine.factory.fps, "lookahead": engine.factory.lookahead}
    return web.json_response(body, status=503 if engine.closing else 200)


async def head(request: web.Request) -> web.Response:
    from selftalk.serve.head import arkit_head_glb

    data = await request.app["engine"].run(arkit_head_glb)
    return web.Response(
        body=data, content_type="model/gltf-binary", headers={"Cache-Control": "max-age=3600"}
    )


async def page(request: web.Request) -> web.StreamResponse:
    web_dir = request.app["web_dir"]
    if web_dir is None:
        return web.Response(
            status=404,
            text="the page is not built: run `cd web && npm ci && npm run build` in a source "
            "checkout, or pass --web DIR (the API works without it)\n",
        )
    query = f"?{request.query_string}" if request.query_string else ""
    raise web.HTTPFound(f"/player/live.html{query}")


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def animate(request: web.Request) -> web.Response:
    """Offline animation of an uploaded file, in the format asked for."""
    engine = request.app["engine"]
    kind = request.query.get("format", "json").lower()
    if kind not in OUTPUT_TYPES:
        return _error(400, f"format must be one of {', '.join(OUTPUT_TYPES)}, got {kind!r}")
    try:
        data = await _upload(request)
    except web.HTTPRequestEntityTooLarge:
        return _error(413, f"the upload is over {request.app['max_upload_mb']:g} MB")
    if not data:
        return _error(
            400, "no audio in the request (send the file as the body or as form field 'audio')"
        )
    with tempfile.TemporaryDirectory(prefix="selftalk-serve-") as tmp:
        audio, out = Path(tmp) / "upload.audio", Path(tmp) / f"animation.{kind}"
        audio.write_bytes(data)
        try:
            await engine.job(_animate_file, *engine.files, audio, out)
        except Busy as error:
            return web.json_response(
                {"error": str(error)}, status=503, headers={"Retry-After": "5"}
            )
        except ShuttingDown as error:
            return _error(503, str(error))
        except SelfTalkError as error:
            return _error(400, str(error).replace(str(audio), "the upload"))
        body = out.read_bytes()
    return web.Response(body=body, content_type=OUTPUT_TYPES[kind])


async def _upload(request: web.Request) -> bytes:
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        field = form.get("audio")
        return field.file.read() if hasattr(field, "file") else b""
    return await request.read()


def _animate_file(loaded, template: np.ndarray, path: Path, out: Path) -> None:
    """What ``selftalk animate`` does with ``loaded`` (a LoadedModel) on ``template`` (V, 3)."""
    from selftalk.audio import load_audio
    from selftalk.inference.animate import write_motion
    from selftalk.inference.predict import max_audio_seconds, predict_motion

    longest, why = max_audio_seconds(loaded.model)
    audio = load_audio(path, max_seconds=longest, why=why)
    motion = predict_motion(loaded.model, audio, template, source=str(path))
    write_motion(
        out,
        motion,
        audio=audio,
        fps=loaded.model.config.fps,
        faces=loaded.faces,
        template=template,
        size=384,
    )

"""MP4 output read back with PyAV: streams, frame count, rate, duration, pixels; comparisons
with labels and error maps; the ``selftalk render`` command."""

from __future__ import annotations

import argparse
from fractions import Fraction

import numpy as np
import pytest
from synthetic_head import head, talking

from selftalk.render import ErrorMapOptions, Renderer, RenderOptions, render_video
from selftalk.render.compose import VIRIDIS, colormap

av = pytest.importorskip("av")
SMALL = RenderOptions(width=96, height=96)


@pytest.fixture(scope="module")
def mesh():
    return head(32, 40)


def _tone(seconds: float, rate: int = 16_000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def _read(path):
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        info = {
            "video_codec": video.codec_context.name,
            "rate": video.average_rate,
            "video_duration": float(video.duration * video.time_base),
            "size": (video.codec_context.width, video.codec_context.height),
            "audio_codec": audio.codec_context.name if audio else None,
            "audio_rate": audio.codec_context.sample_rate if audio else None,
            "audio_duration": float(audio.duration * audio.time_base) if audio else None,
            "container_duration": container.duration / 1e6,
        }
    return frames, info


@pytest.mark.parametrize("fps, audio_seconds", [(30, 1.5), (25, 0.8)])
def test_video_streams_frames_and_duration(tmp_path, mesh, fps, audio_seconds):
    vertices, faces = mesh
    motion = talking(vertices, 30, fps)
    out = tmp_path / "talk.mp4"
    info = render_video(
        motion,
        faces,
        out=out,
        fps=fps,
        audio=_tone(audio_seconds),
        template=vertices,
        options=SMALL,
    )
    frames, read = _read(out)
    expected = 30 / fps
    assert info.frames == len(frames) == 30
    assert read["video_codec"] == "h264" and read["audio_codec"] == "aac"
    assert read["rate"] == Fraction(fps)
    assert read["size"] == (96, 96)
    assert read["video_duration"] == pytest.approx(expected, abs=1 / fps)
    # audio is cut (1.5 s > 1.0 s) or padded with silence (0.8 s < 1.2 s) to the video length;
    # AAC works in 1024-sample frames (64 ms at 16 kHz)
    assert read["audio_duration"] == pytest.approx(expected, abs=0.07)
    assert read["container_duration"] == pytest.approx(expected, abs=0.07)
    # the decoded frames are the rendered ones (not black, in order)
    with Renderer(faces, vertices, SMALL) as renderer:
        first, last = renderer.render(motion[0]), renderer.render(motion[-1])
    assert np.abs(frames[0].astype(int) - first).mean() < 3
    assert np.abs(frames[-1].astype(int) - last).mean() < 3
    assert (
        np.abs(frames[0].astype(int) - last).mean() > np.abs(frames[-1].astype(int) - last).mean()
    )


def test_audio_from_a_file_is_muxed(tmp_path, mesh):
    import soundfile

    vertices, faces = mesh
    wav = tmp_path / "speech.wav"
    soundfile.write(wav, _tone(1.0, 22_050), 22_050)
    out = tmp_path / "talk.mp4"
    render_video(talking(vertices, 15), faces, out=out, fps=30, audio=wav, options=SMALL)
    _, read = _read(out)
    assert read["audio_rate"] == 48_000
    assert read["audio_duration"] == pytest.approx(0.5, abs=0.05)


def test_no_audio_gives_a_video_only_file(tmp_path, mesh):
    vertices, faces = mesh
    out = tmp_path / "silent.mp4"
    render_video(talking(vertices, 6), faces, out=out, options=SMALL)
    with av.open(str(out)) as container:
        assert len(container.streams.video) == 1 and len(container.streams.audio) == 0


def test_compare_panels_labels_and_error_map(tmp_path, mesh):
    vertices, faces = mesh
    truth = talking(vertices, 8)
    noisy = truth + np.random.default_rng(0).normal(0, 0.004, truth.shape).astype(np.float32)
    out = tmp_path / "compare.mp4"
    info = render_video(
        truth,
        faces,
        out=out,
        compare=[noisy[:5]],
        labels=["truth", "noisy"],
        ground_truth=truth,
        template=vertices,
        options=SMALL,
        error_map=ErrorMapOptions(vmax=0.01, scale=1.0, unit="m"),
    )
    frames, _ = _read(out)
    assert len(frames) == 8  # the shorter comparison holds its last frame
    assert info.width >= 2 * 96 and info.height > 96  # two panels, a label strip, a colour bar
    frame = frames[-1].astype(int)
    label_height = info.height - 96
    left, right = frame[label_height:, :96], frame[label_height:, 96:192]
    # labels: dark text pixels in each strip
    assert (frame[:label_height, :96] < 100).any() and (frame[:label_height, 96:192] < 100).any()

    def face_pixels(panel):
        return panel[np.abs(panel - 255).max(axis=2) > 30]

    # zero error -> the low end of viridis (purple: blue > green); noisy -> brighter, greener
    low = face_pixels(left).mean(axis=0)
    high = face_pixels(right).mean(axis=0)
    assert low[2] > low[1]
    assert high[1] > low[1] + 30
    # the colour bar: yellow at its top, purple at its bottom
    bar = frame[:, 192:]
    assert (np.abs(bar - [253, 231, 37]).max(axis=2) < 40).any()
    assert (np.abs(bar - [68, 1, 84]).max(axis=2) < 40).any()


def test_colormap_hits_its_stops():
    stops = np.linspace(0, 2.0, len(VIRIDIS))
    np.testing.assert_allclose(colormap(stops, 2.0), VIRIDIS, atol=1e-6)
    np.testing.assert_allclose(colormap(np.array([-1.0, 5.0]), 2.0), VIRIDIS[[0, -1]], atol=1e-6)


def _cli(argv):
    from selftalk.cli import render as verb

    parser = argparse.ArgumentParser()
    verb.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.handler(args)


def test_render_command(tmp_path, mesh):
    import soundfile

    from selftalk.mesh import write_mesh

    vertices, faces = mesh
    write_mesh(tmp_path / "head.obj", vertices, faces)
    motion = talking(vertices, 12)
    np.save(tmp_path / "pred.npy", motion.reshape(12, -1))  # (T, V*3) is accepted too
    np.save(tmp_path / "gt.npy", motion)
    soundfile.write(tmp_path / "a.wav", _tone(0.4), 16_000)
    out = tmp_path / "out.mp4"
    code = _cli(
        [
            "render",
            str(tmp_path / "pred.npy"),
            "--template",
            str(tmp_path / "head.obj"),
            "--audio",
            str(tmp_path / "a.wav"),
            "-o",
            str(out),
            "--size",
            "64x64",
            "--compare",
            str(tmp_path / "gt.npy"),
            "--error-map",
            str(tmp_path / "gt.npy"),
            "--error-scale",
            "1000",
            "--error-unit",
            "mm",
        ]
    )
    assert code == 0
    frames, read = _read(out)
    assert len(frames) == 12 and read["audio_codec"] == "aac"


def test_render_command_rejects_a_mismatched_motion(tmp_path, mesh):
    from selftalk.errors import InputError
    from selftalk.mesh import write_mesh

    vertices, faces = mesh
    write_mesh(tmp_path / "head.ply", vertices, faces)
    np.save(tmp_path / "bad.npy", np.zeros((4, 10, 3), np.float32))
    with pytest.raises(InputError, match="vertices"):
        _cli(
            [
                "render",
                str(tmp_path / "bad.npy"),
                "--template",
                str(tmp_path / "head.ply"),
                "-o",
                str(tmp_path / "x.mp4"),
            ]
        )
    assert not (tmp_path / "x.mp4").exists()


def test_cli_reports_bad_input_in_one_line(tmp_path, mesh, capsys):
    from selftalk.cli import main
    from selftalk.mesh import write_mesh

    vertices, faces = mesh
    write_mesh(tmp_path / "head.obj", vertices, faces)
    np.save(tmp_path / "nan.npy", np.full((3, len(vertices), 3), np.nan, np.float32))
    code = main(
        [
            "render",
            str(tmp_path / "nan.npy"),
            "--template",
            str(tmp_path / "head.obj"),
            "-o",
            str(tmp_path / "x.mp4"),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "NaN" in err
    code = main(
        [
            "export",
            str(tmp_path / "missing.npy"),
            "--template",
            str(tmp_path / "head.obj"),
            "-o",
            str(tmp_path / "x.glb"),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and "no such motion file" in err

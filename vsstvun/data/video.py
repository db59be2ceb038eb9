"""Decode a user's video (or folder of frames) into one RGB ``uint8`` array ``(T, H, W, 3)``.

Training and evaluation want whole clips in memory: decoding once and cropping per sample keeps
a 2-core machine busy with the network instead of the decoder. VapourSynth + BestSource is the
primary reader (frame-exact seeking, the same decoder the filter's users have); an ``ffmpeg``
subprocess is the fallback where either is missing or refuses the file, and OpenCV's bundled
decoder the last resort (a rented GPU machine may have neither): it converts with its own matrix
(BT.601), so its colours can differ slightly from the other two readers'.

Both readers convert YUV -> RGB with the same rules so that their frames agree to rounding:
the stream's matrix when it is tagged, otherwise BT.709 for HD (width >= 1280 or height >= 720)
and BT.601 below, limited range unless tagged full.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"})
BACKENDS = ("auto", "vapoursynth", "ffmpeg", "opencv")


def frame_range(total: int, start: int = 0, stop: int | None = None, max_frames: int | None = None) -> range:
    """Frame indices ``start .. stop-1`` of a ``total``-frame clip, at most ``max_frames`` of them."""
    if start < 0 or start >= total:
        raise ValueError(f"start frame {start} is outside the clip's {total} frames")
    end = total if stop is None else min(stop, total)
    if max_frames is not None:
        end = min(end, start + max_frames)
    if end <= start:
        raise ValueError(f"empty frame range [{start}, {end}) of a {total}-frame clip")
    return range(start, end)


def guess_hd(width: int, height: int) -> bool:
    """Untagged streams this size are assumed BT.709 (HD), smaller ones BT.601."""
    return width >= 1280 or height >= 720


def _natural_key(path: Path) -> list[object]:
    """Sort ``frame2.png`` before ``frame10.png``."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", path.name)]


def list_images(folder: str | Path) -> list[Path]:
    """Image files of a folder in natural order."""
    files = [p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    return sorted(files, key=_natural_key)


def read_image(path: str | Path) -> np.ndarray:
    """One image as RGB ``uint8`` ``(H, W, 3)`` (grey and 16-bit images are converted)."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"cannot read image {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def read_frames_dir(
    folder: str | Path, start: int = 0, stop: int | None = None, max_frames: int | None = None
) -> np.ndarray:
    """A folder of equally sized frames (png/jpg/..., natural order) as ``(T, H, W, 3)``."""
    files = list_images(folder)
    if not files:
        raise ValueError(f"no images in {folder}")
    frames = [read_image(files[i]) for i in frame_range(len(files), start, stop, max_frames)]
    shapes = {f.shape for f in frames}
    if len(shapes) != 1:
        raise ValueError(f"frames in {folder} differ in size: {sorted(shapes)}")
    return np.stack(frames)


def _read_vapoursynth(path: Path, start: int, stop: int | None, max_frames: int | None) -> np.ndarray:
    import vapoursynth as vs

    core = vs.core
    clip = core.bs.VideoSource(str(path))
    frames = frame_range(clip.num_frames, start, stop, max_frames)
    clip = clip[frames.start : frames.stop]
    kwargs: dict[str, str] = {}
    untagged = int(clip.get_frame(0).props.get("_Matrix", 2)) in (2, 3)  # unspecified / reserved
    if clip.format.color_family == vs.YUV and untagged:  # the same guess as the ffmpeg path
        kwargs["matrix_in_s"] = "709" if guess_hd(clip.width, clip.height) else "170m"
    rgb = core.resize.Bicubic(clip, format=vs.RGB24, **kwargs)
    out = np.empty((rgb.num_frames, rgb.height, rgb.width, 3), np.uint8)
    for i, frame in enumerate(rgb.frames()):
        for p in range(3):
            out[i, :, :, p] = np.asarray(frame[p])
    return out


def _probe(path: Path) -> dict[str, object]:
    cmd = [
        "ffprobe",
        "-v",
        "error",
        "-select_streams",
        "v:0",
        "-show_entries",
        "stream=width,height,color_space,color_range",
        "-of",
        "json",
        str(path),
    ]
    streams = json.loads(subprocess.run(cmd, capture_output=True, check=True, text=True).stdout)["streams"]
    if not streams:
        raise ValueError(f"no video stream in {path}")
    return streams[0]


def _read_ffmpeg(path: Path, start: int, stop: int | None, max_frames: int | None) -> np.ndarray:
    info = _probe(path)
    w, h = int(info["width"]), int(info["height"])
    tagged = str(info.get("color_space", "unknown"))
    matrix = {"bt709": "bt709", "bt470bg": "bt470", "smpte170m": "smpte170m", "bt2020nc": "bt2020"}.get(tagged)
    if matrix is None:
        matrix = "bt709" if guess_hd(w, h) else "smpte170m"
    trim = f"trim=start_frame={start}" + (f":end_frame={stop}" if stop is not None else "")
    vf = f"{trim},setpts=PTS-STARTPTS,scale=in_color_matrix={matrix}:flags=bicubic+accurate_rnd+full_chroma_int"
    cmd = ["ffmpeg", "-v", "error", "-nostdin", "-i", str(path), "-vf", vf, "-fps_mode", "passthrough"]
    if max_frames is not None:
        cmd += ["-frames:v", str(max_frames)]
    cmd += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    raw = subprocess.run(cmd, capture_output=True, check=True).stdout
    frames = np.frombuffer(raw, np.uint8)
    if frames.size == 0 or frames.size % (h * w * 3):
        raise ValueError(f"ffmpeg returned {frames.size} bytes for {w}x{h} frames of {path} from frame {start}")
    return frames.reshape(-1, h, w, 3).copy()


def _read_opencv(path: Path, start: int, stop: int | None, max_frames: int | None) -> np.ndarray:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while capture.isOpened():
        ok, bgr = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    capture.release()
    if not frames:
        raise ValueError(f"OpenCV could not decode {path}")
    return np.stack([frames[i] for i in frame_range(len(frames), start, stop, max_frames)])


def _vapoursynth_ready() -> bool:
    try:
        import vapoursynth as vs
    except ImportError:
        return False
    return hasattr(vs.core, "bs")


def read_video(
    path: str | Path,
    start: int = 0,
    stop: int | None = None,
    max_frames: int | None = None,
    backend: str = "auto",
) -> np.ndarray:
    """Frames ``start .. stop-1`` (at most ``max_frames``) of a video file or frame folder.

    Returns RGB ``uint8`` ``(T, H, W, 3)``. ``backend`` ``auto`` tries VapourSynth/BestSource, then
    ffmpeg, then OpenCV; the others force one reader.
    """
    path = Path(path)
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    if path.is_dir():
        return read_frames_dir(path, start, stop, max_frames)
    if not path.is_file():
        raise FileNotFoundError(f"no such video: {path}")
    if backend == "vapoursynth" or (backend == "auto" and _vapoursynth_ready()):
        try:
            return _read_vapoursynth(path, start, stop, max_frames)
        except Exception as exc:  # vs.Error has no importable base everywhere; any failure -> ffmpeg
            if backend == "vapoursynth":
                raise
            log.info("BestSource could not read %s (%s); using ffmpeg", path, exc)
    if backend == "opencv" or (backend == "auto" and shutil.which("ffmpeg") is None):
        return _read_opencv(path, start, stop, max_frames)
    return _read_ffmpeg(path, start, stop, max_frames)

"""Real-source degradations of LR frames: a video-codec round trip, and noise.

Sources that users feed the filter are rarely the paper's clean blur + decimation: they went
through x264 / x265 at web or broadcast rates, or MPEG-2 on a DVD, in 4:2:0 chroma. A model that
never saw those artifacts treats blocking and ringing as detail. Both evaluation (``--degrade``)
and training data use these functions, so "x264 at CRF 28" means the same thing in both.

A degradation is named by a compact spec, the way users say it: ``clean``, ``x264:CRF``,
``x265:CRF``, ``mpeg2:KBPS`` (DVD-like constant bitrate at the clip's size) or ``noise:SIGMA``
(Gaussian, SIGMA in 8-bit levels). The codec round trip encodes a whole sequence at once so the
artifacts are temporally coherent, as they are in a real stream (a per-frame JPEG would not be).
Everything is deterministic: the encoders run single-threaded with fixed settings (libx264 held
to one instruction level, :func:`_x264_asm`) and the noise takes an explicit seed. The codecs
run in-process through PyAV, whose wheels carry FFmpeg with libx264 and libx265, so no ffmpeg
binary is needed (a rented GPU machine may lack one).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import av

CODECS = ("x264", "x265", "mpeg2")
KINDS = ("clean", "noise", *CODECS)


@dataclass(frozen=True)
class Degradation:
    """One parsed spec: ``kind`` and its ``value`` (CRF, kbit/s or sigma; 0 for ``clean``)."""

    kind: str
    value: float = 0.0

    def __str__(self) -> str:
        return self.kind if self.kind == "clean" else f"{self.kind}:{self.value:g}"

    @property
    def is_codec(self) -> bool:
        return self.kind in CODECS


def parse_degradation(spec: str) -> Degradation:
    """``"x264:28"`` -> ``Degradation("x264", 28.0)``; raises ``ValueError`` naming the spec."""
    kind, _, value = spec.strip().lower().partition(":")
    if kind not in KINDS:
        raise ValueError(f"unknown degradation {spec!r}; use clean, x264:CRF, x265:CRF, mpeg2:KBPS or noise:SIGMA")
    if kind == "clean":
        if value:
            raise ValueError(f"degradation 'clean' takes no value, got {spec!r}")
        return Degradation("clean")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"degradation {spec!r} needs a number after the colon, e.g. {kind}:28") from None
    limits = {"x264": (0, 51), "x265": (0, 51), "mpeg2": (100, 50_000), "noise": (0, 100)}[kind]
    if not limits[0] <= number <= limits[1]:
        raise ValueError(f"degradation {spec!r}: value must be in [{limits[0]}, {limits[1]}]")
    return Degradation(kind, number)


#: FFmpeg encoder and decoder names per codec.
_CODEC_NAMES = {"x264": ("libx264", "h264"), "x265": ("libx265", "hevc"), "mpeg2": ("mpeg2video", "mpeg2video")}
#: Smallest side handed to an encoder: libx265 corrupts its heap on frames under one 64 px CTU.
MIN_SIDE = 64
#: This project's minimum for libx265: a frame edge-padded to one CTU still encoded differently
#: from one call to the next (52 px training windows differed by up to 59 levels between
#: identical calls; likely a read of uninitialised memory inside x265), and at two CTUs repeated
#: calls agree (plugin_tests/test_codec.py checks it).
X265_MIN_SIDE = 128
_X265_PARAMS = "pools=none:frame-threads=1:log-level=error"


@functools.cache
def _x264_asm() -> dict[str, str]:
    """libx264 held to its AVX2 code where the CPU has AVX2. Its AVX-512 code, which it picks on
    CPUs that have it, encoded moving frames differently from one call to the next (stop 30: 10 of
    16 training windows of 48 px, by up to 75 levels; the x4 evaluation's 160x68 bikes frames too),
    so no two runs drew the same windows; the AVX2 and plain C code agree call after call. Pinning
    one level also makes machines with AVX2 and with AVX-512 (a lent GPU's) encode alike."""
    try:
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        return {}
    return {"x264-params": "asm=AVX2"} if "avx2" in flags.split() else {}


def _encoder(d: Degradation, width: int, height: int, fps: int) -> av.CodecContext:
    """x264/x265 single-threaded, so the round trip is deterministic; MPEG-2 as on a DVD: capped
    bitrate, GOP of 15 with 2 B-frames."""
    import av

    enc = av.CodecContext.create(_CODEC_NAMES[d.kind][0], "w")
    enc.width, enc.height, enc.pix_fmt = width, height, "yuv420p"
    enc.time_base, enc.framerate = Fraction(1, fps), Fraction(fps, 1)
    enc.thread_count = 1
    if d.kind == "x264":
        enc.options = {"crf": f"{d.value:g}", "preset": "medium", **_x264_asm()}
    elif d.kind == "x265":
        enc.options = {"crf": f"{d.value:g}", "preset": "fast", "x265-params": _X265_PARAMS}
    else:
        bits = int(d.value * 1000)
        enc.bit_rate, enc.gop_size, enc.max_b_frames = bits, 15, 2
        enc.options = {"maxrate": str(bits), "bufsize": str(2 * bits)}
    return enc


def codec_roundtrip(frames: np.ndarray, d: Degradation, fps: int = 24) -> np.ndarray:
    """Encode ``frames`` ``(N, H, W, 3)`` uint8 RGB as yuv420p with the spec's codec, decode back.

    Runs in-process through PyAV (FFmpeg's libraries with libx264/libx265): about a hundred times
    faster than two ffmpeg processes per window, which matters when every training sample makes
    one. Frames are edge-padded to even sizes (4:2:0) of at least ``MIN_SIDE`` (``X265_MIN_SIDE``
    for x265) and cropped back;
    BT.709 limited range both ways, so the round trip costs only the codec's and the chroma
    subsampling's loss. PyAV is imported here, not with the module, so that data without codec
    round trips (``--codecs`` with none) needs no PyAV (a lent GPU machine has none of its own).
    """
    import av
    from av.video.reformatter import ColorRange, Colorspace

    if not d.is_codec:
        raise ValueError(f"{d} is not a codec degradation")
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"expected (N, H, W, 3) uint8 frames, got {frames.shape} {frames.dtype}")
    n, h, w, _ = frames.shape
    least = X265_MIN_SIDE if d.kind == "x265" else MIN_SIDE
    ph, pw = max(h + h % 2, least), max(w + w % 2, least)
    padded = np.pad(frames, ((0, 0), (0, ph - h), (0, pw - w), (0, 0)), mode="edge")
    yuv = {"dst_colorspace": Colorspace.ITU709, "dst_color_range": ColorRange.MPEG}
    enc = _encoder(d, pw, ph, fps)
    packets = []
    for i, rgb in enumerate(padded):
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p", **yuv)
        frame.pts = i
        packets += enc.encode(frame)
    packets += enc.encode(None)
    dec = av.CodecContext.create(_CODEC_NAMES[d.kind][1], "r")
    dec.thread_count = 1
    rgb_out = {"format": "rgb24", "src_colorspace": Colorspace.ITU709, "src_color_range": ColorRange.MPEG}
    decoded = [f.to_ndarray(**rgb_out) for p in [*packets, None] for f in dec.decode(p)]
    if len(decoded) != n:
        raise RuntimeError(f"{d} round trip returned {len(decoded)} frames for {n}")
    return np.stack(decoded)[:, :h, :w].copy()


def add_noise(frames: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """Gaussian noise of ``sigma`` 8-bit levels on uint8 ``frames``, rounded and clipped."""
    rng = np.random.default_rng(seed)
    noisy = frames.astype(np.float32) + rng.normal(0.0, sigma, frames.shape).astype(np.float32)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


def apply_degradation(frames: np.ndarray, d: Degradation, seed: int = 0, fps: int = 24) -> np.ndarray:
    """``frames`` ``(N, H, W, 3)`` uint8 after ``d`` (a copy; ``clean`` returns them unchanged)."""
    if d.kind == "clean":
        return frames
    if d.kind == "noise":
        return add_noise(frames, d.value, seed)
    return codec_roundtrip(frames, d, fps)


@dataclass(frozen=True)
class RealSources:
    """How training windows are made to look like real sources (a random draw per sample).

    A share ``clean`` of the samples keeps the paper's degradation exactly, so one network serves
    clean and compressed input. The others get a blur sigma drawn around the paper's, 8-bit
    rounding, mild Gaussian noise (camera and film grain, before encoding as in a real chain) and
    a codec round trip of the whole window (x264 and x265 at a CRF in ``crf``, or MPEG-2 at
    ``mpeg2_bpp`` bits per pixel, which is how DVD rates scale with frame size). No ``codecs``
    leaves blur and noise only (for machines without ffmpeg).
    """

    clean: float = 0.3
    blur_jitter: float = 0.15
    noise: float = 2.0
    codecs: tuple[str, ...] = CODECS
    crf: tuple[float, float] = (16.0, 34.0)
    mpeg2_bpp: tuple[float, float] = (0.15, 0.6)

    def __post_init__(self) -> None:
        if not 0 <= self.clean <= 1:
            raise ValueError(f"clean share must be in [0, 1], got {self.clean}")
        if not 0 <= self.blur_jitter < 1 or self.noise < 0:
            raise ValueError("blur_jitter must be in [0, 1) and noise >= 0")
        if any(c not in CODECS for c in self.codecs):
            raise ValueError(f"codecs must be a subset of {CODECS}, got {self.codecs}")

    def draw(self, rng: np.random.Generator, size: tuple[int, int], fps: int = 24) -> tuple[float, list[Degradation]]:
        """Blur factor (times the paper's sigma) and the degradations for one ``size`` (w, h) window;
        ``(1.0, [])`` is a clean sample."""
        if rng.random() < self.clean:
            return 1.0, []
        blur = float(rng.uniform(1 - self.blur_jitter, 1 + self.blur_jitter))
        steps = [Degradation("noise", round(float(rng.uniform(0, self.noise)), 2))] if self.noise else []
        if not self.codecs:
            return blur, steps
        codec = self.codecs[int(rng.integers(len(self.codecs)))]
        if codec == "mpeg2":
            kbps = float(rng.uniform(*self.mpeg2_bpp)) * size[0] * size[1] * fps / 1000
            steps.append(Degradation("mpeg2", round(max(kbps, 100.0))))
        else:
            steps.append(Degradation(codec, round(float(rng.uniform(*self.crf)))))
        return blur, steps


def to_uint8(x: np.ndarray) -> np.ndarray:
    """Float frames in [0, 1] -> uint8 with rounding (what a real 8-bit source holds)."""
    return np.clip(np.rint(np.asarray(x, np.float32) * 255.0), 0, 255).astype(np.uint8)


__all__ = [
    "CODECS",
    "KINDS",
    "Degradation",
    "RealSources",
    "add_noise",
    "apply_degradation",
    "codec_roundtrip",
    "parse_degradation",
    "to_uint8",
]

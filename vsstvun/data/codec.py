"""Real-source degradations of LR frames: a video-codec round trip, and noise.

Sources that users feed the filter are rarely the paper's clean blur + decimation: they went
through x264 / x265 at web or broadcast rates, or MPEG-2 on a DVD, in 4:2:0 chroma. A model that
never saw those artifacts treats blocking and ringing as detail. Both evaluation (``--degrade``)
and training data use these functions, so "x264 at CRF 28" means the same thing in both.

A degradation is named by a compact spec, the way users say it: ``clean``, ``x264:CRF``,
``x265:CRF``, ``mpeg2:KBPS`` (DVD-like constant bitrate at the clip's size) or ``noise:SIGMA``
(Gaussian, SIGMA in 8-bit levels). The codec round trip encodes a whole sequence at once so the
artifacts are temporally coherent, as they are in a real stream (a per-frame JPEG would not be).
Everything is deterministic: the encoders run single-threaded with fixed settings and the noise
takes an explicit seed.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

import numpy as np

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


def _encoder_args(d: Degradation) -> list[str]:
    if d.kind == "x264":
        return ["-c:v", "libx264", "-preset", "medium", "-crf", f"{d.value:g}", "-threads", "1"]
    if d.kind == "x265":
        params = "pools=none:frame-threads=1:log-level=error"
        return ["-c:v", "libx265", "-preset", "fast", "-crf", f"{d.value:g}", "-x265-params", params]
    kbps = f"{d.value:g}k"  # MPEG-2 as on a DVD: constant-ish bitrate, GOP of 15, 2 B-frames
    return [
        "-c:v",
        "mpeg2video",
        "-b:v",
        kbps,
        "-maxrate",
        kbps,
        "-bufsize",
        f"{2 * d.value:g}k",
        "-g",
        "15",
        "-bf",
        "2",
    ]


def codec_roundtrip(frames: np.ndarray, d: Degradation, fps: int = 24) -> np.ndarray:
    """Encode ``frames`` ``(N, H, W, 3)`` uint8 RGB as yuv420p with the spec's codec, decode back.

    Odd sizes are edge-padded to even for 4:2:0 and cropped back. BT.709 limited range is used both
    ways, so the round trip itself costs only the codec's and the chroma subsampling's loss.
    """
    if not d.is_codec:
        raise ValueError(f"{d} is not a codec degradation")
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"expected (N, H, W, 3) uint8 frames, got {frames.shape} {frames.dtype}")
    if shutil.which("ffmpeg") is None:
        raise RuntimeError("codec degradations need ffmpeg (apt-get install ffmpeg)")
    n, h, w, _ = frames.shape
    ph, pw = h + h % 2, w + w % 2
    padded = np.pad(frames, ((0, 0), (0, ph - h), (0, pw - w), (0, 0)), mode="edge")
    colour = ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"]
    scale_in = "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"
    # raw elementary streams: (muxer, demuxer) names differ only for MPEG-2
    muxer, demuxer = {"x264": ("h264", "h264"), "x265": ("hevc", "hevc"), "mpeg2": ("mpeg2video", "mpegvideo")}[d.kind]
    raw = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{pw}x{ph}", "-r", str(fps)]
    encode = ["ffmpeg", "-v", "error", "-nostdin", *raw, "-i", "-", "-vf", scale_in, *colour]
    encode += [*_encoder_args(d), "-f", muxer, "-"]
    stream = subprocess.run(encode, input=padded.tobytes(), capture_output=True, check=False)
    if stream.returncode:
        raise RuntimeError(f"ffmpeg could not encode {d}: {stream.stderr.decode(errors='replace')[-400:]}")
    decode = ["ffmpeg", "-v", "error", "-nostdin", "-f", demuxer, "-i", "-"]
    decode += ["-vf", "scale=in_color_matrix=bt709:in_range=tv,format=rgb24", "-f", "rawvideo", "-"]
    out = subprocess.run(decode, input=stream.stdout, capture_output=True, check=False)
    if out.returncode:
        raise RuntimeError(f"ffmpeg could not decode {d}: {out.stderr.decode(errors='replace')[-400:]}")
    decoded = np.frombuffer(out.stdout, np.uint8)
    if decoded.size != n * ph * pw * 3:
        raise RuntimeError(f"{d} round trip returned {decoded.size} bytes for {n} frames of {pw}x{ph}")
    return decoded.reshape(n, ph, pw, 3)[:, :h, :w].copy()


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

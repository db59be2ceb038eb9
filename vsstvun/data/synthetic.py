"""Synthetic space-time training clips from still photos, renderable at any continuous time.

Real video only gives ground truth at its own frame times (Tin = 1/2 from every other frame,
1/4, 1/2, 3/4 from every fourth). A scene built from stills has exact ground truth at every t:
a camera moves smoothly over a background photo (pan with acceleration, slow rotation and zoom)
and 1-3 foreground layers -- soft-edged ellipses cut from other photos -- move on their own
affine paths, which gives occlusions and motion boundaries the network must learn to handle.

Cartoon scenes (:mod:`vsstvun.data.cel`) use the same renderer with drawn layers instead: RGBA
clip art with its own hard-edged alpha, some layers fixed to the background (the camera pans over
them) rather than to the screen, and drawings *held* for 2 or 3 frames as animation is drawn "on
twos" or "on threes": a held layer's pose only changes at every ``hold``-th integer time, so the
frames and in-between times of one hold show the same drawing while the camera moves on smoothly.

Each layer's pose is a polynomial in t, so frames at t and t + eps are close and the frame at an
integer t is the same whenever it is rendered. Frames are rendered directly with
``cv2.warpAffine`` (bicubic) from photo regions that are first area-downscaled to the screen's
pixel density, so the warp never minifies much (no aliasing) and hardly magnifies (no blur).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

#: Scenes are posed relative to this time: the middle of the 8-frame window X0..X7, so motion is
#: symmetric around the frames that matter (X3, X4) and the view is never far off its centre.
CENTRE_TIME = 3.5
#: Long side of a drawn layer, as a share of the screen's short side (random in this range).
CEL_SIZE = (0.3, 0.75)


@dataclass(frozen=True)
class Motion:
    """Smooth affine trajectory of one layer: ``t`` is measured from :data:`CENTRE_TIME`.

    ``velocity`` and ``accel`` in pixels per unit time (^2), ``spin`` in radians and ``zoom`` in
    log-scale per unit time.
    """

    velocity: tuple[float, float] = (0.0, 0.0)
    accel: tuple[float, float] = (0.0, 0.0)
    spin: float = 0.0
    zoom: float = 0.0

    def offset(self, t: float) -> np.ndarray:
        d = t - CENTRE_TIME
        return np.array([self.velocity[i] * d + 0.5 * self.accel[i] * d * d for i in (0, 1)])

    def linear(self, t: float) -> np.ndarray:
        """2x2 rotation-and-scale part at time ``t``."""
        d = t - CENTRE_TIME
        a, s = self.spin * d, math.exp(self.zoom * d)
        return s * np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])

    def extent(self, half_span: float = CENTRE_TIME) -> float:
        """Upper bound of the displacement for t within ``half_span`` of :data:`CENTRE_TIME`
        (default: over X0..X7): how far the layer can travel, hence how much photo a scene needs."""
        d = half_span
        return math.hypot(*self.velocity) * d + 0.5 * math.hypot(*self.accel) * d * d


@dataclass(frozen=True)
class MotionRange:
    """Limits the random scene generator draws from (per unit time = per frame)."""

    max_speed: float = 6.0
    max_accel: float = 0.6
    max_spin: float = 0.02
    max_zoom: float = 0.02
    #: Foreground layers move relative to the screen, usually faster than the camera.
    sprite_speed: float = 8.0
    #: Inclusive range of the number of foreground layers.
    sprites: tuple[int, int] = (1, 3)
    #: Photo regions are area-downscaled by a random factor up to this (one screen pixel then covers
    #: that many photo pixels): more detail per patch from large photos, fewer flat crops.
    max_density: float = 3.0
    #: Each layer's drawing is held for one of these numbers of frames (1: moves continuously).
    holds: tuple[int, ...] = (1,)
    #: Share of the layers fixed to the background, moving with the camera instead of the screen.
    anchored: float = 0.0

    def faster(self, factor: float) -> MotionRange:
        """The same range with speeds and accelerations times ``factor`` (e.g. to train a flow
        net for the large motions of fast footage)."""
        if factor <= 0:
            raise ValueError(f"motion factor must be positive, got {factor}")
        return dataclasses.replace(
            self,
            max_speed=self.max_speed * factor,
            max_accel=self.max_accel * factor,
            sprite_speed=self.sprite_speed * factor,
        )

    def fewest_sprites(self, n: int) -> MotionRange:
        """The same range with at least ``n`` foreground layers; 0 lets some scenes be a camera
        move alone, the pure pans that drawn backgrounds are (where DIS flow is exact)."""
        if not 0 <= n <= self.sprites[1]:
            raise ValueError(f"the fewest sprites must be in 0..{self.sprites[1]}, got {n}")
        return dataclasses.replace(self, sprites=(n, self.sprites[1]))

    def draw(self, rng: np.random.Generator, speed: float) -> Motion:
        v = _random_vector(rng, speed)
        return Motion(
            velocity=v,
            accel=_random_vector(rng, self.max_accel),
            spin=float(rng.uniform(-self.max_spin, self.max_spin)),
            zoom=float(rng.uniform(-self.max_zoom, self.max_zoom)),
        )


def _random_vector(rng: np.random.Generator, max_norm: float) -> tuple[float, float]:
    r, a = max_norm * math.sqrt(rng.uniform()), rng.uniform(0, 2 * math.pi)
    return (r * math.cos(a), r * math.sin(a))


def _inverse_map(linear: np.ndarray, src_centre: np.ndarray, dst_centre: np.ndarray) -> np.ndarray:
    """2x3 matrix mapping screen points to source points: ``src = L (x - dst_c) + src_c``."""
    return np.hstack([linear, (src_centre - linear @ dst_centre)[:, None]])


def _ellipse_alpha(h: int, w: int, softness: float = 0.15) -> np.ndarray:
    """Soft elliptic mask filling an ``h x w`` box, 1 inside, ramping to 0 over ``softness``."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot((x - (w - 1) / 2) / (w / 2), (y - (h - 1) / 2) / (h / 2))
    ramp = np.clip((1 - r) / softness, 0, 1)
    return ramp * ramp * (3 - 2 * ramp)


def _compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """The 2x3 affine map ``x -> outer(inner(x))``."""
    return np.hstack([outer[:, :2] @ inner[:, :2], (outer[:, :2] @ inner[:, 2] + outer[:, 2])[:, None]])


@dataclass(frozen=True)
class _Layer:
    """A foreground sprite: premultiplied RGB + alpha (one 4-channel image, warped in one call),
    its pivot, position and motion; with ``anchored`` the position and motion are in background
    pixels, otherwise on the screen. Its pose changes only at multiples of ``hold`` from ``phase``."""

    rgba: np.ndarray
    pivot: np.ndarray
    position: np.ndarray
    motion: Motion
    hold: int = 1
    phase: int = 0
    anchored: bool = False

    def pose_time(self, t: float) -> float:
        """The time whose pose is shown at ``t``: ``t`` itself, or the last change of a held drawing."""
        if self.hold == 1:
            return t
        return self.phase + self.hold * math.floor((t - self.phase) / self.hold + 1e-9)

    def source_map(self, t: float, camera: np.ndarray) -> np.ndarray:
        """2x3 map from screen pixels to this layer's pixels at time ``t`` (``camera``: screen to
        background pixels at ``t``)."""
        tp = self.pose_time(t)
        m = _inverse_map(np.linalg.inv(self.motion.linear(tp)), self.pivot, self.position + self.motion.offset(tp))
        return _compose(m, camera) if self.anchored else m


def _cut(rng: np.random.Generator, photo: np.ndarray, h: int, w: int, max_density: float) -> np.ndarray:
    """A random region of ``photo`` shown at ``h x w`` screen pixels, one screen pixel covering a
    random ``density`` in [1, max_density] photo pixels (area-downscaled, so never aliased).

    Only the region is resampled, not the whole photo. A photo too small for ``h x w`` at density
    1 is returned whole.
    """
    ph, pw = photo.shape[:2]
    density = rng.uniform(1.0, max(1.0, min(max_density, ph / h, pw / w)))
    ch, cw = min(ph, round(h * density)), min(pw, round(w * density))
    y, x = int(rng.integers(ph - ch + 1)), int(rng.integers(pw - cw + 1))
    crop = photo[y : y + ch, x : x + cw]
    if density <= 1.0:
        return crop
    return cv2.resize(crop, (max(1, round(cw / density)), max(1, round(ch / density))), interpolation=cv2.INTER_AREA)


class SyntheticScene:
    """A random moving scene: ``render(t)`` gives the RGB ``uint8`` frame ``(H, W, 3)`` at time t.

    ``background`` and each of ``sprites`` are RGB ``uint8`` photos; foreground layers are cut
    from ``sprites`` (pass other photos than the background; an empty list gives a plain camera
    move). ``cels``, RGBA ``uint8`` drawings, replace the photo sprites with drawn layers whose
    long side is :data:`CEL_SIZE` of the screen's short side. ``camera`` overrides the random camera
    motion (tests use a pure pan). ``half_span``: the scene is rendered for t within this of
    :data:`CENTRE_TIME` (longer clips need more background).
    """

    def __init__(
        self,
        rng: np.random.Generator,
        background: np.ndarray,
        sprites: Sequence[np.ndarray],
        size: tuple[int, int],
        motion: MotionRange = MotionRange(),
        camera: Motion | None = None,
        cels: Sequence[np.ndarray] = (),
        half_span: float = CENTRE_TIME,
    ) -> None:
        self.size = size
        h, w = size
        self.camera = camera if camera is not None else motion.draw(rng, motion.max_speed)
        zoom_out = math.exp(abs(self.camera.zoom) * half_span)
        # The camera only ever sees photo pixels inside this square around the region's centre;
        # photos too small for it are extended by reflection.
        side = math.ceil(math.hypot(h, w) * zoom_out + 2 * self.camera.extent(half_span)) + 8
        self.background = _cut(rng, background, side, side, motion.max_density)
        bh, bw = self.background.shape[:2]
        self.bg_centre = np.array([(bw - 1) / 2, (bh - 1) / 2])
        self.screen_centre = np.array([(w - 1) / 2, (h - 1) / 2])
        pool = cels or sprites
        n = int(rng.integers(motion.sprites[0], motion.sprites[1] + 1)) if pool else 0
        if cels:  # distinct drawings while there are enough
            picks = rng.choice(len(cels), n, replace=n > len(cels))
            self.layers = [self._cel_layer(rng, cels[int(i)], motion) for i in picks]
        else:
            self.layers = [self._cut_layer(rng, sprites[int(rng.integers(len(sprites)))], motion) for _ in range(n)]

    def _camera_map(self, t: float) -> np.ndarray:
        """2x3 map from screen pixels to background pixels at time ``t``."""
        return _inverse_map(self.camera.linear(t), self.bg_centre + self.camera.offset(t), self.screen_centre)

    def _place(self, rng: np.random.Generator, rgba: np.ndarray, motion: MotionRange) -> _Layer:
        """A layer showing premultiplied ``rgba`` somewhere on screen, with random motion and hold."""
        h, w = self.size
        lh, lw = rgba.shape[:2]
        position = np.array([rng.uniform(0.15, 0.85) * w, rng.uniform(0.15, 0.85) * h])
        layer_motion = motion.draw(rng, motion.sprite_speed)
        # Drawn only when asked for, so that photo scenes keep their random streams.
        hold = int(motion.holds[int(rng.integers(len(motion.holds)))]) if len(motion.holds) > 1 else motion.holds[0]
        phase = int(rng.integers(hold)) if hold > 1 else 0
        anchored = bool(motion.anchored) and bool(rng.uniform() < motion.anchored)
        if anchored:  # where the screen point is on the background at the centre time
            cam = self._camera_map(CENTRE_TIME)
            position = cam[:, :2] @ position + cam[:, 2]
        pivot = np.array([(lw - 1) / 2, (lh - 1) / 2])
        return _Layer(rgba, pivot, position, layer_motion, hold, phase, anchored)

    def _cel_layer(self, rng: np.random.Generator, cel: np.ndarray, motion: MotionRange) -> _Layer:
        """A drawn layer: ``cel`` (RGBA uint8) area-scaled to a random size, alpha premultiplied."""
        long = rng.uniform(*CEL_SIZE) * min(self.size)
        f = long / max(cel.shape[:2])
        size = (max(2, round(cel.shape[1] * f)), max(2, round(cel.shape[0] * f)))
        rgba = cel.astype(np.float32)
        rgba[..., 3] /= 255.0
        rgba[..., :3] *= rgba[..., 3:]
        interpolation = cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC
        return self._place(rng, cv2.resize(rgba, size, interpolation=interpolation), motion)

    def _cut_layer(self, rng: np.random.Generator, photo: np.ndarray, motion: MotionRange) -> _Layer:
        h, w = self.size
        side = rng.uniform(0.25, 0.5) * min(h, w)
        aspect = rng.uniform(0.6, 1.0)
        lh, lw = (max(4, round(side)), max(4, round(side * aspect)))
        if rng.uniform() < 0.5:
            lh, lw = lw, lh
        patch = _cut(rng, photo, lh, lw, motion.max_density)
        if patch.shape[:2] != (lh, lw):  # photo smaller than the sprite: stretch it
            patch = cv2.resize(patch, (lw, lh), interpolation=cv2.INTER_CUBIC)
        alpha = _ellipse_alpha(lh, lw)[..., None]
        return self._place(rng, np.concatenate([patch.astype(np.float32) * alpha, alpha], axis=-1), motion)

    def render(self, t: float) -> np.ndarray:
        """The frame at continuous time ``t`` (frames X0..X7 are t = 0..7)."""
        h, w = self.size
        flags = cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP
        cam = self._camera_map(t)
        out = cv2.warpAffine(self.background, cam, (w, h), flags=flags, borderMode=cv2.BORDER_REFLECT_101)
        out = out.astype(np.float32)
        for layer in self.layers:
            m = layer.source_map(t, cam)
            rgba = cv2.warpAffine(layer.rgba, m, (w, h), flags=flags, borderMode=cv2.BORDER_CONSTANT)
            out = out * (1 - np.clip(rgba[..., 3:], 0, 1)) + rgba[..., :3]
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)

    def render_many(self, times: Sequence[float]) -> np.ndarray:
        """Frames at ``times`` stacked as ``(N, H, W, 3)``."""
        return np.stack([self.render(t) for t in times])

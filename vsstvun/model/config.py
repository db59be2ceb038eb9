"""Model hyper-parameters and named presets.

The ``full`` preset reproduces the paper's network layer for layer, so the authors' checkpoint
loads unchanged; ``lite`` keeps the same topology with fewer channels so that it can be trained
and run on a CPU; ``base`` sits between them for a short GPU training run. Everything that
decides a tensor shape lives here, nowhere else.
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass

SCALES = (2, 4)
FLOW_UPSAMPLES = (1, 2, 4)
#: How Eq. 5/6 weigh X3 and X4 warped to time t: ``equal`` (1/2 each, the paper and the authors'
#: network) or ``linear`` (``1 - t`` and ``t``, by distance in time).
TIME_BLENDS = ("equal", "linear")
#: How in-between frames are made at inference: a decoder pass on the warped features (``joint``,
#: the paper's), the two neighbouring centre frames warped and blended (``warp``,
#: :meth:`~vsstvun.model.STVUN.warp_between`), or both merged by a learned head (``fuse``,
#: :meth:`~vsstvun.model.STVUN.fuse_between`, which needs weights with one: ``fusion_ch``).
TEMPORAL_MODES = ("joint", "warp", "fuse")
#: The modes that also need the space-only frame of the window after (centred on X4).
NEEDS_FOLLOWING = ("warp", "fuse")
#: Values of fields that files saved before the field existed were trained with, where that
#: differs from the dataclass default (the paper's value). Every ``lite`` file predating
#: ``time_blend`` was trained with the linear blend; a ``full`` file without the field holds the
#: authors' weights, trained with the equal one.
_LEGACY_FIELDS = {"lite": {"time_blend": "linear"}}


def check_temporal(mode: str) -> str:
    """``mode`` if it is one of :data:`TEMPORAL_MODES`."""
    if mode not in TEMPORAL_MODES:
        raise ValueError(f"temporal must be one of {', '.join(map(repr, TEMPORAL_MODES))}, got {mode!r}")
    return mode


def whole_number(name: str, value: object) -> int:
    """``value`` as an int, given as one or as an integral float (``scale=4.0`` is 4, as people
    type it); anything else raises ``TypeError`` naming the parameter."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise TypeError(f"{name} must be a whole number, got {value!r}")


def check_flow_refine(box: object) -> int:
    """``box`` if it is a valid :attr:`ModelConfig.flow_refine` (0, or an odd number of LR pixels)."""
    box = whole_number("flow_refine", box)
    if box < 0 or (box and box % 2 == 0):
        raise ValueError(f"flow_refine must be 0 (off) or an odd window side in LR pixels, got {box}")
    return box


@dataclass(frozen=True)
class ModelConfig:
    """Shape-defining settings of one STVUN network."""

    preset: str
    scale: int = 4
    n_frames: int = 7
    #: Encoder / EFST channels (``Ce``); the decoder's input is ``cat(t_k, r_k)`` = 2 * Ce.
    enc_ch: int = 64
    #: Growth width ``W`` of the first dense block of each decoder level.
    dec_width: int = 128
    #: Channels of the residual head before the pixel shuffle.
    head_ch: int = 48
    #: PWC-Net feature pyramid channels, finest first (levels 1..6).
    pwc_channels: tuple[int, ...] = (16, 32, 64, 96, 128, 196)
    #: Outputs of the five densely connected convs of each PWC-Net decoder level.
    pwc_dense: tuple[int, ...] = (128, 128, 96, 64, 32)
    #: Outputs of the dilated context network ``dc_conv1..6``.
    pwc_context: tuple[int, ...] = (128, 128, 128, 96, 64, 32)
    #: Maximum displacement of the correlation layer ((2 md + 1)^2 channels).
    pwc_md: int = 4
    #: Put LR pixel i on HR pixel s*i in the bilinear base (the degradation's grid), so a small,
    #: briefly trained network need not learn the (s - 1) / 2 px shift that the authors' network
    #: (``full``, pixel-centre convention) leaves to its residual.
    aligned_base: bool = False
    #: Cost volume from channel-normalised features (cosine similarity in [-1, 1]) instead of the
    #: raw mean product, so a flow net trained from scratch sees a matching signal from the first
    #: step (the raw product of fresh features is too faint); ``full`` keeps the authors' raw one.
    #: How it was found: docs/history.md.
    pwc_corr_norm: bool = False
    #: PWC-Net runs on the LR frames bilinearly upsampled by this factor (1, 2 or 4) and its flow,
    #: a quarter of that size, is resized to the LR grid. ``full`` uses the authors' 4; ``lite``
    #: uses 2, where a motion spans half as many of the small net's pixels, which it tracks far
    #: better (and at a quarter of the cost). Ablation: docs/history.md.
    flow_upsample: int = 4
    #: Blend of the two warped inputs at time t (one of :data:`TIME_BLENDS`). The paper's Eq. 5/6
    #: average them whatever t (``full``); ``lite`` was trained with ``linear``, which leans on the
    #: nearer frame, and its weights expect it.
    time_blend: str = "equal"
    #: Backward-warp the centre pass's decoded features to time t (with Eq. 4's f_t3) before they
    #: join an in-between pass. The paper feeds them as they are, aligned with X3, so under fast
    #: motion the decoder has the 7-frame fusion only where it no longer fits, and its in-between
    #: frames draw on the two warped frames' own features alone (they then hardly beat warping the
    #: centre frames with classical flow). No weights change: a file trained without it keeps it off.
    align_centre: bool = False
    #: Side (LR pixels, odd) of the window over which :func:`~vsstvun.model.ops.flow_refine.refine_flow`
    #: scores candidate motions after the flow net; 0 leaves its flow as it is (the paper). No
    #: weights depend on it: it mends the small flow net's motion bleeding into still regions,
    #: which pays on clean footage with large motion and costs a little on compressed input (the
    #: "Flow clean-up" in docs/quality.md), so every preset and shipped file leaves it off.
    flow_refine: int = 0
    #: Channels of the :class:`~vsstvun.model.fusion.FusionHead` that merges the joint and the
    #: warped in-between frames (``temporal="fuse"``); 0 = no head (the paper, and every file
    #: trained before it).
    fusion_ch: int = 0
    #: Give the fusion head the sequential pipeline's frame as a candidate too: the two
    #: space-only frames warped with OpenCV DIS flow between them, computed on the CPU (adds no
    #: weights but the head's input width). Needs ``fusion_ch``.
    fusion_dis: bool = False
    #: Give the fusion head each warped pair as its two sides, X3's and X4's frames warped to t,
    #: instead of their time-weighted blend: where one side is occluded or its flow is wrong the
    #: head can take the other alone, which a blend cannot (it starts from the blend all the same).
    #: Needs ``fusion_ch``.
    fusion_split: bool = False
    #: Show the fusion head where DIS flow checks out: per side, the forward-backward error of the
    #: two DIS flows, taken to t with that side's flow (two HR maps, through their own zero-started
    #: conv, so a head given them starts where it was). Where the head trails the sequential
    #: pipeline it takes too little of DIS frames that are right (``scripts/dis_gate_probe.py``).
    #: Needs ``fusion_dis``.
    fusion_consistency: bool = False
    #: Give the fusion head two soft candidates too: X3's and X4's bilinear bases (LR upsampled,
    #: no decoder residual) warped to t with the DIS flow, through convs of their own, so it can
    #: damp the residual per pixel where the motion is uncertain (a sharp edge in the wrong place
    #: costs more PSNR than a soft one). A head trained without them loads whole. Needs ``fusion_dis``.
    fusion_base: bool = False
    #: Give the fusion head one more candidate: the two space-only frames forward-splatted to t
    #: along the DIS flows (:func:`~vsstvun.model.ops.splat.splat_to_time`), which drags no edge
    #: at motion boundaries where backward warping does. Through convs of its own, so a head
    #: trained without it loads whole. Needs ``fusion_dis``.
    fusion_splat: bool = False
    #: Give the fusion head X3's and X4's space-only frames *unwarped* too, through convs of their
    #: own (a head trained without them loads whole). A drawing held on twos or threes does not
    #: move between its frames, it jumps: every warp puts it half-way, where it never is, while
    #: the two unwarped frames blended (1 - t, t) hold it where it is on one side or the other,
    #: ghosted at worst. Needs ``fusion_ch``.
    fusion_still: bool = False

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {self.scale}")
        if self.flow_upsample not in FLOW_UPSAMPLES:
            raise ValueError(f"flow_upsample must be one of {FLOW_UPSAMPLES}, got {self.flow_upsample}")
        if self.time_blend not in TIME_BLENDS:
            raise ValueError(f"time_blend must be one of {TIME_BLENDS}, got {self.time_blend!r}")
        check_flow_refine(self.flow_refine)
        if self.fusion_ch < 0:
            raise ValueError(f"fusion_ch must be >= 0 (0 = no fusion head), got {self.fusion_ch}")
        if self.fusion_dis and not self.fusion_ch:
            raise ValueError("fusion_dis is a candidate of the fusion head: it needs fusion_ch > 0")
        if self.fusion_split and not self.fusion_ch:
            raise ValueError("fusion_split shapes the fusion head's candidates: it needs fusion_ch > 0")
        if self.fusion_consistency and not self.fusion_dis:
            raise ValueError("fusion_consistency checks the DIS flows of the fusion head: it needs fusion_dis")
        if self.fusion_base and not self.fusion_dis:
            raise ValueError("fusion_base warps with the DIS flows of the fusion head: it needs fusion_dis")
        if self.fusion_splat and not self.fusion_dis:
            raise ValueError("fusion_splat splats along the DIS flows of the fusion head: it needs fusion_dis")
        if self.fusion_still and not self.fusion_ch:
            raise ValueError("fusion_still is a candidate of the fusion head: it needs fusion_ch > 0")

    @property
    def fusion_candidates(self) -> int:
        """Frames the fusion head merges: the joint pass's, then per warped pair (the network's
        flow, and with ``fusion_dis`` DIS flow) its blend or, with ``fusion_split``, its two sides."""
        return 1 + (1 + self.fusion_dis) * (1 + self.fusion_split)

    @property
    def levels(self) -> int:
        """Encoder levels feeding EFST and the decoder (fixed by the paper)."""
        return 4

    def with_scale(self, scale: int) -> ModelConfig:
        return dataclasses.replace(self, scale=scale)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ModelConfig:
        """Rebuild a saved config; fields it lacks (older files) take the value that file's
        preset was trained with then (:data:`_LEGACY_FIELDS`), else the paper's default."""
        d = _LEGACY_FIELDS.get(d.get("preset", ""), {}) | d
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - fields
        if unknown:
            raise ValueError(f"unknown model config fields: {sorted(unknown)}")
        kw = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        return cls(**kw)


_LITE = ModelConfig(
    preset="lite",
    enc_ch=16,
    dec_width=32,
    pwc_channels=(8, 16, 24, 32, 48, 64),
    pwc_dense=(48, 48, 32, 24, 16),
    pwc_context=(48, 48, 48, 32, 24, 16),
    aligned_base=True,
    pwc_corr_norm=True,
    flow_upsample=2,
    time_blend="linear",
)
PRESETS: dict[str, ModelConfig] = {
    "full": ModelConfig(preset="full"),
    "lite": _LITE,
    # Between the two for a GPU, lite's design choices at about 2x its widths: 7.8M parameters
    # (lite 3.1M, full 30.9M), the fp16 export 15 MiB.
    "base": dataclasses.replace(
        _LITE,
        preset="base",
        enc_ch=32,
        dec_width=56,
        pwc_channels=(12, 24, 32, 48, 64, 96),
        pwc_dense=(64, 64, 48, 32, 24),
        pwc_context=(64, 64, 64, 48, 32, 24),
    ),
}


def preset_config(preset: str, scale: int = 4) -> ModelConfig:
    """The config of a named preset at the given scale (2 or 4)."""
    try:
        base = PRESETS[preset]
    except KeyError:
        raise ValueError(f"unknown model preset {preset!r}; choose one of {sorted(PRESETS)}") from None
    return base.with_scale(scale)

"""The STVUN network and its per-window / per-time split.

Everything that depends only on the 7 input frames (encoder features, EFST, the centre decode
and both flows) is computed once in :meth:`STVUN.encode_window`; every output time then costs a
single decoder pass in :meth:`STVUN.synthesize`. The VapourSynth filter, the evaluator and the
benchmarks all build on this split.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import init_weights
from .config import FLOW_UPSAMPLES, NEEDS_FOLLOWING, ModelConfig
from .decoder import Decoder
from .efst import EFST
from .encoder import Encoder
from .fusion import FusionHead
from .ops.dis import dis_flows
from .ops.flow_refine import refine_flow
from .ops.splat import splat_to_time
from .ops.warp import backward_warp, blend_sides, dis_inconsistency, flow_to_time, warp_sides, warp_to_time
from .precision import input_dtype
from .pwcnet import NVLABS_UNIT, PWCNet

#: PWC-Net pools its input 6 times: its input sides must be multiples of 64 pixels.
_PWC_INPUT_MULTIPLE = 64
#: PWC-Net's finest flow is a quarter of its input size.
_PWC_OUTPUT_STRIDE = 4
#: LR frames are padded to multiples of this: PWC-Net's multiple at the authors' x4 flow
#: upsampling. A smaller ``flow_upsample`` pads further inside :meth:`STVUN.flow_pyramid` only,
#: so tile grids stay the same.
SIZE_MULTIPLE = _PWC_INPUT_MULTIPLE // max(FLOW_UPSAMPLES)


@dataclass
class WindowState:
    """Per-window tensors reused by every output time between X3 and X4 (normalised, padded)."""

    feats3: list[torch.Tensor]
    feats4: list[torch.Tensor]
    centre_decoded: list[torch.Tensor]
    centre: torch.Tensor
    lr3: torch.Tensor
    lr4: torch.Tensor
    f34: torch.Tensor
    f43: torch.Tensor
    height: int
    width: int

    def nbytes(self) -> int:
        """Memory held by the state's tensors, for size-bounded caches."""
        total = 0
        for f in fields(self):
            v = getattr(self, f.name)
            for t in v if isinstance(v, list) else [v]:
                if isinstance(t, torch.Tensor):
                    total += t.numel() * t.element_size()
        return total


def to_model_range(x: torch.Tensor) -> torch.Tensor:
    """RGB in [0, 1] to the network's [-1, 1] (the authors' normalisation)."""
    return (x - 0.5) / 0.5


def _from_model_range(x: torch.Tensor) -> torch.Tensor:
    return x * 0.5 + 0.5


def _pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Grow the bottom and right edges, by edge replication, to multiples of ``multiple``."""
    ph, pw = -x.shape[-2] % multiple, -x.shape[-1] % multiple
    return F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x


def _warped_frames(
    sides: tuple[torch.Tensor, torch.Tensor], t: float | torch.Tensor, split: bool, dtype: torch.dtype
) -> list[torch.Tensor]:
    """Two frames warped to t as the warped candidates take them, in ``dtype``: the two sides
    (``split``), or their linear (1 - t, t) blend whatever ``config.time_blend`` (see
    :meth:`STVUN.warp_between`)."""
    frames = list(sides) if split else [blend_sides(*sides, t, "linear")]
    return [f.to(dtype) for f in frames]


def _upsample(x: torch.Tensor, scale: int) -> torch.Tensor:
    """Bilinear, pixel-centre convention (LR pixel i covers HR pixels s*i .. s*i + s - 1)."""
    return F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)


def upsample_aligned(x: torch.Tensor, scale: int) -> torch.Tensor:
    """Bilinear with LR pixel i exactly on HR pixel s*i (edge-replicated past the last pixel).

    Padding one pixel and resampling corner-aligned to s*n + 1 samples places sample X at
    X / s, then the extra sample is cropped.
    """
    _, _, h, w = x.shape
    padded = F.pad(x, (0, 1, 0, 1), mode="replicate")
    up = F.interpolate(padded, size=(h * scale + 1, w * scale + 1), mode="bilinear", align_corners=True)
    return up[..., : h * scale, : w * scale]


#: The fusion head's starting weight for its ``fusion_base`` candidates, against 1 for the joint
#: frame: small, so a head trained without them starts close to where it was, yet not so small
#: that their softmax gradient vanishes.
BASE_PRIOR = 0.05
#: Its starting weight for the ``fusion_splat`` candidate, the same as the joint frame's: the
#: splatted frame is as sharp as the others and right where they drag edges.
SPLAT_PRIOR = 1.0
#: Its starting weight for the ``fusion_still`` pair, like the soft bases': a head trained
#: without them starts close to where it was.
STILL_PRIOR = BASE_PRIOR

#: :meth:`STVUN.pair_flows`: DIS flows between two windows' HR centre frames (X3 -> X4, X4 -> X3).
PairFlows = tuple[torch.Tensor, torch.Tensor]

#: Eq. 5/6's signature: ``(x3, x4, f34, f43, t, blend) -> blended`` (see :func:`warp_to_time`).
TimeWarp = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, float | torch.Tensor, str], torch.Tensor]


class STVUN(nn.Module):
    """Deep space-time video upsampling network (Kang et al., ECCV 2020)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config.enc_ch, config.levels)
        self.efst = EFST(config.enc_ch, config.n_frames)
        self.decoder = Decoder(config.enc_ch, config.dec_width, config.head_ch, config.scale, config.levels)
        self.pwcnet = PWCNet(config)
        self.fusion = (
            FusionHead(
                config.fusion_ch,
                config.enc_ch,
                config.scale,
                config.fusion_candidates,
                guides=2 * config.fusion_consistency,
                extra=2 * config.fusion_base,
                splat=int(config.fusion_splat),
                still=2 * config.fusion_still,
            )
            if config.fusion_ch
            else None
        )
        init_weights(self)
        if self.fusion is not None:
            self.fusion.reset_output()

    @property
    def scale(self) -> int:
        return self.config.scale

    def base(self, lr: torch.Tensor) -> torch.Tensor:
        """The bilinear HR image the decoder's residual is added to."""
        return upsample_aligned(lr, self.scale) if self.config.aligned_base else _upsample(lr, self.scale)

    def flow(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """LR flows (a->b, b->a) from normalised LR frames, both directions in one batch.

        The flow net runs in its own parameters' dtype (see :meth:`set_precision`) and the
        flows are always returned in fp32: sampling positions need the precision. With
        ``config.flow_refine`` they then go through :func:`~vsstvun.model.ops.flow_refine.refine_flow`.
        """
        flows, _ = self.flow_pyramid(a, b)
        if self.config.flow_refine:
            flows = refine_flow(flows, torch.cat((a, b)), torch.cat((b, a)), self.config.flow_refine)
        return flows.chunk(2)

    def flow_pyramid(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Both directions stacked ``(2B, 2, h, w)`` (a->b first) plus PWC-Net's coarse flows
        (levels 6..3, coarsest first, same stacking), all in LR pixels; the coarse ones on their
        own grids, which cover the frame padded to PWC-Net's multiple (1/16 .. 1/2 of its LR size
        at ``flow_upsample`` 4, 1/32 .. 1/4 at 2)."""
        k = self.config.flow_upsample
        h, w = a.shape[-2:]
        a, b = (_pad_to_multiple(x, _PWC_INPUT_MULTIPLE // k) for x in (a, b))
        dtype = self.pwcnet.predict_flow2.weight.dtype
        up_a, up_b = _upsample(a, k).to(dtype), _upsample(b, k).to(dtype)
        flows, coarse = self.pwcnet(torch.cat((up_a, up_b)), torch.cat((up_b, up_a)))
        flows = flows.float()
        if k != _PWC_OUTPUT_STRIDE:  # back to the LR grid, and to LR pixels
            r = _PWC_OUTPUT_STRIDE // k
            flows = F.interpolate(flows, scale_factor=r, mode="bilinear", align_corners=False) * r
        return flows[..., :h, :w], [c.float() * (NVLABS_UNIT / k) for c in coarse]

    def set_precision(self, dtype: torch.dtype) -> STVUN:
        """Run the encoder, EFST, decoder and fusion head in ``dtype`` (fp32, bf16 or fp16); the flow estimator
        stays fp32, since its small cost-volume values and coarse-to-fine flow sums lose accuracy
        in 16 bits. Warps, flow-to-time and the HR base stay fp32 for 16-bit formats whose frames
        arrive as fp32 (see :attr:`input_dtype`)."""
        for name, module in self.named_children():  # never round the flow net's weights through dtype
            module.to(torch.float32 if name == "pwcnet" else dtype)
        return self

    @property
    def compute_dtype(self) -> torch.dtype:
        """Format of the encoder, EFST, decoder and fusion head (set by :meth:`set_precision`)."""
        return self.decoder.rconv1.weight.dtype

    @property
    def input_dtype(self) -> torch.dtype:
        """The frame format callers should pass (:func:`vsstvun.model.precision.input_dtype`)."""
        return input_dtype(self.compute_dtype)

    def window_flows(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The LR flows X3->X4 and X4->X3, ``(B, 2, H, W)`` each, of a window (B, 7, 3, H, W) RGB
        in [0, 1]: the same values as :meth:`encode_window` computes inside the frame.

        For callers that split a window into tiles but want its motion from the whole frame:
        the flow net sees further than the rest of the network.
        """
        mid = self.config.n_frames // 2
        h, w = frames.shape[-2:]
        # padded as encode_window pads: the flow clean-up's boxes then see the same borders
        a, b = (_pad_to_multiple(to_model_range(frames[:, i]), SIZE_MULTIPLE) for i in (mid, mid + 1))
        f34, f43 = self.flow(a, b)
        return f34[..., :h, :w], f43[..., :h, :w]

    def encode_window(
        self, frames: torch.Tensor, flows: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> WindowState:
        """All per-window work for frames (B, 7, 3, H, W) RGB in [0, 1], any H, W.

        ``flows``: this window's ``(f34, f43)``, ``(B, 2, H, W)`` in LR pixels, to use instead of
        running the flow net (e.g. cut by tiling from :meth:`window_flows` of the whole frame).
        """
        b, n, c, h, w = frames.shape
        if n != self.config.n_frames or c != 3:
            raise ValueError(f"expected (B, {self.config.n_frames}, 3, H, W) frames, got {tuple(frames.shape)}")
        x = _pad_to_multiple(to_model_range(frames.reshape(b * n, c, h, w)), SIZE_MULTIPLE)
        hp, wp = x.shape[-2:]
        levels = [f.view(b, n, -1, hp, wp) for f in self.encoder(x.to(self.compute_dtype))]
        x = x.view(b, n, c, hp, wp)
        mid = n // 2
        fused = [self.efst(f) for f in levels]
        feats3 = [f[:, mid] for f in levels]
        decoded, residual = self.decoder(feats3, fused)
        lr3, lr4 = x[:, mid], x[:, mid + 1]
        if flows is None:
            f34, f43 = self.flow(lr3, lr4)
        else:
            if any(f.shape != (b, 2, h, w) for f in flows):
                raise ValueError(f"flows must be two ({b}, 2, {h}, {w}) tensors, got {[tuple(f.shape) for f in flows]}")
            f34, f43 = (_pad_to_multiple(f.float(), SIZE_MULTIPLE) for f in flows)
        return WindowState(
            feats3=feats3,
            feats4=[f[:, mid + 1] for f in levels],
            centre_decoded=decoded,
            centre=self.base(lr3) + residual,
            lr3=lr3,
            lr4=lr4,
            f34=f34,
            f43=f43,
            height=h,
            width=w,
        )

    def with_flows(self, state: WindowState, f34: torch.Tensor, f43: torch.Tensor) -> WindowState:
        """``state`` with other LR flows ``(B, 2, H, W)`` (e.g. ones that carry gradients in
        training), padded as :meth:`encode_window` pads given flows."""
        f34, f43 = (_pad_to_multiple(f.float(), SIZE_MULTIPLE) for f in (f34, f43))
        return dataclasses.replace(state, f34=f34, f43=f43)

    def _warp_to_time(
        self, state: WindowState, t: float | torch.Tensor, warp: TimeWarp = warp_to_time
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Features and LR frame at time t, warped from X3 and X4 and blended (``config.time_blend``)."""
        # One warp per side for all levels and the LR frame together; with bf16 features and an
        # fp32 frame the concatenation promotes to fp32, the format the warp samples in anyway.
        blended = warp(
            torch.cat(state.feats3 + [state.lr3], dim=1),
            torch.cat(state.feats4 + [state.lr4], dim=1),
            state.f34,
            state.f43,
            t,
            self.config.time_blend,
        )
        sizes = [f.shape[1] for f in state.feats3] + [3]
        *feats, lr = blended.split(sizes, dim=1)
        return feats, lr

    @staticmethod
    def _space_only(t: float | torch.Tensor) -> bool:
        """Whether t asks for the centre frame itself; a scalar t outside [0, 1) is an error.
        (A per-sample tensor t, used in training, is never the centre.)"""
        if isinstance(t, torch.Tensor):
            return False
        if not 0.0 <= t < 1.0:
            raise ValueError(f"t must be in [0, 1), got {t}")
        return t == 0.0

    def _crop(self, hr: torch.Tensor, state: WindowState, clamp: bool) -> torch.Tensor:
        out = _from_model_range(hr[..., : state.height * self.scale, : state.width * self.scale])
        return out.clamp(0.0, 1.0) if clamp else out

    def synthesize(
        self,
        state: WindowState,
        t: float | torch.Tensor = 0.0,
        clamp: bool = True,
        warp: TimeWarp = warp_to_time,
        centre_features: list[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """The HR frame at time t in [0, 1) between X3 and X4; t = 0 is the centre frame.

        t may be a per-sample tensor of shape (B, 1, 1, 1) (used in training). ``warp`` is Eq. 5/6
        (:func:`~vsstvun.model.ops.warp.warp_to_time`) and ``centre_features`` the in-between
        pass's reference (default :meth:`centre_features_at`); evaluation ablations and
        diagnostics pass others of the same shapes.
        """
        if self._space_only(t):
            return self._crop(state.centre, state, clamp)
        return self._crop(self._joint(state, t, warp, centre_features)[0], state, clamp)

    def _joint(
        self,
        state: WindowState,
        t: float | torch.Tensor,
        warp: TimeWarp = warp_to_time,
        centre_features: list[torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The in-between decoder pass on the padded grid: the HR frame (network range) and the
        pass's last decoded features."""
        feats, lr = self._warp_to_time(state, t, warp)
        refs = self.centre_features_at(state, t) if centre_features is None else centre_features
        decoded, residual = self.decoder([f.to(self.compute_dtype) for f in feats], refs)
        return self.base(lr) + residual, decoded[-1]

    def warp_between(
        self, state: WindowState, following: WindowState, t: float | torch.Tensor, clamp: bool = True
    ) -> torch.Tensor:
        """The HR frame at time t in [0, 1) by warping alone: this window's centre frame (X3) and
        ``following``'s (the window centred on X4), taken to t with this window's flows scaled to
        the HR grid, blended (1 - t, t). No decoder pass, so an in-between frame costs two HR
        warps instead of the decoder's 70 % of a window.

        Why it exists: the in-between decoder pass hardly uses the centre pass's 7-frame fusion
        (the flow check in docs/quality.md), while both centre frames carry it; warping them gives
        in-between frames as good as :meth:`synthesize`'s at a fraction of the cost (docs/quality.md,
        "Fast in-between frames"). The blend is the linear one whatever
        ``config.time_blend``: with no decoder to correct it, an equal blend at t = 0.25 would
        be half X4.
        """
        if self._space_only(t):
            return self._crop(state.centre, state, clamp)
        return self._crop(self._warped_centres(state, following, t)[0], state, clamp)

    def _centre_flows(self, state: WindowState) -> tuple[torch.Tensor, torch.Tensor]:
        """This window's LR flows (X3 -> X4, X4 -> X3) brought to the HR grid."""
        up = upsample_aligned if self.config.aligned_base else _upsample
        return tuple(up(f, self.scale) * self.scale for f in (state.f34, state.f43))

    def _centre_sides(
        self,
        state: WindowState,
        following: WindowState,
        t: float | torch.Tensor,
        flows: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """X3's and X4's centre frames warped to t, fp32, in the network's range on the padded
        grid; ``flows``: HR flows (X3 -> X4, X4 -> X3) to warp with instead of this window's LR ones."""
        if following.centre.shape != state.centre.shape:
            raise ValueError(
                f"the two windows differ in size: {tuple(state.centre.shape)} and {tuple(following.centre.shape)}"
            )
        flows = self._centre_flows(state) if flows is None else flows
        return warp_sides(state.centre.float(), following.centre.float(), *flows, t)

    def _warped_centres(
        self,
        state: WindowState,
        following: WindowState,
        t: float | torch.Tensor,
        flows: tuple[torch.Tensor, torch.Tensor] | None = None,
        split: bool = False,
    ) -> list[torch.Tensor]:
        """:meth:`warp_between`'s frame: :meth:`_centre_sides` as one blended frame or
        (``split``) as its two sides, in the centre frames' dtype."""
        return _warped_frames(self._centre_sides(state, following, t, flows), t, split, state.centre.dtype)

    def uses_pair_flows(self, temporal: str) -> bool:
        """Whether ``temporal``'s in-between frames read :meth:`pair_flows`: callers skip the
        bookkeeping (a cache entry, a stream slot) everywhere else."""
        return temporal == "fuse" and self.fusion is not None and self.config.fusion_dis

    def pair_flows(self, state: WindowState, following: WindowState, temporal: str = "fuse") -> PairFlows | None:
        """DIS flows between the two windows' HR centre frames (X3 -> X4, X4 -> X3), which the
        fusion head's ``fusion_dis`` candidates warp with; None where ``temporal`` does not use
        them (every mode but "fuse" of a head with that candidate). They depend on the pair
        alone, not on t, and cost more than the head, so a caller making several frames of one
        pair computes them once here and passes them on (the filter keeps them per pair)."""
        if not self.uses_pair_flows(temporal):
            return None
        return dis_flows(*(_from_model_range(c) for c in (state.centre, following.centre)))

    def fuse_between(
        self,
        state: WindowState,
        following: WindowState,
        t: float | torch.Tensor,
        clamp: bool = True,
        dis: PairFlows | None = None,
    ) -> torch.Tensor:
        """The HR frame at time t in [0, 1) merged per pixel by the learned
        :class:`~vsstvun.model.fusion.FusionHead` (``temporal="fuse"``; files trained with
        ``config.fusion_ch`` only) from :meth:`synthesize`'s decoder pass, :meth:`warp_between`'s
        warped centre frames and, with ``config.fusion_dis``, those centre frames warped with DIS
        flow between them (the sequential pipeline's frame); with ``config.fusion_split`` each
        warped pair enters as its two sides, and with ``config.fusion_base`` the bilinear bases of
        X3 and X4 (no residual) warped with the DIS flow join as soft frames to fall back on, and
        with ``config.fusion_splat`` the centre frames forward-splatted to t along the DIS flows,
        and with ``config.fusion_still`` the two centre frames unwarped.
        ``dis``: :meth:`pair_flows`, if already computed.
        Costs what ``"joint"`` costs plus two or four HR warps (two more for the soft frames, two
        more and two splats for the splatted one), the head and (``fusion_dis``, unless given) two
        DIS flows on the CPU.
        """
        if self.fusion is None:
            raise ValueError("these weights have no fusion head (config.fusion_ch = 0): use temporal 'joint' or 'warp'")
        if self._space_only(t):
            return self._crop(state.centre, state, clamp)
        split = self.config.fusion_split
        joint, decoded = self._joint(state, t)
        candidates = [joint] + self._warped_centres(state, following, t, split=split)
        guides: list[torch.Tensor] = []
        if self.config.fusion_dis:
            flows = self.pair_flows(state, following) if dis is None else dis
            dis_sides = self._centre_sides(state, following, t, flows)
            candidates += _warped_frames(dis_sides, t, split, state.centre.dtype)
            if self.config.fusion_consistency:
                guides = [e / (1 + e) for e in dis_inconsistency(*flows, t)]
        # The head starts from the warped pairs' own time blend: (1 - t, t) for two sides.
        sides = [1 - t, t] if split else [1.0]
        prior = [1.0] + sides * (1 + self.config.fusion_dis)
        if self.config.fusion_base:
            candidates += warp_sides(self.base(state.lr3), self.base(state.lr4), *flows, t)
            prior += [BASE_PRIOR * (1 - t), BASE_PRIOR * t]
        if self.config.fusion_splat:
            candidates.append(self._splatted(state, following, flows, t, dis_sides))
            prior.append(SPLAT_PRIOR)
        if self.config.fusion_still:
            candidates += [state.centre, following.centre]
            prior += [STILL_PRIOR * (1 - t), STILL_PRIOR * t]
        f_t3, f_t4 = flow_to_time(state.f34, state.f43, t)
        lr3, lr4 = backward_warp(state.lr3, f_t3), backward_warp(state.lr4, f_t4)
        fused = self.fusion([c.float() for c in candidates], lr3, lr4, decoded, t, prior, guides)
        return self._crop(fused, state, clamp)

    def _splatted(
        self,
        state: WindowState,
        following: WindowState,
        flows: PairFlows,
        t: float | torch.Tensor,
        dis_sides: tuple[torch.Tensor, torch.Tensor],
    ) -> torch.Tensor:
        """The two centre frames splatted to t along the DIS flows; the sequential pipeline's
        backward-warped blend (of ``dis_sides``, the DIS candidates' fp32 sides, not warped
        again) fills the holes. In the network's range, like the other candidates."""
        c3, c4 = (_from_model_range(c.float()) for c in (state.centre, following.centre))
        fallback = _from_model_range(_warped_frames(dis_sides, t, False, torch.float32)[0])
        return to_model_range(splat_to_time(c3, c4, *flows, t, fallback))

    def between(
        self,
        state: WindowState,
        following: WindowState,
        t: float | torch.Tensor,
        temporal: str,
        clamp: bool = True,
        pair: PairFlows | None = None,
    ) -> torch.Tensor:
        """The frame at t of a ``temporal`` mode that uses the window after (one of
        :data:`~vsstvun.model.config.NEEDS_FOLLOWING`): :meth:`warp_between` or :meth:`fuse_between`
        (given ``pair``, :meth:`pair_flows` of these windows, if already computed)."""
        if temporal == "fuse":
            return self.fuse_between(state, following, t, clamp, pair)
        if temporal == "warp":
            return self.warp_between(state, following, t, clamp)
        raise ValueError(
            f"temporal {temporal!r} does not use the window after; choose one of {sorted(NEEDS_FOLLOWING)}"
        )

    def centre_features_at(self, state: WindowState, t: float | torch.Tensor) -> list[torch.Tensor]:
        """The centre pass's decoded features as an in-between pass takes them: as they are
        (the paper), or warped from X3 to time t (``config.align_centre``), in one warp."""
        if not self.config.align_centre:
            return state.centre_decoded
        f_t3, _ = flow_to_time(state.f34, state.f43, t)
        warped = backward_warp(torch.cat(state.centre_decoded, dim=1), f_t3)
        return list(warped.split([f.shape[1] for f in state.centre_decoded], dim=1))

    def warped_lr(self, state: WindowState, t: float | torch.Tensor) -> torch.Tensor:
        """The LR frame at time t obtained by warping alone (target of the flow loss L_M)."""
        _, lr = self._warp_to_time(state, t)
        return _from_model_range(lr[..., : state.height, : state.width])

    def forward(self, frames: torch.Tensor, ts: Sequence[float]) -> torch.Tensor:
        """Centre then each time in ts: (B, 1 + len(ts), 3, sH, sW), unclamped."""
        state = self.encode_window(frames)
        outs = [self.synthesize(state, 0.0, clamp=False)]
        outs += [self.synthesize(state, float(t), clamp=False) for t in ts]
        return torch.stack(outs, dim=1)

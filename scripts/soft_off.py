"""Write the ablation of ``ModelConfig.fusion_base``: a copy of a weights file whose fusion head
never takes its soft candidates (the DIS-warped bilinear bases), their logits pinned at -50.

Everything else, the head's other weights included, is the trained file's, so evaluating both
(``python -m vsstvun.eval --model-path``) says what the soft candidates themselves earn in the
trained head, not what its longer training or its loss earned. The copy keeps its flow net
inside (no shared flow file) and is for evaluation only.

Usage: python scripts/soft_off.py IN.safetensors OUT.safetensors
"""

from __future__ import annotations

import argparse

import torch

from vsstvun.model.checkpoint import load_checkpoint, save_checkpoint

#: Far below any trained logit: softmax weight exp(-50) relative, zero in fp16.
OFF = -50.0


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("source", help="weights with config.fusion_base")
    p.add_argument("out")
    a = p.parse_args(argv)
    net = load_checkpoint(a.source)
    if not net.config.fusion_base:
        p.error(f"{a.source} has no soft candidates (config.fusion_base is off)")
    with torch.no_grad():
        net.fusion.extra_out.bias.fill_(OFF)
    save_checkpoint(net, a.out, half=True)
    print(f"{a.out}: {a.source} with its soft candidates off")


if __name__ == "__main__":
    main()

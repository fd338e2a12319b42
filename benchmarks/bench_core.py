"""Forward + gradient of the elementwise and softmax losses on large float32 batches.

PyTorch computes the same per-sample values as Gluon (reduction='none', then the mean over
the non-batch axis) and back-propagates their sum.
"""
import numpy as np

import lossbook as lb

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None


def _torch_runner(fn, pred, *others):
    pred_t = torch.from_numpy(pred).requires_grad_(True)
    others_t = [torch.from_numpy(o) for o in others]

    def run():
        pred_t.grad = None
        out = fn(pred_t, *others_t)
        out.sum().backward()
        return out
    return run


def cases():
    rng = np.random.default_rng(0)
    shape = (4000, 1000)
    pred = rng.normal(size=shape).astype(np.float32)
    label = rng.normal(size=shape).astype(np.float32)
    binary = (rng.uniform(size=shape) < 0.5).astype(np.float32)
    logits = rng.normal(scale=2.0, size=(4096, 1000)).astype(np.float32)
    index = rng.integers(0, 1000, size=4096)

    specs = [
        ("L1Loss (4000, 1000) float32", lb.L1Loss(), (pred, label),
         lambda p, y: F.l1_loss(p, y, reduction="none").mean(1)),
        ("L2Loss (4000, 1000) float32", lb.L2Loss(), (pred, label),
         lambda p, y: F.mse_loss(p, y, reduction="none").mean(1) / 2),
        ("HuberLoss (4000, 1000) float32", lb.HuberLoss(), (pred, label),
         lambda p, y: F.smooth_l1_loss(p, y, beta=1.0, reduction="none").mean(1)),
        ("SigmoidBCELoss (4000, 1000) float32", lb.SigmoidBCELoss(), (pred, binary),
         lambda p, y: F.binary_cross_entropy_with_logits(p, y, reduction="none").mean(1)),
        ("SoftmaxCELoss (4096, 1000) float32 sparse", lb.SoftmaxCELoss(), (logits, index),
         lambda p, y: F.cross_entropy(p, y, reduction="none")),
    ]
    out = []
    for name, loss, args, torch_fn in specs:
        out.append({
            "name": name,
            "lossbook": (lambda loss=loss, args=args: loss.value_and_grad(*args)),
            "torch": None if torch is None else _torch_runner(torch_fn, *args),
        })
    return out

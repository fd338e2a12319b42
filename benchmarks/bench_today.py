"""InfoNCE (CLIP's symmetric form) and Dice, forward + gradient, against PyTorch forward +
backward on the same float32 inputs.

* InfoNCELoss on two batches of N = 1024 embeddings of D = 256: PyTorch normalises both
  (``F.normalize``), takes the cosine logits over the temperature and averages the
  cross-entropies of the rows and of the columns, per sample;
* DiceLoss on 64 masks of 256 x 256 logits: PyTorch's sigmoid, the soft intersection and
  the sums per sample.

Both sides compute per-sample values and back-propagate their sum. ``cases()`` follows the
protocol of benchmarks/run.py (``make bench``; ``--only InfoNCE`` runs one).
"""
import numpy as np

import lossbook as lb

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None

TEMPERATURE = 0.07


def _torch_infonce(a, b):
    u, v = F.normalize(a, dim=1), F.normalize(b, dim=1)
    logits = u @ v.T / TEMPERATURE
    target = torch.arange(len(u))
    return (F.cross_entropy(logits, target, reduction="none")
            + F.cross_entropy(logits.T, target, reduction="none")) / 2


def _torch_dice(x, y):
    p = torch.sigmoid(x)
    return 1 - (2 * (p * y).sum(dim=(1, 2)) + 1.0) / (p.sum(dim=(1, 2)) + y.sum(dim=(1, 2)) + 1.0)


def _torch_runner(fn, inputs, grad):
    tensors = [torch.from_numpy(x).requires_grad_(i in grad) for i, x in enumerate(inputs)]

    def run():
        for t in tensors:
            t.grad = None
        out = fn(*tensors)
        out.sum().backward()
        return out
    return run


def cases():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(1024, 256)).astype(np.float32)
    b = (a + rng.normal(size=(1024, 256))).astype(np.float32)
    logits = rng.normal(scale=2.0, size=(64, 256, 256)).astype(np.float32)
    masks = (rng.uniform(size=(64, 256, 256)) < 0.1).astype(np.float32)
    infonce, dice = lb.InfoNCELoss(temperature=TEMPERATURE), lb.DiceLoss()
    return [
        {"name": "InfoNCELoss (1024, 256) float32",
         "lossbook": lambda: infonce.value_and_grad(a, b),
         "torch": None if torch is None else _torch_runner(_torch_infonce, (a, b), (0, 1))},
        {"name": "DiceLoss (64, 256, 256) float32",
         "lossbook": lambda: dice.value_and_grad(logits, masks),
         "torch": None if torch is None else _torch_runner(_torch_dice, (logits, masks), (0,))},
    ]

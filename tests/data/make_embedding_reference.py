"""Regenerate tests/data/embedding_reference.npz: values and autograd gradients from PyTorch.

Run from the repository root with PyTorch installed (the tests never need it):

    .venv/bin/pip install torch==2.13.0
    .venv/bin/python tests/data/make_embedding_reference.py

Inputs are drawn with numpy (seeded), kept away from kinks, and evaluated in float64. Where
PyTorch has the loss as a module, the module is used with ``reduction='none'`` and its
per-element output is stored; where it does not (Gluon's TripletLoss with *squared*
distances, which is not ``TripletMarginLoss``; the contrastive loss of Hadsell et al.), the
formula is written with torch operations and differentiated by autograd. Each case stores:

* ``<case>/<input>``: the inputs, by lossbook's argument names;
* ``<case>/value``: the per-element (or per-sample) loss from torch;
* ``<case>/grad_<input>``: d sum(per-sample loss) / d input, by autograd, where the
  per-sample loss is torch's ``reduction='none'`` output averaged over the non-batch axes,
  which is lossbook's default reduction;
* ``<case>/config``: lossbook constructor keywords, as a repr'd dict.
"""
import os

import numpy as np
import torch

from store import save

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "embedding_reference.npz")
BATCH, DIM = 6, 4


def tensors(**arrays):
    return {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in arrays.items()}


def record(store, case, config, inputs, value, per_sample, grad_names, extra=None):
    """Store inputs, value and the autograd gradients of sum(per_sample) for ``case``."""
    grads = torch.autograd.grad(per_sample.sum(), [inputs[n] for n in grad_names])
    for name, tensor in inputs.items():
        store[f"{case}/{name}"] = tensor.detach().numpy()
    for name, array in (extra or {}).items():
        store[f"{case}/{name}"] = array
    store[f"{case}/value"] = value.detach().numpy()
    for name, grad in zip(grad_names, grads):
        store[f"{case}/grad_{name}"] = grad.numpy()
    store[f"{case}/config"] = np.array(repr(config))


def main():
    rng = np.random.default_rng(20261122)
    store = {}

    # TripletLoss, Gluon's squared distances: relu(sum((p - a)^2 - (n - a)^2) + margin).
    for case, margin in (("triplet_m1", 1.0), ("triplet_m0", 0.0)):
        while True:
            a, p, n = (rng.normal(size=(BATCH, DIM)) for _ in range(3))
            s = np.sum((p - a) ** 2 - (n - a) ** 2, axis=1)
            if np.all(np.abs(s + margin) > 0.1) and np.any(s + margin > 0) and np.any(s + margin < 0):
                break
        t = tensors(pred=a, positive=p, negative=n)
        value = torch.relu(((t["positive"] - t["pred"]) ** 2
                            - (t["negative"] - t["pred"]) ** 2).sum(dim=1) + margin)
        record(store, case, {"margin": margin}, t, value, value, ("pred", "positive", "negative"))

    # CosineEmbeddingLoss: torch's module (its eps sits elsewhere; the inputs are far from 0).
    for case, margin in (("cosine_m0", 0.0), ("cosine_m03", 0.3)):
        label = np.array([1, -1, 1, -1, -1, 1])
        while True:
            x, y = rng.normal(size=(BATCH, DIM)), rng.normal(size=(BATCH, DIM))
            cos = np.sum(x * y, 1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
            if np.all(np.abs(cos - margin)[label == -1] > 0.05):
                break
        t = tensors(input1=x, input2=y)
        module = torch.nn.CosineEmbeddingLoss(margin=margin, reduction="none")
        value = module(t["input1"], t["input2"], torch.tensor(label))
        record(store, case, {"margin": margin}, t, value, value, ("input1", "input2"),
               extra={"label": label})

    # MarginRankingLoss: torch's module, element by element over (batch, dim).
    margin = 0.3
    label = rng.choice([-1.0, 1.0], size=(BATCH, DIM))
    x2 = rng.normal(size=(BATCH, DIM))
    gap = rng.normal(scale=1.5, size=(BATCH, DIM))
    gap[np.abs(gap - margin) < 0.05] += 0.2
    t = tensors(input1=x2 + label * gap, input2=x2)
    value = torch.nn.MarginRankingLoss(margin=margin, reduction="none")(
        t["input1"], t["input2"], torch.tensor(label))
    record(store, "ranking", {"margin": margin}, t, value, value.mean(dim=1),
           ("input1", "input2"), extra={"label": label})

    # ContrastiveLoss (Hadsell et al. 2006, label 1 = similar), written with torch ops.
    margin = 1.5
    label = np.array([1, 0, 1, 0, 0, 1])
    x2 = rng.normal(size=(BATCH, DIM))
    direction = rng.normal(size=(BATCH, DIM))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    dist = np.array([0.4, 0.7, 2.0, 1.2, 2.5, 1.0])     # dissimilar: two inside the margin, one out
    t = tensors(input1=x2 + dist[:, None] * direction, input2=x2)
    d = torch.linalg.vector_norm(t["input1"] - t["input2"], dim=1)
    lab = torch.tensor(label, dtype=torch.float64)
    value = 0.5 * lab * d ** 2 + 0.5 * (1 - lab) * torch.clamp(margin - d, min=0) ** 2
    record(store, "contrastive", {"margin": margin}, t, value, value, ("input1", "input2"),
           extra={"label": label})

    # GaussianNLLLoss: torch's module, (input, target, var) -> lossbook (pred, label, var).
    for case, full in (("gaussian", False), ("gaussian_full", True)):
        pred, label = rng.normal(size=(BATCH, DIM)), rng.normal(size=(BATCH, DIM))
        t = tensors(pred=pred, label=label, var=rng.uniform(0.1, 3.0, size=(BATCH, DIM)))
        value = torch.nn.GaussianNLLLoss(full=full, eps=1e-6, reduction="none")(
            t["pred"], t["label"], t["var"])
        record(store, case, {"full": full}, t, value, value.mean(dim=1), ("pred", "var"))

    # HuberLoss: Gluon's scaling is SmoothL1Loss(beta=rho); torch's HuberLoss(delta) is rho times it.
    for case, rho in (("huber_rho1", 1.0), ("huber_rho05", 0.5), ("huber_rho2", 2.0)):
        label = rng.normal(size=(BATCH, DIM))
        offset = rng.normal(scale=2.0, size=(BATCH, DIM))
        offset[np.abs(np.abs(offset) - rho) < 0.05] += 0.2
        t = tensors(pred=label + offset, label=label)
        value = torch.nn.SmoothL1Loss(beta=rho, reduction="none")(t["pred"], t["label"])
        huber = torch.nn.HuberLoss(delta=rho, reduction="none")(t["pred"], t["label"]).detach()
        record(store, case, {"rho": rho}, t, value, value.mean(dim=1), ("pred",),
               extra={"torch_huber": huber.numpy()})

    by_case = {}
    for key, value in store.items():
        case, _, name = key.partition("/")
        by_case.setdefault(case, {})[name] = value
    save(OUT, by_case, torch.__version__)
    print(f"wrote {OUT}: {len(store)} arrays, torch {torch.__version__}")


if __name__ == "__main__":
    main()

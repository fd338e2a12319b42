"""Regenerate tests/data/ctc_reference.npz: CTC losses and gradients from PyTorch.

Run from the repository root with torch installed (the CPU build; tests never need it):

    .venv/bin/python tests/data/make_ctc_reference.py

Made with torch 2.13.0 (CPU). Each case is stored in lossbook's (Gluon's) convention:
``<case>/pred`` is (N, T, C) activations with the blank as the LAST class, ``<case>/label`` is (N, L)
padded with -1, and ``<case>/loss``, ``<case>/grad`` are the per-sample loss and d sum(loss) / d pred.

torch.nn.functional.ctc_loss wants (T, N, C) log-probabilities with the blank at class 0,
so the activations' last class is moved to the front (and every label index shifts by
one), log_softmax is applied in torch, and the gradient flows back to the activations
through it (autograd, float64). Infeasible samples: the loss comes from
zero_infinity=False (+inf), the gradient from zero_infinity=True (zero for them).
"""
import pathlib

import numpy as np
import torch

from store import save

OUT = pathlib.Path(__file__).with_name("ctc_reference.npz")


def torch_ctc(pred, label, pred_lengths, label_lengths):
    """Per-sample loss and d sum(loss)/d pred, in lossbook's blank-last NTC convention."""
    to_torch = np.concatenate([pred[:, :, -1:], pred[:, :, :-1]], axis=2).transpose(1, 0, 2)
    x = torch.tensor(np.ascontiguousarray(to_torch), dtype=torch.float64, requires_grad=True)
    targets = torch.tensor(np.where(label >= 0, label + 1, 0))
    args = (targets, torch.tensor(pred_lengths), torch.tensor(label_lengths))
    loss = torch.nn.functional.ctc_loss(torch.log_softmax(x, dim=2), *args, blank=0,
                                        reduction="none", zero_infinity=False)
    finite = torch.nn.functional.ctc_loss(torch.log_softmax(x, dim=2), *args, blank=0,
                                          reduction="sum", zero_infinity=True)
    finite.backward()
    grad = x.grad.numpy().transpose(1, 0, 2)
    grad = np.concatenate([grad[:, :, 1:], grad[:, :, :1]], axis=2)
    return loss.detach().numpy(), np.ascontiguousarray(grad)


def case_handmade(rng):
    """Variable lengths, repeats, an empty label and an infeasible sample."""
    N, T, C = 5, 10, 6
    label = np.array([[0, 1, 2, 3, -1],       # plain
                      [2, 2, 2, -1, -1],      # repeats: needs 5 frames
                      [-1, -1, -1, -1, -1],   # empty: all blanks
                      [4, 4, 1, 1, -1],       # needs 6 frames, gets 5: infeasible
                      [1, 0, 1, 0, 1]])       # full length, 5 frames of 7
    pred_lengths = np.array([10, 7, 4, 5, 7])
    label_lengths = np.array([4, 3, 0, 4, 5])
    pred = rng.normal(scale=1.5, size=(N, T, C))
    return pred, label, pred_lengths, label_lengths


def case_random(rng):
    """A larger random batch; labels drawn from few classes so repeats are common."""
    N, T, C, L = 6, 30, 5, 12
    pred_lengths = rng.integers(20, T + 1, size=N)
    label_lengths = rng.integers(0, L + 1, size=N)
    label = rng.integers(0, C - 1, size=(N, L))
    label[np.arange(L) >= label_lengths[:, None]] = -1
    pred = rng.normal(scale=2.0, size=(N, T, C))
    return pred, label, pred_lengths, label_lengths


def main():
    rng = np.random.default_rng(20240611)
    cases = {}
    for name, make in (("handmade", case_handmade), ("random", case_random)):
        pred, label, pred_lengths, label_lengths = make(rng)
        loss, grad = torch_ctc(pred, label, pred_lengths, label_lengths)
        cases[name] = {"pred": pred, "label": label, "pred_lengths": pred_lengths,
                       "label_lengths": label_lengths, "loss": loss, "grad": grad}
    save(OUT, cases, torch.__version__)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes) with torch {torch.__version__}")


if __name__ == "__main__":
    main()

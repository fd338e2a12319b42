"""CTCLoss forward + gradient against torch.nn.functional.ctc_loss forward + backward (CPU).

``cases()`` follows the protocol of benchmarks/run.py. Run this file directly for an
interleaved timing of the two (median of 15 repeats):

    .venv/bin/python benchmarks/bench_ctc.py
"""
import time

import numpy as np

import lossbook as lb

T, N, C, L = 200, 32, 30, 40


def _inputs():
    rng = np.random.default_rng(0)
    pred = rng.normal(size=(N, T, C)).astype(np.float32)          # Gluon's NTC layout
    label = rng.integers(0, C - 1, size=(N, L))                   # blank is the last class
    pred_lengths = np.full(N, T)
    label_lengths = np.full(N, L)
    return pred, label, pred_lengths, label_lengths


def cases():
    pred, label, pred_lengths, label_lengths = _inputs()
    loss = lb.CTCLoss()

    def run_lossbook():
        return loss.value_and_grad(pred, label, pred_lengths, label_lengths)

    try:
        import torch
    except ImportError:
        run_torch = None
    else:
        torch.set_num_threads(2)
        # Same problem in torch's convention: (T, N, C) log-probabilities, blank at 0, so
        # lossbook's last class moves to the front and every label index shifts by one.
        activations = np.ascontiguousarray(
            np.concatenate([pred[:, :, -1:], pred[:, :, :-1]], axis=2).transpose(1, 0, 2))
        x = torch.tensor(activations, requires_grad=True)
        targets = torch.tensor(label + 1)
        input_lengths = torch.tensor(pred_lengths)
        target_lengths = torch.tensor(label_lengths)

        def run_torch():
            x.grad = None
            log_probs = torch.log_softmax(x, dim=2)
            out = torch.nn.functional.ctc_loss(log_probs, targets, input_lengths, target_lengths,
                                               blank=0, reduction="sum")
            out.backward()
            return out

    return [{"name": f"CTCLoss T={T} N={N} C={C} L={L} float32",
             "lossbook": run_lossbook, "torch": run_torch}]


def _main(repeats=15):
    for case in cases():
        times = {"lossbook": [], "torch": []}
        for _ in range(repeats):
            for key in times:                       # interleaved, so load hits both alike
                if case[key] is None:
                    continue
                start = time.perf_counter()
                case[key]()
                times[key].append(time.perf_counter() - start)
        ours = np.median(times["lossbook"]) * 1e3
        line = f"{case['name']}: lossbook {ours:.2f} ms"
        if times["torch"]:
            theirs = np.median(times["torch"]) * 1e3
            line += f", torch {theirs:.2f} ms, ratio {ours / theirs:.2f}"
        print(line)


if __name__ == "__main__":
    _main()

"""Speed and peak memory of lossbook against PyTorch on the same inputs (`make bench`).

Every module benchmarks/bench_*.py defines ``cases()``: a list of dicts with

* ``name``: what is measured;
* ``lossbook``: a zero-argument callable doing forward + gradient on inputs built once;
* ``torch``: the same with PyTorch (forward + backward), or None when torch is missing.

Timing: lossbook and torch run in alternating bursts of ``--burst`` calls (default 10),
``--rounds`` times (default 3), so both see the same machine load; each library has two
warm-up calls, and the table gives the median of its ``rounds * burst`` calls and the
ratio lossbook / torch. Both libraries use 2 threads: ``torch.set_num_threads(2)`` and
``lossbook.set_num_threads(2)`` (``--threads`` changes lossbook's).

Why bursts rather than single calls: after each call, PyTorch's idle OpenMP workers
busy-wait for several milliseconds (libgomp's spin before sleeping). A lossbook call
started inside that window shares the second core with a spinning thread, so strict
one-by-one alternation measures the aftermath of torch's call rather than lossbook, and
hides any gain from lossbook's second thread. Within a burst only the first calls fall in
the window; the median ignores them. ``--burst 1`` gives the strict alternation.

Peak memory: each callable runs once in a fresh subprocess; the table gives how far the
process's peak resident set rises above its size with the inputs built, in MB (results
included).

    python benchmarks/run.py [--rounds N] [--burst N] [--threads N] [--only SUBSTRING] [--no-memory]
"""
import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import lossbook

HERE = Path(__file__).parent


def load_modules():
    modules = []
    for path in sorted(HERE.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append((path.stem, module))
    return modules


def torch_available():
    try:
        import torch
    except ImportError:
        return False
    torch.set_num_threads(2)
    return True


def time_case(case, rounds, burst):
    runners = {"lossbook": case["lossbook"]}
    if case.get("torch") is not None:
        runners["torch"] = case["torch"]
    times = {key: [] for key in runners}
    for fn in runners.values():
        fn(), fn()                                   # warm-up
    for _ in range(rounds):
        for key, fn in runners.items():              # interleaved bursts
            for _ in range(burst):
                start = time.perf_counter()
                fn()
                times[key].append(time.perf_counter() - start)
    return {key: statistics.median(values) for key, values in times.items()}


def peak_growth_mb(module, index, impl):
    """Run one case once in a fresh interpreter; return the growth of its peak RSS in MB.

    The peak (VmHWM) is reset after the inputs are built (Linux: clear_refs 5), so the
    figure is what the forward + gradient call itself needs on top of its inputs, including
    the arrays it returns (the gradient alone is 16 MB for a (4000, 1000) float32 input).
    """
    code = (
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('m', {str(HERE / (module + '.py'))!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        f"import lossbook; lossbook.set_num_threads({lossbook.get_num_threads()})\n"
        "try:\n    import torch; torch.set_num_threads(2)\nexcept ImportError:\n    pass\n"
        "def status(key):\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith(key):\n            return int(line.split()[1])\n"
        f"case = m.cases()[{index}]\n"
        "open('/proc/self/clear_refs', 'w').write('5')\n"
        "before = status('VmRSS:')\n"
        f"result = case[{impl!r}]()\n"
        "print((status('VmHWM:') - before) / 1024)\n")
    # a fixed mmap threshold makes glibc return every large block on free, so the resident
    # set follows live memory instead of keeping freed heap pages
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if result.returncode:
        return float("nan")
    return float(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--only", default="")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--threads", type=int, default=2,
                        help="threads for lossbook's blocked path (torch always has 2)")
    options = parser.parse_args()
    lossbook.set_num_threads(options.threads)
    has_torch = torch_available()
    if not has_torch:
        print("torch is not installed: timing lossbook alone "
              "(`.venv/bin/pip install torch==2.13.0` for the comparison)\n")
    header = (f"| {'case':<44} | {'lossbook ms':>11} | {'torch ms':>9} | {'ratio':>6} "
              f"| {'lossbook MB':>11} | {'torch MB':>8} |")
    print(header)
    print("|" + "|".join("-" * (len(part)) for part in header.split("|")[1:-1]) + "|")
    for module_name, module in load_modules():
        for index, case in enumerate(module.cases()):
            if options.only not in case["name"]:
                continue
            times = time_case(case, options.rounds, options.burst)
            lb_ms = times["lossbook"] * 1e3
            torch_ms = times.get("torch", float("nan")) * 1e3
            ratio = lb_ms / torch_ms if "torch" in times else float("nan")
            if options.no_memory:
                lb_mb = torch_mb = float("nan")
            else:
                lb_mb = peak_growth_mb(module_name, index, "lossbook")
                torch_mb = peak_growth_mb(module_name, index, "torch") if "torch" in times \
                    else float("nan")
            print(f"| {case['name']:<44} | {lb_ms:>11.2f} | {torch_ms:>9.2f} | {ratio:>6.2f} "
                  f"| {lb_mb:>11.1f} | {torch_mb:>8.1f} |", flush=True)


if __name__ == "__main__":
    main()

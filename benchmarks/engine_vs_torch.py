"""Engine vs torch on CPU, float64: median time ratio engine/torch (lower is better).

Run: python benchmarks/engine_vs_torch.py [--rounds N]

Each case is timed in interleaved rounds (engine, torch, engine, torch, ...)
so that both see the same machine state; the printed ratio is the median of
the per-round ratios.  Both libraries run single-threaded (numpy through
threadpoolctl when it is installed, otherwise through the *_NUM_THREADS
variables set before numpy loads; torch through set_num_threads(1)), so the
comparison measures the libraries, not the thread pools.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

# Runnable from a checkout without installing: python benchmarks/engine_vs_torch.py
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import verifier.engine as engine  # noqa: E402

THREADS = 1
torch.set_num_threads(THREADS)


def chain(lib, x):
    """100 elementwise ops on a tiny tensor, then backward: per-op overhead."""
    y = x
    for _ in range(25):
        y = y * 1.001
        y = y + 0.5
        y = y - 0.25
        y = y / 1.002
    y.sum().backward()


def polynomial(lib, x):
    lib.mean(3 * (x + 2) ** 2).backward()


def sin_exp(lib, x):
    lib.sum(lib.sin(x) * lib.exp(x)).backward()


def matmul(lib, a, b):
    lib.sum(a @ b).backward()


def numpy_matmul_floor(lib, a, b):
    """Not the engine: the three matrix products a plain tape would run for
    sum(A@B) (forward, then G B^T and A^T G with G = ones).  The engine's RAW
    matmul multiplies a broadcast G's single row/column instead, so it can beat this."""
    a, b = a.detach().numpy(), b.detach().numpy()
    g = np.ones((a.shape[0], b.shape[1]))
    np.sum(a @ b)
    return g @ b.T, a.T @ g


def _inputs(lib, case, rng):
    def leaf(shape):
        return lib.tensor(rng.standard_normal(shape), dtype=lib.float64, requires_grad=True)
    if case == "matmul":
        return (leaf((512, 512)), leaf((512, 512)))
    if case == "chain":
        return (leaf((3,)),)
    return (leaf((1_000_000,)),)


CASES = {
    "per-op chain (100 ops, 3 elements, fwd+bwd)": ("chain", chain, 0.8, 200),
    "mean(3*(x+2)**2), 1e6": ("polynomial", polynomial, 1.0, 20),
    "sum(sin(x)*exp(x)), 1e6": ("sin_exp", sin_exp, 2.0, 10),
    "sum(A@B), 512x512": ("matmul", matmul, 1.0, 20),
}
# Reference rows: a pure numpy computation in the engine's column, timed the same way.
REFERENCES = {
    "  reference: numpy 3-matmul floor of sum(A@B)": ("matmul", numpy_matmul_floor, matmul, 20),
}


def _time(fn, lib, args, repeats):
    for a in args:
        a.grad = None
    start = time.perf_counter()
    for _ in range(repeats):
        fn(lib, *args)
    return (time.perf_counter() - start) / repeats


def measure(rounds: int):
    rng = np.random.default_rng(0)
    results = []
    for label, (case, fn, target, repeats) in CASES.items():
        e_args = _inputs(engine, case, rng)
        t_args = tuple(torch.tensor(a.detach().numpy(), requires_grad=True) for a in e_args)
        try:
            fn(engine, *e_args)  # warm-up
        except (AttributeError, KeyError) as exc:
            results.append((label, None, target, exc, None))
            continue
        fn(torch, *t_args)
        ratios, e_times, t_times = [], [], []
        for _ in range(rounds):
            e = _time(fn, engine, e_args, repeats)
            t = _time(fn, torch, t_args, repeats)
            e_times.append(e)
            t_times.append(t)
            ratios.append(e / t)
        results.append((label, statistics.median(ratios), target,
                        statistics.median(e_times), statistics.median(t_times)))
    for label, (case, reference, torch_fn, repeats) in REFERENCES.items():
        e_args = _inputs(engine, case, rng)
        t_args = tuple(torch.tensor(a.detach().numpy(), requires_grad=True) for a in e_args)
        ratios, e_times, t_times = [], [], []
        for _ in range(rounds):
            e = _time(reference, engine, e_args, repeats)
            t = _time(torch_fn, torch, t_args, repeats)
            e_times.append(e)
            t_times.append(t)
            ratios.append(e / t)
        results.append((label, statistics.median(ratios), None,
                        statistics.median(e_times), statistics.median(t_times)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    print(f"threads: numpy {THREADS} (BLAS env vars), torch {torch.get_num_threads()}; "
          f"torch {torch.__version__}, numpy {np.__version__}")
    print(f"{'case':48} {'engine':>10} {'torch':>10} {'ratio':>7} {'target':>7}")
    for label, ratio, target, e, t in measure(args.rounds):
        if ratio is None:
            print(f"{label:48} not run: the engine lacks an operation ({e})")
            continue
        if target is None:
            print(f"{label:48} {e * 1e3:8.3f}ms {t * 1e3:8.3f}ms {ratio:7.2f}")
            continue
        mark = "ok" if ratio <= target else "MISSED"
        print(f"{label:48} {e * 1e3:8.3f}ms {t * 1e3:8.3f}ms {ratio:7.2f} {target:7.1f}  {mark}")


if __name__ == "__main__":
    main()

"""Benchmark: TensorFlow's CPU matmul throughput against NumPy's, at a few sizes in one run.

    .venv/bin/python bench/matmul.py [--sizes 1000,2000,4000] [--rounds 5] [--warmup 1] [--dtype float32]

Uses the devices task's timing engine (inputs created before timing, warm-up products not
counted, every product finished before the clock stops), prints a GFLOP/s ratio table and
writes the figures with a machine description to bench/results/matmul-<timestamp>.json.
This is a benchmark, not a test: the numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys
from pathlib import Path

from fmnist_tui.engine.devices import (
    NumpyBackend,
    TensorFlowBackend,
    parse_dtype,
    parse_sizes,
    plausibility,
    time_products,
    timing_stats,
)
from fmnist_tui.engine.environment import describe
from fmnist_tui.engine.peaks import cpu_peak_gflops, read_cpuinfo
from fmnist_tui.engine.summaries import to_json

RESULTS = Path(__file__).resolve().parent / "results"


def machine(dtype: str) -> dict:
    import numpy

    from fmnist_tui.engine._tf import tensorflow

    tf = tensorflow()
    cpuinfo = read_cpuinfo()
    try:
        blas = numpy.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    except Exception:  # older NumPy
        blas = {}
    return {
        **describe(),
        "cpu": cpuinfo.to_dict(),
        "cpu_peak_gflops_estimate": round(cpu_peak_gflops(dtype, cpuinfo), 1),
        "numpy_blas": {k: blas.get(k) for k in ("name", "version", "openblas configuration") if k in blas},
        "tf_intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "tf_inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                          "TF_ENABLE_ONEDNN_OPTS", "TF_NUM_INTRAOP_THREADS") if k in os.environ},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,2000,4000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    args = parser.parse_args(argv)
    sizes, dtype = parse_sizes(args.sizes), parse_dtype(args.dtype)

    tf_backend, np_backend = TensorFlowBackend(), NumpyBackend()
    tf_cpu = tf_backend.devices()[0]
    np_cpu = np_backend.devices()[0]
    info = machine(dtype)
    peak = info["cpu_peak_gflops_estimate"]
    print(f"{info['processor']} · {info['cpu']['model']} · {info['cpu_count']} CPUs · "
          f"TF {info['tensorflow']} · NumPy {info['numpy']} ({info['numpy_blas'].get('name', '?')})")
    print(f"{dtype}, median of {args.rounds} rounds after {args.warmup} warm-up; plausible peak ≤ {peak:.0f} GFLOP/s\n")

    results = []
    header = f"{'n':>6} | {'TF ms':>10} | {'TF GFLOP/s':>10} | {'NumPy ms':>10} | {'NumPy GFLOP/s':>13} | {'TF/NumPy':>8}"
    print(header)
    print("-" * len(header))
    for n in sizes:
        entry: dict = {"size": n}
        for key, backend, device in (("tensorflow", tf_backend, tf_cpu), ("numpy", np_backend, np_cpu)):
            a, b = backend.make_inputs(device, n, dtype)
            times = time_products(backend, device, a, b, args.rounds, args.warmup)
            del a, b
            stats = timing_stats(times, n)
            reason = plausibility(n, times, peak)
            entry[key] = {**{k: round(v, 4) for k, v in stats.items()},
                          "times_ms": [round(t * 1e3, 4) for t in times], "rejected": reason}
        tf_g, np_g = entry["tensorflow"]["gflops"], entry["numpy"]["gflops"]
        entry["ratio_tf_over_numpy"] = round(tf_g / np_g, 3)
        results.append(entry)
        flag = "  (implausible: rejected)" if entry["tensorflow"]["rejected"] or entry["numpy"]["rejected"] else ""
        print(f"{n:>6} | {entry['tensorflow']['median_ms']:>10.2f} | {tf_g:>10.1f} | "
              f"{entry['numpy']['median_ms']:>10.2f} | {np_g:>13.1f} | {tf_g / np_g:>7.2f}×{flag}", flush=True)

    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"matmul-{stamp}.json"
    payload = {
        "benchmark": "matmul",
        "created_at": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "dtype": dtype, "rounds": args.rounds, "warmup": args.warmup,
        "method": "median of rounds after warm-up products; clock stopped after a sum of the whole "
                  "result was fetched to the host (time.perf_counter)",
        "machine": info,
        "results": results,
    }
    path.write_text(to_json(payload), encoding="utf-8")
    print(f"\nwrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

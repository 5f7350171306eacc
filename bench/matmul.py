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

from fmnist_tui.engine.devices import parse_dtype, parse_sizes
from fmnist_tui.engine.matmul import NumpyBackend, TensorFlowBackend, plausibility, time_products, timing_stats
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


def measure(sizes: str, rounds: int, warmup: int, dtype: str) -> dict:
    """TensorFlow and NumPy on the CPU at each size, timed the devices task's way."""
    sizes_, dtype = parse_sizes(sizes), parse_dtype(dtype)
    tf_backend, np_backend = TensorFlowBackend(), NumpyBackend()
    tf_cpu, np_cpu = tf_backend.devices()[0], np_backend.devices()[0]
    peak = cpu_peak_gflops(dtype, read_cpuinfo())
    results = []
    for n in sizes_:
        entry: dict = {"size": n}
        for key, backend, device in (("tensorflow", tf_backend, tf_cpu), ("numpy", np_backend, np_cpu)):
            a, b = backend.make_inputs(device, n, dtype)
            times = time_products(backend, device, a, b, rounds, warmup)
            del a, b
            stats = timing_stats(times, n)
            entry[key] = {**{k: round(v, 4) for k, v in stats.items()},
                          "times_ms": [round(t * 1e3, 4) for t in times], "rejected": plausibility(n, times, peak)}
        entry["ratio_tf_over_numpy"] = round(entry["tensorflow"]["gflops"] / entry["numpy"]["gflops"], 3)
        results.append(entry)
    if hasattr(np_backend, "close"):
        np_backend.close()
    return {
        "benchmark": "matmul", "dtype": dtype, "rounds": rounds, "warmup": warmup,
        "plausible_peak_gflops": round(peak, 1),
        "method": "median of rounds after warm-up products; clock stopped after a sum of the whole "
                  "result was fetched to the host (time.perf_counter)",
        "results": results,
    }


def table(report: dict) -> str:
    lines = [f"{report['dtype']}, median of {report['rounds']} rounds after {report['warmup']} warm-up; "
             f"plausible peak ≤ {report['plausible_peak_gflops']:.0f} GFLOP/s", "",
             "| n | TF ms | TF GFLOP/s | NumPy ms | NumPy GFLOP/s | TF / NumPy |",
             "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    for e in report["results"]:
        flag = " (implausible: rejected)" if e["tensorflow"]["rejected"] or e["numpy"]["rejected"] else ""
        lines.append(f"| {e['size']} | {e['tensorflow']['median_ms']:.2f} | {e['tensorflow']['gflops']:.1f} | "
                     f"{e['numpy']['median_ms']:.2f} | {e['numpy']['gflops']:.1f} | {e['ratio_tf_over_numpy']:.2f}×{flag} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,2000,4000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    args = parser.parse_args(argv)
    info = machine(args.dtype)
    print(f"{info['processor']} · {info['cpu']['model']} · {info['cpu_count']} CPUs · "
          f"TF {info['tensorflow']} · NumPy {info['numpy']} ({info['numpy_blas'].get('name', '?')})")
    report = measure(args.sizes, args.rounds, args.warmup, args.dtype)
    print(table(report))
    payload = {**report, "created_at": _dt.datetime.now().astimezone().isoformat(timespec="seconds"), "machine": info}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"matmul-{_dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(to_json(payload), encoding="utf-8")
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

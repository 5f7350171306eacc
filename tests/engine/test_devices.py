"""The devices task: synchronised timings, plausibility guard, config validation, reports.

Fake backends live only here: they complete products asynchronously (like a GPU) or pretend
to have a GPU, so the timing loop's guarantees can be proven on a CPU-only machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fmnist_tui.engine import devices as dv
from fmnist_tui.engine import matmul
from fmnist_tui.engine.devices import DevicesConfig, DevicesDetected, DevicesTask, TimingMeasured, render_markdown
from fmnist_tui.engine.matmul import DeviceInfo, make_row, plausibility, time_products
from fmnist_tui.engine.errors import ConfigError
from fmnist_tui.engine.events import Progress, RunCancelled, RunFailed, RunFinished
from fmnist_tui.engine.peaks import CpuInfo, cpu_flops_per_cycle, cpu_peak_gflops, gpu_peak_gflops, parse_cpuinfo
from fmnist_tui.engine.runner import CancelToken, execute, run_collecting

GB = 1024**3


class _Pending:
    """A product dispatched to a background worker; done when `event` is set."""

    def __init__(self, delay: float) -> None:
        self.event = threading.Event()
        self._timer = threading.Timer(delay, self.event.set)
        self._timer.start()


class AsyncFakeBackend:
    """`matmul` returns at once, the work finishes later in a thread; only `finish` waits.

    `delays` maps device ids to the seconds a product takes; `wait=False` makes `finish`
    return without waiting, which is the original exercise's bug.
    """

    label = "Fake"

    def __init__(self, delays=None, gpus=(), wait=True, free=64 * GB, unsupported=None, cancel_after=None):
        self.delays = {"CPU:0": 0.02, **(delays or {})}
        self.gpus = list(gpus)
        self.wait = wait
        self.free = free
        self._unsupported = unsupported or {}
        self.cancel_after = cancel_after  # (token, number of products) or None
        self.products = 0
        self.inputs: list[tuple[str, int]] = []
        self.tf32 = True
        self.tf32_calls: list[bool] = []

    def devices(self):
        found = [DeviceInfo("CPU:0", "cpu", "Fake CPU", self.label, self.free, self.free)]
        for i, (name, cc) in enumerate(self.gpus):
            found.append(DeviceInfo(f"GPU:{i}", "gpu", name, self.label, self.free, self.free, cc))
        return found

    def unsupported(self, device, dtype):
        return self._unsupported.get(device.id)

    def make_inputs(self, device, n, dtype):
        self.inputs.append((device.id, n))
        return (device, n), (device, n)

    def matmul(self, device, a, b):
        self.products += 1
        if self.cancel_after and self.products == self.cancel_after[1]:
            self.cancel_after[0].cancel()
        return _Pending(self.delays[device.id])

    def finish(self, result):
        if self.wait:
            result.event.wait()
        return 0.0

    def placement(self, tensor):
        return tensor[0].id

    def tf32_enabled(self):
        return self.tf32

    def set_tf32(self, enabled):
        self.tf32_calls.append(enabled)
        self.tf32 = enabled


def fake_task(backend, **kwargs):
    kwargs.setdefault("numpy", False)
    return DevicesTask(backend=backend, **kwargs)


def terminal(events):
    return events[-1]


def rows_of(events):
    return terminal(events).summary["rows"]


# ----------------------------------------------------------------- synchronisation


def test_time_products_waits_for_asynchronous_work():
    backend = AsyncFakeBackend()
    cpu = backend.devices()[0]
    a, b = backend.make_inputs(cpu, 64, "float32")
    start = time.perf_counter()
    times = time_products(backend, cpu, a, b, rounds=3, warmup=2)
    assert len(times) == 3
    assert min(times) >= 0.02  # the clock stopped after the work, not after the dispatch
    assert time.perf_counter() - start >= 5 * 0.02  # warm-ups ran, and were finished too


def test_async_backend_rows_include_the_work(tmp_path):
    events = run_collecting(fake_task(AsyncFakeBackend(), sizes="64", rounds=3, warmup=1), tmp_path)
    assert isinstance(terminal(events), RunFinished)
    (row,) = rows_of(events)
    assert not row["rejected"]
    assert row["min_ms"] >= 20.0 and row["median_ms"] >= 20.0
    assert all(t >= 20.0 for t in row["times_ms"])
    assert row["rounds"] == 3 and row["warmup"] == 1


def test_unsynchronized_backend_gpu_row_is_rejected(tmp_path):
    # The original bug: the clock stops after dispatch; a 10000² product in microseconds.
    backend = AsyncFakeBackend(delays={"GPU:0": 0.0004}, gpus=[("NVIDIA A100-SXM4-40GB", (8, 0))], wait=False)
    backend.delays["CPU:0"] = 0.0004
    events = run_collecting(fake_task(backend, sizes="10000", rounds=2, warmup=1, devices="gpu"), tmp_path)
    assert isinstance(terminal(events), RunFinished)
    (gpu,) = [r for r in rows_of(events) if r["device"] == "GPU:0"]
    assert gpu["rejected"] is True
    assert "not synchronized — result rejected" in gpu["reason"]
    assert gpu["gflops"] is None and gpu["median_ms"] is None and "times_ms" not in gpu
    markdown = (Path(terminal(events).summary_path)).read_text()
    assert "not synchronized — result rejected" in markdown
    logged = [e for e in events if isinstance(e, TimingMeasured)]
    assert any(e.row["rejected"] for e in logged)


def test_five_petaflops_is_implausible_for_any_gpu():
    # The original report: 10000×10000 in 0.39 ms, i.e. ~5 PFLOP/s.
    times = [0.39e-3] * 10
    for name, cc in [("NVIDIA A100-SXM4-40GB", (8, 0)), ("NVIDIA H100 80GB HBM3", (9, 0)), ("Mystery GPU", None)]:
        peak, _ = gpu_peak_gflops(name, cc, "float32")
        assert plausibility(10000, times, peak) is not None
    row = make_row(10000, DeviceInfo("GPU:0", "gpu", "Mystery GPU"), "float32", times,
                   gpu_peak_gflops("Mystery GPU", None, "float32")[0])
    assert row["rejected"] and row["gflops"] is None
    # while an honest A100 timing (~0.13 s, 15 TFLOP/s) passes
    assert plausibility(10000, [0.13] * 10, gpu_peak_gflops("NVIDIA A100-SXM4-40GB", (8, 0), "float32")[0]) is None


def test_fake_gpu_gets_speedup_and_tf32_label(tmp_path):
    backend = AsyncFakeBackend(delays={"CPU:0": 0.03, "GPU:0": 0.003}, gpus=[("NVIDIA A100-SXM4-40GB", (8, 0))])
    events = run_collecting(fake_task(backend, sizes="256,512", rounds=3, warmup=1), tmp_path)
    summary = terminal(events).summary
    assert summary["status"] == "completed" and summary["gpu_present"] is True
    gpu_rows = [r for r in summary["rows"] if r["device"] == "GPU:0"]
    assert [r["dtype"] for r in gpu_rows] == ["float32 (TF32)"] * 2 and all(r["tf32"] for r in gpu_rows)
    assert {s["size"] for s in summary["speedups"]} == {256, 512}
    for s in summary["speedups"]:
        assert s["device"] == "GPU:0" and s["vs"] == "CPU:0" and 4 < s["speedup"] < 15
    markdown = Path(terminal(events).summary_path).read_text()
    assert "GPU:0" in markdown and "×" in markdown and "no GPU" not in markdown
    detected = [e for e in events if isinstance(e, DevicesDetected)]
    assert detected and detected[0].gpu_present and len(detected[0].devices) == 2


def test_tf32_off_is_applied_and_restored(tmp_path):
    backend = AsyncFakeBackend(delays={"GPU:0": 0.002}, gpus=[("NVIDIA A100-SXM4-40GB", (8, 0))])
    events = run_collecting(fake_task(backend, sizes="64", rounds=1, warmup=0, tf32="off"), tmp_path)
    summary = terminal(events).summary
    assert summary["tf32"] == {"requested": "off", "enabled": False}
    assert [r["dtype"] for r in summary["rows"] if r["device"] == "GPU:0"] == ["float32"]
    assert backend.tf32_calls == [False, True]  # switched off for the run, then restored


def test_unsupported_dtype_skips_device_with_note(tmp_path):
    backend = AsyncFakeBackend(delays={"GPU:0": 0.002}, gpus=[("Fake GPU", (8, 6))],
                               unsupported={"GPU:0": "float16 is not supported on GPU:0"})
    events = run_collecting(fake_task(backend, sizes="64", rounds=1, dtype="float16"), tmp_path)
    summary = terminal(events).summary
    assert summary["status"] == "completed"
    assert [r["device"] for r in summary["rows"]] == ["CPU:0"]
    assert summary["skipped"] == [{"device": "GPU:0", "reason": "float16 is not supported on GPU:0"}]

    nothing = AsyncFakeBackend(unsupported={"CPU:0": "no float16 here"})
    failed = terminal(run_collecting(fake_task(nothing, sizes="64", rounds=1, dtype="float16"), tmp_path))
    assert isinstance(failed, RunFailed) and "float16" in failed.error


# ----------------------------------------------------------------- cancel and memory


def test_cancel_stops_within_one_product_and_keeps_rows(tmp_path):
    token = CancelToken()
    # products: 2 calibration + (1 warm-up + 2 rounds) per row; cancel during the 2nd row
    backend = AsyncFakeBackend(delays={"CPU:0": 0.001}, cancel_after=(token, 2 + 3 + 2))
    events = run_collecting(fake_task(backend, sizes="64,128,256", rounds=2, warmup=1), tmp_path, token)
    end = terminal(events)
    assert isinstance(end, RunCancelled)
    assert end.summary["status"] == "cancelled"
    assert [r["size"] for r in end.summary["rows"]] == [64]
    assert backend.products == 2 + 3 + 2  # no product started after the cancel
    saved = json.loads((end.summary_path.parent / "summary.json").read_text())
    assert saved["status"] == "cancelled" and len(saved["rows"]) == 1
    assert "Interrupted" in end.summary_path.read_text()


def test_cancel_mid_run_with_real_tensorflow(tmp_path):
    token = CancelToken()
    events = []

    def emit(event):
        events.append(event)
        if isinstance(event, TimingMeasured):
            token.cancel()

    execute(DevicesTask(sizes="64,128", rounds=2, numpy=False), emit, token, tmp_path)
    assert isinstance(events[-1], RunCancelled)
    assert len(events[-1].summary["rows"]) == 1


def test_memory_refused_before_allocating(tmp_path):
    backend = AsyncFakeBackend(free=1 * GB)
    events = run_collecting(fake_task(backend, sizes="100,20000", rounds=1), tmp_path)
    end = terminal(events)
    assert isinstance(end, RunFailed)
    assert "20000" in end.error and "does not fit" in end.error and "CPU:0" in end.error
    assert backend.inputs == [] and backend.products == 0
    assert end.summary["status"] == "failed"


def test_host_memory_check_at_construction(monkeypatch):
    config = DevicesConfig.parse({"sizes": "1000,30000"})
    with pytest.raises(ConfigError) as err:
        config.check_host_memory(available=2 * GB)
    assert err.value.field == "sizes" and "30000" in err.value.message
    config.check_host_memory(available=64 * GB)  # fits

    monkeypatch.setattr(dv, "host_memory_available", lambda: 2 * GB)
    with pytest.raises(ConfigError) as err:
        DevicesTask(sizes="30000")
    assert err.value.field == "sizes"


def test_huge_size_refused_on_this_machine():
    need = dv.matrices_bytes(65536, "float64")
    available = dv.host_memory_available()
    if available is None or available * dv.MEMORY_MARGIN >= need:
        pytest.skip("this machine has enough memory for three 65536² float64 matrices")
    with pytest.raises(ConfigError) as err:
        DevicesTask(sizes="65536", dtype="float64")
    assert err.value.field == "sizes"


def test_meminfo_parsing():
    text = "MemTotal:       24683656 kB\nMemFree:  100 kB\nMemAvailable:   24208020 kB\n"
    assert matmul.host_memory_available(text) == 24208020 * 1024
    assert matmul.host_memory_total(text) == 24683656 * 1024
    assert matmul.host_memory_available("nothing") is None


def test_gpu_free_memory_from_nvidia_smi():
    gpus = matmul.parse_nvidia_smi_gpus("0, GPU-aaa, 81559, 300\n1, GPU-bbb, 81559, 80000\ngarbage\n")
    apps = matmul.parse_nvidia_smi_apps("4242, GPU-aaa, 81000\n17, GPU-aaa, 200\n")
    assert gpus[0] == {"index": 0, "uuid": "GPU-aaa", "total": 81559 * 2**20, "free": 300 * 2**20}
    # TensorFlow reserved 81000 MiB in process 4242 and uses 1000 MiB of it for tensors
    free, total = matmul.gpu_memory_for_process(gpus, apps, 0, 4242, 1000 * 2**20)
    assert free == (300 + 81000 - 1000) * 2**20 and total == 81559 * 2**20
    assert matmul.gpu_memory_for_process(gpus, apps, 1, 4242, 0) == (80000 * 2**20, 81559 * 2**20)
    assert matmul.gpu_memory_for_process(gpus, apps, 5, 4242, 0) == (None, None)


# ----------------------------------------------------------------- real TensorFlow on the CPU


def test_real_cpu_timings(tmp_path):
    events = run_collecting(DevicesTask(sizes="64,128", rounds=3), tmp_path)
    end = terminal(events)
    assert isinstance(end, RunFinished), getattr(end, "error", "")
    summary = end.summary
    assert summary["task"] == "devices" and summary["status"] == "completed"
    rows = summary["rows"]
    assert [(r["size"], r["device"]) for r in rows] == [
        (64, "CPU:0"), (64, "NumPy (CPU)"), (128, "CPU:0"), (128, "NumPy (CPU)")]
    peak = cpu_peak_gflops("float32")
    for r in rows:
        assert not r["rejected"], r["reason"]
        assert 0 < r["gflops"] < peak
        assert r["min_ms"] <= r["median_ms"] and r["stdev_ms"] >= 0 and len(r["times_ms"]) == 3
        assert r["dtype"] == "float32" and r["peak_gflops"] == pytest.approx(peak, rel=1e-3)
    assert rows[0]["placed_on"] == "CPU:0"
    assert "fetched to the host) before the clock stops" in summary["method"]
    assert summary["estimate"]["seconds"] is not None and summary["estimate"]["memory_bytes"]["CPU:0"] > 0
    if not summary["environment"]["gpus"]:
        assert summary["gpu_present"] is False and summary["speedups"] == []
        assert any("no GPU" in n for n in summary["notes"])
    run_dir = end.summary_path.parent
    saved = json.loads((run_dir / "summary.json").read_text())
    assert saved["rows"] == json.loads(json.dumps(rows))
    markdown = (run_dir / "summary.md").read_text()
    assert "| size | processor |" in markdown and "NumPy (CPU)" in markdown
    assert sum(isinstance(e, TimingMeasured) for e in events) == 4
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress and progress[-1].done == progress[-1].total == 2 * 2 * (2 + 3)


def test_gpu_requested_without_gpu_completes_on_cpu(tmp_path):
    events = run_collecting(DevicesTask(sizes="32", rounds=1, devices="gpu", numpy=False), tmp_path)
    end = terminal(events)
    assert isinstance(end, RunFinished)
    if end.summary["environment"]["gpus"]:
        pytest.skip("this machine has a GPU")
    assert end.summary["gpu_present"] is False
    assert [r["device"] for r in end.summary["rows"]] == ["CPU:0"]
    assert any(n.startswith("no GPU") for n in end.summary["notes"])
    assert "no GPU" in end.summary_path.read_text()


@pytest.mark.parametrize("dtype", ["float64", "float16", "bfloat16"])
def test_real_cpu_other_dtypes(tmp_path, dtype):
    events = run_collecting(DevicesTask(sizes="48", rounds=2, warmup=1, dtype=dtype, devices="cpu"), tmp_path)
    end = terminal(events)
    assert isinstance(end, RunFinished), getattr(end, "error", "")
    devices = [r["device"] for r in end.summary["rows"]]
    if dtype == "float64":
        assert devices == ["CPU:0", "NumPy (CPU)"]
    else:  # NumPy has no BLAS for half precision: skipped with a note, not timed slowly
        assert "NumPy (CPU)" not in devices
        assert any("NumPy" in s["device"] for s in end.summary["skipped"])
    assert all(r["dtype"] == dtype for r in end.summary["rows"])


def test_module_import_does_not_load_tensorflow():
    code = "import sys, fmnist_tui.engine.devices; assert 'tensorflow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------- config


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"sizes": "0"}, "sizes"),
        ({"sizes": "-5"}, "sizes"),
        ({"sizes": "abc"}, "sizes"),
        ({"sizes": "1.5"}, "sizes"),
        ({"sizes": "500,1.5"}, "sizes"),
        ({"sizes": [1.5]}, "sizes"),
        ({"sizes": [True]}, "sizes"),
        ({"sizes": ""}, "sizes"),
        ({"sizes": []}, "sizes"),
        ({"sizes": "1000000"}, "sizes"),
        ({"sizes": str(dv.MAX_SIZE + 1)}, "sizes"),
        ({"rounds": 0}, "rounds"),
        ({"rounds": "0"}, "rounds"),
        ({"rounds": 1001}, "rounds"),
        ({"rounds": "ten"}, "rounds"),
        ({"warmup": -1}, "warmup"),
        ({"dtype": "int8"}, "dtype"),
        ({"dtype": "float128"}, "dtype"),
        ({"devices": "tpu"}, "devices"),
        ({"devices": "cpu,quantum"}, "devices"),
        ({"devices": ""}, "devices"),
        ({"tf32": "maybe"}, "tf32"),
    ],
)
def test_bad_config_raises_with_field(kwargs, field):
    with pytest.raises(ConfigError) as err:
        DevicesTask(**kwargs)
    assert err.value.field == field
    assert err.value.message


def test_config_parsing_accepts_reasonable_input():
    c = DevicesConfig.parse({"sizes": " 500, 1000 5000;500", "rounds": "3", "dtype": "FP16", "devices": "CPU,gpu:1",
                             "tf32": "ON"})
    assert c.sizes == (500, 1000, 5000) and c.rounds == 3 and c.dtype == "float16"
    assert c.devices == ("cpu", "gpu:1") and c.tf32 == "on"
    assert DevicesConfig.parse({"sizes": [64, 128.0], "dtype": "bf16", "tf32": False}).sizes == (64, 128)
    assert DevicesConfig.parse({"tf32": ""}).tf32 is None
    default = DevicesTask(check_memory=False).config_dict()
    assert default == {"sizes": [500, 1000, 5000, 10000], "rounds": 10, "dtype": "float32",
                       "devices": ["cpu", "gpu"], "tf32": None, "warmup": 2, "numpy": True}
    json.dumps(default)


# ----------------------------------------------------------------- reports and peaks


def test_render_markdown_copes_with_partial_summaries():
    assert "No products were timed" in render_markdown({})
    assert render_markdown({"status": "failed", "error": "boom", "hint": "try again", "rows": None})
    partial = {
        "status": "cancelled", "gpu_present": False, "sizes": [64, 128],
        "rows": [{"size": 64, "device": "CPU:0", "rejected": False, "median_ms": 1.0}, "junk"],
        "in_progress": {"size": 128, "device": "CPU:0"}, "devices": [{"id": "CPU:0"}], "tf32": {},
    }
    text = render_markdown(partial)
    assert "64" in text and "no GPU" in text and "Interrupted" in text


def test_cpu_peak_from_cpuinfo_flags():
    def info(flags, mhz="2600.0"):
        text = "".join(f"processor\t: {i}\nmodel name\t: Test CPU\ncpu MHz\t\t: {mhz}\nflags\t\t: {flags}\n\n"
                       for i in range(4))
        return parse_cpuinfo(text)

    avx512 = info("fpu sse2 avx avx2 fma avx512f")
    assert avx512.logical_cpus == 4 and avx512.mhz == 2600.0
    assert cpu_flops_per_cycle(avx512, "float32") == 64
    assert cpu_flops_per_cycle(info("sse2 avx avx2 fma"), "float32") == 32
    assert cpu_flops_per_cycle(info("sse2"), "float32") == 8
    assert cpu_flops_per_cycle(avx512, "float64") == 32
    assert cpu_flops_per_cycle(info("avx512f amx_bf16"), "bfloat16") >= 1024
    assert cpu_peak_gflops("float32", avx512) == pytest.approx(4 * 2.6 * 64 * 1.5)
    unknown = CpuInfo(model=None, mhz=None, logical_cpus=2, x86=False)
    assert cpu_peak_gflops("float32", unknown) >= 2 * 5.0 * 64  # generous when unknown
    clocked = parse_cpuinfo("model name : Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz\ncpu MHz : 1000.0\nflags : avx2 fma\n")
    assert clocked.mhz == 2100.0


def test_gpu_peaks_table_and_fallback():
    a100, source = gpu_peak_gflops("NVIDIA A100-SXM4-80GB", (8, 0), "float32")
    assert "A100" in source and a100 == pytest.approx(156_000 * 1.5)  # TF32 may be on
    assert gpu_peak_gflops("NVIDIA A100-SXM4-80GB", (8, 0), "float64")[0] == pytest.approx(19_500 * 1.5)
    by_cc, source = gpu_peak_gflops("Some New Card", (9, 0), "float16")
    assert "compute capability" in source and by_cc > 0
    fallback, source = gpu_peak_gflops(None, None, "float32")
    assert fallback == 2_000_000 and "fallback" in source

"""The system monitor: CPU over the interval between samples, a process's memory, GPUs read
through NVML or nvidia-smi (parsed from their own output; this machine has no GPU), and the
per-model resource record the worker keeps."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from fmnist_tui.engine.system_monitor import (
    MIB, NO_GPUS, GpuReadError, GpuReading, NvidiaSmiReader, NvmlReader, ResourceRecorder, SystemSampler,
    find_gpu_reader, merge_resources, parse_nvidia_smi_csv,
)

# What `nvidia-smi --query-gpu=index,name,utilization.gpu,memory.used,memory.total
# --format=csv,noheader,nounits` prints on a two-GPU machine (one a MIG-style device that
# does not report utilisation).
NVIDIA_SMI_OUTPUT = """\
0, NVIDIA A100-SXM4-40GB, 87, 10240, 40960
1, NVIDIA GeForce RTX 3090, [N/A], 512, 24576
"""


def burn_cpu(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_nvidia_smi_output_parses_into_one_reading_per_gpu_in_bytes():
    first, second = parse_nvidia_smi_csv(NVIDIA_SMI_OUTPUT)
    assert first == GpuReading(0, "NVIDIA A100-SXM4-40GB", 87.0, 10240 * MIB, 40960 * MIB)
    assert (second.index, second.name, second.utilization_percent) == (1, "NVIDIA GeForce RTX 3090", None)
    assert second.memory_total_bytes == 24 * 1024 * MIB


def test_a_gpu_name_with_a_comma_and_lines_that_are_not_gpus_are_handled():
    text = "No devices were found\n\n2, Tesla K80, rev B, 0, 0, 11441\n"
    (reading,) = parse_nvidia_smi_csv(text)
    assert (reading.index, reading.name, reading.memory_used_bytes) == (2, "Tesla K80, rev B", 0)
    assert parse_nvidia_smi_csv("") == ()


def fake_nvidia_smi(tmp_path, body: str):
    script = tmp_path / "nvidia-smi"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return str(script)


def test_the_nvidia_smi_reader_runs_the_query_and_reports_a_failure_as_a_read_error(tmp_path):
    printed = tmp_path / "args"
    reader = NvidiaSmiReader(fake_nvidia_smi(tmp_path, f'echo "$@" > {printed}\ncat <<EOF\n{NVIDIA_SMI_OUTPUT}EOF'))
    assert [gpu.index for gpu in reader()] == [0, 1]
    assert printed.read_text().split() == [
        "--query-gpu=index,name,utilization.gpu,memory.used,memory.total", "--format=csv,noheader,nounits"]
    broken = NvidiaSmiReader(fake_nvidia_smi(tmp_path, "echo 'NVIDIA-SMI has failed' >&2; exit 9"))
    with pytest.raises(GpuReadError, match="nvidia-smi failed: NVIDIA-SMI has failed"):
        broken()


def test_nvml_structures_are_read_into_the_same_readings():
    class NVMLError(Exception):
        pass

    def utilization(handle):
        if handle == 1:
            raise NVMLError("Not Supported")
        return SimpleNamespace(gpu=42)

    nvml = SimpleNamespace(
        NVMLError=NVMLError, nvmlInit=lambda: None, nvmlDeviceGetCount=lambda: 2,
        nvmlDeviceGetHandleByIndex=lambda i: i, nvmlDeviceGetName=lambda h: b"Tesla T4" if h == 0 else "L4",
        nvmlDeviceGetMemoryInfo=lambda h: SimpleNamespace(used=3 * MIB, total=16 * MIB),
        nvmlDeviceGetUtilizationRates=utilization,
    )
    assert NvmlReader(nvml)() == (GpuReading(0, "Tesla T4", 42.0, 3 * MIB, 16 * MIB),
                                  GpuReading(1, "L4", None, 3 * MIB, 16 * MIB))


def test_without_nvml_or_nvidia_smi_there_is_no_gpu_and_nothing_is_run(tmp_path):
    def no_nvml():
        raise ImportError("No module named 'pynvml'")

    assert find_gpu_reader(which=lambda name: None, load_nvml=no_nvml) is NO_GPUS
    assert NO_GPUS() == ()
    found = find_gpu_reader(which=lambda name: fake_nvidia_smi(tmp_path, f"printf '{NVIDIA_SMI_OUTPUT}'"),
                            load_nvml=no_nvml)
    assert isinstance(found, NvidiaSmiReader)
    # nvidia-smi that is installed but finds no driver: no GPU, not an error every second
    (tmp_path / "broken").mkdir()
    failing = fake_nvidia_smi(tmp_path / "broken", "exit 9")
    assert find_gpu_reader(which=lambda name: failing, load_nvml=no_nvml) is NO_GPUS


def test_cpu_percent_is_over_the_interval_between_samples_and_memory_is_the_process_rss():
    sampler = SystemSampler(gpus=NO_GPUS)
    first = sampler.sample(os.getpid())
    assert first.process is not None and first.process.cpu_percent is None  # no interval yet
    burn_cpu(0.3)
    second = sampler.sample(os.getpid())
    assert second.process.cpu_percent > 20  # busy the whole interval (less when another process had the core)
    assert 0 < second.cpu_percent <= 100
    assert second.process.rss_bytes > 10 * MIB
    assert (second.gpus, second.gpu_source, second.gpu_memory_used_bytes) == ((), "", None)


def test_a_process_that_has_gone_reads_none_and_a_gpu_read_error_is_reported():
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()

    def busy_driver():
        raise GpuReadError("nvidia-smi did not answer within 2 s")

    reading = SystemSampler(gpus=busy_driver).sample(ended.pid)
    assert reading.process is None
    assert (reading.gpus, reading.gpu_error) == ((), "nvidia-smi did not answer within 2 s")


def test_the_recorder_keeps_peak_memory_mean_cpu_and_no_gpu_figure_without_a_gpu():
    recorder = ResourceRecorder(interval=0.05, sampler=SystemSampler(gpus=NO_GPUS)).start()
    burn_cpu(0.3)
    resources = recorder.stop()
    assert resources["samples"] >= 4
    assert resources["peak_rss_bytes"] > 10 * MIB
    assert resources["mean_cpu_percent"] > 10
    assert resources["peak_gpu_memory_bytes"] is None
    assert set(resources) == {"peak_rss_bytes", "mean_cpu_percent", "peak_gpu_memory_bytes", "samples"}


def test_the_recorder_keeps_the_peak_of_gpu_memory_in_use():
    used = iter([1, 5, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2])

    def gpus():
        return (GpuReading(0, "A", 50.0, next(used, 2) * MIB, 16 * MIB),)

    recorder = ResourceRecorder(interval=0.01, sampler=SystemSampler(gpus=gpus)).start()
    time.sleep(0.1)
    assert recorder.stop()["peak_gpu_memory_bytes"] == 5 * MIB


def test_a_resumed_model_s_figures_cover_both_attempts():
    before = {"peak_rss_bytes": 900, "mean_cpu_percent": 150.0, "peak_gpu_memory_bytes": None, "samples": 10}
    now = {"peak_rss_bytes": 700, "peak_gpu_memory_bytes": None, "samples": 10, "cpu_sum": 500.0, "cpu_count": 10}
    assert merge_resources(before, now) == {
        "peak_rss_bytes": 900, "mean_cpu_percent": 100.0, "peak_gpu_memory_bytes": None, "samples": 20}
    assert merge_resources({}, {**now, "cpu_count": 0, "cpu_sum": 0.0})["mean_cpu_percent"] is None


# ---- what a training records per model (engine/training/task.py) ---------------------------


def test_a_cancelled_training_still_records_what_it_saw(small_data):
    from fmnist_tui.engine.events import EpochEnded, RunCancelled
    from fmnist_tui.engine.runner import CancelToken, execute
    from fmnist_tui.engine.training.config import TrainConfig
    from fmnist_tui.engine.training.task import TrainTask

    token = CancelToken()

    def emit(event) -> None:
        if isinstance(event, EpochEnded):  # stop after the first of three epochs
            token.cancel()

    config = TrainConfig.parse({"epochs": 3, "batch_size": 64, "models": "keras"})
    ending = execute(TrainTask(config, logs_dir=None, data_loader=lambda: small_data), emit, token, None)
    assert isinstance(ending, RunCancelled)
    keras = ending.summary["models"]["keras"]
    assert keras["status"] == "cancelled" and len(keras["epochs"]) == 1
    assert keras["resources"]["samples"] >= 2 and keras["resources"]["peak_rss_bytes"] > 100 * MIB

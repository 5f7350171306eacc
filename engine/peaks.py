"""Generous estimates of a device's peak matrix-multiply throughput, for plausibility checks.

A timing that implies more FLOP/s than the hardware can do was not measured correctly (the
classic mistake is stopping the clock after an asynchronous dispatch). These estimates are
deliberately *upper* bounds: unknown clocks, cores or instruction sets are assumed to be
fast, so that an honest measurement is never rejected. Everything here is pure (the
readers take the file contents as arguments) and imports neither TensorFlow nor NumPy.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

#: Multiplier on every estimate, for turbo clocks and optimistic vendor figures.
HEADROOM = 1.5
#: Clock assumed when none can be read (MHz): faster than any shipping CPU's all-core turbo.
UNKNOWN_MHZ = 5000.0
#: fp32 FLOP per cycle per core assumed when the instruction set is unknown (not x86).
UNKNOWN_FP32_PER_CYCLE = 64
#: Peak assumed for a GPU that is in none of the tables (TFLOP/s, any dtype).
UNKNOWN_GPU_TFLOPS = 2000.0

DTYPES = ("float32", "float64", "float16", "bfloat16")


@dataclass(frozen=True)
class CpuInfo:
    """What /proc/cpuinfo tells about the host; `None` where it says nothing."""

    model: str | None
    mhz: float | None
    flags: frozenset[str] = field(default_factory=frozenset)
    logical_cpus: int = 1
    x86: bool = True

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "mhz": self.mhz,
            "logical_cpus": self.logical_cpus,
            "simd": sorted(f for f in self.flags if f.startswith(("avx", "amx")) or f == "fma"),
        }


def parse_cpuinfo(text: str, logical_cpus: int | None = None, max_freq_khz: str | None = None) -> CpuInfo:
    """Parse the contents of /proc/cpuinfo (and optionally cpufreq's `cpuinfo_max_freq`)."""
    model = None
    mhz_values: list[float] = []
    flags: set[str] = set()
    processors = 0
    x86 = False
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "processor":
            processors += 1
        elif key == "model name" and model is None:
            model = value
        elif key == "cpu mhz":
            try:
                mhz_values.append(float(value))
            except ValueError:
                pass
        elif key == "flags" and not flags:
            flags = set(value.split())
            x86 = True
    candidates = list(mhz_values)
    if model:  # "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz": the nominal clock
        match = re.search(r"@\s*([0-9.]+)\s*GHz", model, re.IGNORECASE)
        if match:
            candidates.append(float(match.group(1)) * 1000.0)
    if max_freq_khz:
        try:
            candidates.append(float(max_freq_khz.strip()) / 1000.0)
        except ValueError:
            pass
    mhz = max(candidates) if candidates else None
    return CpuInfo(
        model=model,
        mhz=mhz,
        flags=frozenset(flags),
        logical_cpus=max(logical_cpus or 0, processors, 1),
        x86=x86,
    )


def read_cpuinfo() -> CpuInfo:
    """This machine's `CpuInfo`; missing files (not Linux) yield unknowns, never an error."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    try:
        max_freq = Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").read_text()
    except OSError:
        max_freq = None
    info = parse_cpuinfo(text, logical_cpus=os.cpu_count() or 1, max_freq_khz=max_freq)
    if not text:  # unknown instruction set: do not assume x86's narrow SIMD
        info = CpuInfo(info.model, info.mhz, info.flags, info.logical_cpus, x86=False)
    return info


def cpu_flops_per_cycle(info: CpuInfo, dtype: str) -> float:
    """FLOP per cycle per core for a matrix product in `dtype` (an FMA counts as 2)."""
    flags = info.flags
    if not info.x86:
        fp32 = float(UNKNOWN_FP32_PER_CYCLE)
    elif "avx512f" in flags:
        fp32 = 2 * 16 * 2.0  # 2 FMA units × 16 fp32 lanes × 2 FLOP
    elif "avx2" in flags and "fma" in flags:
        fp32 = 2 * 8 * 2.0
    elif "avx" in flags:
        fp32 = 16.0  # one 8-lane add and one 8-lane multiply per cycle
    else:
        fp32 = 8.0
    if dtype == "float64":
        return fp32 / 2
    if dtype in ("float16", "bfloat16"):
        half = fp32  # converted to fp32 and computed there
        if dtype == "bfloat16" and "avx512_bf16" in flags:
            half = max(half, 2 * fp32)
        if dtype == "float16" and "avx512_fp16" in flags:
            half = max(half, 2 * fp32)
        if dtype == "bfloat16" and "amx_bf16" in flags:
            half = max(half, 2048.0)  # AMX tiles: 1024 multiply-adds per cycle
        if dtype == "float16" and "amx_fp16" in flags:
            half = max(half, 2048.0)
        return half
    return fp32


def cpu_peak_gflops(dtype: str, info: CpuInfo | None = None, headroom: float = HEADROOM) -> float:
    """Generous peak GFLOP/s of the whole CPU: logical cores × clock × FLOP/cycle × headroom."""
    info = info or read_cpuinfo()
    mhz = info.mhz or UNKNOWN_MHZ
    return info.logical_cpus * (mhz / 1000.0) * cpu_flops_per_cycle(info, dtype) * headroom


# Dense (not sparse) peak TFLOP/s of known GPUs: fp32 on CUDA cores, tf32/fp16/bf16 on tensor
# cores, fp64 (on tensor cores where they exist). Matched by substring of the device name.
GPU_PEAKS_TFLOPS: tuple[tuple[str, dict[str, float]], ...] = (
    ("B200", {"float32": 80, "tf32": 1100, "float16": 2250, "bfloat16": 2250, "float64": 40}),
    ("H200", {"float32": 67, "tf32": 495, "float16": 989, "bfloat16": 989, "float64": 67}),
    ("H100", {"float32": 67, "tf32": 495, "float16": 989, "bfloat16": 989, "float64": 67}),
    ("GH200", {"float32": 67, "tf32": 495, "float16": 989, "bfloat16": 989, "float64": 67}),
    ("A100", {"float32": 19.5, "tf32": 156, "float16": 312, "bfloat16": 312, "float64": 19.5}),
    ("A10", {"float32": 31.2, "tf32": 62.5, "float16": 125, "bfloat16": 125, "float64": 1}),
    ("L40S", {"float32": 91.6, "tf32": 183, "float16": 362, "bfloat16": 362, "float64": 1.5}),
    ("L40", {"float32": 90.5, "tf32": 90.5, "float16": 181, "bfloat16": 181, "float64": 1.5}),
    ("L4", {"float32": 30.3, "tf32": 60, "float16": 121, "bfloat16": 121, "float64": 0.5}),
    ("V100", {"float32": 15.7, "float16": 125, "bfloat16": 15.7, "float64": 7.8}),
    ("T4", {"float32": 8.1, "float16": 65, "bfloat16": 8.1, "float64": 0.25}),
    ("P100", {"float32": 10.6, "float16": 21.2, "bfloat16": 10.6, "float64": 5.3}),
    ("RTX 4090", {"float32": 82.6, "tf32": 82.6, "float16": 330, "bfloat16": 330, "float64": 1.3}),
    ("RTX 3090", {"float32": 35.6, "tf32": 35.6, "float16": 142, "bfloat16": 142, "float64": 0.6}),
)

# By compute-capability major version, when the name is not in the table: the fastest
# part of that generation.
GPU_PEAKS_BY_CC_MAJOR: dict[int, dict[str, float]] = {
    10: dict(GPU_PEAKS_TFLOPS[0][1]),
    12: dict(GPU_PEAKS_TFLOPS[0][1]),
    9: dict(GPU_PEAKS_TFLOPS[1][1]),
    8: {"float32": 91.6, "tf32": 183, "float16": 362, "bfloat16": 362, "float64": 19.5},
    7: {"float32": 16.3, "float16": 130, "bfloat16": 16.3, "float64": 8.2},
    6: {"float32": 12.1, "float16": 21.2, "bfloat16": 12.1, "float64": 5.3},
}


def _cc_major(compute_capability) -> int | None:
    if compute_capability is None:
        return None
    try:
        if isinstance(compute_capability, (tuple, list)):
            return int(compute_capability[0])
        return int(str(compute_capability).split(".")[0])
    except (ValueError, IndexError):
        return None


def gpu_peak_gflops(
    device_name: str | None, compute_capability, dtype: str, headroom: float = HEADROOM
) -> tuple[float, str]:
    """Generous peak GFLOP/s of a GPU for `dtype`, and where the figure came from.

    float32 takes the larger of the fp32 and TF32 figures: TF32 may be in effect.
    """
    table = None
    source = ""
    name = (device_name or "").upper()
    for key, peaks in GPU_PEAKS_TFLOPS:
        if key.upper() in name:
            table, source = peaks, f"table entry {key}"
            break
    if table is None:
        major = _cc_major(compute_capability)
        if major in GPU_PEAKS_BY_CC_MAJOR:
            table, source = GPU_PEAKS_BY_CC_MAJOR[major], f"compute capability {major}.x"
    if table is None:
        return UNKNOWN_GPU_TFLOPS * 1000.0, "unknown GPU: generous fallback"
    tflops = table.get(dtype, table["float32"])
    if dtype == "float32":
        tflops = max(tflops, table.get("tf32", 0.0))
    return tflops * 1000.0 * headroom, source

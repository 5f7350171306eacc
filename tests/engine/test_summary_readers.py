"""Every reader of summary.json survives a damaged one, and flags it.

Real-looking summaries of each task are mutated by Hypothesis (keys deleted, values
replaced by other JSON types, wrapped in lists or objects, emptied) and fed to every
reader: `read_run` (from a file on disk), `run_headline`, `build_report`,
`compare_training_runs`, the Markdown renderers and the Runs screen's viewer. None may
raise; a summary the check rejects is listed as damaged, refused by the comparison and
skipped by the report; one it accepts renders in full.
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmnist_tui.engine.calculus.tasks import render_eigen_markdown, render_jacobian_markdown
from fmnist_tui.engine.devices import render_markdown as render_devices_markdown
from fmnist_tui.engine.class_figures import CLASS_NAMES
from fmnist_tui.engine.history import HistoryError, compare_training_runs, read_run, run_headline
from fmnist_tui.engine.report import SECTION_TITLES, build_report
from fmnist_tui.engine.summaries import escape_cell
from fmnist_tui.engine.summary_check import check_summary, summary_problem
from fmnist_tui.engine.training.summary import render_train_markdown
from fmnist_tui.tui.screens.runs import summary_markdown

ENVIRONMENT = {
    "python": "3.11.7", "platform": "Linux-6.1-x86_64", "tensorflow": "2.21.0", "numpy": "2.4.6", "cpu_count": 2,
    "processor": "x86_64", "cuda_build": True, "cuda_version": "12.5.1", "cudnn_version": "9",
    "devices": ["/device:CPU:0"], "gpus": [], "device_in_use": "CPU:0", "executable": "/usr/bin/python3",
}


def common(task: str, run_id: str) -> dict[str, Any]:
    return {
        "task": task, "run_id": run_id, "status": "completed", "started_at": "2026-11-29T07:38:30+00:00",
        "finished_at": "2026-11-29T07:38:34+00:00", "seconds_total": 4.094, "environment": dict(ENVIRONMENT),
    }


def model(accuracies: list[float]) -> dict[str, Any]:
    epochs = [
        {"epoch": i, "loss": 1.9 / i, "accuracy": a - 0.05, "test_loss": 1.2 / i, "test_accuracy": a, "seconds": 1.25,
         "seconds_per_sample": 1.25 / 60000}
        for i, a in enumerate(accuracies, 1)
    ]
    best = max(range(len(accuracies)), key=accuracies.__getitem__)
    return {
        "status": "completed", "epochs": epochs, "epochs_completed": len(epochs), "test_accuracy": accuracies[-1],
        "test_loss": epochs[-1]["test_loss"], "train_accuracy": epochs[-1]["accuracy"],
        "train_loss": epochs[-1]["loss"],
        "best_test_accuracy": accuracies[best], "best_epoch": best + 1, "seconds_total": 1.25 * len(epochs),
        "seconds_per_epoch": 1.25, "seconds_per_sample": 1.25 / 60000, "samples_per_second": 48000.0,
        "confusion_matrix": [[900 if i == j else 11 for j in range(10)] for i in range(10)],
        "per_class": [{"class": i, "name": name, "precision": 0.9, "recall": 0.9, "f1": 0.9, "support": 1000}
                      for i, name in enumerate(CLASS_NAMES)],
        "resources": {"peak_rss_bytes": 801 * 2**20, "mean_cpu_percent": 84.5, "peak_gpu_memory_bytes": None,
                      "samples": 12},
    }


TRAIN = {
    **common("train", "20261129-073830-train"),
    "config": {"epochs": 2, "batch_size": 64, "learning_rate": 0.001, "dropout": 0.2, "hidden_units": 512, "seed": 42,
               "models": ["keras", "lowlevel"], "strategy": "default", "data_dir": None},
    "strategy": {"class": "DefaultStrategy", "replicas": 1, "devices": []},
    "data": {"source": "/usr/share/datasets/fashion-mnist", "train_samples": 60000, "test_samples": 10000},
    "models": {"keras": model([0.84, 0.8664]), "lowlevel": model([0.85, 0.8696])},
}
DEVICES = {
    **common("devices", "20261129-073834-devices"),
    "config": {"sizes": [64, 128], "rounds": 2, "dtype": "float32", "devices": ["cpu", "gpu"], "tf32": None,
               "warmup": 2, "numpy": True},
    "dtype": "float32", "sizes": [64, 128], "gpu_present": False, "speedups": [], "skipped": [],
    "notes": ["no GPU: TensorFlow sees no GPU on this machine; only the CPU is timed."],
    "rows": [
        {"size": 64, "device": "CPU:0", "kind": "cpu", "backend": "TensorFlow", "dtype": "float32", "rounds": 2,
         "peak_gflops": 234.8, "rejected": False, "reason": None, "speedup_vs_cpu": 1.0, "median_ms": 0.4286,
         "mean_ms": 0.4286, "min_ms": 0.3976, "max_ms": 0.4596, "stdev_ms": 0.0439, "gflops": 1.2233,
         "times_ms": [0.4596, 0.3976]},
        {"size": 128, "device": "CPU:0", "kind": "cpu", "backend": "TensorFlow", "dtype": "float32", "rounds": 2,
         "peak_gflops": 234.8, "rejected": True, "reason": "faster than the device's peak", "speedup_vs_cpu": None,
         "median_ms": 0.0001, "mean_ms": 0.0001, "min_ms": 0.0001, "max_ms": 0.0001, "stdev_ms": 0.0, "gflops": None,
         "times_ms": [0.0001, 0.0001]},
    ],
    "devices": [{"id": "CPU:0", "kind": "cpu", "name": "AMD EPYC", "backend": "TensorFlow", "memory_free": 24456507392,
                 "memory_total": 25276063744, "peak_gflops": 234.8}],
    "tf32": {"requested": None, "enabled": True},
    "method": "median of 2 rounds after 2 warm-up products",
    "estimate": {"memory_bytes": {"CPU:0": 49152}, "seconds": 0.0},
    "in_progress": {"size": 128, "device": "CPU:0"},
}
JACOBIAN = {
    **common("jacobian", "20261129-073830-jacobian"),
    "config": {"expression": "[x*y, sin(x) + y**2]", "point": "1,2", "variables": None, "tolerance": 1e-09},
    "expression": "[x*y, sin(x) + y**2]", "components": ["x*y", "y**2 + sin(x)"],
    "function_latex": "f(x, y) = x y", "variables": ["x", "y"], "point": ["1", "2"], "point_floats": [1.0, 2.0],
    "elementwise": False, "shape": [2, 2],
    "symbolic": {"formula": "[[y, x], [cos(x), 2*y]]", "latex": "J", "derivative": None, "derivative_latex": None,
                 "exact": [["2", "1"], ["cos(1)", "4"]], "exact_latex": "E",
                 "values": [[2.0, 1.0], [0.5403023058681398, 4.0]]},
    "autodiff": {"jacobian": [[2.0, 1.0], [0.5403023058681398, 4.0]], "gradient": [2.5403023058681398, 5.0],
                 "explanation": "GradientTape.gradient(y, x) returns the column sums.", "seconds": 0.0666},
    "max_abs_error": 0.0, "max_rel_error": 0.0, "gradient_max_abs_error": 0.0, "tolerance": 1e-09,
    "tolerance_rule": "|autodiff − exact| ≤ tolerance · max(1, |exact|)", "match": True, "notes": [],
}
EIGEN = {
    **common("eigen", "20261129-073830-eigen"),
    "config": {"matrix": "[[0,-1],[1,0]]", "tolerance": 1e-09},
    "matrix": [["0", "-1"], ["1", "0"]], "matrix_latex": "A", "size": 2, "symmetric": False,
    "characteristic_polynomial": {"string": "lambda**2 + 1", "latex": "\\lambda^{2} + 1", "factored_latex": "F"},
    "eigenvalues": {
        "exact_values": True,
        "exact": [{"value": "-I", "latex": "- i", "float": {"re": 0.0, "im": -1.0}, "algebraic_multiplicity": 1,
                   "geometric_multiplicity": 1, "defective": False, "eigenvectors": [["-I", "1"]],
                   "eigenvectors_latex": ["v"], "vectors_exact": True}],
        "numeric": [{"value": {"re": 0.0, "im": 1.0}, "vector": [-0.7071, {"re": 0.0, "im": 0.7071}],
                     "paired_with": "I", "value_error": 0.0, "residual": 0.0, "vector_error": 4.0e-16, "ok": True}],
    },
    "method": "tf.linalg.eig", "residuals": [0.0], "max_residual": 0.0, "max_value_error": 0.0,
    "max_vector_error": 4.0e-16, "tolerance": 1e-09, "match": True, "notes": ["A is not symmetric."],
}
BASES = {"train": TRAIN, "devices": DEVICES, "jacobian": JACOBIAN, "eigen": EIGEN}
RENDERERS = {
    "train": render_train_markdown, "devices": render_devices_markdown,
    "jacobian": render_jacobian_markdown, "eigen": render_eigen_markdown,
}
# The calculus renderers, and the training one, already cope with anything; the devices one
# relies on the check having refused what it cannot render.
ALWAYS_SAFE = (render_train_markdown, render_jacobian_markdown, render_eigen_markdown)

# ---- mutations ---------------------------------------------------------------------------

SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6) | st.sampled_from([10**400, -(10**400), "[/b]", "NaN", ""])
)
JSON_VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key/index path inside `value`, parents before children."""
    found = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found.append(prefix + (key,))
        found += paths(child, prefix + (key,))
    return found


def mutate(summary: dict, path: tuple, how: str, value: Any) -> None:
    parent = summary
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if how == "delete":
        del parent[key]
    elif how == "replace":
        parent[key] = value
    elif how == "wrap in a list":
        parent[key] = [parent[key]]
    elif how == "wrap in an object":
        parent[key] = {"value": parent[key]}
    else:  # empty: the other kind of container, emptied
        parent[key] = [] if isinstance(parent[key], dict) else {}


MUTATIONS = ("delete", "replace", "wrap in a list", "wrap in an object", "empty")


@st.composite
def mutated(draw, task: str) -> dict:
    summary = copy.deepcopy(BASES[task])
    for _ in range(draw(st.integers(1, 3))):
        # deepest first: Hypothesis favours early choices, and the top-level keys are few
        where = sorted(paths(summary), key=len, reverse=True)
        if not where:
            break
        path = draw(st.sampled_from(where))
        mutate(summary, path, draw(st.sampled_from(MUTATIONS)), draw(JSON_VALUES))
    return summary


# ---- the readers -------------------------------------------------------------------------


def write(directory: Path, summary: Any) -> Path:
    run_dir = directory / "20261129-073830-run"
    run_dir.mkdir()
    # json.dumps, like the writer: what a hand edit or a foreign tool could leave there
    (run_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    (run_dir / "summary.md").write_text("# A run\n", encoding="utf-8")
    return run_dir


def good_training_record(directory: Path):
    run_dir = directory / "20261128-090000-train"
    run_dir.mkdir()
    (run_dir / "summary.json").write_text(json.dumps(TRAIN), encoding="utf-8")
    (run_dir / "summary.md").write_text("# Training\n", encoding="utf-8")
    return read_run(run_dir)


def feed_every_reader(summary: dict) -> None:
    """Every reader must cope; a damaged summary is flagged everywhere, a sound one used."""
    problem = summary_problem(summary)
    with tempfile.TemporaryDirectory() as tmp:
        record = read_run(write(Path(tmp), summary))
        assert record.damaged == problem
        assert record.usable is (problem is None)
        assert isinstance(run_headline(record.task, summary), str)
        viewer = summary_markdown(record)
        assert (f"**Damaged:** {problem}" in viewer) if problem else viewer == "# A run\n"
        try:
            compared = compare_training_runs(record, good_training_record(Path(tmp)))
        except HistoryError as exc:
            assert problem is None or "damaged" in str(exc)
            assert problem is not None or summary["task"] != "train"
        else:
            assert problem is None and summary["task"] == "train"
            assert compared["table"]["rows"], "a comparison table"

    report = build_report([summary])
    if problem is None:
        assert f"## {SECTION_TITLES[summary['task']]}" in report
    else:
        assert "## Skipped" in report and escape_cell(problem) in report
        assert not any(f"## {title}" in report for title in SECTION_TITLES.values())

    for render in ALWAYS_SAFE:
        assert render(summary).startswith("# ")
    if problem is None:
        assert RENDERERS[summary["task"]](summary).startswith("# ")


PROPERTY = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("task", sorted(BASES))
def test_the_real_looking_summaries_are_sound(task):
    assert check_summary(BASES[task]) == []
    feed_every_reader(copy.deepcopy(BASES[task]))


@settings(max_examples=120, **PROPERTY)
@given(st.sampled_from(sorted(BASES)).flatmap(mutated))
def test_no_reader_raises_on_a_mutated_summary(summary):
    feed_every_reader(summary)


# Paths whose value a renderer formats, indexes or iterates; the wrong JSON type there is damage.
TYPED_PATHS = {
    "train": [("config",), ("environment",), ("models",), ("models", "keras"), ("models", "keras", "epochs"),
              ("models", "keras", "epochs", 1), ("models", "keras", "epochs", 1, "seconds"),
              ("models", "lowlevel", "seconds_per_sample"), ("models", "keras", "test_accuracy"),
              ("environment", "devices"), ("data",), ("strategy",)],
    "devices": [("config",), ("rows",), ("rows", 0), ("rows", 0, "size"), ("rows", 0, "speedup_vs_cpu"),
                ("sizes",), ("config", "sizes"), ("devices", 0, "memory_free"), ("estimate", "seconds"), ("notes",)],
    "jacobian": [("variables",), ("point",), ("symbolic",), ("symbolic", "exact"), ("autodiff", "jacobian"),
                 ("match",), ("notes",)],
    "eigen": [("eigenvalues",), ("eigenvalues", "exact"), ("eigenvalues", "exact", 0, "eigenvectors"),
              ("eigenvalues", "numeric", 0), ("characteristic_polynomial",), ("match",)],
}
KINDS = {dict: "object", list: "list", str: "string", bool: "boolean", int: "number", float: "number"}


def dotted(path: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


@settings(max_examples=60, **PROPERTY)
@given(st.data())
def test_a_wrong_type_or_a_missing_required_key_is_flagged_with_where(data):
    task = data.draw(st.sampled_from(sorted(TYPED_PATHS)))
    path = data.draw(st.sampled_from(TYPED_PATHS[task]))
    summary = copy.deepcopy(BASES[task])
    original = summary
    for key in path:
        original = original[key]
    wrong = data.draw(JSON_VALUES.filter(lambda v: v is not None and KINDS[type(v)] != KINDS[type(original)]))
    mutate(summary, path, "replace", wrong)
    assert dotted(path) in (summary_problem(summary) or "")
    feed_every_reader(summary)


@pytest.mark.parametrize("key", ["task", "run_id", "status", "started_at", "config", "environment"])
def test_a_summary_without_a_key_every_writer_writes_is_damaged(key):
    summary = copy.deepcopy(TRAIN)
    del summary[key]
    assert summary_problem(summary) == f"the summary lacks {key}"
    feed_every_reader(summary)

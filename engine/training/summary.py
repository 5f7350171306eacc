"""The Classifier run's Markdown summary: config, environment, comparison, per-epoch and per-class tables.

`render_train_markdown` writes the summary of a live run and renders a past one, so it
never raises on what it is given: a missing or wrongly typed value reads "—" (readers of
past runs refuse a damaged summary before this, see `summary_check`). A model's confusion
matrix and per-class scores (`render.class_figures`, as the screen and the headless output
show them) follow when its record has them: summaries written before they existed have none.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from fmnist_tui.render.class_figures import confusion_table, per_class_table, record_figures

from ..summaries import fmt, markdown_table
from ..summary_check import is_number
from .config import MODEL_TITLES


def _number(digits: int = 4, scale: float = 1.0) -> Callable[[Any], str]:
    """A cell formatter: the number with `digits` decimals (times `scale`), else "—"."""

    def render(value: Any) -> str:
        if not is_number(value):
            return "—"
        return fmt(value * scale if scale != 1.0 else value, digits)

    return render


def _execution(value: Any) -> str:
    """A model's steps per compiled call: "37 (auto)" when the trainer sized them, "32" when set."""
    if not isinstance(value, Mapping) or not is_number(value.get("steps")):
        return "—"
    return f"{value['steps']:g}" + (" (auto)" if value.get("auto") is True else "")


# (label, key in the model record, formatter) in the order of the original's table, then a
# row that says how each model ran (so that the times compare like with like).
COMPARISON_ROWS = (
    ("Test accuracy", "test_accuracy", _number(4)),
    ("Test loss", "test_loss", _number(4)),
    ("Train accuracy", "train_accuracy", _number(4)),
    ("Train loss", "train_loss", _number(4)),
    ("Time per epoch (s)", "seconds_per_epoch", _number(2)),
    ("Time per sample (µs)", "seconds_per_sample", _number(1, scale=1e6)),
    ("Total time (s)", "seconds_total", _number(1)),
    ("Best test accuracy", "best_test_accuracy", _number(4)),
    ("Best epoch", "best_epoch", _number()),
    ("Steps per execution", "steps_per_execution", _execution),
)
EXECUTION_NOTE = (
    "Steps per execution is the number of training steps each compiled call ran in the last epoch: Keras's "
    "`steps_per_execution` for Keras fit (1 is Keras's default), the median chunk for the low-level "
    "trainer; \"auto\" means the trainer sized the calls to about 0.1 s each."
)
EPOCH_COLUMNS = (("epoch", None), ("loss", 4), ("accuracy", 4), ("test_loss", 4), ("test_accuracy", 4), ("seconds", 2))


def comparison_rows(models: Mapping[str, Mapping[str, Any]], rows=COMPARISON_ROWS) -> list[list[str]]:
    """Rows of metric | model | model…, shared by the Markdown summary and both front ends;
    `rows` are (label, key in the model record, formatter)."""
    return [[label] + [render(models[m].get(key)) for m in models] for label, key, render in rows]


def render_train_markdown(summary: Mapping[str, Any]) -> str:
    models = {name: record for name, record in _mapping(summary.get("models")).items() if isinstance(record, Mapping)}
    lines = _header(summary) + _setup(summary)
    if models:
        lines += [
            "",
            "## Comparison",
            "",
            markdown_table(
                ["metric"] + [MODEL_TITLES.get(m, m) for m in models],
                comparison_rows(models),
                ["l"] + ["r"] * len(models),
            ),
            "",
            "Test and train figures are from the last completed epoch. Time per sample is the "
            "epoch's wall time (training and test evaluation) divided by the training samples seen. "
            + EXECUTION_NOTE,
        ]
        lines += _resources_table(models)
        for name, record in models.items():
            lines += _epochs_table(name, record)
        for name, record in models.items():
            lines += _class_tables(name, record)
    return "\n".join(lines) + "\n"


def _resource(field: str, digits: int, scale: float = 1.0) -> Callable[[Any], str]:
    """A cell formatter for one figure of a model's `resources` record."""
    number = _number(digits, scale)
    return lambda resources: number(resources.get(field) if isinstance(resources, Mapping) else None)


# What the worker process used while each model trained (sampled every 0.5 s).
RESOURCE_ROWS = (
    ("Peak memory, RSS (MiB)", "resources", _resource("peak_rss_bytes", 0, 1 / 2**20)),
    ("Mean CPU (% of one core)", "resources", _resource("mean_cpu_percent", 0)),
    ("Peak GPU memory in use (MiB)", "resources", _resource("peak_gpu_memory_bytes", 0, 1 / 2**20)),
)


def _resources_table(models: Mapping[str, Mapping[str, Any]]) -> list[str]:
    if not any(isinstance(record.get("resources"), Mapping) for record in models.values()):
        return []  # summaries written before the worker recorded them
    return [
        "",
        "### Resources",
        "",
        markdown_table(["worker process"] + [MODEL_TITLES.get(m, m) for m in models],
                       comparison_rows(models, RESOURCE_ROWS),
                       ["l"] + ["r"] * len(models)),
        "",
        "Sampled every 0.5 s while each model trained; GPU memory is what the GPUs had in use "
        "(— without a GPU).",
    ]


def _header(summary: Mapping[str, Any]) -> list[str]:
    lines = [f"# Classifier run {summary.get('run_id', '')}", "", f"**Status:** {summary.get('status', 'running')}"]
    if summary.get("error"):
        lines += ["", f"**Error:** {summary['error']}", ""]
        if summary.get("hint"):
            lines += [f"**What to do:** {summary['hint']}"]
    return lines + [
        "",
        f"Started {summary.get('started_at', '—')}, finished {summary.get('finished_at') or '—'}, "
        f"wall time {_number(1)(summary.get('seconds_total'))} s.",
    ]


def _setup(summary: Mapping[str, Any]) -> list[str]:
    """Configuration, environment, data and TensorBoard sections."""
    config = _mapping(summary.get("config"))
    env = _mapping(summary.get("environment"))
    devices = env.get("devices")
    lines = [
        "",
        "## Configuration",
        "",
        markdown_table(["setting", "value"], [[k, setting_text(v)] for k, v in config.items()]),
        "",
        "Network: Flatten → Dense({h}, relu) → Dropout({d}) → Dense(10, softmax); Adam, "
        "sparse categorical cross-entropy. Models are trained one after the other.".format(
            h=config.get("hidden_units", "?"), d=config.get("dropout", "?")
        ),
        "",
        "## Environment",
        "",
        markdown_table(
            ["item", "value"],
            [
                ["TensorFlow", env.get("tensorflow", "—")],
                ["Device", env.get("device_in_use", "—")],
                ["Strategy", _strategy_text(summary.get("strategy"))],
                ["Devices", (setting_text(devices) if isinstance(devices, list) else "") or "—"],
                ["CPU cores", env.get("cpu_count", "—")],
                ["Python", env.get("python", "—")],
                ["Platform", env.get("platform", "—")],
            ],
        ),
    ]
    data = summary.get("data")
    if isinstance(data, Mapping) and data:
        lines += ["", f"Data: {data.get('train_samples')} training and {data.get('test_samples')} test images "
                      f"from `{data.get('source') or 'memory'}`."]
    if summary.get("tensorboard_logdir"):
        lines += ["", f"TensorBoard: `tensorboard --logdir {summary['tensorboard_logdir']}`"]
    return lines


def _epochs_table(name: str, record: Mapping[str, Any]) -> list[str]:
    epochs = [e for e in _list(record.get("epochs")) if isinstance(e, Mapping)]
    lines = ["", f"## {MODEL_TITLES.get(name, name)} — per epoch ({record.get('status', 'pending')})", ""]
    if not epochs:
        return lines + ["No epoch completed."]
    rows = [
        [e.get("epoch", "—") if digits is None else _number(digits)(e.get(key)) for key, digits in EPOCH_COLUMNS]
        for e in epochs
    ]
    headers = [key.replace("_", " ") for key, _ in EPOCH_COLUMNS]
    return lines + [markdown_table(headers, rows, ["r"] * len(EPOCH_COLUMNS))]


def _class_tables(name: str, record: Mapping[str, Any]) -> list[str]:
    """The model's last epoch's confusion matrix and per-class scores, when it has them."""
    figures = record_figures(record)
    if figures is None:
        return []
    matrix, scores = figures
    title = MODEL_TITLES.get(name, name)
    return [
        "", f"## {title} — confusion matrix (last epoch)", "", confusion_table(matrix).markdown(),
        "", f"## {title} — per class (last epoch)", "", per_class_table(scores).markdown(),
    ]


def setting_text(value: Any) -> str:
    """A config value as text: lists joined with commas, None as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _strategy_text(strategy: Any) -> str:
    if not isinstance(strategy, Mapping) or not strategy:
        return "—"
    text = f"{strategy.get('class')} ({strategy.get('replicas')} replica(s))"
    cluster = strategy.get("cluster")
    if isinstance(cluster, Mapping) and isinstance(cluster.get("hosts"), list):
        text += f" on {cluster.get('workers')} workers: " + ", ".join(str(h) for h in cluster["hosts"])
    return text


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []

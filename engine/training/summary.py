"""The Classifier run's Markdown summary: config, environment, comparison and per-epoch tables."""

from __future__ import annotations

from typing import Any, Mapping

from ..summaries import fmt, markdown_table
from .config import MODEL_TITLES

# (label, key in the model record, formatter) in the order of the original's table.
COMPARISON_ROWS = (
    ("Test accuracy", "test_accuracy", lambda v: fmt(v, 4)),
    ("Test loss", "test_loss", lambda v: fmt(v, 4)),
    ("Train accuracy", "train_accuracy", lambda v: fmt(v, 4)),
    ("Train loss", "train_loss", lambda v: fmt(v, 4)),
    ("Time per epoch (s)", "seconds_per_epoch", lambda v: fmt(v, 2)),
    ("Time per sample (µs)", "seconds_per_sample", lambda v: fmt(v * 1e6, 1) if v is not None else "—"),
    ("Total time (s)", "seconds_total", lambda v: fmt(v, 1)),
    ("Best test accuracy", "best_test_accuracy", lambda v: fmt(v, 4)),
    ("Best epoch", "best_epoch", lambda v: fmt(v)),
)


def comparison_rows(models: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    """Rows of metric | model | model…, shared by the Markdown summary and both front ends."""
    return [[label] + [render(models[m].get(key)) for m in models] for label, key, render in COMPARISON_ROWS]


def render_train_markdown(summary: Mapping[str, Any]) -> str:
    config = summary.get("config", {})
    env = summary.get("environment", {}) or {}
    models: Mapping[str, Mapping[str, Any]] = summary.get("models", {}) or {}
    status = summary.get("status", "running")
    lines = [f"# Classifier run {summary.get('run_id', '')}", ""]
    lines += [f"**Status:** {status}"]
    if summary.get("error"):
        lines += ["", f"**Error:** {summary['error']}", ""]
        if summary.get("hint"):
            lines += [f"**What to do:** {summary['hint']}"]
    lines += [
        "",
        f"Started {summary.get('started_at', '—')}, finished {summary.get('finished_at') or '—'}, "
        f"wall time {fmt(summary.get('seconds_total'), 1)} s.",
        "",
        "## Configuration",
        "",
        markdown_table(["setting", "value"], [[k, setting_text(config[k])] for k in config]),
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
                ["Devices", ", ".join(env.get("devices", [])) or "—"],
                ["CPU cores", env.get("cpu_count", "—")],
                ["Python", env.get("python", "—")],
                ["Platform", env.get("platform", "—")],
            ],
        ),
    ]
    data = summary.get("data")
    if data:
        lines += ["", f"Data: {data.get('train_samples')} training and {data.get('test_samples')} test images "
                      f"from `{data.get('source') or 'memory'}`."]
    if summary.get("tensorboard_logdir"):
        lines += ["", f"TensorBoard: `tensorboard --logdir {summary['tensorboard_logdir']}`"]
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
            "epoch's wall time (training and test evaluation) divided by the training samples seen.",
        ]
        for name, record in models.items():
            epochs = record.get("epochs", [])
            lines += ["", f"## {MODEL_TITLES.get(name, name)} — per epoch ({record.get('status', 'pending')})", ""]
            if not epochs:
                lines += ["No epoch completed."]
                continue
            lines.append(
                markdown_table(
                    ["epoch", "loss", "accuracy", "test loss", "test accuracy", "seconds"],
                    [
                        [e["epoch"], fmt(e["loss"]), fmt(e["accuracy"]), fmt(e["test_loss"]),
                         fmt(e["test_accuracy"]), fmt(e["seconds"], 2)]
                        for e in epochs
                    ],
                    ["r"] * 6,
                )
            )
    return "\n".join(lines) + "\n"


def setting_text(value: Any) -> str:
    """A config value as text: lists joined with commas, None as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _strategy_text(strategy: Mapping[str, Any] | None) -> str:
    if not strategy:
        return "—"
    return f"{strategy.get('class')} ({strategy.get('replicas')} replica(s))"

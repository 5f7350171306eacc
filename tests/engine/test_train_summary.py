"""The Classifier summary's resources table: what the worker used while each model trained."""

from __future__ import annotations

from fmnist_tui.engine.training.summary import render_train_markdown


def summary(**models) -> dict:
    return {"run_id": "20261129-140000-train", "status": "completed", "models": models}


def test_the_resources_table_gives_each_models_peak_memory_and_mean_cpu():
    markdown = render_train_markdown(summary(
        keras={"epochs": [], "resources": {"peak_rss_bytes": 631 * 2**20, "mean_cpu_percent": 178.4,
                                           "peak_gpu_memory_bytes": 3 * 2**30, "samples": 12}},
        lowlevel={"epochs": [], "resources": {"peak_rss_bytes": 801 * 2**20, "mean_cpu_percent": 84.6,
                                              "peak_gpu_memory_bytes": None, "samples": 9}},
    ))
    assert "| worker process | Keras fit | Low-level (GradientTape) |" in markdown
    assert "| Peak memory, RSS (MiB) | 631 | 801 |" in markdown
    assert "| Mean CPU (% of one core) | 178 | 85 |" in markdown
    assert "| Peak GPU memory in use (MiB) | 3072 | — |" in markdown


def test_a_summary_from_before_the_resources_were_recorded_has_no_resources_table():
    markdown = render_train_markdown(summary(keras={"epochs": []}))
    assert "Resources" not in markdown and "## Comparison" in markdown

"""The Classifier screen's Confusion and Mistakes tabs, and its `[` / `]` tab keys.

Most tests follow a recorded run (a journal and the mistakes files, as a worker leaves
them, with figures chosen so each check has a known answer): the screen attaches to it
as it does to any run. One test trains for real on small synthetic data.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from textual.widgets import Checkbox, Input, Markdown, TabbedContent

from fmnist_tui.engine.class_figures import CLASS_NAMES, confusion_matrix, find_mistakes, per_class, save_mistakes
from fmnist_tui.engine.events import (
    ClassesScored, EpochEnded, EpochStarted, ModelFinished, ModelResumed, RunFinished, RunStarted,
)
from fmnist_tui.engine.journal import JournalWriter, journal_path
from fmnist_tui.tui.screens.classifier import ClassifierScreen
from pilot_helpers import open_screen, set_field, toasts, wait_until

LARGE = (140, 45)
MEDIUM = (120, 35)
SHIRT, TSHIRT, PULLOVER, COAT = 6, 0, 2, 4
MODELS = ("keras", "lowlevel")


# ---- a recorded run ---------------------------------------------------------------------


def predictions(model: str, epoch: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Labels, predictions, confidences and images of a small test set with known mistakes.

    100 images per class, all right except: 7 shirts taken for T-shirts (Keras) or 5
    (low-level), 3 pullovers for coats, and one more shirt → T-shirt each later epoch.
    Each mistake's image is a flat grey whose level is its rank, so the order can be read.
    """
    labels = np.repeat(np.arange(10), 100)
    predicted = labels.copy()
    shirts = np.flatnonzero(labels == SHIRT)[: (7 if model == "keras" else 5) + epoch - 1]
    predicted[shirts] = TSHIRT
    predicted[np.flatnonzero(labels == PULLOVER)[:3]] = COAT
    confidence = np.full(len(labels), 0.99, dtype=np.float32)
    wrong = np.flatnonzero(predicted != labels)
    confidence[wrong] = np.linspace(0.95, 0.40, len(wrong), dtype=np.float32)
    images = np.zeros((len(labels), 28, 28), dtype=np.uint8)
    images[wrong] = (200 - np.arange(len(wrong)) * 10)[:, None, None]
    return labels, predicted, confidence, images


def figures(model: str, epoch: int) -> ClassesScored:
    labels, predicted, _, _ = predictions(model, epoch)
    matrix = confusion_matrix(labels, predicted)
    return ClassesScored(model=model, epoch=epoch, per_class=tuple(per_class(matrix)),
                         confusion_matrix=tuple(tuple(int(c) for c in row) for row in matrix))


LOGS = {"loss": 0.5, "accuracy": 0.8, "test_loss": 0.45, "test_accuracy": 0.99, "seconds": 1.0,
        "seconds_per_sample": 0.001}


def record_run(runs, epochs: int = 2, models=MODELS, finished: bool = True):
    """A training run's directory as its worker leaves it: journal, then mistakes before each figure."""
    run_id = "20261129-120000-train"
    run_dir = runs / run_id
    run_dir.mkdir(parents=True)
    journal = JournalWriter(journal_path(run_dir))
    journal.write(RunStarted(task="train", run_id=run_id, run_dir=run_dir,
                             config={"epochs": epochs, "models": list(models)}))
    for model in models:
        for epoch in range(1, epochs + 1):
            journal.write(EpochStarted(model=model, epoch=epoch, epochs=epochs, steps=10, samples=1000))
            journal.write(EpochEnded(model=model, epoch=epoch, epochs=epochs, logs={**LOGS, "epoch": epoch}))
            labels, predicted, confidence, images = predictions(model, epoch)
            save_mistakes(run_dir, find_mistakes(model, epoch, labels, predicted, confidence, images))
            journal.write(figures(model, epoch))
        journal.write(ModelFinished(model=model, result={"status": "completed"}))
    if finished:
        journal.write(RunFinished(summary={"status": "completed", "models": {}}, summary_path=None))
    journal.close()
    return run_dir


async def attached(pilot, run_dir) -> ClassifierScreen:
    screen = await open_screen(pilot, "1", ClassifierScreen)
    screen.attach(run_dir)
    assert await wait_until(pilot, lambda: not screen.running, 20)
    await pilot.pause()
    return screen


def screen_text(app) -> str:
    """The terminal's text as the user sees it now (every line of the screen, as drawn)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def line_words(app, start: str) -> list[str]:
    """The words of the first screen line whose part right of the form starts with `start` ([] if none)."""
    for line in screen_text(app).splitlines():
        right = line.split("▕", 1)[-1].strip()
        if right.startswith(start):
            return right.split()
    return []


async def shows(pilot, app, start: str, part: slice, words: list[str]) -> bool:
    """Whether the line starting with `start` comes to read `words` (in `part` of it) within
    a few seconds: a busy machine may take more than one pause to repaint."""
    if await wait_until(pilot, lambda: line_words(app, start)[part] == words, 5):
        return True
    raise AssertionError(f"{start!r} line: {line_words(app, start)[part]} != {words} on screen:\n{screen_text(app)}")


async def next_tab(pilot, times: int = 1) -> None:
    for _ in range(times):
        await pilot.press("]")
    await pilot.pause()


# ---- before a run: the tab keys and what the new tabs say ----------------------------------


async def test_brackets_walk_the_tabs_both_ways_and_the_help_and_footer_list_them(app):
    async with app.run_test(size=LARGE) as pilot:
        screen = await open_screen(pilot, "1", ClassifierScreen)
        tabs = screen.query_one("#train-tabs", TabbedContent)
        assert "[] Tabs" in screen_text(app).splitlines()[-1]  # the footer
        screen.query_one("#models-keras", Checkbox).focus()  # a form field
        await pilot.press("]")
        assert tabs.active == "tab-curves"
        for expected in ("tab-epochs", "tab-confusion", "tab-mistakes", "tab-log", "tab-comparison"):
            await pilot.press("]")
            assert tabs.active == expected
        await pilot.press("[", "[")
        assert tabs.active == "tab-mistakes"
        await pilot.pause()
        assert "No run yet: misclassified test images appear here" in screen_text(app)
        await pilot.press("[")
        await pilot.pause()
        assert "No per-class figures for Keras fit yet" in screen_text(app)
        await pilot.press("question_mark")
        await pilot.pause()
        help_text = app.screen.query_one(Markdown).source
        assert "`[` / `]`" in help_text and "previous / next tab" in help_text
        assert "`n` / `p`" in help_text and "`a`" in help_text and "`m`" in help_text


async def test_brackets_switch_tabs_from_a_text_field_too(app):
    async with app.run_test(size=LARGE) as pilot:
        screen = await open_screen(pilot, "1", ClassifierScreen)
        field = screen.query_one("#input-epochs", Input)
        field.focus()
        before = field.value
        await pilot.press("]")
        assert field.value == before and screen.query_one("#train-tabs", TabbedContent).active == "tab-curves"


# ---- after a run --------------------------------------------------------------------------


async def test_after_a_run_the_keys_reach_the_confusion_tab_then_the_images(tmp_path, app):
    run_dir = record_run(tmp_path / "runs")
    async with app.run_test(size=LARGE) as pilot:
        screen = await attached(pilot, run_dir)
        await next_tab(pilot, 3)
        assert app.focused is screen.confusion.table  # arrows and Enter work at once
        text = screen_text(app)
        for name in CLASS_NAMES:
            assert name in text
        # Low-level (trained last, so shown) at epoch 2: 6 shirts taken for T-shirts, 3 pullovers for coats
        assert await shows(pilot, app, "Shirt", slice(None, 8), ["Shirt", "6", "0", "0", "0", "0", "0", "94"])
        assert await shows(pilot, app, "Pullover", slice(1, 6), ["0", "0", "97", "0", "3"])
        assert await shows(pilot, app, "Shirt", slice(-3, None), ["1.000", "0.940", "0.969"])  # precision, recall, F1
        assert "epoch 2 · 991 of 1,000 correct (accuracy 0.9910)" in text
        assert "row share:" in text and "25%+ mistaken" in text
        table = screen.confusion.table
        assert table.virtual_size.width <= table.scrollable_content_region.width  # all in view, no scrolling
        await next_tab(pilot)
        assert app.focused is screen.mistakes  # so do its page keys
        text = screen_text(app)
        assert "all 9 mistakes, page 1 of 2 · Low-level (GradientTape), epoch 2" in text
        assert text.count("▀" * 28) == 6 * 14 and text.count("(p = ") == 6  # two rows of three images
        captions = [line.split("▕", 1)[1] for line in text.splitlines() if "(p = " in line]
        assert captions[0].split()[:7] == ["Pullover", "→", "Coat", "(p", "=", "0.95)", "Pullover"]  # most sure first


async def test_enter_on_a_count_shows_its_images_a_clears_the_pair_and_the_diagonal_has_none(tmp_path, app):
    run_dir = record_run(tmp_path / "runs")
    async with app.run_test(size=LARGE, notifications=True) as pilot:
        screen = await attached(pilot, run_dir)
        await next_tab(pilot, 3)
        await pilot.press(*["down"] * PULLOVER, *["right"] * COAT, "enter")
        await pilot.pause()
        assert screen.tabs.active == "tab-mistakes"
        text = screen_text(app)
        assert "Pullover → Coat, 3 images, page 1 of 1" in text
        assert text.count("Pullover → Coat (p = ") == 3 and "Shirt →" not in text
        await pilot.press("a")
        await pilot.pause()
        assert "all 9 mistakes, page 1 of 2" in screen_text(app)
        await pilot.press("[")
        await pilot.press(*["down"] * (SHIRT - PULLOVER), *["right"] * (SHIRT - COAT), "enter")
        assert await wait_until(pilot, lambda: any("no mistakes there" in toast for toast in toasts(app)), 5)
        assert screen.tabs.active == "tab-confusion"
        await pilot.press(*["right"] * (10 - SHIRT), "enter")  # on the Shirt row's precision
        await pilot.pause()
        assert "Shirt → any other class, 6 images, page 1 of 1" in screen_text(app)
        await pilot.press("[", *["up"] * (SHIRT - PULLOVER), *["left"] * 11, "enter")  # on the Pullover row's name
        await pilot.pause()
        assert "Pullover → any other class, 3 images, page 1 of 1" in screen_text(app)


async def test_m_and_the_selector_switch_both_tabs_to_the_other_model(tmp_path, app):
    run_dir = record_run(tmp_path / "runs")
    async with app.run_test(size=LARGE) as pilot:
        screen = await attached(pilot, run_dir)
        await next_tab(pilot, 3)
        await pilot.press("m")
        await pilot.pause()
        assert await shows(pilot, app, "Shirt", slice(None, 2), ["Shirt", "8"])  # Keras: 7 + 1 shirts → T-shirts at epoch 2
        selector = next(line for line in screen_text(app).splitlines() if "▼" in line)
        assert selector.split("▕")[1].split()[:3] == ["Keras", "fit", "▼"]  # the selector says which
        await next_tab(pilot)
        assert "all 11 mistakes, page 1 of 2 · Keras fit, epoch 2" in screen_text(app)
        await pilot.press("m")
        await pilot.pause()
        assert "all 9 mistakes, page 1 of 2 · Low-level (GradientTape), epoch 2" in screen_text(app)
        await pilot.press("[")
        await pilot.pause()
        assert await shows(pilot, app, "Shirt", slice(None, 2), ["Shirt", "6"])
        screen.confusion.selector.value = "keras"  # as picking it in the drop-down does
        await pilot.pause()
        assert await shows(pilot, app, "Shirt", slice(None, 2), ["Shirt", "8"])


async def test_at_120_by_35_the_table_fits_and_two_images_a_page_turn_with_n_p_and_page_keys(tmp_path, app):
    run_dir = record_run(tmp_path / "runs")
    async with app.run_test(size=MEDIUM) as pilot:
        screen = await attached(pilot, run_dir)
        await next_tab(pilot, 3)
        table = screen.confusion.table
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert screen.region.contains_region(table.region)
        assert await shows(pilot, app, "Ankle boot", slice(-1, None), ["1.000"]) and "25%+ mistaken" in screen_text(app)
        await next_tab(pilot)
        text = screen_text(app)
        assert "all 9 mistakes, page 1 of 5" in text and text.count("▀" * 28) == 2 * 14
        first = next(line for line in text.splitlines() if "(p = " in line)
        assert "(p = 0.95)" in first and "(p = 0.88)" in first  # most confident first
        await pilot.press("n")
        await pilot.pause()
        assert "page 2 of 5" in screen_text(app)
        await pilot.press("pagedown", "pagedown", "pagedown", "pagedown")
        await pilot.pause()
        assert "page 5 of 5" in screen_text(app)  # and no further
        await pilot.press("p", "pageup")
        await pilot.pause()
        assert "page 3 of 5" in screen_text(app)


# ---- live figures, hidden tabs, resumed runs ---------------------------------------------


async def test_figures_arriving_while_a_tab_is_hidden_are_drawn_when_it_is_shown(tmp_path, app):
    run_dir = record_run(tmp_path / "runs", epochs=1, models=("lowlevel",))
    async with app.run_test(size=LARGE) as pilot:
        screen = await attached(pilot, run_dir)
        await next_tab(pilot, 4)
        assert "all 8 mistakes" in screen_text(app)  # epoch 1
        await pilot.press("[")  # the Confusion tab shown, the Mistakes tab hidden
        labels, predicted, confidence, images = predictions("lowlevel", 3)
        save_mistakes(run_dir, find_mistakes("lowlevel", 3, labels, predicted, confidence, images))
        screen.show_event(figures("lowlevel", 3))
        await pilot.pause()
        assert "epoch 3 · 990 of 1,000 correct" in screen_text(app)  # shown: redrawn at once
        assert screen.mistakes.heading.startswith("all 8 mistakes")  # hidden: not read or drawn
        await next_tab(pilot)
        assert "all 10 mistakes, page 1 of 2 · Low-level (GradientTape), epoch 3" in screen_text(app)
        # figures that arrive while another screen is shown are drawn when the screen is back
        await pilot.press("escape")
        await pilot.pause()
        labels, predicted, confidence, images = predictions("lowlevel", 4)
        save_mistakes(run_dir, find_mistakes("lowlevel", 4, labels, predicted, confidence, images))
        screen.show_event(figures("lowlevel", 4))
        await pilot.press("1")
        await pilot.pause()
        assert app.screen is screen and "all 11 mistakes, page 1 of 2 · Low-level (GradientTape), epoch 4" in \
            screen_text(app)


async def test_a_resumed_model_shows_the_figures_of_its_last_completed_epoch(tmp_path, app):
    run_dir = tmp_path / "runs" / "20261129-120000-train"
    run_dir.mkdir(parents=True)
    matrix = figures("keras", 2).confusion_matrix
    (run_dir / "summary.json").write_text(json.dumps(
        {"status": "running", "models": {"keras": {"confusion_matrix": [list(row) for row in matrix]}}}))
    labels, predicted, confidence, images = predictions("keras", 2)
    save_mistakes(run_dir, find_mistakes("keras", 2, labels, predicted, confidence, images))
    journal = JournalWriter(journal_path(run_dir))
    journal.write(RunStarted(task="train", run_id=run_dir.name, run_dir=run_dir,
                             config={"epochs": 3, "models": ["keras"]}))
    journal.write(ModelResumed(model="keras", epochs=3, rows=({**LOGS, "epoch": 1}, {**LOGS, "epoch": 2})))
    journal.write(RunFinished(summary={"status": "completed", "models": {}}, summary_path=None))
    journal.close()
    async with app.run_test(size=LARGE) as pilot:
        await attached(pilot, run_dir)
        await next_tab(pilot, 3)
        assert "epoch 2 · 989 of 1,000 correct" in screen_text(app)
        assert await shows(pilot, app, "Shirt", slice(None, 2), ["Shirt", "8"])
        await next_tab(pilot)
        assert "all 11 mistakes, page 1 of 2 · Keras fit, epoch 2" in screen_text(app)


# ---- a real training ----------------------------------------------------------------------


async def test_a_real_tiny_training_fills_the_comparison_and_both_figure_tabs(app):
    async with app.run_test(size=LARGE) as pilot:
        screen = await open_screen(pilot, "1", ClassifierScreen)
        set_field(screen, "epochs", "1")
        set_field(screen, "learning_rate", "0.00002")  # models that still get some wrong
        set_field(screen, "hidden_units", "16")
        await pilot.press("s")
        assert await wait_until(pilot, lambda: screen.last_summary_path is not None, 120)
        await pilot.pause()
        summary = json.loads((screen.last_summary_path.parent / "summary.json").read_text())
        assert summary["status"] == "completed" and summary["config"]["epochs"] == 1
        table = screen.comparison_table
        accuracy = [str(c) for c in table.get_row("test_accuracy")]
        assert accuracy[0] == "Test accuracy"
        assert [float(v) for v in accuracy[1:]] == [round(summary["models"][m]["test_accuracy"], 4) for m in MODELS]
        assert screen.epoch_table.row_count == 2  # one epoch of each model
        await next_tab(pilot, 3)
        text = screen_text(app)
        assert all(name in text for name in CLASS_NAMES) and "epoch 1 · " in text
        matrix = summary["models"]["lowlevel"]["confusion_matrix"]
        shirts = line_words(app, "Shirt")
        assert [int(count) for count in shirts[1:11]] == matrix[SHIRT]  # the screen shows the run's figures
        await next_tab(pilot)
        text = screen_text(app)
        wrong = sum(sum(row) for row in matrix) - sum(matrix[i][i] for i in range(10))
        assert f"all {wrong:,} mistakes" in text and "Low-level (GradientTape), epoch 1" in text
        assert "▀" * 28 in text and "(p = 0." in text

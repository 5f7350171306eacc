"""Per-class figures read the same everywhere: the confusion and per-class tables (Markdown,
rich, the headless output), their colours, and the half-block images of the Mistakes tab."""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.color import Color
from rich.console import Console
from rich.style import Style

from fmnist_tui.engine.class_figures import CLASS_NAMES, per_class
from fmnist_tui.engine.events import RunFinished
from fmnist_tui.engine.training.summary import render_train_markdown
from fmnist_tui.render.class_figures import (
    confusion_caption, confusion_table, confusion_with_scores, diagonal_choice, mistakes_heading, per_class_table,
    record_figures, share_level, share_style,
)
from fmnist_tui.render.halfblock import (
    TILE_HEIGHT, TILE_WIDTH, UPPER_HALF, caption, grid_shape, image_lines, tile, tile_grid,
)
from fmnist_tui.tui.commands.train import Renderer
from markdown_check import expected_rows, rendered_rows

SHIRT, TSHIRT, PULLOVER, COAT = 6, 0, 2, 4


def known_matrix() -> list[list[int]]:
    """1,000 images per class: 900 right; Shirt loses 100 to T-shirt/top, Pullover 100 to Coat,
    every other class 100 to the next class."""
    matrix = [[0] * 10 for _ in range(10)]
    for true in range(10):
        matrix[true][true] = 900
        wrong = {SHIRT: TSHIRT, PULLOVER: COAT}.get(true, (true + 1) % 10)
        matrix[true][wrong] += 100
    return matrix


def markdown_rows(markdown: str, first_cell: str) -> list[str]:
    """The cells of the table row whose first cell is `first_cell`."""
    for line in markdown.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} in:\n{markdown}")


# ---- the tables ---------------------------------------------------------------------------


def test_the_confusion_table_has_class_names_on_both_axes_and_the_counts():
    table = confusion_table(known_matrix())
    assert list(table.headers) == ["true ↓ predicted →", *CLASS_NAMES]
    assert [row[0] for row in table.rows] == list(CLASS_NAMES)
    assert table.rows[SHIRT] == ["Shirt", "100", "0", "0", "0", "0", "0", "900", "0", "0", "0"]
    assert "9,000 of 10,000 test images on the diagonal (accuracy 0.9000)." in table.notes


def test_short_columns_abbreviate_only_the_predicted_classes():
    table = confusion_table(known_matrix(), short_columns=True)
    assert table.headers[1:4] == ["Tee", "Trou", "Pull"] and table.headers[-1] == "Boot"
    assert [row[0] for row in table.rows] == list(CLASS_NAMES)
    assert any("abbreviate" in note for note in table.notes)


def test_the_per_class_table_matches_the_matrix_and_ends_with_the_macro_average():
    matrix = known_matrix()
    table = per_class_table(per_class(matrix))
    assert list(table.headers) == ["class", "precision", "recall", "F1", "support"]
    # T-shirt/top: 900 of its 1,000 right; predicted 900 + 100 (shirts) + 100 (ankle boots) times
    precision = 900 / 1100
    f1 = 2 * precision * 0.9 / (precision + 0.9)
    assert table.rows[TSHIRT] == ["T-shirt/top", f"{precision:.3f}", "0.900", f"{f1:.3f}", "1000"]
    assert table.rows[-1][0] == "macro average" and table.rows[-1][2] == "0.900" and table.rows[-1][4] == "10000"


def test_missing_scores_read_as_a_dash_and_leave_no_average():
    scores = [{"name": name, "precision": None, "recall": 0.5, "f1": "x", "support": 10} for name in CLASS_NAMES]
    table = per_class_table(scores)
    assert table.rows[0] == ["T-shirt/top", "—", "0.500", "—", "10"]
    assert table.rows[-1] == ["macro average", "—", "0.500", "—", "100"]


def test_the_confusion_tab_table_puts_each_class_scores_beside_its_row():
    matrix = known_matrix()
    table = confusion_with_scores(matrix, per_class(matrix))
    assert table.headers[-3:] == ["prec.", "recall", "F1"]
    assert table.rows[SHIRT][0] == "Shirt" and table.rows[SHIRT][-2] == "0.900"
    assert confusion_caption(3, matrix) == "epoch 3 · 9,000 of 10,000 correct (accuracy 0.9000)"


def test_both_tables_are_markdown_a_parser_reads_whole():
    matrix = known_matrix()
    markdown = confusion_table(matrix).markdown() + "\n\n" + per_class_table(per_class(matrix)).markdown()
    assert rendered_rows(markdown) == expected_rows(markdown) == 11 + 12


# ---- colours ------------------------------------------------------------------------------


def background(style: str) -> tuple[int, int, int]:
    return Style.parse(style).bgcolor.get_truecolor()


def test_counts_are_shaded_by_their_share_of_the_row_green_on_the_diagonal_red_off_it():
    correct, mistaken = background(share_style(900, 1000, True)), background(share_style(100, 1000, False))
    assert correct[1] > correct[0] and mistaken[0] > mistaken[1]  # green, red
    assert share_level(900, 1000, True) > share_level(500, 1000, True)
    assert share_level(100, 1000, False) > share_level(10, 1000, False) > 0
    assert background(share_style(100, 1000, False))[0] > background(share_style(10, 1000, False))[0]
    assert share_style(0, 1000, False) == "dim" and share_level(5, 0, False) == 0.0


def test_the_rich_confusion_table_carries_each_cells_colour():
    table = confusion_table(known_matrix())
    console = Console(record=True, width=200, color_system="truecolor", file=io.StringIO())
    console.print(table.rich())
    output = console.export_text(styles=True, clear=False)
    red = background(table.style(SHIRT, 1 + TSHIRT))
    assert f"48;2;{red[0]};{red[1]};{red[2]}m" in output  # the Shirt → T-shirt/top count's background
    assert "Ankle boot" in console.export_text()


# ---- summaries and the headless output ---------------------------------------------------


def summary_with_figures(matrix, scores=None) -> dict:
    record = {"status": "completed", "epochs": [{"epoch": 1, "loss": 0.5, "accuracy": 0.8, "test_loss": 0.4,
                                                 "test_accuracy": 0.9, "seconds": 1.0}],
              "test_accuracy": 0.9, "confusion_matrix": matrix,
              "per_class": per_class(matrix) if scores is None else scores}
    return {"run_id": "r1", "status": "completed", "config": {"epochs": 1}, "models": {"keras": record}}


def test_the_summary_has_both_tables_with_class_names_after_the_epochs():
    markdown = render_train_markdown(summary_with_figures(known_matrix()))
    assert markdown.index("per epoch") < markdown.index("## Keras fit — confusion matrix (last epoch)")
    assert markdown.index("confusion matrix (last epoch)") < markdown.index("## Keras fit — per class (last epoch)")
    assert markdown_rows(markdown, "Shirt")[:2] == ["Shirt", "100"]  # the confusion row
    assert markdown_rows(markdown, "true ↓ predicted →")[1:] == list(CLASS_NAMES)
    assert markdown_rows(markdown, "Coat")[1] in {"0", "0.900"}
    assert markdown_rows(markdown, "macro average")[-1] == "10000"
    assert rendered_rows(markdown) == expected_rows(markdown)


def test_an_older_summary_without_figures_still_renders():
    summary = summary_with_figures(known_matrix())
    for record in summary["models"].values():
        del record["confusion_matrix"], record["per_class"]
    markdown = render_train_markdown(summary)
    assert "per epoch" in markdown and "confusion matrix" not in markdown


@pytest.mark.parametrize("matrix", [[[1, 2], [3]], [[1, -2], [3, 4]], "no", [[True, 0], [0, 1]], []])
def test_a_damaged_matrix_is_left_out_not_a_crash(matrix):
    assert record_figures({"confusion_matrix": matrix}) is None
    assert "confusion matrix" not in render_train_markdown(summary_with_figures(matrix, scores=[]))


def test_per_class_figures_are_computed_when_the_record_lacks_them():
    matrix, scores = record_figures({"confusion_matrix": known_matrix()})
    assert scores[SHIRT]["recall"] == pytest.approx(0.9)


def test_the_headless_output_prints_both_tables_after_the_comparison():
    console = Console(record=True, width=120, file=io.StringIO())
    renderer = Renderer(console, console)
    renderer.handle(RunFinished(summary=summary_with_figures(known_matrix()), summary_path=None))
    text = console.export_text()
    assert text.index("Comparison") < text.index("Keras fit — confusion matrix (last epoch)")
    assert text.index("confusion matrix (last epoch)") < text.index("Keras fit — per class (last epoch)")
    shirt_row = next(line for line in text.splitlines() if line.lstrip("│ ").startswith("Shirt "))
    assert shirt_row.replace("│", " ").split()[:3] == ["Shirt", "100", "0"]
    assert "Ankle boot" in text and "macro average" in text and "9,000 of 10,000" in text


# ---- half blocks ---------------------------------------------------------------------------


def test_an_image_is_fourteen_lines_of_twenty_eight_upper_half_blocks():
    lines = image_lines(np.zeros((28, 28), dtype=np.uint8))
    assert len(lines) == 14
    assert all(line.plain == UPPER_HALF * 28 for line in lines)


def test_each_character_shows_the_top_pixel_as_foreground_and_the_one_below_as_background():
    image = np.zeros((28, 28), dtype=np.uint8)
    image[4, 3], image[5, 3] = 200, 17  # pixels of line 2, column 3
    style = image_lines(image)[2].get_style_at_offset(Console(), 3)
    assert style.color == Color.from_rgb(200, 200, 200)
    assert style.bgcolor == Color.from_rgb(17, 17, 17)


def test_an_odd_last_row_is_drawn_over_black_and_a_bad_shape_is_refused():
    lines = image_lines(np.full((3, 2), 255, dtype=np.uint8))
    assert len(lines) == 2
    assert lines[1].get_style_at_offset(Console(), 0).bgcolor == Color.from_rgb(0, 0, 0)
    with pytest.raises(ValueError, match="2-D"):
        image_lines(np.zeros(5))


def test_the_caption_names_both_classes_and_the_confidence():
    assert caption(SHIRT, TSHIRT, 0.934) == "Shirt → T-shirt/top (p = 0.93)"
    assert caption(9, TSHIRT, 0.5, width=TILE_WIDTH) == "Ankle boot → T-shirt/top (p=0.50)"
    assert len(caption(9, TSHIRT, 0.5, width=20)) == 20


def test_tiles_sit_side_by_side_in_rows():
    tiles = [tile(np.zeros((28, 28), dtype=np.uint8), f"caption {i}") for i in range(5)]
    assert len(tiles[0]) == TILE_HEIGHT and all(line.cell_len == TILE_WIDTH for line in tiles[0])
    lines = [line.plain for line in tile_grid(tiles, columns=3)]
    assert len(lines) == 2 * TILE_HEIGHT
    assert lines[0].split() == ["caption", "0", "caption", "1", "caption", "2"]
    assert lines[15].split() == ["caption", "3", "caption", "4"]
    assert lines[1].count(UPPER_HALF) == 3 * 28 and lines[16].count(UPPER_HALF) == 2 * 28


def test_the_grid_holds_as_many_tiles_as_fit():
    assert grid_shape(104, 30) == (3, 2)
    assert grid_shape(84, 20) == (2, 1)
    assert grid_shape(10, 3) == (1, 1)


def test_the_mistakes_heading_says_what_is_shown_and_where():
    assert mistakes_heading("Keras fit", 3, SHIRT, TSHIRT, 37, 2, 4) == \
        "Shirt → T-shirt/top, 37 images, page 2 of 4 · Keras fit, epoch 3"
    assert mistakes_heading("Keras fit", 3, None, None, 1153, 1, 58) == \
        "all 1,153 mistakes, page 1 of 58 · Keras fit, epoch 3"
    assert mistakes_heading("Keras fit", 3, SHIRT, 8, 0, 1, 1) == "Shirt → Bag: no mistakes · Keras fit, epoch 3"
    assert mistakes_heading("Keras fit", 3, SHIRT, None, 1, 1, 1).startswith("Shirt → any other class, 1 image,")
    assert "no mistakes there" in diagonal_choice(SHIRT) and "Shirt → Shirt" in diagonal_choice(SHIRT)

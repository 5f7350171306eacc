"""The Mistakes tab: a model's misclassified test images in half blocks, most confident first.

As many captioned images as fit, a page at a time (`n`/`p` or PageDown/PageUp), all of the
model's mistakes or one true/predicted pair's (chosen on the Confusion tab; `a` shows all
again), `m` for the other model. The images come from `mistakes/<model>.npz`, which the
worker writes before it announces the epoch's figures; a model's file is read again after
each `ClassesScored`, and only when the tab is shown (at once if it is, else when next
shown): reading it takes milliseconds, drawing a page a few tens, neither on every epoch
of a run nobody is looking at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from fmnist_tui.engine.class_figures import Mistakes, load_mistakes
from fmnist_tui.engine.training.config import MODEL_NAMES
from fmnist_tui.render.class_figures import mistakes_heading
from fmnist_tui.render.halfblock import TILE_WIDTH, caption, grid_shape, tile, tile_grid
from fmnist_tui.render.training import model_title

HEADING_LINES = 1
NO_RUN = "No run yet: misclassified test images appear here after a run's first epoch."
NOT_SAVED = "{title}: no mistakes saved yet (they are written at the end of each epoch)."
KEYS_HINT = "   n/p: page · a: all · m: model"


class MistakesView(Widget, can_focus=True):
    BINDINGS = [
        Binding("n,pagedown", "page(1)", "Next page", id="mistakes-next-page"),
        Binding("p,pageup", "page(-1)", "Prev page", id="mistakes-previous-page"),
        Binding("a", "show_all", "All mistakes", id="mistakes-all", tooltip="Clear the true/predicted filter"),
        Binding("m", "next_model", "Model", id="mistakes-next-model", tooltip="Show the other model's mistakes"),
    ]

    @dataclass
    class ModelChosen(Message):
        """The user switched to another model's mistakes."""

        model: str

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.run_dir: Path | None = None
        self._models: tuple[str, ...] = MODEL_NAMES
        self.model: str = MODEL_NAMES[0]
        self.true: int | None = None
        self.predicted: int | None = None
        self.page = 0
        self._loaded: dict[str, Mistakes | None] = {}  # a model's file as last read
        self._stale = True  # what is drawn no longer matches the state
        self._lines: list[Text] = [Text(NO_RUN)]
        self._strips: list[Strip] | None = None  # the lines as segments, made when first painted
        self.heading = NO_RUN  # the first line, as the user reads it

    def render_line(self, y: int) -> Strip:
        """One line of the page. Lines are painted from segments made once per page: Textual's
        own conversion of the page's Text took 0.1-0.2 s a page on this machine."""
        if self._strips is None:
            width, base, console = self.size.width, self.rich_style, self.app.console
            self._strips = [Strip(list(line.render(console))).apply_style(base).crop_extend(0, width, base)
                            for line in self._lines]
            self._strips += [Strip.blank(width, base)] * max(0, self.size.height - len(self._strips))
        return self._strips[y] if y < len(self._strips) else Strip.blank(self.size.width)

    # ---- what the screen tells it --------------------------------------------------------

    def reset(self, run_dir: Path | None, models: tuple[str, ...]) -> None:
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self._models = tuple(models) or MODEL_NAMES
        self.model = self._models[0]
        self.true = self.predicted = None
        self._loaded.clear()
        self._changed(page=0)

    def figures_changed(self, model: str) -> None:
        """`model`'s mistakes were written anew: read them when they are next drawn."""
        self._loaded.pop(model, None)
        if model == self.model:
            self._changed()

    def show_model(self, model: str) -> None:
        if model != self.model:
            self.model = model
            self._changed(page=0)

    def show_pair(self, model: str, true: int | None, predicted: int | None) -> None:
        """Only the images of one true/predicted pair (None: any) of `model`, from the first page."""
        self.model, self.true, self.predicted = model, true, predicted
        self._changed(page=0)

    # ---- keys ------------------------------------------------------------------------------

    def action_page(self, step: int) -> None:
        self._changed(page=self.page + step)

    def action_show_all(self) -> None:
        self.true = self.predicted = None
        self._changed(page=0)

    def action_next_model(self) -> None:
        self.show_model(self._models[(self._models.index(self.model) + 1) % len(self._models)])
        self.post_message(self.ModelChosen(self.model))

    # ---- drawing ---------------------------------------------------------------------------

    @property
    def shown(self) -> bool:
        return self.is_on_screen and self.screen.is_current

    def _changed(self, page: int | None = None) -> None:
        if page is not None:
            self.page = page
        self._stale = True
        self.refresh_if_stale()

    def refresh_if_stale(self) -> None:
        if self._stale and self.shown:
            self._draw()

    def on_show(self) -> None:
        self.refresh_if_stale()

    def on_resize(self) -> None:
        self._strips = None  # made for the old width
        self._changed()  # as many images as fit: the page size follows the widget's

    def _mistakes(self) -> Mistakes | None:
        if self.model not in self._loaded and self.run_dir is not None:
            self._loaded[self.model] = load_mistakes(self.run_dir, self.model)
        return self._loaded.get(self.model)

    def _draw(self) -> None:
        self._stale = False
        mistakes = self._mistakes()
        if self.run_dir is None:
            self._show(NO_RUN)
        elif mistakes is None:
            self._show(NOT_SAVED.format(title=model_title(self.model)))
        else:
            self._draw_page(mistakes.pair(self.true, self.predicted))

    def _draw_page(self, chosen: Mistakes) -> None:
        columns, rows = grid_shape(self.size.width, self.size.height - HEADING_LINES)
        per_page = columns * rows
        pages = max(1, math.ceil(len(chosen) / per_page))
        self.page = min(max(self.page, 0), pages - 1)
        first = self.page * per_page
        tiles = [
            tile(chosen.images[i], caption(int(chosen.true[i]), int(chosen.predicted[i]),
                                           float(chosen.confidence[i]), TILE_WIDTH))
            for i in range(first, min(first + per_page, len(chosen)))
        ]
        heading = mistakes_heading(model_title(self.model), chosen.epoch, self.true, self.predicted,
                                   len(chosen), self.page + 1, pages)
        self._show(heading, tile_grid(tiles, columns) if tiles else None)

    def _show(self, heading: str, grid: list[Text] | None = None) -> None:
        self.heading = heading
        self._lines = [Text.assemble((heading, "bold"), (KEYS_HINT, "dim")), *(grid or [])]
        self._strips = None
        self.refresh()

"""The Confusion tab: a model's confusion matrix, each count shaded by its share of the row,
with the class's precision, recall and F1 beside its row, and a selector for the model.

The cells, their styles and the wording come from `render.class_figures` (the summary and
the headless output use the same). Every model's latest figures are kept; the table is
redrawn only when it is shown (on `ClassesScored` while visible, else when next shown), so
a run's epochs cost nothing while the user looks elsewhere. Enter (or a click) on a count
posts `PairChosen` for its true/predicted pair; on a class's name or scores, for all its mistakes.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Select, Static

from fmnist_tui.engine.events import ClassesScored
from fmnist_tui.engine.training.config import MODEL_NAMES
from fmnist_tui.render.class_figures import confusion_caption, confusion_with_scores, legend_cells
from fmnist_tui.render.table import RICH_JUSTIFY
from fmnist_tui.render.training import model_title

NO_FIGURES = "No per-class figures for {title} yet: they come at the end of each epoch."
HINT = "   Enter on a count: its images"


class ConfusionView(Vertical):
    BINDINGS = [
        Binding("m", "next_model", "Model", id="confusion-next-model", tooltip="Show the other model's figures"),
    ]

    @dataclass
    class PairChosen(Message):
        """The user asked for the images of a true/predicted pair (`predicted` None: any)."""

        model: str
        true: int
        predicted: int | None

    @dataclass
    class ModelChosen(Message):
        """The user picked the model to show."""

        model: str

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._figures: dict[str, ClassesScored] = {}
        self._models: tuple[str, ...] = MODEL_NAMES
        self.model: str = MODEL_NAMES[0]
        self._pinned = False  # the user chose the model: new figures no longer switch to theirs
        self._drawn: tuple[str, int] | None = None  # (model, epoch) the table shows

    def compose(self) -> ComposeResult:
        with Horizontal(id="confusion-head"):
            yield Select(self._options(), value=self.model, allow_blank=False, compact=True, id="confusion-model")
            yield Static("", id="confusion-note")
        # no cell padding: each cell brings one blank column of its own, so the matrix and the
        # scores fit beside the form at 120 columns
        yield DataTable(id="confusion-table", cursor_type="cell", zebra_stripes=False, cell_padding=0, fixed_columns=1)
        yield Static(Text.assemble(*legend_cells(), (HINT, "dim")), id="confusion-legend")

    @property
    def table(self) -> DataTable:
        return self.query_one("#confusion-table", DataTable)

    @property
    def selector(self) -> Select:
        return self.query_one("#confusion-model", Select)

    def _options(self) -> list[tuple[str, str]]:
        return [(model_title(model), model) for model in self._models]

    # ---- what the screen tells it --------------------------------------------------------

    def reset(self, models: tuple[str, ...]) -> None:
        """A new run: no figures, its models in the selector, the first one shown."""
        self._figures.clear()
        self._models = tuple(models) or MODEL_NAMES
        self._pinned = False
        self._drawn = None
        self.model = self._models[0]  # before the selector announces it (not the user's choice)
        self.selector.set_options(self._options())
        self.selector.value = self.model
        self.refresh_if_stale()

    def add_figures(self, event: ClassesScored) -> None:
        """A model's newest figures; shown at once if the tab is, else when it is next shown."""
        self._figures[event.model] = event
        if event.model not in self._models:
            self._models += (event.model,)
            self.selector.set_options(self._options())
        if not self._pinned and event.model != self.model:
            self._select(event.model)  # follow the model in training until the user picks one
        self.refresh_if_stale()

    def has_figures(self, model: str) -> bool:
        return model in self._figures

    def show_model(self, model: str) -> None:
        """Show `model` (the user chose it, here or on the Mistakes tab)."""
        self._pinned = True
        if model != self.model and model in self._models:
            self._select(model)
            self.refresh_if_stale()

    def _select(self, model: str) -> None:
        self.model = model  # first, so the selector's Changed is not taken for the user's choice
        self.selector.value = model

    # ---- drawing -------------------------------------------------------------------------

    @property
    def shown(self) -> bool:
        return self.is_on_screen and self.screen.is_current

    def refresh_if_stale(self) -> None:
        event = self._figures.get(self.model)
        wanted = (self.model, event.epoch if event else 0)
        if wanted != self._drawn and self.shown:
            self._draw(event)
            self._drawn = wanted

    def on_show(self) -> None:
        self.refresh_if_stale()

    def _draw(self, event: ClassesScored | None) -> None:
        note = self.query_one("#confusion-note", Static)
        table = self.table
        if event is None:
            table.display = False
            note.update(NO_FIGURES.format(title=model_title(self.model)))
            return
        shaded = confusion_with_scores(event.confusion_matrix, event.per_class)
        # where the user was, kept across epochs; a fresh table starts on the first count
        cursor = table.cursor_coordinate if table.row_count else Coordinate(0, 1)
        table.clear(columns=True)
        # The class names are a real first column (fixed, so they stay when scrolled), and every
        # column's width is set here: row labels and measured widths are settled only when the
        # table next idles, and a redraw racing that once left the names blank.
        widths = [max(len(header), *(len(row[c]) for row in shaded.rows)) for c, header in enumerate(shaded.headers)]
        for column, header in enumerate(shaded.headers):
            title = header.ljust(widths[column]) if column == 0 else header.rjust(widths[column])
            table.add_column(Text(" " + title, style="bold"), width=widths[column] + 1, key=str(column))
        for index, row in enumerate(shaded.rows):
            table.add_row(*[Text.assemble(" ", (_aligned(row[c], widths[c], shaded.alignment[c]), shaded.style(index, c)))
                            for c in range(len(row))], key=str(index))
        table.display = True
        table.move_cursor(row=cursor.row, column=cursor.column, animate=False)
        note.update(confusion_caption(event.epoch, event.confusion_matrix))

    # ---- the user --------------------------------------------------------------------------

    @on(Select.Changed, "#confusion-model")
    def _model_selected(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value != self.model:
            self._pinned = True
            self.model = event.value
            self.refresh_if_stale()
            self.post_message(self.ModelChosen(event.value))

    def action_next_model(self) -> None:
        model = self._models[(self._models.index(self.model) + 1) % len(self._models)]
        self.show_model(model)
        self.post_message(self.ModelChosen(model))

    @on(DataTable.CellSelected, "#confusion-table")
    def _cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        figures = self._figures.get(self.model)
        if figures is None:
            return
        classes = len(figures.confusion_matrix)
        true, column = event.coordinate.row, event.coordinate.column
        # column 0 is the class's name, 1..classes its counts, then its scores: all its mistakes
        predicted = column - 1 if 1 <= column <= classes else None
        self.post_message(self.PairChosen(self.model, true, predicted))


def _aligned(text: str, width: int, align: str) -> str:
    """A cell padded to its column's width, so a shaded background covers the whole cell."""
    return {"left": text.ljust, "right": text.rjust, "center": text.center}[RICH_JUSTIFY[align]](width)

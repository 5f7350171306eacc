"""Small terminals: one clear message below the minimum size, stacked panels above it.

Below MIN_WIDTH×MIN_HEIGHT the screens cannot be laid out usefully, so `TooSmallScreen`
covers the app with one message (the size needed, the size it has) until the terminal
grows. Narrower than STACK_BELOW_WIDTH the app carries the class `-stacked`, and the task
screens' stylesheets put the form above the results instead of squeezing the results into
a few columns; lower than SHORT_BELOW_HEIGHT it carries `-short` too, for tighter spacing.

The classes go on the App rather than on screens (Textual's HORIZONTAL_BREAKPOINTS):
a screen in another mode is not told of a resize, and would keep stale classes when the
user switches back to it.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Static

MIN_WIDTH, MIN_HEIGHT = 60, 20
# Side by side, a 34–38 column form leaves the results less than 82 columns below this.
STACK_BELOW_WIDTH = 120
SHORT_BELOW_HEIGHT = 24


def too_small(size: Size) -> bool:
    return size.width < MIN_WIDTH or size.height < MIN_HEIGHT


def too_small_message(size: Size) -> str:
    return (
        f"fmnist-tui needs a terminal of at least {MIN_WIDTH}×{MIN_HEIGHT} "
        f"(this one is {size.width}×{size.height}). Make the window larger, or press q to quit."
    )


def fit_to_terminal(app: App, size: Size) -> None:
    """Set the layout classes for `size`, then show or take away the too-small message."""
    classes = {"-stacked": size.width < STACK_BELOW_WIDTH, "-short": size.height < SHORT_BELOW_HEIGHT}
    if any(app.has_class(name) != wanted for name, wanted in classes.items()):
        app.update_classes(classes, animate=False)
        # Textual restyles only the visible screens, and popping the message does not
        # restyle the screen it uncovers: without this it would come back in the old layout.
        for screen in app.screen_stack[:-1]:
            screen.update_node_styles(animate=False)
    # Deferred: at start-up the first resize comes before any screen exists, and a burst
    # of resizes settles on the last size (the check reads the app's size when it runs).
    app.call_after_refresh(_check_size, app)


def _check_size(app: App) -> None:
    if not app.screen_stack:
        return
    screen, size = app.screen, app.size
    if too_small(size):
        if isinstance(screen, TooSmallScreen):
            screen.show(size)
        else:
            app.push_screen(TooSmallScreen())
    elif isinstance(screen, TooSmallScreen):
        app.pop_screen()


class TooSmallScreen(Screen[None]):
    """The whole terminal says how large it must be; only quitting works meanwhile."""

    # Esc and ? would open screens that cannot be drawn at this size; q and Ctrl+Q still quit.
    BINDINGS = [
        Binding("escape", "stay", show=False),
        Binding("question_mark", "stay", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(too_small_message(self.app.size), id="too-small-message")

    def show(self, size: Size) -> None:
        try:
            self.query_one("#too-small-message", Static).update(too_small_message(size))
        except NoMatches:  # not composed yet: compose reads the size itself
            pass

    def on_screen_resume(self) -> None:
        # Back on top after a dialog: the terminal may have grown meanwhile.
        self.app.call_after_refresh(_check_size, self.app)

    def action_stay(self) -> None:
        """Nothing: the screens behind cannot be used at this size."""

    @property
    def message(self) -> str:
        return str(self.query_one("#too-small-message", Static).content)

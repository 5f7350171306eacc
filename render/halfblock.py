"""Grey-scale images drawn with half blocks, and the captioned tiles of the Mistakes tab.

Each character `▀` shows two pixels: the upper half takes the foreground colour (the top
pixel), the lower half the background colour (the pixel below it), so a 28×28 image is
28 columns × 14 lines. Colours are 24-bit ANSI (rich downgrades them on terminals with
fewer colours), so the images work over plain SSH and inside tmux. No Textual.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import groupby
from typing import Sequence

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Text

from .class_figures import class_name

UPPER_HALF = "▀"
IMAGE_WIDTH = 28  # columns of a Fashion-MNIST image
TILE_WIDTH = 34  # an image and the usual caption ("Shirt → T-shirt/top (p = 0.93)" is 30)
TILE_HEIGHT = 15  # a line of caption, 14 of image


@lru_cache(maxsize=8192)
def pixel_pair_style(top: int, bottom: int) -> Style:
    """The style of one character: top pixel's grey as foreground, bottom pixel's as background."""
    return Style(color=Color.from_rgb(top, top, top), bgcolor=Color.from_rgb(bottom, bottom, bottom))


def image_lines(image: np.ndarray) -> list[Text]:
    """A grey image (uint8, height × width) as half-block lines: ceil(height / 2) lines of width characters.

    An odd last row is drawn over black.
    """
    pixels = np.asarray(image)
    if pixels.ndim != 2:
        raise ValueError(f"expected a 2-D grey image, got shape {pixels.shape}")
    pixels = np.clip(pixels, 0, 255).astype(np.uint8)
    if len(pixels) % 2:
        pixels = np.vstack([pixels, np.zeros((1, pixels.shape[1]), dtype=np.uint8)])
    lines = []
    for top_row, bottom_row in zip(pixels[0::2].tolist(), pixels[1::2].tolist()):
        line = Text(no_wrap=True, overflow="crop")
        # one span per run of equal pixel pairs: an image's black surround is a few spans, not
        # dozens, which is most of what drawing a page costs
        for (top, bottom), run in groupby(zip(top_row, bottom_row)):
            line.append(UPPER_HALF * len(list(run)), pixel_pair_style(top, bottom))
        lines.append(line)
    return lines


def caption(true: int, predicted: int, confidence: float, width: int | None = None) -> str:
    """ "Shirt → T-shirt/top (p = 0.93)": the true class, what the model said, and how sure it was.

    Given a `width`, a caption longer than it drops the spaces around "=", then is cut with "…".
    """
    pair = f"{class_name(true)} → {class_name(predicted)}"
    text = f"{pair} (p = {confidence:.2f})"
    if width is None or len(text) <= width:
        return text
    text = f"{pair} (p={confidence:.2f})"
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def tile(image: np.ndarray, caption_text: str, width: int = TILE_WIDTH) -> list[Text]:
    """A caption above its image, every line `width` cells wide (a terminal too low for
    the whole tile cuts the image's bottom, never the caption)."""
    lines = [Text(caption_text, style="bold"), *image_lines(image)]
    for line in lines:
        line.truncate(width, overflow="crop", pad=True)
    return lines


def tile_grid(tiles: Sequence[list[Text]], columns: int, gap: int = 1) -> list[Text]:
    """The lines of tiles set side by side, `columns` to a row, `gap` cells apart."""
    columns = max(1, columns)
    lines: list[Text] = []
    for start in range(0, len(tiles), columns):
        row = tiles[start : start + columns]
        for index in range(max(len(t) for t in row)):
            line = Text(no_wrap=True, overflow="crop")
            for position, lines_of_tile in enumerate(row):
                if position:
                    line.append(" " * gap)
                if index < len(lines_of_tile):
                    line.append_text(lines_of_tile[index])
            lines.append(line)
    return lines


def grid_shape(width: int, height: int, gap: int = 1) -> tuple[int, int]:
    """(columns, rows) of tiles that fit in `width` × `height` cells; at least one of each."""
    return max(1, (width + gap) // (TILE_WIDTH + gap)), max(1, height // TILE_HEIGHT)

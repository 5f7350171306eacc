"""How results read: every table, panel and line built once, from a summary or an event.

Plain Python (no Textual, no argparse, no TensorFlow): the engine's Markdown summaries, the
headless renderer (rich) and the screens (Textual) are thin adapters over what is built here,
so the same result reads with the same headers, words and number formats everywhere.
"""

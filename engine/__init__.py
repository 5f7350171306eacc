"""The fmnist-tui engine: tasks, typed events and summaries, without any user interface.

This package never imports Textual, and imports TensorFlow only inside the functions that
need it (see `_tf.py`), so front ends can import it cheaply.
"""

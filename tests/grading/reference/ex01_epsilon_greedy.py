"""Reference solution of exercise 1: the library's own function."""

from tabular_mbrl import epsilon_greedy  # noqa: F401

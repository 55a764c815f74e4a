"""Lets ``pytest`` run these exercise tests on their own (no grader needed)."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "points(n): the test is worth n points when the grader runs it"
    )

"""The channel between the grader's test process and a submission's worker:
what crosses, what is refused, and what comes back (see course/_sandbox.py)."""

from __future__ import annotations

import io
import operator
import pickle

import numpy as np
import pytest

from tabular_mbrl.course import _client, _sandbox, authoring, repeat

SUBMISSION = """
import numpy as np


def update(q, s, a, rng):
    q[s, a] += 1.0
    return float(rng.random())


def fails(x):
    if x < 0:
        raise ValueError(f"x == {x}, must be >= 0")
    return x


class Model:
    def __init__(self, n):
        self.values = np.arange(n)

    def total(self):
        return int(self.values.sum())


def asks(scorer, n):
    return [scorer(np.full(2, i)) for i in range(n)]


def peeks(scorer, name):
    return getattr(scorer, name)


def own_float():
    class Sneaky(float):
        def __eq__(self, other):
            return True

    return Sneaky(1.0)


class Everything:  # answers every special method NumPy and Python ask for

    def __init__(self, address):
        self.__array_interface__ = {
            "data": (address, True), "shape": (4,), "typestr": "<f8", "version": 3
        }

    def __len__(self):
        return 4

    def __iter__(self):
        return iter([1.0, 2.0])

    def __index__(self):
        return 1

    def __bool__(self):
        return False

    def __array__(self, dtype=None, copy=None):
        return np.ones(4)


def handle_id(scorer):
    return scorer._id


def raw_peek(scorer, name):
    return scorer._request("getattr", scorer._id, name)


def loud(n):
    raise ValueError("x" * n + "\\nsecond line")
"""


class Scorer:
    def __init__(self):
        self.calls = 0
        self.notes = {"expected": 42}
        self.log = io.StringIO()

    def __call__(self, x):
        self.calls += 1
        return x.sum() * 2


@pytest.fixture
def ex(tmp_path, monkeypatch):
    (tmp_path / "ex99_sandbox.py").write_text(SUBMISSION)
    monkeypatch.setattr(authoring, "_isolated", True)
    yield authoring.submission("ex99_sandbox", tmp_path)
    _client._PROCESS.stop()


def test_in_place_updates_and_draws_come_back(ex):
    q, rng, twin = np.zeros((2, 2)), np.random.default_rng(5), np.random.default_rng(5)
    drawn = ex.update(q, 1, 0, rng)
    assert q.tolist() == [[0.0, 0.0], [1.0, 0.0]]
    assert drawn == twin.random()  # the worker drew from the same stream
    assert rng.random() == twin.random()  # and the caller's rng moved on with it


def test_a_builtin_exception_keeps_its_type_and_says_where(ex):
    with pytest.raises(ValueError, match=r"x == -1, must be >= 0") as info:
        ex.fails(-1)
    assert info.value.submission_where == "ex99_sandbox.py:12"
    assert ex.fails(3) == 3


def test_student_objects_are_handles_and_test_objects_are_called_back(ex):
    model = ex.Model(4)
    assert isinstance(model, _sandbox.Handle)
    assert model.total() == 6 and model.values.tolist() == [0, 1, 2, 3]
    scorer = Scorer()
    assert ex.asks(scorer, 3) == [0, 4, 8]
    assert scorer.calls == 3  # the calls ran here, on the test's object


def test_a_submission_reaches_only_public_methods_of_test_objects(ex):
    scorer = Scorer()
    with pytest.raises(AttributeError, match="^__dict__$"):
        ex.peeks(scorer, "__dict__")  # refused by the worker's handle
    with pytest.raises(AttributeError, match="not available to a submission"):
        ex.raw_peek(scorer, "__dict__")  # and by this process, asked directly
    assert ex.peeks(scorer, "notes") == {"expected": 42}  # public data: a copy
    with pytest.raises(TypeError, match="a StringIO cannot be passed"):
        ex.peeks(scorer, "log")  # an object behind a public name: refused


def test_only_plain_data_crosses_back(ex):
    value = ex.own_float()
    assert isinstance(value, _sandbox.Handle)  # not a float subclass
    assert value != 1.0 and value != value.real


def test_the_restricted_unpickler_refuses_any_other_global():
    channel = _sandbox.Channel(None, None, trusting=False)
    data = pickle.dumps(print, protocol=4)
    reader = io.BytesIO(len(data).to_bytes(8, "little") + data)
    channel.reader = reader
    with pytest.raises(pickle.UnpicklingError, match="builtins.print"):
        channel.receive()


def test_repeat_copies_arrays_and_shares_the_generator(ex):
    def grab(q, rng):
        q[0] += 1
        return q[0] + rng.random()

    q = np.zeros(1)
    here = repeat(grab, 3, q, np.random.default_rng(0))
    there_q = np.zeros((2, 2))
    there = repeat(ex.update, 3, there_q, 0, 1, np.random.default_rng(0))
    expected = np.random.default_rng(0).random(3)
    assert here == pytest.approx(1 + expected) and q[0] == 0.0
    assert there == pytest.approx(expected) and not there_q.any()
    with pytest.raises(ValueError, match=r"n == -1, must be an int >= 0"):
        repeat(grab, -1, q, np.random.default_rng(0))


def test_a_handle_answers_no_special_method_from_the_other_side(ex):
    """Before: ``__array_interface__`` was asked of the worker, and NumPy read
    this process's memory at the address it chose; ``len``, ``iter``,
    ``index`` and ``bool`` ran the worker's answers."""
    thing = ex.Everything(id(object()))
    assert isinstance(thing, _sandbox.Handle)
    array = np.asarray(thing)
    assert array.dtype == object and array.shape == ()  # opaque, nothing read
    with pytest.raises(AttributeError):
        thing.__array_interface__  # noqa: B018
    for refused in (len, iter, int, float, operator.index):
        with pytest.raises(TypeError):
            refused(thing)
    assert bool(thing) is True  # an object's default, asked of no one
    assert repr(thing) == "<an object of the other process>"


def test_handle_identifiers_are_random_not_addresses(ex):
    first, second = Scorer(), Scorer()
    ids = [ex.handle_id(first), ex.handle_id(second), ex.handle_id(first)]
    assert ids[0] == ids[2] != ids[1]  # one object, one handle
    assert not {id(first), id(second)} & set(ids)
    assert all(0 <= i < 2**62 for i in ids)


def test_an_error_message_crosses_as_one_line_of_bounded_length(ex):
    with pytest.raises(ValueError) as info:
        ex.loud(10_000)
    assert str(info.value) == "x" * 397 + "..."

"""The process a submission runs in while it is graded, and the channel to it.

The grader's test process never runs student code. Each call a test makes on
a submission (``ex.epsilon_greedy(q_row, 0.5, rng)``) is sent to this worker
process, which imports the student's module, makes the call and sends back
the return value. Only data crosses:

- values that are plain data (numbers, strings, tuples, lists, dicts, sets,
  NumPy arrays, scalars and Generators) are copied, and arrays and Generators
  passed as arguments are copied back after the call, so that in-place
  updates (``q[s, a] += ...``) and random draws show on the caller's side;
- anything else stays where it lives and the other side gets a handle: the
  student's objects (a model class, its instances) are handles in the test
  process, the test's objects (a scripted model, a scoring function) are
  handles in the worker, and calling a handle or reading one of its public
  attributes is a message back to the owner.

The test process reads the worker's messages with an unpickler that knows
only plain data, so nothing the worker sends can run code there: a
submission can return a wrong answer, but it cannot patch ``pytest.approx``,
read a test's expected values or forge a grading record, because none of
those live in its process.

This file runs as a script, so the worker never imports ``tabular_mbrl``.
When grading, the grader copies it into the worker's area and the test
process starts it as ``python -I -S bin/_sandbox.py IN OUT SETUP``, as the
worker's user (see :mod:`._isolation`): SETUP (JSON) names the folder of
links to NumPy and ``gridworlds`` that becomes its ``sys.path`` besides the
standard library, the read-only copy of the submission's modules, and the
resource limits it sets on itself before anything else. No folder on its
``sys.path`` holds the library's source; an import finder still refuses
``tabular_mbrl`` by name, with a message that says why. It imports only the
standard library and NumPy, for the test process to use it as a module too.
"""

from __future__ import annotations

import builtins
import importlib.util
import io
import json
import os
import pickle
import re
import secrets
import struct
import sys
import traceback
from pathlib import Path
from types import ModuleType


def _set_limits(limits: dict, separate: bool) -> None:
    """The worker's resource limits, set on itself before any student code
    runs (it cannot raise them again): CPU seconds, address space, file size,
    open files, no core files, and, when it runs as a user of its own (the
    count is per user), processes."""
    import resource

    pairs = [
        (resource.RLIMIT_CPU, limits["cpu"]),
        (resource.RLIMIT_AS, limits["address_space"]),
        (resource.RLIMIT_FSIZE, limits["file_size"]),
        (resource.RLIMIT_NOFILE, limits["open_files"]),
        (resource.RLIMIT_CORE, 0),
    ]
    if separate:
        pairs.append((resource.RLIMIT_NPROC, limits["processes"]))
    for which, value in pairs:
        hard = resource.getrlimit(which)[1]
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            if sys.platform.startswith("linux"):  # lowering a limit never fails
                raise  # there: a worker without its limits must not run
            # elsewhere (macOS refuses some address-space limits) it runs
            # without that one


#: How the grader set this worker up (None when not started by the grader).
SETUP: dict | None = None
if __name__ == "__main__" and len(sys.argv) > 3:
    SETUP = json.loads(sys.argv[3])
    os.umask(0o077)
    _set_limits(SETUP["limits"], SETUP["separate"])
    # -I -S: the standard library only, then NumPy and gridworlds by links.
    sys.path.append(SETUP["site"])

import numpy as np  # noqa: E402 - after the worker's sys.path is set

#: What a refused import of the library says.
NO_LIBRARY = (
    "{} is not available to a submission: write the exercise yourself "
    "(numpy and gridworlds are available)"
)

#: A submission's module file (``ex01_epsilon_greedy.py``), not a test file.
SUBMISSION_FILE = re.compile(r"^ex\d\d_\w+\.py$")

#: The longest message either side accepts (bytes).
MAX_MESSAGE = 64 * 2**20

#: The longest error message that crosses (characters): feedback is one line.
MAX_ERROR = 400

_PLAIN_TYPES = {
    type(None),
    bool,
    int,
    float,
    complex,
    str,
    bytes,
    bytearray,
    tuple,
    list,
    dict,
    set,
    frozenset,
    range,
    slice,
    type(Ellipsis),
    np.ndarray,
    np.random.Generator,
    np.random.SeedSequence,
}
_BIT_GENERATORS = {np.random.PCG64, np.random.PCG64DXSM, np.random.MT19937}
_BIT_GENERATORS |= {np.random.Philox, np.random.SFC64}

_ATOMS = {type(None), bool, int, float, str, bytes, tuple, list, dict}
_BIT_GENERATOR_NAMES = {cls.__name__: cls for cls in _BIT_GENERATORS}


def _no_such_generator(seed: int) -> None:
    raise pickle.UnpicklingError("an unknown bit generator")


#: The only globals a pickle from the worker may name: how NumPy and the
#: builtins rebuild plain data. A class of the student's cannot be among them.
ALLOWED_GLOBALS = {
    ("builtins", name)
    for name in ("complex", "set", "frozenset", "bytearray", "range", "slice")
} | {("builtins", "Ellipsis"), ("numpy", "ndarray"), ("numpy", "dtype")}
for _core in ("numpy._core", "numpy.core"):
    ALLOWED_GLOBALS |= {
        (f"{_core}.multiarray", "_reconstruct"),
        (f"{_core}.multiarray", "scalar"),
        (f"{_core}.numeric", "_frombuffer"),
    }
ALLOWED_GLOBALS |= {
    ("numpy.random._pickle", "__generator_ctor"),
    ("numpy.random._pickle", "__bit_generator_ctor"),
    ("numpy.random.bit_generator", "__pyx_unpickle_SeedSequence"),
    ("numpy.random.bit_generator", "SeedSequence"),
}
ALLOWED_GLOBALS |= {(cls.__module__, cls.__name__) for cls in _BIT_GENERATORS}


def is_plain(value: object) -> bool:
    """Whether ``value`` itself (not its contents) is copied, not handled."""
    kind = type(value)
    if kind in _PLAIN_TYPES or kind in _BIT_GENERATORS:
        return True
    if callable(value):  # the classes and functions that rebuild plain data
        name = getattr(value, "__qualname__", None)
        return (getattr(value, "__module__", None), name) in ALLOWED_GLOBALS
    if isinstance(value, np.dtype):
        return True
    return isinstance(value, np.generic) and kind.__module__ == "numpy"


class RemoteError(Exception):
    """The other side raised an exception that is not a builtin one."""


class ChannelClosed(Exception):
    """The other side went away."""


class Handle:
    """An object that lives on the other side of a :class:`Channel`.

    Only data crosses: calling a handle, and reading one of its public
    attributes (a name not starting with ``_``), are messages to the owner;
    nothing else is forwarded. A handle answers no special method
    (``__array_interface__``, ``__array__``, ``__index__``, ``__len__``,
    ``__iter__``, ``__bool__`` ...) from the other side: to NumPy, ``len``,
    ``int`` or ``if`` it is an opaque object, so an answer chosen by the other
    side can never make this process read its memory at a chosen address or
    run a loop of its choosing. Its identifier is a random number, not an
    address.
    """

    __slots__ = ("_channel", "_id", "_generation")

    def __init__(self, channel: Channel, ident: int) -> None:
        object.__setattr__(self, "_channel", channel)
        object.__setattr__(self, "_id", ident)
        object.__setattr__(self, "_generation", channel.generation)

    def _request(self, *message: object) -> object:
        if self._generation != self._channel.generation:
            raise RuntimeError(
                "this object lived in a submission process that has since "
                "been stopped (after a timeout or a crash)"
            )
        return self._channel.request(*message)

    def __getattr__(self, name: str) -> object:
        if name.startswith("_"):  # no special or private name crosses
            raise AttributeError(name)
        return self._request("getattr", self._id, name)

    def __call__(self, *args: object, **kwargs: object) -> object:
        return self._request("call", self._id, args, kwargs)

    def __repr__(self) -> str:
        return "<an object of the other process>"


class Channel:
    """One end of the pipe pair between the test process and the worker.

    ``trusting`` is True in the worker (it unpickles whatever the test process
    sends) and False in the test process (plain data only, and handles).
    ``expose`` decides, for a value that is not plain data, whether it may be
    handed to the other side; it returns False to refuse it.
    """

    def __init__(self, reader, writer, *, trusting: bool, expose=None) -> None:
        self.reader, self.writer = reader, writer
        self.trusting = trusting
        self.expose = expose or (lambda value, replying: True)
        #: What the other side holds handles to, by random identifier, and
        #: the identifier of each (by ``id``), so that an object sent twice
        #: is one handle.
        self.objects: dict[int, object] = {}
        self.identifiers: dict[int, int] = {}
        self.generation = 0
        self._replying = False

    # -- the wire: length-prefixed pickles --------------------------------------
    def _dump(self, message: object) -> bytes:
        buffer = io.BytesIO()
        _Pickler(buffer, self).dump(message)
        return buffer.getvalue()

    def _persistent_id(self, value: object):
        kind = type(value)
        if kind in _ATOMS:
            return None
        # Arrays of numbers and Generators travel as bytes and state: faster
        # than NumPy's own pickles, and they name no global.
        if kind is np.ndarray and value.dtype.kind in "biufc" and not value.dtype.names:
            return ("array", value.dtype.str, value.shape, value.tobytes())
        if kind is np.random.Generator and type(value.bit_generator) in _BIT_GENERATORS:
            bits = value.bit_generator
            return ("rng", type(bits).__name__, bits.state)
        if is_plain(value):
            return None
        if isinstance(value, Handle) and value._channel is self:
            return ("yours", value._id)
        if not self.expose(value, self._replying):
            raise TypeError(
                f"a {type(value).__name__} cannot be passed to or from a submission"
            )
        ident = self.identifiers.get(id(value))
        if ident is None:
            ident = secrets.randbits(62)
            self.objects[ident] = value
            self.identifiers[id(value)] = ident
        return ("mine", ident)

    def _persistent_load(self, key):
        if isinstance(key, tuple) and len(key) == 4 and key[0] == "array":
            _, dtype, shape, data = key
            dtype = np.dtype(dtype)
            if dtype.kind not in "biufc" or not isinstance(data, bytes):
                raise pickle.UnpicklingError(f"an array of {dtype}")
            return np.frombuffer(data, dtype).reshape(shape).copy()
        if isinstance(key, tuple) and len(key) == 3 and key[0] == "rng":
            bits = _BIT_GENERATOR_NAMES.get(key[1], _no_such_generator)(0)
            bits.state = key[2]  # NumPy checks the state it is given
            return np.random.Generator(bits)
        if not (isinstance(key, tuple) and len(key) == 2 and isinstance(key[1], int)):
            raise pickle.UnpicklingError(f"bad reference {key!r}")
        kind, ident = key
        if kind == "mine":
            return Handle(self, ident)
        if kind == "yours" and ident in self.objects:
            return self.objects[ident]
        raise pickle.UnpicklingError(f"bad reference {key!r}")

    def send(self, message: object) -> None:
        data = self._dump(message)
        self.writer.write(struct.pack("<Q", len(data)) + data)
        self.writer.flush()

    def receive(self) -> object:
        head = self.reader.read(8)
        if len(head) < 8:
            raise ChannelClosed("the other process closed the channel")
        (size,) = struct.unpack("<Q", head)
        if size > MAX_MESSAGE:
            raise pickle.UnpicklingError(f"a message of {size} bytes is too long")
        data = self.reader.read(size)
        if len(data) < size:
            raise ChannelClosed("the other process closed the channel")
        return _Unpickler(io.BytesIO(data), self).load()

    # -- requests and replies ---------------------------------------------------
    def request(self, *message: object) -> object:
        """Send a request; serve the other side's requests until the reply."""
        self._replying = False
        self.send(message)
        while True:
            incoming = self.receive()
            if not isinstance(incoming, tuple) or not incoming:
                raise pickle.UnpicklingError("a message that is not a request")
            if incoming[0] == "return":
                _, value, after = incoming
                _copy_back(message, after)
                return value
            if incoming[0] == "raise":
                raise rebuild_error(*incoming[1:])
            self.serve(incoming)

    def serve(self, message: tuple) -> None:
        """Answer one request of the other side."""
        # The worker reports even SystemExit; the test process lets its own
        # BaseExceptions (a grading timeout) through.
        catch = BaseException if self.trusting else Exception
        try:
            reply = ("return", self.answer(message), _mutable_arguments(message))
        except catch as error:  # noqa: BLE001 - it goes back to the caller
            reply = ("raise", *describe_error(error))
        self._replying = True
        try:
            self.send(reply)
        except (TypeError, pickle.PicklingError) as error:
            self.send(("raise", *describe_error(error)))
        finally:
            self._replying = False

    def answer(self, message: tuple) -> object:
        kind, ident, *rest = message
        target = self.objects.get(ident) if isinstance(ident, int) else None
        if target is None:
            raise RuntimeError(f"no such object: {ident!r}")
        if kind == "call":
            args, kwargs = rest
            return target(*args, **kwargs)
        if kind == "repeat" and self.trusting:
            args, kwargs, n = rest
            return repeat(target, n, *args, **kwargs)
        if kind == "getattr" and isinstance(rest[0], str):
            if not self.trusting and rest[0].startswith("_"):
                raise AttributeError(f"{rest[0]} is not available to a submission")
            return getattr(target, rest[0])
        raise ValueError(f"unknown request {kind!r}")


# The channel's hooks are methods of subclasses: on CPython 3.13.0 the
# ``persistent_id`` and ``persistent_load`` attributes of a pickler's or
# unpickler's instance are read-only (3.13.1 lifts that again); a subclass's
# methods work on every version.
class _Pickler(pickle.Pickler):
    def __init__(self, file, channel: Channel) -> None:
        super().__init__(file, protocol=4)  # no out-of-band buffers
        self.channel = channel

    def persistent_id(self, value: object):
        return self.channel._persistent_id(value)


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, channel: Channel) -> None:
        super().__init__(file)
        self.channel = channel
        self.restricted = not channel.trusting

    def persistent_load(self, key: object) -> object:
        return self.channel._persistent_load(key)

    def find_class(self, module: str, name: str):
        if self.restricted and (module, name) not in ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(
                f"the submission sent a {module}.{name}, which is not plain data"
            )
        return super().find_class(module, name)


def repeat(function, n: int, /, *args: object, **kwargs: object) -> list:
    """``n`` calls of ``function``, each with its own copies of the array
    arguments (other arguments, such as a Generator, are shared)."""
    if isinstance(function, Handle):  # one message, not n
        return function._request("repeat", function._id, args, kwargs, n)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n == {n!r}, must be an int >= 0")

    def fresh(value: object) -> object:
        return value.copy() if type(value) is np.ndarray else value

    return [
        function(*map(fresh, args), **{k: fresh(v) for k, v in kwargs.items()})
        for _ in range(n)
    ]


def _mutable_arguments(message: tuple) -> list:
    """The arrays and Generators among a call's arguments, as they are now."""
    if message[0] not in ("call", "repeat"):
        return []
    args, kwargs = message[2], message[3]
    named = [*enumerate(args), *kwargs.items()]
    return [(key, value) for key, value in named if _is_mutable(value)]


def _is_mutable(value: object) -> bool:
    return type(value) in (np.ndarray, np.random.Generator)


def _copy_back(message: tuple, after: object) -> None:
    """Give the caller's arrays and Generators the callee's changes."""
    if message[0] not in ("call", "repeat") or not isinstance(after, list):
        return
    args, kwargs = message[2], message[3]
    for item in after:
        if not (isinstance(item, tuple) and len(item) == 2):
            continue
        key, new = item
        if isinstance(key, int) and 0 <= key < len(args):
            old = args[key]
        elif isinstance(key, str) and key in kwargs:
            old = kwargs[key]
        else:
            continue
        if type(old) is np.ndarray and type(new) is np.ndarray:
            if old.shape == new.shape and old.flags.writeable:
                old[...] = new
        elif type(old) is np.random.Generator and type(new) is np.random.Generator:
            if type(old.bit_generator) is type(new.bit_generator):
                old.bit_generator.state = new.bit_generator.state


def describe_error(error: BaseException) -> tuple[str, str, str]:
    """(type name, first line of the message, 'exNN_file.py:LINE' or ''),
    each cut to :data:`MAX_ERROR` characters."""
    try:
        lines = str(error).strip().splitlines()
    except Exception:  # noqa: BLE001 - a __str__ that raises says nothing
        lines = []
    where = ""
    for frame, line in traceback.walk_tb(error.__traceback__):
        name = Path(frame.f_code.co_filename).name
        if SUBMISSION_FILE.match(name):
            where = f"{name}:{line}"
    message = lines[0] if lines else ""
    return shorten(type(error).__name__), shorten(message), shorten(where)


def shorten(text: str, most: int = MAX_ERROR) -> str:
    """``text`` cut to ``most`` characters, ending in '...' if it was cut."""
    return text if len(text) <= most else text[: most - 3] + "..."


def rebuild_error(kind: object, message: object, where: object) -> Exception:
    """The exception to raise for a reply ``("raise", kind, message, where)``:
    a builtin exception type as itself (so ``pytest.raises(ValueError)``
    works), any other as :class:`RemoteError`."""
    kind, message, where = (shorten(str(x)) for x in (kind, message, where))
    message = message.splitlines()[0] if message.strip() else ""
    builtin = getattr(builtins, kind, None)
    if isinstance(builtin, type) and issubclass(builtin, Exception):
        try:
            error = builtin(message)
        except Exception:  # noqa: BLE001 - e.g. UnicodeDecodeError needs 5 args
            error = RemoteError(f"{kind}: {message}")
    else:
        error = RemoteError(f"{kind}: {message}" if message else kind)
    error.submission_where = where
    return error


# -- the worker side ------------------------------------------------------------
class _NoLibrary:
    """Refuses ``tabular_mbrl`` to ``import`` and ``importlib`` alike."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "tabular_mbrl":
            raise ImportError(NO_LIBRARY.format(name))
        return None


class _Worker(Channel):
    def answer(self, message: tuple) -> object:
        if message[0] == "import":
            return _import(*message[1:])
        return super().answer(message)


def _import(name: object, folder: object) -> ModuleType:
    if not (isinstance(name, str) and name.isidentifier()):
        raise ValueError(f"module name == {name!r}, must be an identifier")
    # When grading, the submission's modules are the grader's read-only copy.
    folder = Path(SETUP["modules"] if SETUP else str(folder))
    path = folder / f"{name}.py"
    if name in sys.modules:
        return sys.modules[name]
    if not path.is_file():
        raise FileNotFoundError(f"{path.name} not found in {folder}")
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def main(argv: list[str]) -> None:
    """Serve the test process on the pipes whose descriptors are ``argv``;
    say ``("ready",)`` first, once nothing of the grader's is left to set up."""
    sys.meta_path.insert(0, _NoLibrary())
    for name in [m for m in sys.modules if m.partition(".")[0] == "tabular_mbrl"]:
        del sys.modules[name]
    reader = os.fdopen(int(argv[0]), "rb")
    writer = os.fdopen(int(argv[1]), "wb")
    channel = _Worker(reader, writer, trusting=True)
    import gridworlds  # noqa: F401 - what a submission may import is there

    channel.send(("ready",))
    while True:
        try:
            message = channel.receive()
        except ChannelClosed:
            return
        except Exception as error:  # noqa: BLE001 - say so, and wait for the next
            channel.send(("raise", *describe_error(error)))
            continue
        channel.serve(message)


if __name__ == "__main__":
    main(sys.argv[1:])

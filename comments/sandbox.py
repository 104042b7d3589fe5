"""Running a function over untrusted bytes in a child process with limits on its CPU time, its memory and
the wall-clock time the caller waits (R40).

Reading an uploaded PDF or Word file costs what the file makes it cost, whatever its size: a 37 KB PDF of
nested form XObjects kept pypdf busy for minutes, a 178 KB DOCX made python-docx and lxml take 761 MB.
No library offers a bound on either, so the reading runs in a child process that the kernel stops:

* ``RLIMIT_CPU``: the kernel sends SIGXCPU once the child has used ``cpu_seconds`` of CPU (SIGKILL a
  second later), which ends it;
* ``RLIMIT_AS``: the child's address space may grow by ``memory_bytes`` beyond what it held when it
  started (the Python program and the libraries, about 100 MB, and the bytes it was handed), so an
  allocation past that fails with ``MemoryError`` (or an lxml error saying memory failed), in the child;
* the wall clock: a child still running after ``wall_seconds`` (a machine so busy that the CPU time
  never accrues, a child blocked on something) is killed by the caller.

Children come from a ``forkserver``, a small process started once per server process with pypdf,
python-docx and lxml already imported: a child costs a fork and a few tens of milliseconds, not the second
it takes to import them, it starts with a small, known address space (a fork of a web worker would inherit its
threads' locks and all its memory), and it holds no database connection or open file of the caller.

Only plain data crosses back: the function must return None, bools, numbers, strings, bytes, and tuples,
lists and dicts of them. The caller unpickles with no class allowed, so a child that a malformed file had
taken over could send nothing that runs code in the caller. Translated messages and domain errors are
made by the caller from ``LimitExceeded``; nothing here knows about the web, the domain or the database.

Written here rather than taken from ``pebble`` (a process pool with timeouts): one call per file needs no
pool to keep alive across requests, pebble sets no resource limits and does not restrict what comes back,
and the whole of it is the hundred lines below.
"""

from __future__ import annotations

import contextlib
import io
import math
import multiprocessing
import pickle
import resource
import signal
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import wait

# Imported once by the forkserver, so that every child has them: what reads PDFs and Word files. The
# forkserver finds them as the program found wsgi.py, through its working directory or PYTHONPATH (Python
# 3.11's forkserver does not take the caller's sys.path); failing that, each child imports them itself, in
# a second. "__main__" would spare each child running the program's main script again (gunicorn's, flask's,
# pytest's: guarded, so a few milliseconds), but 3.11 passes the forkserver no main path; later ones may.
PRELOAD = ["__main__", "comments.documents", "pypdf", "docx", "lxml.etree"]
# A child that came this close to its memory limit is reported as over it, whatever it answered: lxml
# reports a failed allocation as a parse error, and a reader may turn any error into a result.
_MEMORY_MARGIN = 32 * 1024 * 1024
_TRACEBACK_CHARS = 4000
# An answer may hold what the child was handed (a rewritten file) besides what it made.
_ANSWER_BEYOND_MEMORY = 64 * 1024 * 1024

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(PRELOAD)


@dataclass(frozen=True)
class Limits:
    """What one call may take: CPU seconds, wall-clock seconds, and bytes of memory beyond its start."""

    cpu_seconds: float
    wall_seconds: float
    memory_bytes: int


class LimitExceeded(Exception):
    """The child went over a limit; ``limit`` is ``"cpu"``, ``"memory"`` or ``"wall"``."""

    def __init__(self, limit: str):
        super().__init__(f"the child process went over its {limit} limit")
        self.limit = limit


class ChildFailed(RuntimeError):
    """The function raised in the child, or the child ended without an answer; the message holds what is
    known (the exception's type and the child's traceback), for the log."""


def _address_space() -> int:
    """The bytes of this process's address space now (Linux ``VmSize``); 0 where /proc does not say."""
    return _status_bytes("VmSize:")


def _status_bytes(field: str) -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _child(writer, function, args, cpu_seconds: int, memory_bytes: int) -> None:
    """In the child: set the limits, run ``function(*args)``, send back ("ok", result) or what went wrong."""
    _lower_limit(resource.RLIMIT_CORE, 0, 0)  # a child ended by SIGXCPU leaves no core file
    _lower_limit(resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 1)
    address_limit = _address_space() + memory_bytes
    _lower_limit(resource.RLIMIT_AS, address_limit, address_limit)
    try:
        answer = ("ok", function(*args))
    except MemoryError:
        answer = ("memory",)
    except BaseException as error:
        error.__traceback__, frames = None, error.__traceback__  # what the function built goes with them
        try:
            text = "".join(traceback.format_exception(type(error), error, frames))[-_TRACEBACK_CHARS:]
        except MemoryError:
            text = ""
        del frames
        answer = ("error", type(error).__name__, text)
    if _status_bytes("VmPeak:") >= address_limit - _MEMORY_MARGIN:
        answer = ("memory",)
    try:
        payload = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        payload = pickle.dumps(("memory",))
    except Exception as error:  # the function returned something that does not pickle
        payload = pickle.dumps(("error", type(error).__name__, f"the result could not be sent: {error}"))
    writer.send_bytes(payload)
    writer.close()


def _lower_limit(which: int, soft: int, hard: int) -> None:
    """Set a resource limit, never above the hard limit this process already has (it may not raise it)."""
    _soft, current_hard = resource.getrlimit(which)
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    resource.setrlimit(which, (soft, hard))


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"a child may send only plain data, not {module}.{name}")


def _plain(payload: bytes):
    try:
        return _PlainUnpickler(io.BytesIO(payload)).load()
    except (pickle.UnpicklingError, EOFError, ValueError) as error:
        raise ChildFailed(f"the child process answered with more than plain data: {error}") from None


def run_limited(function, *args, limits: Limits):
    """``function(*args)`` run in a child process under ``limits``; return what it returned.

    ``function`` must be a module-level function (it is pickled by name) that returns plain data (see the
    module docstring). Raises ``LimitExceeded`` when the child went over a limit (it is then killed) and
    ``ChildFailed`` when the function raised or the child died otherwise.
    """
    reader, writer = _context.Pipe(duplex=False)
    cpu_seconds = max(1, math.ceil(limits.cpu_seconds))
    process = _context.Process(
        target=_child, args=(writer, function, args, cpu_seconds, limits.memory_bytes), daemon=True
    )
    payload = None
    try:
        process.start()  # the first call of a process also starts the forkserver: not counted
        deadline = time.monotonic() + limits.wall_seconds
        writer.close()  # the child holds the only writing end now, so the pipe ends when the child does
        if not wait([reader, process.sentinel], limits.wall_seconds):
            raise LimitExceeded("wall")
        if reader.poll():  # an answer, or the end of the pipe when the child died without one
            with contextlib.suppress(EOFError):
                payload = reader.recv_bytes(maxlength=limits.memory_bytes + _ANSWER_BEYOND_MEMORY)
        process.join(max(0.0, deadline - time.monotonic()))
    finally:
        reader.close()
        writer.close()
        if process.is_alive():
            process.kill()
        if process.pid is not None:
            process.join()
    if payload is None:
        raise _ended_without_answer(process.exitcode)
    answer = _plain(payload)
    if answer[0] == "ok":
        return answer[1]
    if answer[0] == "memory":
        raise LimitExceeded("memory")
    raise ChildFailed(f"{answer[1]} in the child process:\n{answer[2]}")


def _ended_without_answer(exitcode: int | None) -> Exception:
    if exitcode == -signal.SIGXCPU:
        return LimitExceeded("cpu")
    if exitcode == -signal.SIGKILL:
        # Not killed here (that is the wall clock, raised above) nor by SIGXCPU, which ends a process that
        # does not catch it: by the kernel's out-of-memory killer.
        return LimitExceeded("memory")
    return ChildFailed(f"the child process ended with exit code {exitcode} and no answer")

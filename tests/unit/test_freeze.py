"""Pausing a process always ends; a thread blocked writing to a full pipe is seen (Linux /proc)."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest

from wine_serving.process.freeze import chars_read, paused, wait_blocked_writer, wait_reader, writing_to_pipe

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

# Writes 1 MiB to stdout, which nobody reads: the write blocks once the pipe (64 KiB) is full.
WRITER = "import sys; sys.stdout.buffer.write(b'x' * (1 << 20)); sys.stdout.flush()"


def test_a_writer_into_a_full_pipe_is_found_and_an_idle_process_is_not():
    writer = subprocess.Popen([sys.executable, "-c", WRITER], stdout=subprocess.PIPE)
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert wait_blocked_writer([idle.pid, writer.pid], timeout=20) == writer.pid
        assert writing_to_pipe(writer.pid) and not writing_to_pipe(idle.pid)
        assert wait_blocked_writer([idle.pid], timeout=0.2) is None
    finally:
        for proc in (writer, idle):
            proc.kill()
            proc.wait()
    assert not writing_to_pipe(writer.pid)  # gone: nothing to read


def _status(proc: subprocess.Popen) -> str:
    return psutil.Process(proc.pid).status()


def test_paused_resumes_even_when_the_block_raises():
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with pytest.raises(RuntimeError), paused(sleeper.pid):
            deadline = time.monotonic() + 5
            while _status(sleeper) != psutil.STATUS_STOPPED and time.monotonic() < deadline:
                time.sleep(0.01)
            assert psutil.Process(sleeper.pid).status() == psutil.STATUS_STOPPED
            raise RuntimeError("the cell failed")
        deadline = time.monotonic() + 5
        while _status(sleeper) == psutil.STATUS_STOPPED and time.monotonic() < deadline:
            time.sleep(0.01)
        assert psutil.Process(sleeper.pid).status() != psutil.STATUS_STOPPED
    finally:
        sleeper.kill()
        sleeper.wait()


def test_paused_tolerates_a_process_that_died_meanwhile():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    with pytest.raises(ProcessLookupError), paused(proc.pid):
        pass  # SIGSTOP already fails: nothing to resume


def test_the_reader_of_a_given_number_of_bytes_is_found():
    code = "import sys, time; print('up', flush=True); sys.stdin.buffer.read(300000); time.sleep(30)"
    reader = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert reader.stdout.readline() == b"up\n"  # its imports (file reads) are done
        before = chars_read([reader.pid])
        assert wait_reader(before, 300_000, timeout=0.05) is None
        reader.stdin.write(b"y" * 300_000)
        reader.stdin.flush()
        assert wait_reader({reader.pid: before[reader.pid]}, 300_000, timeout=20) == reader.pid
    finally:
        reader.kill()
        reader.wait()
    assert chars_read([reader.pid]) == {}

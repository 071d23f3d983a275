"""Shared helpers for the integration tests: the Helenus server process and
driver set-up.

The server binary is $HELENUS_BIN (default build/helenus). It is started on
127.0.0.1 on a free port with a temporary data directory and --shards 2; at
the end it gets SIGTERM and must exit 0 with no sanitizer report on stderr.
"""
import logging
import os
import pathlib
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
from cassandra.policies import (DCAwareRoundRobinPolicy, TokenAwarePolicy,
                                ConstantReconnectionPolicy)

ROOT = pathlib.Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
LOCAL_DC = "datacenter1"

SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "AddressSanitizer:DEADLYSIGNAL",
    "runtime error:",
    "UndefinedBehaviorSanitizer",
)


def server_binary():
    b = os.environ.get("HELENUS_BIN") or str(ROOT / "build" / "helenus")
    return str(pathlib.Path(b).resolve())


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_open(port, timeout=0.5):
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


class HelenusServer:
    """One `helenus server` process. Restartable on the same port and data dir;
    stderr of every run is appended to one file."""

    def __init__(self, binary=None, port=None, data_dir=None, shards=2, extra_args=()):
        self.binary = binary or server_binary()
        self.host = HOST
        self.port = port or free_port()
        self._tmp = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="helenus-it-")
            data_dir = self._tmp.name
        self.data_dir = str(data_dir)
        self.shards = shards
        self.extra_args = list(extra_args)
        self.stderr_path = os.path.abspath(os.path.join(
            tempfile.gettempdir(), "helenus-it-%d-%s.log" % (self.port, uuid.uuid4().hex[:8])))
        self.proc = None
        self.exit_codes = []

    def argv(self):
        # --admin-port 0: several servers may run at once; admin_port() reads
        # the port the node picked from its "admin listening on" line.
        return [self.binary, "server", "--native-port", str(self.port), "--admin-port", "0",
                "--data-dir", self.data_dir, "--shards", str(self.shards)] + self.extra_args

    def admin_port(self):
        import re
        ports = re.findall(r"admin listening on [^\s]*:(\d+)", self.stderr())
        assert ports, "the server did not announce its admin port"
        return int(ports[-1])

    def start(self, timeout=60.0):
        if not os.path.exists(self.binary):
            pytest.fail("server binary %s does not exist (build it, or set HELENUS_BIN)" % self.binary)
        with open(self.stderr_path, "ab") as f:
            f.write(("\n==== start: %s\n" % " ".join(self.argv())).encode())
        err = open(self.stderr_path, "ab")
        try:
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL,
                                         stdout=err, stderr=err, cwd=self.data_dir,
                                         start_new_session=True)
        finally:
            err.close()
        deadline = time.monotonic() + timeout
        mark = self._stderr_size_at_start()
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                pytest.fail("helenus exited during start-up with %s\n%s" % (rc, self.stderr_tail()))
            if "listening on" in self.stderr()[mark:] and port_open(self.port):
                return self
            time.sleep(0.05)
        self.kill()
        pytest.fail("helenus did not print 'listening on' / accept on port %d within %.0fs\n%s"
                    % (self.port, timeout, self.stderr_tail()))

    def _stderr_size_at_start(self):
        # Only look for "listening on" in the output of the current run.
        text = self.stderr()
        return text.rfind("==== start:")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=30.0):
        """SIGTERM and wait; returns the exit code (SIGKILL and -9 on a hang)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                self.exit_codes.append("hang")
                self.proc = None
                return "hang"
        rc = self.proc.returncode
        self.exit_codes.append(rc)
        self.proc = None
        return rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def restart(self, timeout=60.0):
        rc = self.stop()
        self.start(timeout=timeout)
        return rc

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stderr_tail(self, n=200):
        lines = self.stderr().splitlines()
        return "---- helenus stderr (%s, last %d lines) ----\n%s" % (
            self.stderr_path, min(n, len(lines)), "\n".join(lines[-n:]))

    def sanitizer_reports(self):
        text = self.stderr()
        return [m for m in SANITIZER_MARKERS if m in text]

    def cleanup(self):
        self.kill()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def finish_server(srv):
    """Stop a server and assert a clean exit and a clean stderr."""
    try:
        rc = srv.stop()
        bad = srv.sanitizer_reports()
        problems = []
        if rc != 0:
            problems.append("exit status after SIGTERM was %r, expected 0" % (rc,))
        if any(c not in (0, None) for c in srv.exit_codes[:-1]):
            problems.append("earlier runs exited with %r" % (srv.exit_codes,))
        if bad:
            problems.append("sanitizer report(s) on stderr: %s" % ", ".join(bad))
        if problems:
            print(srv.stderr_tail(400))
            pytest.fail("; ".join(problems) + "\n" + srv.stderr_tail(400), pytrace=False)
    finally:
        srv.cleanup()


def make_cluster(port, **kw):
    profile = ExecutionProfile(
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc=LOCAL_DC)),
        request_timeout=kw.pop("request_timeout", 30.0))
    kw.setdefault("connect_timeout", 10)
    kw.setdefault("control_connection_timeout", 10.0)
    kw.setdefault("reconnection_policy", ConstantReconnectionPolicy(0.5, max_attempts=None))
    return Cluster([HOST], port=port, execution_profiles={EXEC_PROFILE_DEFAULT: profile}, **kw)


class CapturingHandler(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def wait_until(pred, timeout=15.0, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            v = pred()
            if v:
                return v
        except Exception as e:  # keep polling, report the last error
            last = e
        time.sleep(interval)
    raise AssertionError("timed out after %.0fs waiting for %s (last error: %r)" % (timeout, what, last))

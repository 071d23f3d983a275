"""Acknowledged writes and schema survive a clean restart (SIGTERM) and a
crash (SIGKILL): the commit log is replayed, flushed data is read back."""
import signal

import pytest

from helpers import HelenusServer, finish_server, make_cluster, wait_until

def _connect(srv):
    c = make_cluster(srv.port)
    return c, c.connect()


def _write(s, n):
    s.execute("CREATE KEYSPACE dur WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    s.execute("CREATE TABLE dur.t (k int, c int, v text, PRIMARY KEY (k, c))")
    ins = s.prepare("INSERT INTO dur.t (k, c, v) VALUES (?, ?, ?)")
    for f in [s.execute_async(ins, [i % 17, i, "v%d" % i]) for i in range(n)]:
        f.result()
    s.execute("DELETE FROM dur.t WHERE k = 3")
    s.execute("UPDATE dur.t USING TIMESTAMP 1 SET v = 'old' WHERE k = 4 AND c = 4")  # loses to the insert


def _check(s, n):
    rows = {(r.k, r.c): r.v for r in s.execute("SELECT k, c, v FROM dur.t")}
    want = {(i % 17, i): "v%d" % i for i in range(n) if i % 17 != 3}
    assert rows == want
    t = s.cluster.metadata.keyspaces["dur"].tables["t"]
    assert [c.name for c in t.clustering_key] == ["c"]


def _after_restart(srv, how, n):
    c, s = _connect(srv)
    try:
        _write(s, n)
        if how == "kill":
            srv.proc.send_signal(signal.SIGKILL)
            srv.proc.wait(timeout=10)
            srv.exit_codes.append("killed on purpose")
            srv.proc = None
            srv.start()
        else:
            assert srv.restart() == 0
    finally:
        c.shutdown()
    c, s = _connect(srv)
    try:
        wait_until(lambda: "dur" in c.metadata.keyspaces, timeout=10, what="keyspace after restart")
        _check(s, n)
    finally:
        c.shutdown()


def test_clean_restart_keeps_data(tmp_path):
    srv = HelenusServer(data_dir=tmp_path)
    srv.start()
    try:
        _after_restart(srv, "term", 2000)
    finally:
        finish_server(srv)


def test_crash_keeps_acknowledged_writes(tmp_path):
    srv = HelenusServer(data_dir=tmp_path)
    srv.start()
    try:
        _after_restart(srv, "kill", 2000)
    finally:
        srv.exit_codes = [c for c in srv.exit_codes if c != "killed on purpose"]
        finish_server(srv)

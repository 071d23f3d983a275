"""Request timeouts (read/range/write/counterwrite_request_timeout, admin
settimeout) enforced on one node: a request that runs past its timeout is
answered with Cassandra's ReadTimeout / WriteTimeout and counted in
helenus_request_timeouts_total. The slow disk is the test-only
HELENUS_TEST_SYNC_DELAY_MS (the commit log reports its syncs that late)."""
import subprocess
import time
import urllib.request

import pytest
from cassandra import ConsistencyLevel, WriteTimeout
from cassandra.query import SimpleStatement, BatchStatement, BatchType

from helpers import HelenusServer, finish_server, make_cluster, wait_until


def admin(srv, *args):
    p = subprocess.run([srv.binary, "admin", "-p", str(srv.admin_port())] + list(args),
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout


def timeouts_metric(srv):
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % srv.admin_port(), timeout=10).read()
    for line in body.decode().splitlines():
        if line.startswith("helenus_request_timeouts_total "):
            return int(line.split()[1])
    raise AssertionError("no helenus_request_timeouts_total")


@pytest.fixture(scope="module")
def slow_sync(tmp_path_factory):
    d = tmp_path_factory.mktemp("slowsync")
    (d / "h.yaml").write_text("commitlog_sync: batch\n")
    srv = HelenusServer(data_dir=d / "node", extra_args=["--config", str(d / "h.yaml")])
    (d / "node").mkdir()
    mp = pytest.MonkeyPatch()
    mp.setenv("HELENUS_TEST_SYNC_DELAY_MS", "400")
    try:
        srv.start()
    finally:
        mp.undo()
    c = make_cluster(srv.port)
    s = c.connect()
    s.execute("CREATE KEYSPACE IF NOT EXISTS tmo WITH replication = "
              "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    s.execute("CREATE TABLE IF NOT EXISTS tmo.t (k int PRIMARY KEY, v int)")
    yield srv, s
    c.shutdown()
    finish_server(srv)


def test_write_waiting_for_the_commit_log_times_out(slow_sync):
    srv, s = slow_sync
    # the default write timeout (2000 ms) outlasts the slow sync: acknowledged
    t0 = time.monotonic()
    s.execute("INSERT INTO tmo.t (k, v) VALUES (1, 1)")
    assert time.monotonic() - t0 >= 0.3
    assert admin(srv, "gettimeout", "write").strip().endswith("2000 ms")
    before = timeouts_metric(srv)
    admin(srv, "settimeout", "write", "100")
    try:
        stmt = SimpleStatement("INSERT INTO tmo.t (k, v) VALUES (2, 2)",
                               consistency_level=ConsistencyLevel.ONE)
        t0 = time.monotonic()
        with pytest.raises(WriteTimeout) as e:
            s.execute(stmt, timeout=10)
        took = time.monotonic() - t0
        assert took < 0.35, took                   # answered at the timeout, not at the sync
        err = e.value
        assert "Operation timed out - received only 0 responses." in str(err)
        assert err.consistency == ConsistencyLevel.ONE
        assert err.received_responses == 0 and err.required_responses == 1
        assert err.write_type == 0                 # WriteType.SIMPLE
        # a logged batch reports BATCH
        b = BatchStatement(batch_type=BatchType.UNLOGGED, consistency_level=ConsistencyLevel.QUORUM)
        b.add(SimpleStatement("INSERT INTO tmo.t (k, v) VALUES (3, 3)"))
        with pytest.raises(WriteTimeout) as e:
            s.execute(b, timeout=10)
        assert e.value.consistency == ConsistencyLevel.QUORUM
        assert e.value.write_type == 2             # WriteType.UNLOGGED_BATCH
    finally:
        admin(srv, "settimeout", "write", "2000")
    # the timed-out writes were in the log: they are applied all the same
    wait_until(lambda: s.execute("SELECT v FROM tmo.t WHERE k = 2").one() is not None,
               what="the timed-out write to land")
    assert timeouts_metric(srv) == before + 2


def test_read_past_its_timeout(slow_sync):
    from cassandra import ReadTimeout
    from cassandra.concurrent import execute_concurrent
    srv, s = slow_sync
    s.execute("CREATE TABLE IF NOT EXISTS tmo.big (k int PRIMARY KEY, v text)")
    batches = []
    for i in range(100):
        b = BatchStatement(batch_type=BatchType.UNLOGGED)
        for k in range(100):
            b.add(SimpleStatement("INSERT INTO tmo.big (k, v) VALUES (%d, 'some value')" % (i * 100 + k)))
        batches.append((b, ()))
    assert all(ok for ok, _ in execute_concurrent(s, batches, concurrency=20))
    # a point read never waits for the commit log: in time at 100 ms
    admin(srv, "settimeout", "read", "100")
    before = timeouts_metric(srv)
    try:
        assert s.execute("SELECT v FROM tmo.t WHERE k = 1").one().v == 1
        # a 5000-row page of a 10000-row scan over both shards takes well over 1 ms
        # even on the release build
        admin(srv, "settimeout", "range", "1")
        with pytest.raises(ReadTimeout) as e:
            s.execute(SimpleStatement("SELECT * FROM tmo.big", fetch_size=5000,
                                      consistency_level=ConsistencyLevel.LOCAL_ONE), timeout=10)
        err = e.value
        assert "Operation timed out - received only 0 responses." in str(err)
        assert err.consistency == ConsistencyLevel.LOCAL_ONE
        assert err.received_responses == 0 and err.required_responses == 1
        assert err.data_retrieved is False
    finally:
        admin(srv, "settimeout", "read", "5000")
        admin(srv, "settimeout", "range", "10000")
    assert len(list(s.execute(SimpleStatement("SELECT * FROM tmo.big", fetch_size=5000)))) == 10000
    assert timeouts_metric(srv) == before + 1

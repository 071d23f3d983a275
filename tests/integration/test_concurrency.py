"""Many requests in flight on one connection, several clients at once, and
schema-change events reaching a second client's metadata."""
import threading
import time

import pytest

from helpers import make_cluster, wait_until


@pytest.fixture(scope="module")
def ct(session, keyspace):
    t = "%s.ct" % keyspace
    session.execute("CREATE TABLE %s (k int, c int, v text, PRIMARY KEY (k, c))" % t)
    return t


def test_500_async_writes_then_reads(session, ct):
    ins = session.prepare("INSERT INTO %s (k, c, v) VALUES (?, ?, ?)" % ct)
    futs = [session.execute_async(ins, [i % 50, i, "v%d" % i]) for i in range(500)]
    for f in futs:
        f.result()
    sel = session.prepare("SELECT c, v FROM %s WHERE k = ? AND c = ?" % ct)
    futs = [(i, session.execute_async(sel, [i % 50, i])) for i in range(500)]
    for i, f in futs:
        rows = list(f.result())
        assert [(r.c, r.v) for r in rows] == [(i, "v%d" % i)]
    # simple statements too, mixed with prepared ones
    futs = [(i, session.execute_async("SELECT count(*) FROM %s WHERE k = %d" % (ct, i % 50)))
            for i in range(500)]
    for i, f in futs:
        assert f.result().one()[0] == 10


def test_requests_use_one_connection(session, ct):
    pools = list(session.get_pools())
    assert len(pools) == 1
    conns = pools[0].get_connections()
    assert len(conns) == 1, "protocol v3+ pools hold one connection; all streams share it"
    assert session.cluster.protocol_version == session.cluster.expected_protocol_version


def test_parallel_clients(helenus, ct):
    errors = []

    def worker(n):
        try:
            c = make_cluster(helenus.port)
            try:
                s = c.connect()
                ins = s.prepare("INSERT INTO %s (k, c, v) VALUES (?, ?, ?)" % ct)
                futs = [s.execute_async(ins, [1000 + n, i, "w%d" % n]) for i in range(100)]
                for f in futs:
                    f.result()
                got = s.execute("SELECT count(*) FROM %s WHERE k = %d" % (ct, 1000 + n)).one()[0]
                if got != 100:
                    errors.append("client %d saw %d rows" % (n, got))
            finally:
                c.shutdown()
        except Exception as e:  # reported below
            errors.append("client %d: %r" % (n, e))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "clients hung"
    assert errors == []


def test_schema_change_reaches_other_client(helenus, session, keyspace):
    other = make_cluster(helenus.port)
    try:
        other.connect()
        assert "evt" not in other.metadata.keyspaces[keyspace].tables
        session.execute("CREATE TABLE %s.evt (k int PRIMARY KEY, v int)" % keyspace)
        wait_until(lambda: "evt" in other.metadata.keyspaces[keyspace].tables, timeout=20,
                   what="SCHEMA_CHANGE event to refresh the second client's metadata")
        session.execute("ALTER TABLE %s.evt ADD w text" % keyspace)
        wait_until(lambda: "w" in other.metadata.keyspaces[keyspace].tables["evt"].columns, timeout=20,
                   what="ALTER TABLE to reach the second client")
        session.execute("CREATE KEYSPACE evt_ks WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        wait_until(lambda: "evt_ks" in other.metadata.keyspaces, timeout=20,
                   what="CREATE KEYSPACE to reach the second client")
        session.execute("DROP KEYSPACE evt_ks")
        wait_until(lambda: "evt_ks" not in other.metadata.keyspaces, timeout=20,
                   what="DROP KEYSPACE to reach the second client")
    finally:
        other.shutdown()


def test_long_idle_connection_stays(helenus):
    # heartbeats are OPTIONS on an established connection; force one quickly
    c = make_cluster(helenus.port, idle_heartbeat_interval=1)
    try:
        s = c.connect()
        time.sleep(3)
        assert s.execute("SELECT key FROM system.local").one().key == "local"
        assert all(h.is_up for h in c.metadata.all_hosts())
    finally:
        c.shutdown()

"""The system_views virtual keyspace (Cassandra 4.0/5.0 names and columns):
clients, settings, thread_pools, caches, sstable_tasks; listed in
system_virtual_schema, described by DESCRIBE, refusing writes as Cassandra."""
import pytest
from cassandra import InvalidRequest
from cassandra.cluster import NoHostAvailable
from cassandra.protocol import TruncateError


def test_clients_shows_this_driver(session, cluster):
    rows = list(session.execute("SELECT * FROM system_views.clients"))
    assert rows, "no connection listed"
    mine = [r for r in rows if r.driver_name == "DataStax Python Driver"]
    assert mine
    r = mine[0]
    assert str(r.address) == "127.0.0.1" and r.port > 0
    assert r.connection_stage == "ready"
    assert r.protocol_version == cluster.expected_protocol_version
    assert r.driver_version and r.client_options["DRIVER_NAME"] == "DataStax Python Driver"
    assert "CQL_VERSION" in r.client_options
    assert r.ssl_enabled is False
    assert r.request_count >= 1
    assert r.hostname == "127.0.0.1"


def test_clients_keyspace_and_request_count(cluster, session):
    session.execute("CREATE KEYSPACE IF NOT EXISTS sv WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    s2 = cluster.connect("sv")
    try:
        rows = list(s2.execute("SELECT keyspace_name, request_count FROM system_views.clients"))
        assert "sv" in [r.keyspace_name for r in rows]
    finally:
        s2.shutdown()


def test_settings(session):
    rows = {r.name: r.value for r in session.execute("SELECT * FROM system_views.settings")}
    assert rows["cluster_name"] == session.cluster.metadata.cluster_name
    assert rows["commitlog_sync"] == "periodic"
    assert rows["num_tokens"] == "16"
    assert rows["partitioner"] == "org.apache.cassandra.dht.Murmur3Partitioner"
    assert rows["auto_snapshot"] in ("true", "false")
    one = session.execute("SELECT value FROM system_views.settings WHERE name = 'storage_port'").one()
    assert one.value == "7000"


def test_thread_pools_and_caches(session):
    pools = {r.name: r for r in session.execute("SELECT * FROM system_views.thread_pools")}
    assert {"CompactionExecutor", "MemtableFlushWriter", "Native-Transport-Requests"} <= set(pools)
    assert pools["CompactionExecutor"].active_tasks_limit >= 1
    caches = {r.name for r in session.execute("SELECT name FROM system_views.caches")}
    assert caches == {"chunks", "counters", "keys", "rows"}
    # no compaction is running: no task (the table exists and is readable)
    assert list(session.execute("SELECT * FROM system_views.sstable_tasks")) == []


def test_listed_in_virtual_schema(session):
    tables = {r.table_name for r in session.execute(
        "SELECT table_name FROM system_virtual_schema.tables WHERE keyspace_name = 'system_views'")}
    assert {"clients", "settings", "thread_pools", "caches", "sstable_tasks"} <= tables
    cols = {r.column_name: (r.kind, r.type) for r in session.execute(
        "SELECT column_name, kind, type FROM system_virtual_schema.columns "
        "WHERE keyspace_name = 'system_views' AND table_name = 'clients'")}
    assert cols["address"] == ("partition_key", "inet")
    assert cols["port"] == ("clustering", "int")
    assert cols["request_count"] == ("regular", "bigint")
    assert cols["client_options"] == ("regular", "frozen<map<text, text>>")
    ks = {r.keyspace_name for r in session.execute("SELECT keyspace_name FROM system_virtual_schema.keyspaces")}
    assert "system_views" in ks


def test_describe(session):
    row = session.execute("DESCRIBE TABLE system_views.settings").one()
    assert row.type == "table" and row.name == "settings"
    # Cassandra's text for a virtual table: a comment with the structure
    assert "Table system_views.settings is a virtual table and cannot be recreated with CQL" \
        in row.create_statement
    assert "VIRTUAL TABLE system_views.settings (" in row.create_statement
    assert "name text PRIMARY KEY" in row.create_statement


def test_writes_are_refused(session):
    with pytest.raises(InvalidRequest, match="Modification is not supported by table system_views.settings"):
        session.execute("INSERT INTO system_views.settings (name, value) VALUES ('a', 'b')")
    with pytest.raises(InvalidRequest, match="Modification is not supported by table system_views.clients"):
        session.execute("DELETE FROM system_views.clients WHERE address = '127.0.0.1'")
    # a TRUNCATE_ERROR (0x1003): the driver tries the next host, so with one
    # node it surfaces as NoHostAvailable carrying the server's error
    with pytest.raises(NoHostAvailable) as e:
        session.execute("TRUNCATE system_views.caches")
    err = list(e.value.errors.values())[0]
    assert isinstance(err, TruncateError)
    assert "Error during truncate: Truncation is not supported by table system_views.caches" in str(err)


# --------------------------------------------------------------------------- metric tables

import subprocess
import uuid

from helpers import wait_until

METRIC_KS = "svm"


def _admin(helenus, *args):
    p = subprocess.run([helenus.binary, "admin", "-p", str(helenus.admin_port())] + list(args),
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout


def _row(session, view, table):
    return session.execute("SELECT * FROM system_views.%s WHERE keyspace_name = %%s AND table_name = %%s"
                           % view, (METRIC_KS, table)).one()


def _fresh_table(session, cols="k int, c int, v text, PRIMARY KEY (k, c)"):
    session.execute("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}" % METRIC_KS)
    t = "t" + uuid.uuid4().hex[:10]
    session.execute("CREATE TABLE %s.%s (%s)" % (METRIC_KS, t, cols))
    return t


def test_metric_tables_columns(session):
    """TableMetricTables' shapes: (keyspace_name, table_name) partition key;
    latency tables in ms with the five-minute rate, histograms unitless,
    storage in whole mebibytes."""
    def cols(t):
        return {r.column_name: (r.kind, r.type) for r in session.execute(
            "SELECT column_name, kind, type FROM system_virtual_schema.columns "
            "WHERE keyspace_name = 'system_views' AND table_name = %s", (t,))}
    lat = {"keyspace_name": ("partition_key", "text"), "table_name": ("partition_key", "text"),
           "count": ("regular", "bigint"), "50th_ms": ("regular", "double"),
           "99th_ms": ("regular", "double"), "max_ms": ("regular", "double"),
           "per_second": ("regular", "double")}
    for t in ("local_read_latency", "local_scan_latency", "local_write_latency",
              "coordinator_read_latency", "coordinator_scan_latency", "coordinator_write_latency"):
        assert cols(t) == lat, t
    hist = {"keyspace_name": ("partition_key", "text"), "table_name": ("partition_key", "text"),
            "count": ("regular", "bigint"), "50th": ("regular", "double"),
            "99th": ("regular", "double"), "max": ("regular", "double")}
    assert cols("tombstones_per_read") == hist
    assert cols("rows_per_read") == hist
    assert cols("disk_usage") == {"keyspace_name": ("partition_key", "text"),
                                  "table_name": ("partition_key", "text"),
                                  "mebibytes": ("regular", "bigint")}
    # every table with storage has a row, system ones included (zeros while idle)
    row = session.execute("SELECT * FROM system_views.local_read_latency "
                          "WHERE keyspace_name = 'system' AND table_name = 'peers_v2'").one()
    assert row is not None


def test_latency_tables_move_with_the_workload(session):
    t = _fresh_table(session)
    idle = _row(session, "local_write_latency", t)
    assert (idle.count, idle.max_ms, idle.per_second) == (0, 0.0, 0.0)
    ins = session.prepare("INSERT INTO %s.%s (k, c, v) VALUES (?, ?, 'x')" % (METRIC_KS, t))
    for k in range(40):
        session.execute(ins, (k, 0))
    sel = session.prepare("SELECT * FROM %s.%s WHERE k = ?" % (METRIC_KS, t))
    for k in range(10):
        assert session.execute(sel, (k,)).one().v == "x"
    assert len(list(session.execute("SELECT * FROM %s.%s" % (METRIC_KS, t)))) == 40

    # each shard publishes its metrics once a second (each on its own tick)
    want = {"local_write_latency": 40, "coordinator_write_latency": 40, "local_read_latency": 10,
            "coordinator_read_latency": 10, "local_scan_latency": 2, "coordinator_scan_latency": 1}
    wait_until(lambda: all(_row(session, v, t).count == n for v, n in want.items()),
               what="the workload to be counted")
    w = _row(session, "local_write_latency", t)
    assert w.count == 40
    # SELECT * columns: keyspace_name, table_name, 50th_ms, 99th_ms, count, max_ms, per_second
    assert w.max_ms >= w[3] >= w[2] > 0
    assert w.max_ms < 10000
    assert w.per_second > 0
    cw = _row(session, "coordinator_write_latency", t)
    assert cw.count == 40 and cw.max_ms > 0
    r = _row(session, "local_read_latency", t)
    assert r.count == 10 and r.max_ms > 0
    cr = _row(session, "coordinator_read_latency", t)
    assert cr.count == 10
    # a range scan runs one op per shard (2 here); the client saw one request
    s = _row(session, "local_scan_latency", t)
    assert s.count == 2
    assert _row(session, "local_scan_latency", t).max_ms > 0


def test_rows_and_tombstones_per_read(session):
    t = _fresh_table(session)
    for c in range(3):
        session.execute("INSERT INTO %s.%s (k, c, v) VALUES (1, %d, 'a')" % (METRIC_KS, t, c))
    session.execute("DELETE FROM %s.%s WHERE k = 1 AND c = 5" % (METRIC_KS, t))
    assert len(list(session.execute("SELECT * FROM %s.%s WHERE k = 1" % (METRIC_KS, t)))) == 3
    wait_until(lambda: _row(session, "rows_per_read", t).count == 1 and
               _row(session, "tombstones_per_read", t).count == 1, what="the read to be counted")
    rows = _row(session, "rows_per_read", t)
    # columns: keyspace_name, table_name, 50th, 99th, count, max
    assert (rows[2], rows[3], rows.max) == (3.0, 3.0, 3.0)    # the one read returned 3 rows
    tomb = _row(session, "tombstones_per_read", t)
    assert tomb.count == 1 and tomb.max == 1.0


def test_disk_usage_after_flush(helenus, session):
    t = _fresh_table(session)
    for k in range(20):
        session.execute("INSERT INTO %s.%s (k, c, v) VALUES (%d, 0, 'payload')" % (METRIC_KS, t, k))
    assert _row(session, "disk_usage", t).mebibytes == 0       # memtables only
    _admin(helenus, "flush", METRIC_KS, t)
    # a few hundred bytes round up to one mebibyte, as Cassandra's ceiling
    wait_until(lambda: _row(session, "disk_usage", t).mebibytes == 1, what="disk usage")


def test_thread_pools_read_and_mutation_stages(session):
    def pools():
        return {r.name: r for r in session.execute("SELECT * FROM system_views.thread_pools")}
    before = pools()
    assert {"CompactionExecutor", "MemtableFlushWriter", "MutationStage",
            "Native-Transport-Requests", "ReadStage"} <= set(before)
    t = _fresh_table(session)
    for k in range(25):
        session.execute("INSERT INTO %s.%s (k, c, v) VALUES (%d, 0, 'x')" % (METRIC_KS, t, k))
    for k in range(7):
        session.execute("SELECT * FROM %s.%s WHERE k = %d" % (METRIC_KS, t, k))
    wait_until(lambda: pools()["MutationStage"].completed_tasks - before["MutationStage"].completed_tasks >= 25,
               what="the writes to be counted")
    wait_until(lambda: pools()["ReadStage"].completed_tasks - before["ReadStage"].completed_tasks >= 7,
               what="the reads to be counted")
    after = pools()
    assert after["ReadStage"].active_tasks_limit == 2           # one per shard (--shards 2)
    assert after["MutationStage"].active_tasks == 0             # periodic sync: nothing waits


def test_sstable_tasks_shows_a_running_compaction(helenus, session):
    """A throttled major compaction is caught in flight: Cassandra's row
    (kind, unit, progress of total, input SSTables, a timeuuid task id)."""
    import os
    from cassandra.concurrent import execute_concurrent_with_args
    t = _fresh_table(session, "k int PRIMARY KEY, v blob")
    ins = session.prepare("INSERT INTO %s.%s (k, v) VALUES (?, ?)" % (METRIC_KS, t))
    for part in range(2):
        execute_concurrent_with_args(session, ins, [(part * 1500 + k, os.urandom(1024))
                                                    for k in range(1500)], concurrency=64)
        _admin(helenus, "flush", METRIC_KS, t)
    _admin(helenus, "setcompactionthroughput", "1")
    proc = subprocess.Popen([helenus.binary, "admin", "-p", str(helenus.admin_port()), "compact",
                             METRIC_KS, t], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        def running():
            # (a flush of the table may still show: the figures are up to 1 s old)
            rows = [r for r in session.execute("SELECT * FROM system_views.sstable_tasks")
                    if r.table_name == t and r.kind == "compaction"]
            return rows if rows and rows[0].progress > 0 else None
        rows = wait_until(running, timeout=20, interval=0.05, what="a running compaction")
        r = rows[0]
        assert r.keyspace_name == METRIC_KS
        assert r.unit == "bytes"
        assert r.task_id.version == 1                      # a timeuuid
        assert r.sstables == 2                             # the two flushed SSTables of its shard
        assert 0 < r.progress <= r.total
        # the Data.db bytes of its shard's share of the 3 MiB (tokens split unevenly)
        assert 256 * 1024 < r.total < 3 * 1024 * 1024 + 65536
        assert abs(r.completion_ratio - r.progress / r.total) < 1e-9
    finally:
        _admin(helenus, "setcompactionthroughput", "0")
        proc.wait(timeout=60)
    assert proc.returncode == 0, proc.stderr.read()
    wait_until(lambda: not [r for r in session.execute("SELECT * FROM system_views.sstable_tasks")
                            if r.table_name == t and r.kind == "compaction"],
               what="the compaction to finish")

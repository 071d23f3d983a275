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

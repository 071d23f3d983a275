"""Connecting with the real Python driver: the protocol-version dance, metadata
and token map, and pinned older protocol versions."""
import logging

import pytest

from helpers import make_cluster

DOWNGRADE = "Downgrading core protocol version"


def _problems(records):
    return ["%s %s: %s" % (r.levelname, r.name, r.getMessage()) for r in records
            if r.levelno >= logging.WARNING and DOWNGRADE not in r.getMessage()]


def test_connect_negotiates_v5_without_warnings(helenus, driver_log):
    c = make_cluster(helenus.port)
    try:
        s = c.connect()
        assert _problems(driver_log.records) == []
        # The driver starts at DSE_V2 (0x42) and must be refused twice with
        # "Invalid or unsupported protocol version" to land on 5.
        downgrades = [r.getMessage() for r in driver_log.records if DOWNGRADE in r.getMessage()]
        assert len(downgrades) == 2, downgrades
        assert "from 66 to 65" in downgrades[0]
        assert "from 65 to 5" in downgrades[1]
        assert c.protocol_version == 5
        row = s.execute("SELECT release_version FROM system.local WHERE key = 'local'").one()
        assert row.release_version.split(".")[0] in ("4", "5")
        # the whole schema (system keyspaces included) turns into CQL without complaint
        cql = c.metadata.export_schema_as_string()
        assert "CREATE KEYSPACE system_schema" in cql
        assert "CREATE TABLE system.local" in cql
        # still nothing bad after a query went through the pool connection
        assert _problems(driver_log.records) == []
    finally:
        c.shutdown()


def test_metadata_and_token_map(cluster, session):
    md = cluster.metadata
    assert md.partitioner == "org.apache.cassandra.dht.Murmur3Partitioner"
    assert md.cluster_name
    for ks in ("system", "system_schema"):
        assert ks in md.keyspaces, sorted(md.keyspaces)
    assert "local" in md.keyspaces["system"].tables
    assert "peers" in md.keyspaces["system"].tables
    assert "tables" in md.keyspaces["system_schema"].tables
    assert "columns" in md.keyspaces["system_schema"].tables

    hosts = md.all_hosts()
    assert len(hosts) == 1, hosts
    host = hosts[0]
    assert host.address == "127.0.0.1"
    assert host.datacenter == "datacenter1"
    assert host.rack
    assert host.host_id is not None
    assert host.release_version.split(".")[0] in ("4", "5")
    assert host.is_up

    tm = md.token_map
    assert tm is not None
    assert len(tm.ring) == 16, "num_tokens defaults to 16, got %d" % len(tm.ring)
    assert set(tm.token_to_host_owner.values()) == {host}
    assert len(set(t.value for t in tm.ring)) == 16


def test_token_aware_replicas(cluster, session, keyspace):
    # A keyspace with SimpleStrategy RF=1 maps every key to our single host.
    session.execute("CREATE TABLE %s.tr (k int PRIMARY KEY, v int)" % keyspace)
    host = cluster.metadata.all_hosts()[0]
    for k in (0, 1, -1, 123456):
        replicas = cluster.metadata.get_replicas(keyspace, k.to_bytes(4, "big", signed=True))
        assert replicas == [host]


@pytest.mark.parametrize("version", [4, 3])
def test_pinned_protocol_versions(helenus, driver_log, version):
    c = make_cluster(helenus.port, protocol_version=version)
    try:
        s = c.connect()
        assert c.protocol_version == version
        rows = list(s.execute("SELECT key, partitioner FROM system.local"))
        assert len(rows) == 1
        assert rows[0].partitioner == "org.apache.cassandra.dht.Murmur3Partitioner"
        prepared = s.prepare("SELECT key FROM system.local WHERE key = ?")
        assert s.execute(prepared, ["local"]).one().key == "local"
        # an explicitly pinned version must be accepted as is: no downgrade
        assert [r.getMessage() for r in driver_log.records if DOWNGRADE in r.getMessage()] == []
        assert _problems(driver_log.records) == []
        assert c.metadata.token_map is not None
    finally:
        c.shutdown()


def test_connect_with_keyspace_and_use(helenus, session, keyspace):
    c = make_cluster(helenus.port)
    try:
        s = c.connect(keyspace)
        assert s.keyspace == keyspace
        s.execute("CREATE TABLE IF NOT EXISTS kv (k int PRIMARY KEY, v text)")
        s.execute("INSERT INTO kv (k, v) VALUES (1, 'one')")
        assert s.execute("SELECT v FROM kv WHERE k = 1").one().v == "one"
        # USE through a query switches every pool connection
        s.execute("USE system")
        assert s.keyspace == "system"
        assert s.execute("SELECT key FROM local").one().key == "local"
        s.execute('USE "%s"' % keyspace)
        assert s.keyspace == keyspace
    finally:
        c.shutdown()


def test_many_sessions_and_reconnects(helenus):
    # Open and close clusters repeatedly: the server must not leak or wedge.
    for _ in range(5):
        c = make_cluster(helenus.port)
        try:
            s = c.connect()
            assert s.execute("SELECT key FROM system.local").one().key == "local"
        finally:
            c.shutdown()

"""system.local / system.peers(_v2) / system_schema as the drivers read them."""
import uuid

import pytest
from cassandra import InvalidRequest

MURMUR3 = "org.apache.cassandra.dht.Murmur3Partitioner"


def _check_local(row):
    assert row.key == "local"
    assert row.partitioner == MURMUR3
    assert row.release_version.split(".")[0] in ("4", "5"), row.release_version
    assert all(p.isdigit() for p in row.release_version.split("-")[0].split(".")), row.release_version
    assert isinstance(row.host_id, uuid.UUID)
    assert isinstance(row.schema_version, uuid.UUID)
    assert row.data_center == "datacenter1"
    assert row.rack
    assert row.cluster_name
    assert row.cql_version and row.cql_version.startswith("3.")
    toks = row.tokens
    assert toks is not None and len(toks) == 16, toks
    for t in toks:
        assert isinstance(t, str)
        v = int(t)
        assert str(v) == t, "token %r is not a plain decimal" % t
        assert -2 ** 63 < v < 2 ** 63
    # DSE-only columns must be absent or null, or the drivers switch to DSE mode
    assert getattr(row, "dse_version", None) is None


@pytest.mark.parametrize("cql", [
    "SELECT * FROM system.local WHERE key='local'",
    "SELECT * FROM system.local WHERE key = 'local'",
    "select * from system.local where key = 'local';",
    "SELECT * FROM system.local",
])
def test_system_local_shapes(session, cql):
    rows = list(session.execute(cql))
    assert len(rows) == 1
    _check_local(rows[0])


def test_system_local_projection_and_bind(session):
    assert [r.cluster_name for r in session.execute("SELECT cluster_name FROM system.local")] != []
    r = session.execute("SELECT partitioner FROM system.local").one()
    assert r.partitioner == MURMUR3
    ps = session.prepare("SELECT schema_version, host_id FROM system.local WHERE key = ?")
    r = session.execute(ps, ["local"]).one()
    assert isinstance(r.schema_version, uuid.UUID)
    assert session.execute(ps, ["nope"]).one() is None


def test_system_local_column_types(session):
    rs = session.execute("SELECT * FROM system.local")
    types = dict(zip(rs.column_names, [t.typename for t in rs.column_types]))
    expect = {"key": "text", "host_id": "uuid", "schema_version": "uuid",
              "tokens": "set", "partitioner": "text", "release_version": "text",
              "data_center": "text", "rack": "text", "cluster_name": "text",
              "cql_version": "text"}
    for col, typ in expect.items():
        assert types.get(col) in (typ, "varchar" if typ == "text" else typ), (col, types.get(col))
    for col, typ in {"rpc_address": "inet", "broadcast_address": "inet",
                     "listen_address": "inet", "rpc_port": "int"}.items():
        if col in types:
            assert types[col] == typ, (col, types[col])


def test_tokens_match_driver_ring(cluster, session):
    toks = session.execute("SELECT tokens FROM system.local").one().tokens
    ring = sorted(t.value for t in cluster.metadata.token_map.ring)
    assert sorted(int(t) for t in toks) == ring


@pytest.mark.parametrize("table", ["peers", "peers_v2"])
def test_peers_empty(session, table):
    assert list(session.execute("SELECT * FROM system.%s" % table)) == []


def test_peers_projections(session):
    assert list(session.execute("SELECT peer, host_id, rpc_address, schema_version FROM system.peers")) == []
    assert list(session.execute("SELECT rpc_address, peer FROM system.peers")) == []
    assert list(session.execute("SELECT schema_version FROM system.peers")) == []
    assert list(session.execute(
        "SELECT host_id, peer, peer_port, native_address, native_port, schema_version FROM system.peers_v2")) == []


@pytest.mark.parametrize("table", ["keyspaces", "tables", "columns", "types", "functions",
                                   "aggregates", "triggers", "indexes", "views"])
def test_system_schema_tables_queryable(session, table):
    rows = list(session.execute("SELECT * FROM system_schema.%s" % table))
    if table in ("keyspaces", "tables", "columns"):
        assert rows


def test_system_schema_describes_system_keyspaces(session):
    ks = {r.keyspace_name: r for r in session.execute("SELECT * FROM system_schema.keyspaces")}
    for name in ("system", "system_schema"):
        assert name in ks
        cls = ks[name].replication["class"]
        assert cls.startswith("org.apache.cassandra.locator."), cls
    cols = list(session.execute(
        "SELECT * FROM system_schema.columns WHERE keyspace_name = 'system' AND table_name = 'local'"))
    by = {c.column_name: c for c in cols}
    assert by["key"].kind == "partition_key" and by["key"].position == 0
    assert by["tokens"].type == "set<text>"
    assert by["host_id"].type == "uuid"
    for c in cols:
        assert c.clustering_order in ("asc", "desc", "none")
    t = session.execute(
        "SELECT flags FROM system_schema.tables WHERE keyspace_name = 'system' AND table_name = 'local'").one()
    assert t is not None and "compound" in t.flags


def test_virtual_schema_ok_or_invalid(session):
    for t in ("keyspaces", "tables", "columns"):
        try:
            list(session.execute("SELECT * from system_virtual_schema.%s" % t))
        except InvalidRequest:
            pass


def test_size_estimates_queryable(session):
    rows = list(session.execute(
        "SELECT range_start, range_end, partitions_count, mean_partition_size FROM system.size_estimates "
        "WHERE keyspace_name = %s AND table_name = %s", ("system", "local")))
    for r in rows:
        int(r.range_start)
        int(r.range_end)


def test_host_id_stable_across_restart(tmp_path):
    from helpers import HelenusServer, finish_server, make_cluster
    srv = HelenusServer(data_dir=tmp_path)
    srv.start()
    try:
        def read():
            c = make_cluster(srv.port)
            try:
                r = c.connect().execute("SELECT host_id, tokens, cluster_name FROM system.local").one()
                return r.host_id, sorted(r.tokens), r.cluster_name
            finally:
                c.shutdown()
        before = read()
        rc = srv.restart()
        assert rc == 0, "exit status after SIGTERM: %r\n%s" % (rc, srv.stderr_tail())
        after = read()
        assert before == after, "host_id/tokens must survive a restart"
    finally:
        finish_server(srv)

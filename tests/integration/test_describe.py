"""Server-side DESCRIBE (Cassandra 4.0+; cqlsh sends the statement verbatim and
prints what comes back)."""
import pytest
from cassandra import InvalidRequest


@pytest.fixture(scope="module")
def dt(session, keyspace):
    session.execute("CREATE TABLE %s.d1 (k int, c text, v blob, s int STATIC, PRIMARY KEY (k, c)) "
                    "WITH CLUSTERING ORDER BY (c DESC) AND comment = 'described' AND gc_grace_seconds = 77"
                    % keyspace)
    session.execute('CREATE TABLE %s."Quoted" ("Key" int PRIMARY KEY, "V" text)' % keyspace)
    return keyspace


def test_describe_keyspaces(session, dt):
    rs = session.execute("DESCRIBE KEYSPACES")
    assert rs.column_names == ["keyspace_name", "type", "name"]
    rows = list(rs)
    names = [r.name for r in rows]
    for ks in ("system", "system_schema", dt):
        assert ks in names
    assert all(r.type == "keyspace" for r in rows)


def test_describe_tables(session, dt):
    rows = list(session.execute("DESCRIBE TABLES"))
    mine = sorted(r.name for r in rows if r.keyspace_name == dt)
    assert mine == ['"Quoted"', "d1"], "names are quoted where CQL needs it"
    assert all(r.type == "table" for r in rows)


def test_describe_table_roundtrip(cluster, session, dt):
    for stmt in ("DESCRIBE TABLE %s.d1" % dt, "DESC %s.d1" % dt, "describe table %s.d1;" % dt):
        rs = session.execute(stmt)
        assert rs.column_names == ["keyspace_name", "type", "name", "create_statement"]
        rows = list(rs)
        assert len(rows) == 1
        r = rows[0]
        assert (r.keyspace_name, r.type, r.name) == (dt, "table", "d1")
        assert r.create_statement.startswith("CREATE TABLE %s.d1 (" % dt)
        assert "CLUSTERING ORDER BY (c DESC)" in r.create_statement
        assert "comment = 'described'" in r.create_statement
    # what DESCRIBE prints is valid CQL that recreates the same table
    create = rows[0].create_statement
    session.execute("DROP TABLE %s.d1" % dt)
    session.execute(create)
    t = cluster.metadata.keyspaces[dt].tables["d1"]
    assert [c.name for c in t.clustering_key] == ["c"] and t.clustering_key[0].is_reversed
    assert t.columns["s"].is_static
    assert t.options["gc_grace_seconds"] == 77


def test_describe_keyspace(session, dt):
    rows = list(session.execute("DESCRIBE KEYSPACE %s" % dt))
    assert rows[0].type == "keyspace" and rows[0].name == dt
    assert rows[0].create_statement.startswith("CREATE KEYSPACE %s WITH replication = " % dt)
    assert sorted(r.name for r in rows[1:]) == ['"Quoted"', "d1"]
    only = list(session.execute("DESCRIBE ONLY KEYSPACE %s" % dt))
    assert len(only) == 1 and only[0].type == "keyspace"


def test_describe_cluster(session):
    r = session.execute("DESCRIBE CLUSTER").one()
    assert r.cluster
    assert r.partitioner == "Murmur3Partitioner"
    assert r.snitch


def test_describe_unknown(session, dt):
    with pytest.raises(InvalidRequest):
        session.execute("DESCRIBE TABLE %s.nosuch" % dt)
    with pytest.raises(InvalidRequest):
        session.execute("DESCRIBE KEYSPACE nosuchks")

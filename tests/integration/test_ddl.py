"""Schema DDL as the Python driver sees it: system_schema contents, driver
metadata, SCHEMA_CHANGE results, IF [NOT] EXISTS and AlreadyExists."""
import pytest
from cassandra import AlreadyExists, InvalidRequest
from cassandra.protocol import ConfigurationException

SIMPLE = "org.apache.cassandra.locator.SimpleStrategy"
NTS = "org.apache.cassandra.locator.NetworkTopologyStrategy"


def _schema_version(session):
    return session.execute("SELECT schema_version FROM system.local WHERE key = 'local'").one().schema_version


def _ks_row(session, ks):
    return session.execute("SELECT * FROM system_schema.keyspaces WHERE keyspace_name = %s", (ks,)).one()


def test_create_keyspace_simple_and_nts(cluster, session):
    v0 = _schema_version(session)
    session.execute("CREATE KEYSPACE ddl_simple WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1} AND durable_writes = true")
    session.execute("CREATE KEYSPACE ddl_nts WITH replication = "
                    "{'class': 'NetworkTopologyStrategy', 'datacenter1': 1}")
    try:
        v1 = _schema_version(session)
        assert v1 != v0, "schema_version must change on DDL"

        r = _ks_row(session, "ddl_simple")
        assert r.replication == {"class": SIMPLE, "replication_factor": "1"}
        assert r.durable_writes is True
        r = _ks_row(session, "ddl_nts")
        assert r.replication == {"class": NTS, "datacenter1": "1"}

        md = cluster.metadata.keyspaces
        assert md["ddl_simple"].replication_strategy.replication_factor == 1
        assert md["ddl_nts"].replication_strategy.dc_replication_factors == {"datacenter1": 1}
        assert cluster.metadata.token_map is not None
        host = cluster.metadata.all_hosts()[0]
        assert cluster.metadata.get_replicas("ddl_nts", b"\x00\x00\x00\x01") == [host]
        assert cluster.metadata.get_replicas("ddl_simple", b"abc") == [host]
    finally:
        session.execute("DROP KEYSPACE ddl_simple")
        session.execute("DROP KEYSPACE ddl_nts")
    assert "ddl_simple" not in cluster.metadata.keyspaces
    assert _ks_row(session, "ddl_nts") is None
    assert _schema_version(session) != v1


def test_keyspace_if_not_exists_and_already_exists(cluster, session):
    session.execute("CREATE KEYSPACE ddl_dup WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    try:
        v = _schema_version(session)
        rs = session.execute("CREATE KEYSPACE IF NOT EXISTS ddl_dup WITH replication = "
                             "{'class': 'SimpleStrategy', 'replication_factor': 3}")
        assert list(rs) == []
        assert _ks_row(session, "ddl_dup").replication["replication_factor"] == "1"
        assert _schema_version(session) == v, "a no-op IF NOT EXISTS must not change the schema"
        with pytest.raises(AlreadyExists) as ei:
            session.execute("CREATE KEYSPACE ddl_dup WITH replication = "
                            "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        assert ei.value.keyspace == "ddl_dup"
        assert not ei.value.table
    finally:
        session.execute("DROP KEYSPACE ddl_dup")
    session.execute("DROP KEYSPACE IF EXISTS ddl_dup")
    with pytest.raises((InvalidRequest, ConfigurationException)):
        session.execute("DROP KEYSPACE ddl_dup")


def test_create_table_with_everything(cluster, session, keyspace):
    v0 = _schema_version(session)
    session.execute("""
        CREATE TABLE %s.events (
            tenant text,
            bucket int,
            ts timestamp,
            seq int,
            owner text STATIC,
            payload blob,
            note text,
            PRIMARY KEY ((tenant, bucket), ts, seq)
        ) WITH CLUSTERING ORDER BY (ts DESC, seq ASC)
          AND comment = 'event log'
          AND default_time_to_live = 3600
          AND gc_grace_seconds = 7200
          AND compaction = {'class': 'LeveledCompactionStrategy', 'sstable_size_in_mb': '160'}
          AND compression = {'class': 'LZ4Compressor', 'chunk_length_in_kb': '16'}
          AND bloom_filter_fp_chance = 0.05
          AND caching = {'keys': 'ALL', 'rows_per_partition': '10'}
    """ % keyspace)
    assert _schema_version(session) != v0

    t = cluster.metadata.keyspaces[keyspace].tables["events"]
    assert [c.name for c in t.partition_key] == ["tenant", "bucket"]
    assert [c.name for c in t.clustering_key] == ["ts", "seq"]
    assert [c.is_reversed for c in t.clustering_key] == [True, False]
    assert t.columns["owner"].is_static
    assert not t.columns["note"].is_static
    assert t.columns["ts"].cql_type == "timestamp"
    assert t.columns["payload"].cql_type == "blob"
    # system_schema.columns is clustered by column_name, so regular and static
    # columns come back in name order after the key columns
    assert list(t.columns) == ["tenant", "bucket", "ts", "seq", "note", "owner", "payload"]

    o = t.options
    assert o["comment"] == "event log"
    assert o["default_time_to_live"] == 3600
    assert o["gc_grace_seconds"] == 7200
    assert o["bloom_filter_fp_chance"] == pytest.approx(0.05)
    assert o["compaction"]["class"] == "org.apache.cassandra.db.compaction.LeveledCompactionStrategy"
    assert o["compaction"]["sstable_size_in_mb"] == "160"
    assert o["compression"]["class"] == "org.apache.cassandra.io.compress.LZ4Compressor"
    assert o["compression"]["chunk_length_in_kb"] == "16"
    assert o["caching"] == {"keys": "ALL", "rows_per_partition": "10"}

    row = session.execute("SELECT flags, id FROM system_schema.tables WHERE keyspace_name = %s "
                          "AND table_name = 'events'", (keyspace,)).one()
    assert row.flags == {"compound"}
    assert row.id is not None
    cols = {r.column_name: r for r in session.execute(
        "SELECT * FROM system_schema.columns WHERE keyspace_name = %s AND table_name = 'events'", (keyspace,))}
    assert (cols["tenant"].kind, cols["tenant"].position) == ("partition_key", 0)
    assert (cols["bucket"].kind, cols["bucket"].position) == ("partition_key", 1)
    assert (cols["ts"].kind, cols["ts"].position, cols["ts"].clustering_order) == ("clustering", 0, "desc")
    assert (cols["seq"].kind, cols["seq"].position, cols["seq"].clustering_order) == ("clustering", 1, "asc")
    assert (cols["owner"].kind, cols["owner"].position, cols["owner"].clustering_order) == ("static", -1, "none")
    assert (cols["note"].kind, cols["note"].position) == ("regular", -1)

    # the CREATE statement the driver regenerates must itself be valid CQL here
    cql = t.export_as_string()
    session.execute("DROP TABLE %s.events" % keyspace)
    assert "events" not in cluster.metadata.keyspaces[keyspace].tables
    session.execute(cql)
    t2 = cluster.metadata.keyspaces[keyspace].tables["events"]
    assert [c.name for c in t2.clustering_key] == ["ts", "seq"]
    assert t2.options["comment"] == "event log"


def test_table_defaults(cluster, session, keyspace):
    session.execute("CREATE TABLE %s.plain (k int PRIMARY KEY, v int)" % keyspace)
    o = cluster.metadata.keyspaces[keyspace].tables["plain"].options
    assert o["default_time_to_live"] == 0
    assert o["gc_grace_seconds"] == 864000
    assert o["comment"] == ""
    assert o["compaction"]["class"] == "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy"
    assert o["compression"]["class"] == "org.apache.cassandra.io.compress.LZ4Compressor"
    assert o["caching"] == {"keys": "ALL", "rows_per_partition": "NONE"}


def test_alter_table(cluster, session, keyspace):
    session.execute("CREATE TABLE %s.alt (k int, c int, v text, w int, PRIMARY KEY (k, c))" % keyspace)
    session.execute("INSERT INTO %s.alt (k, c, v, w) VALUES (1, 1, 'a', 5)" % keyspace)
    v0 = _schema_version(session)

    session.execute("ALTER TABLE %s.alt ADD extra list<int>" % keyspace)
    t = cluster.metadata.keyspaces[keyspace].tables["alt"]
    assert t.columns["extra"].cql_type == "list<int>"
    assert _schema_version(session) != v0
    row = session.execute("SELECT * FROM %s.alt WHERE k = 1" % keyspace).one()
    assert row.extra is None and row.v == "a"

    session.execute("ALTER TABLE %s.alt ADD (x1 int, x2 text)" % keyspace)
    t = cluster.metadata.keyspaces[keyspace].tables["alt"]
    assert "x1" in t.columns and "x2" in t.columns

    session.execute("ALTER TABLE %s.alt DROP w" % keyspace)
    t = cluster.metadata.keyspaces[keyspace].tables["alt"]
    assert "w" not in t.columns
    row = session.execute("SELECT * FROM %s.alt WHERE k = 1" % keyspace).one()
    assert not hasattr(row, "w")
    with pytest.raises(InvalidRequest):
        session.execute("SELECT w FROM %s.alt WHERE k = 1" % keyspace)

    session.execute("ALTER TABLE %s.alt RENAME c TO cc" % keyspace)  # only primary key columns may be renamed
    t = cluster.metadata.keyspaces[keyspace].tables["alt"]
    assert [c.name for c in t.clustering_key] == ["cc"]
    assert session.execute("SELECT cc, v FROM %s.alt WHERE k = 1" % keyspace).one() == (1, "a")
    with pytest.raises(InvalidRequest):
        session.execute("ALTER TABLE %s.alt RENAME v TO vv" % keyspace)

    session.execute("ALTER TABLE %s.alt WITH comment = 'altered' AND gc_grace_seconds = 10" % keyspace)
    o = cluster.metadata.keyspaces[keyspace].tables["alt"].options
    assert o["comment"] == "altered"
    assert o["gc_grace_seconds"] == 10

    with pytest.raises(InvalidRequest):
        session.execute("ALTER TABLE %s.alt ADD v int" % keyspace)  # already exists
    with pytest.raises(InvalidRequest):
        session.execute("ALTER TABLE %s.alt DROP k" % keyspace)  # primary key column


def test_table_if_exists_and_already_exists(cluster, session, keyspace):
    session.execute("CREATE TABLE %s.dup (k int PRIMARY KEY)" % keyspace)
    v = _schema_version(session)
    session.execute("CREATE TABLE IF NOT EXISTS %s.dup (k text PRIMARY KEY, other int)" % keyspace)
    t = cluster.metadata.keyspaces[keyspace].tables["dup"]
    assert t.columns["k"].cql_type == "int" and "other" not in t.columns
    assert _schema_version(session) == v
    with pytest.raises(AlreadyExists) as ei:
        session.execute("CREATE TABLE %s.dup (k int PRIMARY KEY)" % keyspace)
    assert ei.value.keyspace == keyspace
    assert ei.value.table == "dup"

    session.execute("DROP TABLE %s.dup" % keyspace)
    assert "dup" not in cluster.metadata.keyspaces[keyspace].tables
    assert session.execute("SELECT * FROM system_schema.tables WHERE keyspace_name = %s AND table_name = 'dup'",
                           (keyspace,)).one() is None
    session.execute("DROP TABLE IF EXISTS %s.dup" % keyspace)
    with pytest.raises(InvalidRequest):
        session.execute("DROP TABLE %s.dup" % keyspace)
    with pytest.raises(InvalidRequest):
        session.execute("SELECT * FROM %s.dup" % keyspace)


def test_drop_keyspace_removes_tables(cluster, session):
    session.execute("CREATE KEYSPACE ddl_drop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE ddl_drop.t (k int PRIMARY KEY, v int)")
    session.execute("INSERT INTO ddl_drop.t (k, v) VALUES (1, 1)")
    session.execute("DROP KEYSPACE ddl_drop")
    assert "ddl_drop" not in cluster.metadata.keyspaces
    assert list(session.execute("SELECT * FROM system_schema.tables WHERE keyspace_name = 'ddl_drop'")) == []
    assert list(session.execute("SELECT * FROM system_schema.columns WHERE keyspace_name = 'ddl_drop'")) == []
    with pytest.raises(InvalidRequest):
        session.execute("SELECT * FROM ddl_drop.t")
    # recreate under the same name: it must be empty
    session.execute("CREATE KEYSPACE ddl_drop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE ddl_drop.t (k int PRIMARY KEY, v int)")
    assert list(session.execute("SELECT * FROM ddl_drop.t")) == []
    session.execute("DROP KEYSPACE ddl_drop")


def test_alter_keyspace(cluster, session):
    session.execute("CREATE KEYSPACE ddl_alt WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    try:
        session.execute("ALTER KEYSPACE ddl_alt WITH replication = "
                        "{'class': 'NetworkTopologyStrategy', 'datacenter1': 1} AND durable_writes = false")
        r = _ks_row(session, "ddl_alt")
        assert r.replication == {"class": NTS, "datacenter1": "1"}
        assert r.durable_writes is False
        assert cluster.metadata.keyspaces["ddl_alt"].durable_writes is False
    finally:
        session.execute("DROP KEYSPACE ddl_alt")


def test_quoted_identifiers(cluster, session, keyspace):
    session.execute('CREATE TABLE %s."MixedCase" ("Key" int PRIMARY KEY, "Value" text, plain int)' % keyspace)
    t = cluster.metadata.keyspaces[keyspace].tables["MixedCase"]
    assert set(t.columns) == {"Key", "Value", "plain"}
    session.execute('INSERT INTO %s."MixedCase" ("Key", "Value", PLAIN) VALUES (1, %%s, 2)' % keyspace, ("x",))
    r = session.execute('SELECT "Value", plain FROM %s."MixedCase" WHERE "Key" = 1' % keyspace).one()
    assert r == ("x", 2)
    with pytest.raises(InvalidRequest):
        session.execute("SELECT * FROM %s.mixedcase" % keyspace)  # unquoted is lower-cased


def test_invalid_ddl(session, keyspace):
    with pytest.raises(InvalidRequest):
        session.execute("CREATE TABLE %s.nopk (k int, v int)" % keyspace)
    with pytest.raises(InvalidRequest):
        session.execute("CREATE TABLE %s.badtype (k int PRIMARY KEY, v nosuchtype)" % keyspace)
    with pytest.raises(InvalidRequest):
        session.execute("CREATE TABLE nosuchks.t (k int PRIMARY KEY)")
    with pytest.raises(InvalidRequest):
        session.execute("CREATE TABLE %s.twice (k int PRIMARY KEY, k text)" % keyspace)
    with pytest.raises(InvalidRequest):  # static column without clustering columns
        session.execute("CREATE TABLE %s.st (k int PRIMARY KEY, s int STATIC)" % keyspace)
    with pytest.raises((InvalidRequest, ConfigurationException)):
        session.execute("CREATE KEYSPACE bad_ks WITH replication = {'class': 'NoSuchStrategy'}")

"""Guardrails users rely on, with Cassandra's default thresholds: tombstone
warnings on reads, batch size warnings and refusals."""
import pytest
from cassandra import InvalidRequest
from cassandra.query import BatchStatement, BatchType


@pytest.fixture(scope="module")
def gks(session):
    session.execute("CREATE KEYSPACE IF NOT EXISTS guard WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    yield "guard"
    session.execute("DROP KEYSPACE IF EXISTS guard")


def test_tombstone_warning(session, gks):
    session.execute("CREATE TABLE IF NOT EXISTS guard.tomb (k int, c int, v int, PRIMARY KEY (k, c))")
    ins = session.prepare("INSERT INTO guard.tomb (k, c, v) VALUES (1, ?, 1)")
    dele = session.prepare("DELETE FROM guard.tomb WHERE k = 1 AND c = ?")
    for f in [session.execute_async(ins, [c]) for c in range(1500)]:
        f.result()
    for f in [session.execute_async(dele, [c]) for c in range(1, 1500)]:
        f.result()
    rs = session.execute("SELECT * FROM guard.tomb WHERE k = 1")
    assert [r.c for r in rs] == [0]
    warnings = rs.response_future.warnings or []
    assert any("tombstone" in w and "tombstone_warn_threshold" in w for w in warnings), warnings
    # a read with few tombstones carries no warning
    rs = session.execute("SELECT * FROM guard.tomb WHERE k = 2")
    assert not rs.response_future.warnings


def test_batch_size_warning_and_refusal(session, gks):
    session.execute("CREATE TABLE IF NOT EXISTS guard.b (k int PRIMARY KEY, v text)")
    ins = session.prepare("INSERT INTO guard.b (k, v) VALUES (?, ?)")
    b = BatchStatement(batch_type=BatchType.UNLOGGED)
    for k in range(8):
        b.add(ins, [k, "x" * 1024])
    rs = session.execute(b)
    assert any("Batch for" in w and "exceeding specified threshold of 5120" in w
               for w in (rs.response_future.warnings or []))
    big = BatchStatement(batch_type=BatchType.UNLOGGED)
    for k in range(60):
        big.add(ins, [k, "y" * 1024])
    with pytest.raises(InvalidRequest) as ei:
        session.execute(big)
    assert "Batch too large" in str(ei.value)
    # nothing of the refused batch was written
    assert session.execute("SELECT v FROM guard.b WHERE k = 50").one() is None


# --------------------------------------------------------------------------- configured guardrails

from helpers import HelenusServer, finish_server, make_cluster  # noqa: E402

GUARD_YAML = """
tombstone_warn_threshold: 10
tombstone_failure_threshold: 50
batch_size_warn_threshold: 1KiB
batch_size_fail_threshold_in_kb: 4
unlogged_batch_across_partitions_warn_threshold: 3
max_value_size: 1MiB
keyspaces_warn_threshold: 3
keyspaces_fail_threshold: 4
tables_warn_threshold: -1
tables_fail_threshold: null
columns_per_table_warn_threshold: 3
columns_per_table_fail_threshold: 4
fields_per_udt_warn_threshold: 2
fields_per_udt_fail_threshold: 3
collection_size_warn_threshold: 100B
collection_size_fail_threshold: 1KiB
items_per_collection_warn_threshold: 3
items_per_collection_fail_threshold: 5
column_value_size_warn_threshold: 200B
column_value_size_fail_threshold: 2KiB
partition_keys_in_select_warn_threshold: 2
partition_keys_in_select_fail_threshold: 4
in_select_cartesian_product_warn_threshold: 3
in_select_cartesian_product_fail_threshold: 6
page_size_warn_threshold: 1000
page_size_fail_threshold: 20000
allow_filtering_enabled: false
group_by_enabled: false
drop_truncate_table_enabled: false
drop_keyspace_enabled: false
secondary_indexes_enabled: false
user_timestamps_enabled: false
read_before_write_list_operations_enabled: false
simplestrategy_enabled: true
"""


@pytest.fixture(scope="module")
def gsrv(tmp_path_factory):
    conf = tmp_path_factory.mktemp("guard") / "cassandra.yaml"
    conf.write_text(GUARD_YAML)
    srv = HelenusServer(extra_args=["--config", str(conf)]).start()
    yield srv
    finish_server(srv)


@pytest.fixture(scope="module")
def gs(gsrv):
    c = make_cluster(gsrv.port)
    s = c.connect()
    s.default_fetch_size = 100
    s.execute("CREATE KEYSPACE g WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    s.execute("CREATE TABLE g.t (k int, c int, v text, PRIMARY KEY (k, c))")
    yield s
    c.shutdown()


def warns(rs):
    return rs.response_future.warnings or []


def refused(s, q, params=None):
    import re
    with pytest.raises(InvalidRequest) as ei:
        s.execute(q, params)
    m = re.search(r'message="(.*)"$', str(ei.value), re.S)
    return m.group(1) if m else str(ei.value)


def test_configured_tombstone_thresholds(gs):
    from cassandra import ReadFailure
    for c in range(30):
        gs.execute("INSERT INTO g.t (k, c, v) VALUES (1, %d, 'x')" % c)
        gs.execute("DELETE FROM g.t WHERE k = 1 AND c = %d" % c)
    rs = gs.execute("SELECT * FROM g.t WHERE k = 1")
    assert any("tombstone_warn_threshold" in w for w in warns(rs)), warns(rs)
    for c in range(30, 80):
        gs.execute("DELETE FROM g.t WHERE k = 1 AND c = %d" % c)
    with pytest.raises(ReadFailure):
        gs.execute("SELECT * FROM g.t WHERE k = 1")


def test_configured_batch_thresholds(gs):
    ins = gs.prepare("INSERT INTO g.t (k, c, v) VALUES (?, 0, ?)")
    b = BatchStatement(batch_type=BatchType.LOGGED)
    for k in range(10, 13):
        b.add(ins, [k, "x" * 400])
    rs = gs.execute(b)
    assert any(w.startswith("Batch for [g.t] is of size") and "exceeding specified threshold of 1024 by" in w
               for w in warns(rs)), warns(rs)
    # unlogged over more than 3 partitions: Cassandra's advice
    u = BatchStatement(batch_type=BatchType.UNLOGGED)
    for k in range(20, 25):
        u.add(ins, [k, "y"])
    rs = gs.execute(u)
    assert ("Unlogged batch covering 5 partitions detected against table [g.t]. You should use a "
            "logged batch for atomicity, or asynchronous writes for performance.") in warns(rs)
    big = BatchStatement(batch_type=BatchType.LOGGED)
    for k in range(30, 40):
        big.add(ins, [k, "z" * 500])
    with pytest.raises(InvalidRequest, match="Batch too large"):
        gs.execute(big)


def test_value_and_collection_guardrails(gs):
    gs.execute("CREATE TABLE g.c (k int PRIMARY KEY, s set<text>, f frozen<list<int>>, v text)")
    rs = gs.execute("INSERT INTO g.c (k, v) VALUES (1, %s)", ["a" * 300])
    assert ("Guardrail column_value_size violated: Value of column 'v' has size 300, this exceeds "
            "the warning threshold of 200.") in warns(rs)
    msg = refused(gs, "INSERT INTO g.c (k, v) VALUES (1, %s)", ["a" * 3000])
    assert ("Guardrail column_value_size violated: Value of column 'v' has size 3000, this exceeds "
            "the failure threshold of 2048.") in msg
    rs = gs.execute("UPDATE g.c SET s = s + {'a', 'b', 'c', 'd'} WHERE k = 1")
    assert ("Guardrail items_per_collection violated: Detected collection s with 4 items, this "
            "exceeds the warning threshold of 3.") in warns(rs)
    msg = refused(gs, "UPDATE g.c SET s = s + {'a', 'b', 'c', 'd', 'e', 'f'} WHERE k = 1")
    assert ("Guardrail items_per_collection violated: Detected collection s with 6 items, this "
            "exceeds the failure threshold of 5.") in msg
    msg = refused(gs, "INSERT INTO g.c (k, f) VALUES (2, [1, 2, 3, 4, 5, 6])")
    assert "Detected collection f with 6 items, this exceeds the failure threshold of 5." in msg
    # size: cells of 16 bytes of metadata plus the element (here 150 bytes each)
    rs = gs.execute("UPDATE g.c SET s = s + {%s} WHERE k = 3", ["b" * 150])
    assert any(w.startswith("Guardrail collection_size violated: Detected collection s of size 166,")
               and w.endswith("this exceeds the warning threshold of 100.") for w in warns(rs)), warns(rs)
    # the refused writes wrote nothing
    assert gs.execute("SELECT v, f FROM g.c WHERE k = 2").one() is None
    assert sorted(gs.execute("SELECT s FROM g.c WHERE k = 1").one().s) == ["a", "b", "c", "d"]


def test_max_value_size(gs):
    msg = refused(gs, "INSERT INTO g.t (k, c, v) VALUES (5, 0, %s)", ["m" * (1024 * 1024 + 1)])
    assert msg == "Value of column 'v' has size 1048577, which exceeds max_value_size of 1048576 bytes"


def test_select_guardrails(gs):
    msg = refused(gs, "SELECT * FROM g.t WHERE v = 'x' ALLOW FILTERING")
    assert msg.endswith("Guardrail allow_filtering violated: Querying with ALLOW FILTERING is not "
                        "allowed. ALLOW FILTERING can potentially visit all the data in the table "
                        "and have unpredictable performance.")
    msg = refused(gs, "SELECT k, count(*) FROM g.t GROUP BY k")
    assert msg.endswith("Guardrail group_by violated: GROUP BY functionality is not allowed")
    rs = gs.execute("SELECT * FROM g.t WHERE k IN (101, 102, 103)")
    assert ("Guardrail partition_keys_in_select violated: Query with partition keys in IN clause on "
            "table t, with number of partition keys 3 exceeds warning threshold of 2.") in warns(rs)
    msg = refused(gs, "SELECT * FROM g.t WHERE k IN (101, 102, 103, 104, 105)")
    assert ("Guardrail partition_keys_in_select violated: Aborting query with partition keys in IN "
            "clause on table t, number of partition keys 5 exceeds fail threshold of 4.") in msg
    msg = refused(gs, "SELECT * FROM g.t WHERE k = 7 AND c IN (1, 2, 3, 4, 5, 6, 7)")
    assert ("Guardrail in_select_cartesian_product violated: Aborting query because the cartesian "
            "product of the IN restrictions on clustering key produces 7 values, this exceeds fail "
            "threshold of 6.") in msg
    from cassandra.query import SimpleStatement
    rs = gs.execute(SimpleStatement("SELECT * FROM g.t WHERE k = 7", fetch_size=5000))
    assert ("Guardrail page_size violated: Query for table t with page size 5000 exceeds warning "
            "threshold of 1000.") in warns(rs)
    msg = refused(gs, SimpleStatement("SELECT * FROM g.t WHERE k = 7", fetch_size=50000))
    assert ("Guardrail page_size violated: Aborting query for table t, page size 50000 exceeds fail "
            "threshold of 20000.") in msg
    # system tables are exempt (drivers read them with large pages)
    gs.execute(SimpleStatement("SELECT * FROM system.local", fetch_size=50000))


def test_write_flags(gs):
    msg = refused(gs, "INSERT INTO g.t (k, c, v) VALUES (1, 1, 'a') USING TIMESTAMP 10")
    assert msg.endswith("Guardrail user_timestamps violated: User provided timestamps (USING "
                        "TIMESTAMP) is not allowed")
    gs.execute("CREATE TABLE g.l (k int PRIMARY KEY, l list<int>)")
    gs.execute("INSERT INTO g.l (k, l) VALUES (1, [1, 2])")
    msg = refused(gs, "UPDATE g.l SET l[0] = 5 WHERE k = 1")
    assert msg.endswith("Guardrail read_before_write_list_operations violated: List operation "
                        "requiring read before write is not allowed")
    assert gs.execute("SELECT l FROM g.l WHERE k = 1").one().l == [1, 2]


def test_schema_guardrails(gs):
    rs = gs.execute("CREATE TABLE g.w3 (k int PRIMARY KEY, a int, b int, c int)")
    assert ("Guardrail columns_per_table violated: The table w3 has 4 columns, this exceeds the "
            "warning threshold of 3.") in warns(rs)
    msg = refused(gs, "CREATE TABLE g.w4 (k int PRIMARY KEY, a int, b int, c int, d int)")
    assert ("Guardrail columns_per_table violated: Tables cannot have more than 4 columns, but 5 "
            "provided for table w4") in msg
    msg = refused(gs, "ALTER TABLE g.w3 ADD e int")
    assert "Tables cannot have more than 4 columns, but 5 provided for table w3" in msg
    rs = gs.execute("CREATE TYPE g.u3 (a int, b int, c int)")
    assert ("Guardrail fields_per_udt violated: The user type u3 has 3 columns, this exceeds the "
            "warning threshold of 2.") in warns(rs)
    msg = refused(gs, "ALTER TYPE g.u3 ADD d int")
    assert ("Guardrail fields_per_udt violated: User types cannot have more than 3 columns, but 4 "
            "provided for user type u3.") in msg
    msg = refused(gs, "CREATE INDEX ON g.t (v)")
    assert msg.endswith("Guardrail secondary_indexes violated: Creating secondary indexes is not allowed")
    msg = refused(gs, "DROP TABLE g.w3")
    assert msg.endswith("Guardrail drop_truncate_table_enabled violated: DROP and TRUNCATE TABLE "
                        "functionality is not allowed")
    msg = refused(gs, "TRUNCATE g.w3")
    assert "DROP and TRUNCATE TABLE functionality is not allowed" in msg
    msg = refused(gs, "DROP KEYSPACE g")
    assert msg.endswith("Guardrail drop_keyspace_enabled violated: DROP KEYSPACE functionality is "
                        "not allowed")
    # keyspaces: g is the first user keyspace; the 3rd new one warns, the 4th is refused
    ddl = "CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"
    gs.execute(ddl % "g2")
    rs = gs.execute(ddl % "g3")
    assert not warns(rs)
    rs = gs.execute(ddl % "g4")
    assert ("Guardrail keyspaces violated: Creating keyspace g4, current number of keyspaces 4 "
            "exceeds warning threshold of 3.") in warns(rs)
    msg = refused(gs, ddl % "g5")
    assert ("Guardrail keyspaces violated: Cannot have more than 4 keyspaces, aborting the creation "
            "of keyspace g5") in msg


def test_simplestrategy_flag_and_bad_config(tmp_path):
    conf = tmp_path / "cassandra.yaml"
    conf.write_text("simplestrategy_enabled: false\n")
    srv = HelenusServer(extra_args=["--config", str(conf)]).start()
    try:
        c = make_cluster(srv.port)
        s = c.connect()
        msg = refused(s, "CREATE KEYSPACE x WITH replication = {'class': 'SimpleStrategy', "
                         "'replication_factor': 1}")
        assert msg.endswith("Guardrail simplestrategy violated: SimpleStrategy is not allowed")
        s.execute("CREATE KEYSPACE x WITH replication = {'class': 'NetworkTopologyStrategy', "
                  "'datacenter1': 1}")
        c.shutdown()
    finally:
        finish_server(srv)
    # warn above fail: the node refuses to start, naming the keys
    import subprocess
    conf.write_text("page_size_warn_threshold: 10\npage_size_fail_threshold: 5\n")
    srv = HelenusServer(extra_args=["--config", str(conf)])
    p = subprocess.run(srv.argv(), capture_output=True, text=True, timeout=60, cwd=srv.data_dir)
    assert p.returncode != 0
    assert ("The warn threshold 10 for page_size_warn_threshold should be lower than the fail "
            "threshold 5") in p.stderr


def test_large_partition_logged_on_flush(tmp_path):
    import subprocess
    conf = tmp_path / "cassandra.yaml"
    conf.write_text("compaction_large_partition_warning_threshold: 1MiB\n"
                    "partition_size_warn_threshold: 512KiB\n")
    srv = HelenusServer(shards=1, extra_args=["--config", str(conf)]).start()
    try:
        c = make_cluster(srv.port)
        s = c.connect()
        s.execute("CREATE KEYSPACE lp WITH replication = {'class': 'SimpleStrategy', "
                  "'replication_factor': 1}")
        s.execute("CREATE TABLE lp.t (k text, c int, v blob, PRIMARY KEY (k, c))")
        ins = s.prepare("INSERT INTO lp.t (k, c, v) VALUES (?, ?, ?)")
        for i in range(24):
            s.execute(ins, ["big", i, bytes([i]) * 65536])
        s.execute(ins, ["small", 0, b"x"])
        c.shutdown()
        p = subprocess.run([srv.binary, "admin", "-h", "127.0.0.1", "-p", str(srv.admin_port()),
                            "flush", "lp", "t"], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        log = srv.stderr()
        assert "Writing large partition lp/t:big (1.5" in log, log[-2000:]
        assert "MiB) to sstable " in log
        assert ("Guardrail partition_size violated: Partition lp.t:big on sstable " in log)
        assert "this exceeds the warning threshold of 524288. Too large partitions can cause " \
               "performance problems." in log
        assert "lp/t:small" not in log
    finally:
        finish_server(srv)

"""Write semantics: upserts, deletes at every level, timestamps and their tie
rules, TTLs, static columns, TRUNCATE. Assertions follow Cassandra's rules."""
import time

import pytest
from cassandra import InvalidRequest
from cassandra.query import SimpleStatement

from helpers import make_cluster


@pytest.fixture(scope="module")
def wt(session, keyspace):
    t = "%s.wt" % keyspace
    session.execute("CREATE TABLE %s (k int, c int, v text, w int, s text STATIC, PRIMARY KEY (k, c))" % t)
    return t


def rows(session, cql, *args):
    return [tuple(r) for r in session.execute(cql, *args)]


def test_insert_is_upsert(session, wt):
    session.execute("INSERT INTO %s (k, c, v, w) VALUES (1, 1, 'a', 1)" % wt)
    session.execute("INSERT INTO %s (k, c, v) VALUES (1, 1, 'b')" % wt)
    assert rows(session, "SELECT c, v, w FROM %s WHERE k = 1" % wt) == [(1, "b", 1)]
    session.execute("UPDATE %s SET w = 7 WHERE k = 1 AND c = 1" % wt)
    assert rows(session, "SELECT c, v, w FROM %s WHERE k = 1" % wt) == [(1, "b", 7)]
    session.execute("UPDATE %s SET v = 'new' WHERE k = 1 AND c = 2" % wt)  # UPDATE creates too
    assert rows(session, "SELECT c, v, w FROM %s WHERE k = 1" % wt) == [(1, "b", 7), (2, "new", None)]


def test_row_liveness_insert_vs_update(session, wt):
    # INSERT writes a row marker: the row survives deleting all its cells.
    session.execute("INSERT INTO %s (k, c, v) VALUES (2, 1, 'x')" % wt)
    session.execute("DELETE v FROM %s WHERE k = 2 AND c = 1" % wt)
    assert rows(session, "SELECT c, v FROM %s WHERE k = 2" % wt) == [(1, None)]
    # UPDATE does not: once its only cell is gone the row is gone.
    session.execute("UPDATE %s SET v = 'y' WHERE k = 2 AND c = 2" % wt)
    session.execute("DELETE v FROM %s WHERE k = 2 AND c = 2" % wt)
    assert rows(session, "SELECT c, v FROM %s WHERE k = 2" % wt) == [(1, None)]
    # null via UPDATE is a cell deletion too
    session.execute("UPDATE %s SET v = 'z' WHERE k = 2 AND c = 3" % wt)
    session.execute("UPDATE %s SET v = null WHERE k = 2 AND c = 3" % wt)
    assert rows(session, "SELECT c FROM %s WHERE k = 2" % wt) == [(1,)]


def test_delete_levels(session, wt):
    ins = session.prepare("INSERT INTO %s (k, c, v, w) VALUES (?, ?, ?, ?)" % wt)
    for c in range(10):
        session.execute(ins, [3, c, "v%d" % c, c])
    session.execute("DELETE w FROM %s WHERE k = 3 AND c = 0" % wt)            # cell
    session.execute("DELETE FROM %s WHERE k = 3 AND c = 1" % wt)              # row
    session.execute("DELETE FROM %s WHERE k = 3 AND c > 2 AND c <= 5" % wt)   # clustering range
    session.execute("DELETE FROM %s WHERE k = 3 AND c >= 8" % wt)             # open-ended range
    assert rows(session, "SELECT c, w FROM %s WHERE k = 3" % wt) == [(0, None), (2, 2), (6, 6), (7, 7)]
    session.execute("DELETE FROM %s WHERE k = 3 AND c IN (6, 7)" % wt)
    assert rows(session, "SELECT c FROM %s WHERE k = 3" % wt) == [(0,), (2,)]
    session.execute("DELETE FROM %s WHERE k = 3" % wt)                       # partition
    assert rows(session, "SELECT * FROM %s WHERE k = 3" % wt) == []
    # writes after a deletion (with a later timestamp) are visible again
    session.execute(ins, [3, 4, "back", 4])
    assert rows(session, "SELECT c, v FROM %s WHERE k = 3" % wt) == [(4, "back")]


def test_delete_range_prepared(session, wt):
    ins = session.prepare("INSERT INTO %s (k, c, v) VALUES (?, ?, ?)" % wt)
    for c in range(-5, 6):
        session.execute(ins, [4, c, str(c)])
    d = session.prepare("DELETE FROM %s WHERE k = ? AND c > ? AND c <= ?" % wt)
    session.execute(d, [4, -3, 2])
    assert [r.c for r in session.execute("SELECT c FROM %s WHERE k = 4" % wt)] == [-5, -4, -3, 3, 4, 5]


def test_timestamps_order_and_ties(session, wt):
    q = "INSERT INTO %s (k, c, v) VALUES (5, %d, '%s') USING TIMESTAMP %d"
    session.execute(q % (wt, 1, "new", 2000))
    session.execute(q % (wt, 1, "old", 1000))   # older write loses even though it came later
    assert session.execute("SELECT v FROM %s WHERE k = 5 AND c = 1" % wt).one().v == "new"

    # equal timestamps: the greater value wins, whatever the arrival order
    session.execute(q % (wt, 2, "a", 3000))
    session.execute(q % (wt, 2, "b", 3000))
    session.execute(q % (wt, 3, "b", 3000))
    session.execute(q % (wt, 3, "a", 3000))
    assert session.execute("SELECT v FROM %s WHERE k = 5 AND c = 2" % wt).one().v == "b"
    assert session.execute("SELECT v FROM %s WHERE k = 5 AND c = 3" % wt).one().v == "b"

    # equal timestamps, deletion vs write: the deletion wins
    session.execute(q % (wt, 4, "live", 4000))
    session.execute("DELETE v FROM %s USING TIMESTAMP 4000 WHERE k = 5 AND c = 4" % wt)
    r = session.execute("SELECT v FROM %s WHERE k = 5 AND c = 4" % wt).one()
    assert r is not None and r.v is None  # the row marker (timestamp 4000) stays

    # a row deletion at T shadows everything written at <= T, not later
    session.execute(q % (wt, 6, "x", 5000))
    session.execute("DELETE FROM %s USING TIMESTAMP 5000 WHERE k = 5 AND c = 6" % wt)
    assert session.execute("SELECT v FROM %s WHERE k = 5 AND c = 6" % wt).one() is None
    session.execute(q % (wt, 6, "y", 5001))
    assert session.execute("SELECT v FROM %s WHERE k = 5 AND c = 6" % wt).one().v == "y"

    # writetime() is exactly the given timestamp
    r = session.execute("SELECT writetime(v) AS wt FROM %s WHERE k = 5 AND c = 1" % wt).one()
    assert r.wt == 2000


def test_client_timestamp_is_used(helenus, session, wt):
    st = SimpleStatement("INSERT INTO %s (k, c, v) VALUES (6, 1, 'ts')" % wt)
    before = int(time.time() * 1e6)
    session.execute(st)
    after = int(time.time() * 1e6)
    w = session.execute("SELECT writetime(v) FROM %s WHERE k = 6 AND c = 1" % wt).one()[0]
    assert before - 2_000_000 <= w <= after + 2_000_000, "writetime is microseconds since the epoch"
    # The driver's default timestamp (a QUERY/EXECUTE/BATCH flag) is the write
    # time; USING TIMESTAMP in the statement still takes precedence.
    c = make_cluster(helenus.port, timestamp_generator=lambda: 12345)
    try:
        s2 = c.connect()
        s2.execute("INSERT INTO %s (k, c, v) VALUES (6, 2, 'fixed')" % wt)
        ps = s2.prepare("INSERT INTO %s (k, c, v) VALUES (6, 3, ?)" % wt)
        s2.execute(ps, ["fixed too"])
        s2.execute("INSERT INTO %s (k, c, v) VALUES (6, 4, 'explicit') USING TIMESTAMP 777" % wt)
    finally:
        c.shutdown()
    got = {r.c: r.wt for r in session.execute("SELECT c, writetime(v) AS wt FROM %s WHERE k = 6" % wt)}
    assert got[2] == 12345 and got[3] == 12345 and got[4] == 777, got


def test_ttl_and_writetime(session, wt):
    session.execute("INSERT INTO %s (k, c, v, w) VALUES (7, 1, 'ttl', 1) USING TTL 1000 AND TIMESTAMP 424242" % wt)
    r = session.execute("SELECT ttl(v), writetime(v), ttl(w) FROM %s WHERE k = 7 AND c = 1" % wt).one()
    assert 990 <= r[0] <= 1000
    assert r[1] == 424242
    assert 990 <= r[2] <= 1000
    session.execute("UPDATE %s USING TTL 500 SET w = 2 WHERE k = 7 AND c = 1" % wt)
    r = session.execute("SELECT ttl(v), ttl(w) FROM %s WHERE k = 7 AND c = 1" % wt).one()
    assert 990 <= r[0] <= 1000 and 490 <= r[1] <= 500
    session.execute("INSERT INTO %s (k, c, v) VALUES (7, 2, 'forever')" % wt)
    assert session.execute("SELECT ttl(v) FROM %s WHERE k = 7 AND c = 2" % wt).one()[0] is None
    ps = session.prepare("INSERT INTO %s (k, c, v) VALUES (?, ?, ?) USING TTL ?" % wt)
    session.execute(ps, [7, 3, "bound ttl", 777])
    assert 770 <= session.execute("SELECT ttl(v) FROM %s WHERE k = 7 AND c = 3" % wt).one()[0] <= 777
    with pytest.raises(InvalidRequest):
        session.execute("INSERT INTO %s (k, c, v) VALUES (7, 4, 'x') USING TTL -1" % wt)
    with pytest.raises(InvalidRequest):
        session.execute("SELECT ttl(k) FROM %s WHERE k = 7" % wt)  # not on primary key columns


def test_ttl_expiry(session, wt):
    session.execute("INSERT INTO %s (k, c, v) VALUES (8, 1, 'short') USING TTL 1" % wt)
    session.execute("INSERT INTO %s (k, c, v) VALUES (8, 2, 'long')" % wt)
    session.execute("UPDATE %s USING TTL 1 SET w = 9 WHERE k = 8 AND c = 2" % wt)
    assert len(rows(session, "SELECT c FROM %s WHERE k = 8" % wt)) == 2
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        got = rows(session, "SELECT c, v, w FROM %s WHERE k = 8" % wt)
        if got == [(2, "long", None)]:
            break
        time.sleep(0.5)
    assert got == [(2, "long", None)], "TTL 1 s data must be gone after ~2 s, got %r" % (got,)


def test_table_default_ttl(session, keyspace):
    t = "%s.dttl" % keyspace
    session.execute("CREATE TABLE %s (k int PRIMARY KEY, v int) WITH default_time_to_live = 100" % t)
    session.execute("INSERT INTO %s (k, v) VALUES (1, 1)" % t)
    assert 90 <= session.execute("SELECT ttl(v) FROM %s WHERE k = 1" % t).one()[0] <= 100
    session.execute("INSERT INTO %s (k, v) VALUES (2, 2) USING TTL 0" % t)  # TTL 0 = no expiry
    assert session.execute("SELECT ttl(v) FROM %s WHERE k = 2" % t).one()[0] is None


def test_static_columns(session, wt):
    session.execute("INSERT INTO %s (k, s) VALUES (9, 'static only')" % wt)
    assert rows(session, "SELECT k, c, v, s FROM %s WHERE k = 9" % wt) == [(9, None, None, "static only")]
    session.execute("INSERT INTO %s (k, c, v) VALUES (9, 1, 'r1')" % wt)
    session.execute("INSERT INTO %s (k, c, v) VALUES (9, 2, 'r2')" % wt)
    assert rows(session, "SELECT c, v, s FROM %s WHERE k = 9" % wt) == [(1, "r1", "static only"),
                                                                         (2, "r2", "static only")]
    session.execute("UPDATE %s SET s = 'shared' WHERE k = 9" % wt)
    assert [r.s for r in session.execute("SELECT s FROM %s WHERE k = 9" % wt)] == ["shared", "shared"]
    assert rows(session, "SELECT DISTINCT k, s FROM %s WHERE k = 9" % wt) == [(9, "shared")]
    session.execute("DELETE FROM %s WHERE k = 9 AND c IN (1, 2)" % wt)
    assert rows(session, "SELECT c, s FROM %s WHERE k = 9" % wt) == [(None, "shared")]
    with pytest.raises(InvalidRequest):
        session.execute("UPDATE %s SET v = 'x' WHERE k = 9" % wt)  # regular column needs the clustering key


def test_truncate(session, keyspace):
    t = "%s.trunc" % keyspace
    session.execute("CREATE TABLE %s (k int PRIMARY KEY, v int)" % t)
    ins = session.prepare("INSERT INTO %s (k, v) VALUES (?, ?)" % t)
    for i in range(50):
        session.execute(ins, [i, i])
    assert session.execute("SELECT count(*) FROM %s" % t).one()[0] == 50
    session.execute("TRUNCATE %s" % t)
    assert list(session.execute("SELECT * FROM %s" % t)) == []
    session.execute(ins, [1, 1])
    assert [tuple(r) for r in session.execute("SELECT * FROM %s" % t)] == [(1, 1)]
    session.execute("TRUNCATE TABLE %s" % t)
    assert list(session.execute("SELECT * FROM %s" % t)) == []


def test_empty_partition_key_rejected(session, keyspace):
    t = "%s.tkey" % keyspace
    session.execute("CREATE TABLE %s (k text PRIMARY KEY, v int)" % t)
    with pytest.raises(InvalidRequest):
        session.execute("INSERT INTO %s (k, v) VALUES ('', 1)" % t)
    with pytest.raises(InvalidRequest):
        session.execute("INSERT INTO %s (k, v) VALUES (null, 1)" % t)
    ps = session.prepare("INSERT INTO %s (k, v) VALUES (?, ?)" % t)
    with pytest.raises(InvalidRequest):
        session.execute(ps, [None, 1])


def test_counters(session, keyspace):
    t = "%s.cnt" % keyspace
    session.execute("CREATE TABLE %s (k int PRIMARY KEY, n counter)" % t)
    for _ in range(3):
        session.execute("UPDATE %s SET n = n + 5 WHERE k = 1" % t)
    session.execute("UPDATE %s SET n = n - 2 WHERE k = 1" % t)
    assert session.execute("SELECT n FROM %s WHERE k = 1" % t).one().n == 13
    with pytest.raises(InvalidRequest):
        session.execute("INSERT INTO %s (k, n) VALUES (2, 1)" % t)


def test_lightweight_transactions(session, keyspace):
    t = "%s.lwt" % keyspace
    session.execute("CREATE TABLE %s (k int PRIMARY KEY, v text)" % t)
    r = session.execute("INSERT INTO %s (k, v) VALUES (1, 'a') IF NOT EXISTS" % t).one()
    assert r[0] is True  # [applied]
    r = session.execute("INSERT INTO %s (k, v) VALUES (1, 'b') IF NOT EXISTS" % t).one()
    assert r[0] is False and r.v == "a"
    r = session.execute("UPDATE %s SET v = 'c' WHERE k = 1 IF v = 'a'" % t).one()
    assert r[0] is True
    r = session.execute("UPDATE %s SET v = 'd' WHERE k = 1 IF v = 'a'" % t).one()
    assert r[0] is False and r.v == "c"
    r = session.execute("DELETE FROM %s WHERE k = 1 IF EXISTS" % t).one()
    assert r[0] is True
    assert session.execute("SELECT * FROM %s WHERE k = 1" % t).one() is None


def test_lwt_static_conditions_in_and_errors(session, keyspace):
    t = "%s.lwt2" % keyspace
    session.execute("CREATE TABLE %s (k int, c int, v int, s int static, PRIMARY KEY (k, c))" % t)
    r = session.execute("UPDATE %s SET s = 1 WHERE k = 1 IF s = null" % t).one()
    assert r.applied is True
    r = session.execute("UPDATE %s SET s = 2 WHERE k = 1 IF s IN (5, 6)" % t).one()
    assert r.applied is False and r.s == 1
    r = session.execute("UPDATE %s SET s = 2 WHERE k = 1 IF s >= 1" % t).one()
    assert r.applied is True
    # the failing INSERT IF NOT EXISTS shows the row in SELECT * order
    session.execute("INSERT INTO %s (k, c, v) VALUES (1, 1, 10) IF NOT EXISTS" % t)
    rs = session.execute("INSERT INTO %s (k, c, v) VALUES (1, 1, 11) IF NOT EXISTS" % t)
    assert rs.column_names == ["[applied]", "k", "c", "s", "v"]
    assert tuple(rs.one()) == (False, 1, 1, 2, 10)
    with pytest.raises(InvalidRequest) as ei:
        session.execute("UPDATE %s SET v = 1 WHERE k IN (1, 2) AND c = 1 IF v = 1" % t)
    assert "IN on the partition key" in str(ei.value)
    with pytest.raises(InvalidRequest):
        session.execute("UPDATE %s SET v = 1 WHERE k = 1 AND c = 1 IF v > null" % t)


def test_lwt_is_linearizable_under_concurrency(session, keyspace):
    """Many concurrent compare-and-set increments of one cell: every applied
    one saw the previous value, so the final value counts exactly the applied
    ones."""
    t = "%s.lwt3" % keyspace
    session.execute("CREATE TABLE %s (k int PRIMARY KEY, v int)" % t)
    session.execute("INSERT INTO %s (k, v) VALUES (1, 0)" % t)
    applied = 0
    for _ in range(10):
        cur = session.execute("SELECT v FROM %s WHERE k = 1" % t).one().v
        futs = [session.execute_async("UPDATE %s SET v = %d WHERE k = 1 IF v = %d" % (t, cur + 1, cur))
                for _ in range(20)]
        wins = sum(1 for f in futs if f.result().one()[0])
        assert wins == 1
        applied += wins
    assert session.execute("SELECT v FROM %s WHERE k = 1" % t).one().v == applied


def test_counters_concurrent_increments_and_errors(session, keyspace):
    t = "%s.cnt2" % keyspace
    session.execute("CREATE TABLE %s (k int, c int, hits counter, misses counter, PRIMARY KEY (k, c))" % t)
    inc = session.prepare("UPDATE %s SET hits = hits + ?, misses = misses - 1 WHERE k = ? AND c = ?" % t)
    futs = [session.execute_async(inc, [i % 3 + 1, 1, i % 2]) for i in range(300)]
    for f in futs:
        f.result()
    rows = {r.c: (r.hits, r.misses) for r in session.execute("SELECT c, hits, misses FROM %s WHERE k = 1" % t)}
    want_hits = {c: sum(i % 3 + 1 for i in range(300) if i % 2 == c) for c in (0, 1)}
    assert rows == {0: (want_hits[0], -150), 1: (want_hits[1], -150)}
    for bad, msg in [("UPDATE %s SET hits = 5 WHERE k = 1 AND c = 0", "Cannot set the value of counter"),
                     ("UPDATE %s USING TIMESTAMP 5 SET hits = hits + 1 WHERE k = 1 AND c = 0",
                      "custom timestamp"),
                     ("INSERT INTO %s (k, c, hits) VALUES (1, 1, 1)", "INSERT statements are not allowed")]:
        with pytest.raises(InvalidRequest) as ei:
            session.execute(bad % t)
        assert msg in str(ei.value)


def test_conditional_batch(session, keyspace):
    t = "%s.lwtb" % keyspace
    session.execute("CREATE TABLE %s (k int, c int, v int, s int static, PRIMARY KEY (k, c))" % t)
    session.execute("INSERT INTO %s (k, c, v) VALUES (1, 1, 10)" % t)
    ok = ("BEGIN BATCH UPDATE %s SET v = 11 WHERE k = 1 AND c = 1 IF v = 10; "
          "INSERT INTO %s (k, c, v) VALUES (1, 2, 20) IF NOT EXISTS; APPLY BATCH" % (t, t))
    assert session.execute(ok).one()[0] is True
    rows = {r.c: r.v for r in session.execute("SELECT c, v FROM %s WHERE k = 1" % t)}
    assert rows == {1: 11, 2: 20}
    # one failing condition: nothing of the batch is written
    bad = ("BEGIN BATCH UPDATE %s SET v = 12 WHERE k = 1 AND c = 1 IF v = 11; "
           "UPDATE %s SET v = 21 WHERE k = 1 AND c = 2 IF v = 99; APPLY BATCH" % (t, t))
    rs = session.execute(bad)
    first = rs.one()
    assert first[0] is False
    assert "v" in rs.column_names and "k" in rs.column_names
    rows = {r.c: r.v for r in session.execute("SELECT c, v FROM %s WHERE k = 1" % t)}
    assert rows == {1: 11, 2: 20}
    with pytest.raises(InvalidRequest) as ei:
        session.execute("BEGIN BATCH UPDATE %s SET v = 1 WHERE k = 1 AND c = 1 IF v = 11; "
                        "UPDATE %s SET v = 1 WHERE k = 2 AND c = 1; APPLY BATCH" % (t, t))
    assert "cannot span multiple partitions" in str(ei.value)

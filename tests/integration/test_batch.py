"""BATCH: logged, unlogged and counter batches of prepared and simple
statements, timestamps, and batches spanning tables."""
import pytest
from cassandra import InvalidRequest
from cassandra.query import BatchStatement, BatchType, SimpleStatement

from helpers import make_cluster


@pytest.fixture(scope="module")
def bt(session, keyspace):
    session.execute("CREATE TABLE %s.b1 (k int, c int, v text, PRIMARY KEY (k, c))" % keyspace)
    session.execute("CREATE TABLE %s.b2 (id text PRIMARY KEY, n int)" % keyspace)
    session.execute("CREATE TABLE %s.bc (k int PRIMARY KEY, n counter)" % keyspace)
    return keyspace


@pytest.mark.parametrize("btype", [BatchType.LOGGED, BatchType.UNLOGGED], ids=["logged", "unlogged"])
def test_mixed_prepared_and_simple(session, bt, btype):
    k = 1 if btype == BatchType.LOGGED else 2
    ins = session.prepare("INSERT INTO %s.b1 (k, c, v) VALUES (?, ?, ?)" % bt)
    b = BatchStatement(batch_type=btype)
    for c in range(10):
        b.add(ins, (k, c, "p%d" % c))
    b.add(SimpleStatement("INSERT INTO %s.b1 (k, c, v) VALUES (%%s, %%s, %%s)" % bt), (k, 100, "simple"))
    b.add("UPDATE %s.b1 SET v = 'updated' WHERE k = %d AND c = 0" % (bt, k))
    b.add(SimpleStatement("DELETE FROM %s.b1 WHERE k = %%s AND c = %%s" % bt), (k, 9))
    session.execute(b)
    rows = {r.c: r.v for r in session.execute("SELECT c, v FROM %s.b1 WHERE k = %d" % (bt, k))}
    want = {c: "p%d" % c for c in range(1, 9)}
    want.update({0: "updated", 100: "simple"})
    assert rows == want


def test_batch_across_tables(session, bt):
    b = BatchStatement()
    b.add(session.prepare("INSERT INTO %s.b1 (k, c, v) VALUES (?, ?, ?)" % bt), (3, 1, "t1"))
    b.add(session.prepare("INSERT INTO %s.b2 (id, n) VALUES (?, ?)" % bt), ("t2", 42))
    session.execute(b)
    assert session.execute("SELECT v FROM %s.b1 WHERE k = 3 AND c = 1" % bt).one().v == "t1"
    assert session.execute("SELECT n FROM %s.b2 WHERE id = 't2'" % bt).one().n == 42


def test_batch_timestamps(session, bt):
    # all statements of a batch share one timestamp unless they carry their own
    b = BatchStatement(batch_type=BatchType.UNLOGGED)
    b.add("INSERT INTO %s.b1 (k, c, v) VALUES (4, 1, 'a')" % bt)
    b.add("INSERT INTO %s.b1 (k, c, v) VALUES (4, 2, 'b')" % bt)
    b.add("INSERT INTO %s.b1 (k, c, v) VALUES (4, 3, 'c') USING TIMESTAMP 1000" % bt)
    session.execute(b)
    wts = {r.c: r.w for r in session.execute("SELECT c, writetime(v) AS w FROM %s.b1 WHERE k = 4" % bt)}
    assert wts[1] == wts[2]
    assert wts[3] == 1000
    # a batch-level USING TIMESTAMP applies to every statement
    session.execute("BEGIN BATCH USING TIMESTAMP 5555 "
                    "INSERT INTO %s.b1 (k, c, v) VALUES (5, 1, 'x'); "
                    "INSERT INTO %s.b2 (id, n) VALUES ('ts', 1); "
                    "APPLY BATCH" % (bt, bt))
    assert session.execute("SELECT writetime(v) FROM %s.b1 WHERE k = 5 AND c = 1" % bt).one()[0] == 5555
    assert session.execute("SELECT writetime(n) FROM %s.b2 WHERE id = 'ts'" % bt).one()[0] == 5555
    # older batch writes lose to newer data
    session.execute("INSERT INTO %s.b1 (k, c, v) VALUES (5, 2, 'new') USING TIMESTAMP 9000" % bt)
    session.execute("BEGIN UNLOGGED BATCH USING TIMESTAMP 8000 "
                    "INSERT INTO %s.b1 (k, c, v) VALUES (5, 2, 'old') APPLY BATCH;" % bt)
    assert session.execute("SELECT v FROM %s.b1 WHERE k = 5 AND c = 2" % bt).one().v == "new"


def test_counter_batch(session, bt):
    b = BatchStatement(batch_type=BatchType.COUNTER)
    ps = session.prepare("UPDATE %s.bc SET n = n + ? WHERE k = ?" % bt)
    for i in range(5):
        b.add(ps, (i, 1))
    b.add("UPDATE %s.bc SET n = n + 100 WHERE k = 2" % bt)
    session.execute(b)
    assert session.execute("SELECT n FROM %s.bc WHERE k = 1" % bt).one().n == 10
    assert session.execute("SELECT n FROM %s.bc WHERE k = 2" % bt).one().n == 100
    with pytest.raises(InvalidRequest):  # counters only in COUNTER batches
        b = BatchStatement(batch_type=BatchType.LOGGED)
        b.add("UPDATE %s.bc SET n = n + 1 WHERE k = 1" % bt)
        session.execute(b)
    with pytest.raises(InvalidRequest):  # and COUNTER batches hold only counters
        b = BatchStatement(batch_type=BatchType.COUNTER)
        b.add("INSERT INTO %s.b2 (id, n) VALUES ('c', 1)" % bt)
        session.execute(b)


def test_batch_with_keyspace_flag(helenus, bt):
    # cqlsh COPY FROM sends unqualified prepared inserts in a batch with the v5 keyspace flag
    c = make_cluster(helenus.port)
    try:
        s = c.connect(bt)
        ps = s.prepare("INSERT INTO b2 (id, n) VALUES (?, ?)")
        b = BatchStatement(batch_type=BatchType.UNLOGGED)
        b.keyspace = bt
        for i in range(20):
            b.add(ps, ("kf%d" % i, i))
        s.execute(b)
        n = s.execute("SELECT count(*) FROM %s.b2 WHERE id IN ('kf0', 'kf7', 'kf19')" % bt).one()[0]
        assert n == 3
    finally:
        c.shutdown()


def test_batch_rejects_selects_and_bad_members(session, bt):
    with pytest.raises(Exception) as ei:
        session.execute("BEGIN BATCH SELECT * FROM %s.b1; APPLY BATCH" % bt)
    assert type(ei.value).__name__ in ("SyntaxException", "InvalidRequest")
    b = BatchStatement()
    b.add("INSERT INTO %s.b1 (k, c, v) VALUES (6, 1, 'ok')" % bt)
    b.add("INSERT INTO %s.nosuch (k) VALUES (1)" % bt)
    with pytest.raises(InvalidRequest):
        session.execute(b)
    # the batch is atomic in validation: nothing from it was applied
    assert session.execute("SELECT * FROM %s.b1 WHERE k = 6" % bt).one() is None

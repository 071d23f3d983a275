"""LWT conditions on collection elements and UDT fields (IF m['k'] = v,
IF l[2] > v, IF u.f = v, IN, CONTAINS / CONTAINS KEY), on frozen and
non-frozen columns, the [applied] rows Cassandra returns, its errors, and
conditional batches with such conditions."""
import pytest
from cassandra import InvalidRequest
from cassandra.query import BatchStatement, SimpleStatement


@pytest.fixture(scope="module")
def lks(session):
    session.execute("CREATE KEYSPACE IF NOT EXISTS le WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TYPE IF NOT EXISTS le.pt (x int, y text)")
    session.execute("CREATE TABLE IF NOT EXISTS le.t (k int PRIMARY KEY, m map<text, int>, "
                    "fm frozen<map<text, int>>, l list<int>, fl frozen<list<int>>, s set<text>, "
                    "u pt, fu frozen<pt>, v int, n int)")
    yield "le"
    session.execute("DROP KEYSPACE IF EXISTS le")


def reset(session, k):
    session.execute("INSERT INTO le.t (k, m, fm, l, fl, s, u, fu, v) VALUES (%d, {'a': 1, 'b': 2}, "
                    "{'a': 1, 'b': 2}, [10, 20, 30], [10, 20, 30], {'p', 'q'}, {x: 5, y: 'five'}, "
                    "{x: 5, y: 'five'}, 0)" % k)


def applied(session, q):
    r = session.execute(q).one()
    return r


@pytest.mark.parametrize("col", ["m", "fm"])
def test_map_element(session, lks, col):
    reset(session, 1)
    r = applied(session, "UPDATE le.t SET v = 1 WHERE k = 1 IF %s['a'] = 1" % col)
    assert list(r) == [True]
    r = applied(session, "UPDATE le.t SET v = 2 WHERE k = 1 IF %s['a'] = 5" % col)
    assert r._fields == ("applied", col) and r[0] is False
    assert r[1] == {"a": 1, "b": 2}
    # a missing key is null
    assert applied(session, "UPDATE le.t SET v = 3 WHERE k = 1 IF %s['zz'] = null" % col)[0] is True
    assert applied(session, "UPDATE le.t SET v = 4 WHERE k = 1 IF %s['zz'] != 1" % col)[0] is True
    assert applied(session, "UPDATE le.t SET v = 5 WHERE k = 1 IF %s['b'] IN (7, 2)" % col)[0] is True
    assert applied(session, "UPDATE le.t SET v = 6 WHERE k = 1 IF %s['b'] > 1 AND %s['a'] < 2"
                   % (col, col))[0] is True
    assert applied(session, "UPDATE le.t SET v = 7 WHERE k = 1 IF %s['b'] >= 3" % col)[0] is False
    assert session.execute("SELECT v FROM le.t WHERE k = 1").one().v == 6
    # prepared, with the key and value bound
    ps = session.prepare("UPDATE le.t SET v = ? WHERE k = ? IF %s[?] = ?" % col)
    names = [c.name for c in ps.column_metadata]
    assert names == ["v", "k", "key(%s)" % col, "value(%s)" % col]
    assert session.execute(ps, [8, 1, "a", 1]).one()[0] is True
    assert session.execute(ps, [9, 1, "a", 2]).one()[0] is False


@pytest.mark.parametrize("col", ["l", "fl"])
def test_list_element(session, lks, col):
    reset(session, 2)
    assert applied(session, "UPDATE le.t SET v = 1 WHERE k = 2 IF %s[2] > 25" % col)[0] is True
    r = applied(session, "UPDATE le.t SET v = 1 WHERE k = 2 IF %s[0] = 11" % col)
    assert r[0] is False and r[1] == [10, 20, 30]
    # an index past the end is null
    assert applied(session, "UPDATE le.t SET v = 2 WHERE k = 2 IF %s[7] = null" % col)[0] is True
    with pytest.raises(InvalidRequest) as ei:
        session.execute("UPDATE le.t SET v = 2 WHERE k = 2 IF %s[-1] = 1" % col)
    assert "Invalid negative list index -1" in str(ei.value)


@pytest.mark.parametrize("col", ["u", "fu"])
def test_udt_field(session, lks, col):
    reset(session, 3)
    assert applied(session, "UPDATE le.t SET v = 1 WHERE k = 3 IF %s.x = 5" % col)[0] is True
    assert applied(session, "UPDATE le.t SET v = 1 WHERE k = 3 IF %s.y IN ('a', 'five')" % col)[0] is True
    r = applied(session, "UPDATE le.t SET v = 1 WHERE k = 3 IF %s.x > 5" % col)
    assert r[0] is False and (r[1].x, r[1].y) == (5, "five")
    # update the field the condition reads (non-frozen only)
    if col == "u":
        assert applied(session, "UPDATE le.t SET u.x = 6 WHERE k = 3 IF u.x = 5")[0] is True
        assert session.execute("SELECT u FROM le.t WHERE k = 3").one().u.x == 6
        session.execute("DELETE u.y FROM le.t WHERE k = 3")
        assert applied(session, "DELETE u FROM le.t WHERE k = 3 IF u.y = null")[0] is True
        assert session.execute("SELECT u FROM le.t WHERE k = 3").one().u is None
        # no field left: the field is null
        assert applied(session, "UPDATE le.t SET v = 9 WHERE k = 3 IF u.x = null")[0] is True
    ps = session.prepare("UPDATE le.t SET v = ? WHERE k = ? IF %s.x = ?" % col)
    assert [c.name for c in ps.column_metadata][2] == "%s.x" % col


def test_contains(session, lks):
    reset(session, 4)
    assert applied(session, "UPDATE le.t SET v = 1 WHERE k = 4 IF s CONTAINS 'p'")[0] is True
    r = applied(session, "UPDATE le.t SET v = 1 WHERE k = 4 IF s CONTAINS 'z'")
    assert r[0] is False and r[1] == {"p", "q"}
    assert applied(session, "UPDATE le.t SET v = 1 WHERE k = 4 IF m CONTAINS KEY 'b'")[0] is True
    assert applied(session, "UPDATE le.t SET v = 1 WHERE k = 4 IF m CONTAINS 2")[0] is True
    assert applied(session, "UPDATE le.t SET v = 1 WHERE k = 4 IF fm CONTAINS KEY 'c'")[0] is False
    assert applied(session, "UPDATE le.t SET v = 1 WHERE k = 4 IF l CONTAINS 30 AND fl CONTAINS 10")[0] is True


def test_not_existing_row(session, lks):
    r = applied(session, "UPDATE le.t SET v = 1 WHERE k = 99 IF m['a'] = 1")
    assert list(r) == [False]
    assert session.execute("SELECT * FROM le.t WHERE k = 99").one() is None


def test_errors(session, lks):
    cases = [
        ("UPDATE le.t SET v = 1 WHERE k = 1 IF v['a'] = 1",
         "Invalid element access syntax for non-collection column v"),
        ("UPDATE le.t SET v = 1 WHERE k = 1 IF s['a'] = 1",
         "Invalid element access syntax for set column s"),
        ("UPDATE le.t SET v = 1 WHERE k = 1 IF u.nope = 1", "Unknown field nope for column u"),
        ("UPDATE le.t SET v = 1 WHERE k = 1 IF v CONTAINS 1",
         "Cannot use CONTAINS on non-collection column v"),
        ("UPDATE le.t SET v = 1 WHERE k = 1 IF s CONTAINS KEY 'a'",
         "Cannot use CONTAINS KEY on non-map column s"),
        ("UPDATE le.t SET v = 1 WHERE k = 1 IF m['a'] > null",
         'Invalid comparison with null for operator ">"'),
    ]
    for q, msg in cases:
        with pytest.raises(InvalidRequest) as ei:
            session.execute(q)
        assert msg in str(ei.value), (q, str(ei.value))
    ps = session.prepare("UPDATE le.t SET v = 1 WHERE k = 1 IF m[?] = 1")
    with pytest.raises(InvalidRequest) as ei:
        session.execute(ps, [None])
    assert "Invalid null value for map element access" in str(ei.value)


def test_conditional_batch(session, lks):
    reset(session, 5)
    b = BatchStatement()
    b.add(SimpleStatement("UPDATE le.t SET m['c'] = 3 WHERE k = 5 IF m['a'] = 1"))
    b.add(SimpleStatement("UPDATE le.t SET u.x = 50 WHERE k = 5 IF u.y = 'five'"))
    assert session.execute(b).one()[0] is True
    r = session.execute("SELECT m, u FROM le.t WHERE k = 5").one()
    assert r.m == {"a": 1, "b": 2, "c": 3} and r.u.x == 50
    b = BatchStatement()
    b.add(SimpleStatement("UPDATE le.t SET v = 100 WHERE k = 5 IF l[1] = 20"))
    b.add(SimpleStatement("UPDATE le.t SET n = 100 WHERE k = 5 IF u.x = 5"))
    r = session.execute(b).one()
    assert r[0] is False
    assert r._fields == ("applied", "k", "l", "u")
    assert r.k == 5 and r.l == [10, 20, 30] and r.u.x == 50
    assert session.execute("SELECT v, n FROM le.t WHERE k = 5").one() == (0, None)

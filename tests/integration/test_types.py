"""Every native CQL type round-trips with edge values, through prepared
statements (binary values) and through simple statements (the Python driver
inlines literals), and clustering columns sort as Cassandra sorts them."""
import datetime
import ipaddress
import math
import random
import uuid
from decimal import Decimal

import pytest
from cassandra import InvalidRequest
from cassandra.query import UNSET_VALUE
from cassandra.util import Date, Duration, Time, uuid_from_time

COLUMNS = [
    ("a", "ascii"), ("bi", "bigint"), ("bl", "blob"), ("bo", "boolean"), ("d", "date"),
    ("dc", "decimal"), ("db", "double"), ("du", "duration"), ("f", "float"), ("ip", "inet"),
    ("n", "int"), ("si", "smallint"), ("t", "text"), ("tm", "time"), ("ts", "timestamp"),
    ("tu", "timeuuid"), ("ti", "tinyint"), ("u", "uuid"), ("vi", "varint"),
]
NAMES = [c for c, _ in COLUMNS]

FLT_MAX = 3.4028234663852886e+38
FLT_TRUE_MIN = 1.401298464324817e-45

ROWS = [
    dict(a="hello ascii ~!@#$%^&*()", bi=-2 ** 63, bl=b"", bo=False, d=Date(-2 ** 31),
         dc=Decimal("-1.5E-10"), db=float("nan"), du=Duration(1, 2, 3), f=1.5, ip="127.0.0.1",
         n=-2 ** 31, si=-2 ** 15, t="", tm=Time(0), ts=datetime.datetime(1969, 12, 31, 23, 59, 59, 999000),
         tu=uuid.uuid1(), ti=-128, u=uuid.uuid4(), vi=-(2 ** 200) + 7),
    dict(a="it's quoted ''", bi=2 ** 63 - 1, bl=b"\x00\xff", bo=True, d=Date(2 ** 31 - 1),
         dc=Decimal("123456789012345678901234567890.123456789012345678901234567890"),
         db=float("inf"), du=Duration(-1, -2, -3000000000), f=FLT_MAX, ip="::1",
         n=2 ** 31 - 1, si=2 ** 15 - 1, t="h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c\u8a9e \U0001d11e 'q'",
         tm=Time(86399999999999), ts=datetime.datetime(2020, 1, 2, 3, 4, 5, 123000),
         tu=uuid_from_time(0.001), ti=127, u=uuid.UUID(int=0), vi=2 ** 200 + 1),
    dict(a="", bi=0, bl=bytes(range(256)), bo=False, d=Date(0), dc=Decimal("1E+400"), db=-0.0,
         du=Duration(2 ** 31 - 1, 2 ** 31 - 1, 2 ** 63 - 1), f=FLT_TRUE_MIN, ip="2001:db8::8a2e:370:7334",
         n=0, si=0, t="x" * 5000, tm=Time(datetime.time(12, 34, 56, 789012)),
         ts=datetime.datetime(1, 1, 1), tu=uuid_from_time(1700000000.123456), ti=0,
         u=uuid.UUID("ffffffff-ffff-ffff-ffff-ffffffffffff"), vi=0),
    dict(a="z", bi=-1, bl=b"\x7f\x80", bo=True, d=Date(datetime.date(2024, 2, 29)), dc=Decimal("0.00"),
         db=-float("inf"), du=Duration(0, 0, 0), f=float("-inf"), ip="255.255.255.255",
         n=-1, si=-1, t="\x00nul inside", tm=Time(1), ts=datetime.datetime(9999, 12, 31, 23, 59, 59),
         tu=uuid_from_time(-1000.5), ti=-1, u=uuid.uuid4(), vi=-1),
    dict(a="q", bi=1, bl=b"\x01", bo=False, d=Date(datetime.date(1900, 1, 1)), dc=Decimal("-3.14159"),
         db=5e-324, du=Duration(0, 0, -1), f=float("nan"), ip="0.0.0.0", n=1, si=1, t="plain",
         tm=Time(43200000000000), ts=datetime.datetime(1970, 1, 1), tu=uuid.uuid1(), ti=1, u=uuid.uuid4(),
         vi=2 ** 63),
    dict(a="w", bi=42, bl=b"blob", bo=True, d=Date(1), dc=Decimal("1"), db=1.7976931348623157e308,
         du=Duration(14, 0, 0), f=-2.25, ip="fe80::1", n=42, si=300, t="last",
         tm=Time(999), ts=datetime.datetime(1900, 1, 1, 0, 0, 0, 1000), tu=uuid.uuid1(), ti=100,
         u=uuid.uuid4(), vi=-(2 ** 63) - 1),
]


def _same(col, want, got):
    if want is None:
        return got is None
    if col in ("db", "f"):
        if math.isnan(want):
            return got is not None and math.isnan(got)
        return got == want and math.copysign(1, got) == math.copysign(1, want)
    if col == "dc":
        return got == want and got.as_tuple() == want.as_tuple()
    if col == "ip":
        return ipaddress.ip_address(got) == ipaddress.ip_address(want)
    if col == "tm":
        return _norm("time", got) == want
    if col == "d":
        return _norm("date", got) == want
    return got == want and type(got) is type(want)


def _check_row(row, want, how):
    bad = []
    for col in NAMES:
        got = getattr(row, col)
        if not _same(col, want[col], got):
            bad.append("%s: wrote %r, read %r" % (col, want[col], got))
    assert not bad, "%s round trip mismatch:\n  " % how + "\n  ".join(bad)


@pytest.fixture(scope="module")
def alltypes(session, keyspace):
    cols = ", ".join("%s %s" % c for c in COLUMNS)
    session.execute("CREATE TABLE %s.alltypes (k int PRIMARY KEY, %s)" % (keyspace, cols))
    return "%s.alltypes" % keyspace


def _insert_cql(table):
    return "INSERT INTO %s (k, %s) VALUES (%s)" % (table, ", ".join(NAMES), ", ".join(["%s"] * (len(NAMES) + 1)))


def test_roundtrip_prepared(session, alltypes):
    ps = session.prepare("INSERT INTO %s (k, %s) VALUES (?, %s)" % (alltypes, ", ".join(NAMES),
                                                                  ", ".join(["?"] * len(NAMES))))
    sel = session.prepare("SELECT * FROM %s WHERE k = ?" % alltypes)
    for i, r in enumerate(ROWS):
        session.execute(ps, [i] + [r[c] for c in NAMES])
    for i, r in enumerate(ROWS):
        _check_row(session.execute(sel, [i]).one(), r, "prepared row %d" % i)


def test_roundtrip_simple_statements(session, alltypes):
    cql = _insert_cql(alltypes)
    for i, r in enumerate(ROWS):
        session.execute(cql, [1000 + i] + [r[c] for c in NAMES])
    for i, r in enumerate(ROWS):
        row = session.execute("SELECT * FROM %s WHERE k = %d" % (alltypes, 1000 + i)).one()
        _check_row(row, r, "inline-literal row %d" % i)


def test_nulls_and_unset(session, alltypes):
    ps = session.prepare("INSERT INTO %s (k, %s) VALUES (?, %s)" % (alltypes, ", ".join(NAMES),
                                                                  ", ".join(["?"] * len(NAMES))))
    session.execute(ps, [2000] + [None] * len(NAMES))
    row = session.execute("SELECT * FROM %s WHERE k = 2000" % alltypes).one()
    assert row is not None, "a row inserted with only nulls still exists (row marker)"
    assert all(getattr(row, c) is None for c in NAMES)

    session.execute(_insert_cql(alltypes), [2001] + [None] * len(NAMES))
    row = session.execute("SELECT * FROM %s WHERE k = 2001" % alltypes).one()
    assert row is not None and all(getattr(row, c) is None for c in NAMES)

    # UNSET leaves the old value in place; null overwrites it
    ps2 = session.prepare("INSERT INTO %s (k, n, t) VALUES (?, ?, ?)" % alltypes)
    session.execute(ps2, [2002, 5, "five"])
    session.execute(ps2, [2002, UNSET_VALUE, None])
    row = session.execute("SELECT n, t FROM %s WHERE k = 2002" % alltypes).one()
    assert (row.n, row.t) == (5, None)


def test_empty_values_differ_from_null(session, alltypes):
    session.execute("INSERT INTO %s (k, t, a, bl) VALUES (3000, '', '', 0x)" % alltypes)
    r = session.execute("SELECT t, a, bl FROM %s WHERE k = 3000" % alltypes).one()
    assert (r.t, r.a, r.bl) == ("", "", b"")


def test_cql_literal_forms(session, alltypes):
    session.execute("""INSERT INTO %s (k, ts, d, tm, bl, u, du, ip, db, f, vi, dc, bo, bi)
        VALUES (4000, '2011-02-03T04:05:06.789+0000', '2011-02-03', '08:12:54.123456789', 0xCAFE,
                01234567-89ab-4def-8123-456789abcdef, 1h30m, '192.168.1.1', -1.25e3, NaN, -123456789012345678901234567890,
                -0.5, TRUE, -9223372036854775808)""" % alltypes)
    r = session.execute("SELECT * FROM %s WHERE k = 4000" % alltypes).one()
    assert r.ts == datetime.datetime(2011, 2, 3, 4, 5, 6, 789000)
    assert _norm("date", r.d) == Date(datetime.date(2011, 2, 3))
    assert _norm("time", r.tm) == Time(8 * 3600 * 10 ** 9 + 12 * 60 * 10 ** 9 + 54 * 10 ** 9 + 123456789)
    assert r.bl == b"\xca\xfe"
    assert r.u == uuid.UUID("01234567-89ab-4def-8123-456789abcdef")
    assert r.du == Duration(0, 0, 90 * 60 * 10 ** 9)
    assert r.ip == "192.168.1.1"
    assert r.db == -1250.0
    assert math.isnan(r.f)
    assert r.vi == -123456789012345678901234567890
    assert r.dc == Decimal("-0.5")
    assert r.bo is True
    assert r.bi == -2 ** 63

    session.execute("INSERT INTO %s (k, ts, du) VALUES (4001, '2011-02-03 04:05+0100', P1Y2M3DT4H5M6S)" % alltypes)
    r = session.execute("SELECT ts, du FROM %s WHERE k = 4001" % alltypes).one()
    assert r.ts == datetime.datetime(2011, 2, 3, 3, 5)
    assert r.du == Duration(14, 3, (4 * 3600 + 5 * 60 + 6) * 10 ** 9)
    # integer literal for a timestamp is milliseconds since the epoch
    session.execute("INSERT INTO %s (k, ts) VALUES (4002, -1)" % alltypes)
    assert session.execute("SELECT ts FROM %s WHERE k = 4002" % alltypes).one().ts == \
        datetime.datetime(1969, 12, 31, 23, 59, 59, 999000)


def test_out_of_range_literals_are_invalid(session, alltypes):
    from cassandra import InvalidRequest
    for bad in ["INSERT INTO %s (k, ti) VALUES (999999, 128)",
                "INSERT INTO %s (k, si) VALUES (999999, 40000)",
                "INSERT INTO %s (k, n) VALUES (999999, 2147483648)",
                "INSERT INTO %s (k, bi) VALUES (999999, 9223372036854775808)",
                "INSERT INTO %s (k, ip) VALUES (999999, '300.1.1.1')",
                "INSERT INTO %s (k, tu) VALUES (999999, 01234567-89ab-4def-8123-456789abcdef)",  # v4 into timeuuid
                "INSERT INTO %s (k, a) VALUES (999999, '\u00e9')"]:
        with pytest.raises(InvalidRequest):
            session.execute(bad % alltypes)
    assert session.execute("SELECT k FROM %s WHERE k = 999999" % alltypes).one() is None


# --------------------------------------------------------------------- clustering order

def _shuffled(vals, seed=7):
    v = list(vals)
    random.Random(seed).shuffle(v)
    return v


ORDER_CASES = [
    ("int", [-2 ** 31, -1000, -1, 0, 1, 2, 1000, 2 ** 31 - 1]),
    ("bigint", [-2 ** 63, -2 ** 40, -1, 0, 1, 2 ** 40, 2 ** 63 - 1]),
    ("smallint", [-2 ** 15, -1, 0, 1, 2 ** 15 - 1]),
    ("tinyint", [-128, -1, 0, 1, 127]),
    ("varint", [-(2 ** 100), -(2 ** 64), -256, -255, -129, -128, -1, 0, 1, 127, 128, 255, 256, 2 ** 64, 2 ** 100]),
    ("text", ["", "A", "Z", "a", "aa", "ab", "b", "\u00e9", "\u65e5", "\U0001d11e"]),
    ("ascii", ["", "0", "A", "a", "b", "~"]),
    ("blob", [b"", b"\x00", b"\x00\x00", b"\x01", b"\x7f", b"\x80", b"\xff", b"\xff\x00"]),
    ("double", [float("-inf"), -1e300, -1.5, -5e-324, 0.0, 5e-324, 1.5, 1e300, float("inf")]),
    ("float", [float("-inf"), -2.5, -1.0, 0.0, 0.5, 3.0, float("inf")]),
    ("boolean", [False, True]),
    ("timestamp", [datetime.datetime(1900, 1, 1), datetime.datetime(1969, 12, 31, 23, 59, 59, 999000),
                   datetime.datetime(1970, 1, 1), datetime.datetime(2020, 5, 6, 7, 8, 9, 10000)]),
    ("date", [Date(-2 ** 31), Date(-1), Date(0), Date(1), Date(2 ** 31 - 1)]),
    ("time", [Time(0), Time(1), Time(10 ** 9), Time(86399999999999)]),
    ("timeuuid", [uuid_from_time(t, node=0x010203040506, clock_seq=77)
                  for t in (-10 ** 6, 0.5, 1e9, 1.5e9, 1.5e9 + 0.001, 1.7e9, 4e9)]),
    ("decimal", [Decimal("-1E+10"), Decimal("-1.5"), Decimal("-0.001"), Decimal("0"), Decimal("0.001"),
                 Decimal("1.5"), Decimal("12345678901234567890.5")]),
    ("inet", ["0.0.0.0", "1.2.3.4", "10.0.0.1", "255.255.255.255"]),
]


def _norm(typ, v):
    if typ == "date":
        return v if isinstance(v, Date) else Date(v)
    if typ == "time":
        return v if isinstance(v, Time) else Time(v)
    return v


@pytest.mark.parametrize("typ,vals", ORDER_CASES, ids=[c[0] for c in ORDER_CASES])
@pytest.mark.parametrize("desc", [False, True], ids=["asc", "desc"])
def test_clustering_order(session, keyspace, typ, vals, desc):
    tbl = "%s.ord_%s_%s" % (keyspace, typ, "desc" if desc else "asc")
    session.execute("CREATE TABLE %s (k int, c %s, v int, PRIMARY KEY (k, c))%s"
                    % (tbl, typ, " WITH CLUSTERING ORDER BY (c DESC)" if desc else ""))
    ins = session.prepare("INSERT INTO %s (k, c, v) VALUES (0, ?, ?)" % tbl)
    for i, v in enumerate(_shuffled(vals)):
        session.execute(ins, [v, i])
    want = list(reversed(vals)) if desc else list(vals)
    got = [_norm(typ, r.c) for r in session.execute("SELECT c FROM %s WHERE k = 0" % tbl)]
    assert got == [_norm(typ, v) for v in want]
    # ORDER BY the opposite way reverses
    other = "ASC" if desc else "DESC"
    got = [_norm(typ, r.c) for r in session.execute("SELECT c FROM %s WHERE k = 0 ORDER BY c %s" % (tbl, other))]
    assert got == [_norm(typ, v) for v in reversed(want)]


def test_compound_clustering_mixed_order(session, keyspace):
    tbl = "%s.ord_compound" % keyspace
    session.execute("CREATE TABLE %s (k int, a int, b text, c bigint, PRIMARY KEY (k, a, b, c)) "
                    "WITH CLUSTERING ORDER BY (a ASC, b DESC, c ASC)" % tbl)
    keys = [(a, b, c) for a in (-1, 0, 2) for b in ("", "x", "y") for c in (-5, 5)]
    ins = session.prepare("INSERT INTO %s (k, a, b, c) VALUES (1, ?, ?, ?)" % tbl)
    for kk in _shuffled(keys):
        session.execute(ins, kk)
    want = []  # a ascending, b descending ("" last), c ascending
    for a in (-1, 0, 2):
        for b in ("y", "x", ""):
            for c in (-5, 5):
                want.append((a, b, c))
    got = [(r.a, r.b, r.c) for r in session.execute("SELECT a, b, c FROM %s WHERE k = 1" % tbl)]
    assert got == want


def test_collections_roundtrip(session, keyspace):
    """Beyond the first milestone: collection literals, element updates."""
    tbl = "%s.colls" % keyspace
    session.execute("CREATE TABLE %s (k int PRIMARY KEY, l list<int>, s set<text>, m map<text, bigint>, "
                    "fl frozen<list<double>>, tp tuple<int, text>)" % tbl)
    ps = session.prepare("INSERT INTO %s (k, l, s, m, fl, tp) VALUES (?, ?, ?, ?, ?, ?)" % tbl)
    session.execute(ps, [1, [3, 1, 2, 1], {"b", "a", "c"}, {"z": 1, "a": -2 ** 63}, [1.5, -0.5], (7, "seven")])
    r = session.execute("SELECT * FROM %s WHERE k = 1" % tbl).one()
    assert r.l == [3, 1, 2, 1]
    assert list(r.s) == ["a", "b", "c"]
    assert list(r.m.items()) == [("a", -2 ** 63), ("z", 1)]
    assert r.fl == [1.5, -0.5]
    assert r.tp == (7, "seven")
    session.execute("UPDATE %s SET l = l + [9], s = s - {'a'}, m['q'] = 5 WHERE k = 1" % tbl)
    r = session.execute("SELECT l, s, m FROM %s WHERE k = 1" % tbl).one()
    assert r.l == [3, 1, 2, 1, 9]
    assert list(r.s) == ["b", "c"]
    assert dict(r.m) == {"a": -2 ** 63, "q": 5, "z": 1}
    session.execute("INSERT INTO %s (k, l, s, m) VALUES (2, [], {}, {})" % tbl)
    r = session.execute("SELECT l, s, m FROM %s WHERE k = 2" % tbl).one()
    assert (r.l, r.s, r.m) == (None, None, None), "empty non-frozen collections read as null"


def test_collection_element_operations(session, keyspace):
    """Non-frozen collections keep one cell per element: element operations
    need no read, and concurrent additions merge instead of overwriting."""
    tbl = "%s.collops" % keyspace
    session.execute("CREATE TABLE %s (k int PRIMARY KEY, l list<int>, s set<text>, m map<text, int>)" % tbl)
    session.execute("INSERT INTO %s (k, l, s, m) VALUES (1, [1, 2], {'b'}, {'x': 1})" % tbl)
    session.execute("UPDATE %s SET l = l + [3], s = s + {'a', 'c'}, m = m + {'y': 2} WHERE k = 1" % tbl)
    session.execute("UPDATE %s SET l = [0] + l WHERE k = 1" % tbl)
    session.execute("UPDATE %s SET l = [-2, -1] + l WHERE k = 1" % tbl)
    session.execute("UPDATE %s SET s = s - {'b'}, m['z'] = 26, m = m - {'x'} WHERE k = 1" % tbl)
    r = session.execute("SELECT l, s, m FROM %s WHERE k = 1" % tbl).one()
    assert r.l == [-2, -1, 0, 1, 2, 3]
    assert list(r.s) == ["a", "c"]
    assert dict(r.m) == {"y": 2, "z": 26}
    session.execute("DELETE m['y'] FROM %s WHERE k = 1" % tbl)
    session.execute("UPDATE %s SET m['z'] = null WHERE k = 1" % tbl)
    r = session.execute("SELECT m FROM %s WHERE k = 1" % tbl).one()
    assert r.m is None  # an empty collection reads as null
    # overwriting replaces every element; deleting the column removes them all
    session.execute("UPDATE %s SET s = {'q'} WHERE k = 1" % tbl)
    assert list(session.execute("SELECT s FROM %s WHERE k = 1" % tbl).one().s) == ["q"]
    session.execute("DELETE s FROM %s WHERE k = 1" % tbl)
    assert session.execute("SELECT s FROM %s WHERE k = 1" % tbl).one().s is None
    # prepared element operations with bound values
    ps = session.prepare("UPDATE %s SET m[?] = ? WHERE k = ?" % tbl)
    assert [c.name for c in ps.column_metadata] == ["key(m)", "value(m)", "k"]
    session.execute(ps, ["w", 5, 1])
    assert dict(session.execute("SELECT m FROM %s WHERE k = 1" % tbl).one().m) == {"w": 5}
    # CONTAINS / CONTAINS KEY filtering sees the assembled collection
    rows = list(session.execute("SELECT k FROM %s WHERE m CONTAINS KEY 'w' ALLOW FILTERING" % tbl))
    assert [r.k for r in rows] == [1]
    with pytest.raises(InvalidRequest):
        session.execute("UPDATE %s SET s = s + [1] WHERE k = 1" % tbl)


def test_list_operations_that_read_first(session, keyspace):
    tbl = "%s.listops" % keyspace
    session.execute("CREATE TABLE %s (k int PRIMARY KEY, l list<text>)" % tbl)
    session.execute("INSERT INTO %s (k, l) VALUES (1, ['a', 'b', 'c', 'b', 'd'])" % tbl)
    session.execute("UPDATE %s SET l[1] = 'B' WHERE k = 1" % tbl)
    session.execute("DELETE l[0] FROM %s WHERE k = 1" % tbl)
    assert session.execute("SELECT l FROM %s WHERE k = 1" % tbl).one().l == ["B", "c", "b", "d"]
    session.execute("UPDATE %s SET l = l - ['b', 'd'] WHERE k = 1" % tbl)
    assert session.execute("SELECT l FROM %s WHERE k = 1" % tbl).one().l == ["B", "c"]
    with pytest.raises(InvalidRequest) as ei:
        session.execute("UPDATE %s SET l[5] = 'x' WHERE k = 1" % tbl)
    assert "List index 5 out of bound, list has size 2" in str(ei.value)
    ps = session.prepare("UPDATE %s SET l[?] = ? WHERE k = ?" % tbl)
    session.execute(ps, [0, "first", 1])
    assert session.execute("SELECT l FROM %s WHERE k = 1" % tbl).one().l == ["first", "c"]

"""Paging: every row exactly once, in order, with no empty page while more
pages remain, for several page sizes and query shapes; driven both by the
driver's transparent paging and by hand with paging_state."""
import struct

import pytest
from cassandra.metadata import Murmur3Token
from cassandra.query import SimpleStatement

WIDE = 1234          # rows in one partition
NPART = 300          # partitions in the multi-partition table
PER = 4              # rows per partition there
MIN_TOKEN = -2 ** 63
MAX_TOKEN = 2 ** 63 - 1
MAX_PAGES = 2000     # bound on every manual paging loop


def tok(k):
    return Murmur3Token.from_key(struct.pack(">i", k)).value


@pytest.fixture(scope="module")
def wide(session, keyspace):
    t = "%s.wide" % keyspace
    session.execute("CREATE TABLE %s (k int, c int, v text, PRIMARY KEY (k, c))" % t)
    ins = session.prepare("INSERT INTO %s (k, c, v) VALUES (?, ?, ?)" % t)
    futs = [session.execute_async(ins, [1, c, "v%d" % c]) for c in range(WIDE)]
    for f in futs:
        f.result()
    return t


@pytest.fixture(scope="module")
def many(session, keyspace):
    t = "%s.many" % keyspace
    session.execute("CREATE TABLE %s (k int, c int, v int, PRIMARY KEY (k, c))" % t)
    ins = session.prepare("INSERT INTO %s (k, c, v) VALUES (?, ?, ?)" % t)
    futs = [session.execute_async(ins, [k, c, k * 10 + c]) for k in range(NPART) for c in range(PER)]
    for f in futs:
        f.result()
    return t


def pages(session, stmt, params=None):
    """Fetch page by page with paging_state; return the list of pages."""
    out = []
    state = None
    for _ in range(MAX_PAGES):
        rs = session.execute(stmt, params, paging_state=state)
        page = list(rs.current_rows)
        out.append(page)
        if stmt.fetch_size and page:
            assert len(page) <= stmt.fetch_size, "page larger than fetch_size"
        if rs.has_more_pages:
            assert page, "empty page while has_more_pages (page %d)" % len(out)
            assert len(page) == stmt.fetch_size, \
                "a page before the last one must be full (%d of %d)" % (len(page), stmt.fetch_size)
            assert rs.paging_state
            state = rs.paging_state
        else:
            return out
    pytest.fail("more than %d pages" % MAX_PAGES)


def flat(ps):
    return [r for p in ps for r in p]


@pytest.mark.parametrize("fetch", [7, 100, 1000, 5000])
def test_wide_partition(session, wide, fetch):
    st = SimpleStatement("SELECT c, v FROM %s WHERE k = 1" % wide, fetch_size=fetch)
    rows = flat(pages(session, st))
    assert [r.c for r in rows] == list(range(WIDE))
    assert all(r.v == "v%d" % r.c for r in rows)
    # transparent paging through the result iterator
    assert [r.c for r in session.execute(st)] == list(range(WIDE))


@pytest.mark.parametrize("fetch", [7, 100, 1000])
def test_wide_partition_desc_and_slice(session, wide, fetch):
    st = SimpleStatement("SELECT c FROM %s WHERE k = 1 ORDER BY c DESC" % wide, fetch_size=fetch)
    assert [r.c for r in flat(pages(session, st))] == list(range(WIDE - 1, -1, -1))
    st = SimpleStatement("SELECT c FROM %s WHERE k = 1 AND c >= 100 AND c < 1100" % wide, fetch_size=fetch)
    assert [r.c for r in flat(pages(session, st))] == list(range(100, 1100))
    st = SimpleStatement("SELECT c FROM %s WHERE k = 1 AND c > 50 AND c <= 900 ORDER BY c DESC" % wide,
                         fetch_size=fetch)
    assert [r.c for r in flat(pages(session, st))] == list(range(900, 50, -1))
    st = SimpleStatement("SELECT c FROM %s WHERE k = 1 LIMIT 333" % wide, fetch_size=fetch)
    assert [r.c for r in flat(pages(session, st))] == list(range(333))


@pytest.mark.parametrize("fetch", [7, 100, 1000])
def test_wide_partition_prepared(session, wide, fetch):
    ps = session.prepare("SELECT c FROM %s WHERE k = ? AND c >= ?" % wide)
    bound = ps.bind([1, 10])
    bound.fetch_size = fetch
    assert [r.c for r in flat(pages(session, bound))] == list(range(10, WIDE))


def _expected_scan():
    keys = sorted(range(NPART), key=tok)
    return [(k, c) for k in keys for c in range(PER)]


@pytest.mark.parametrize("fetch", [1, 4, 7, 100, 1000])
def test_full_scan(session, many, fetch):
    st = SimpleStatement("SELECT k, c, v FROM %s" % many, fetch_size=fetch)
    rows = flat(pages(session, st))
    assert [(r.k, r.c) for r in rows] == _expected_scan()
    assert all(r.v == r.k * 10 + r.c for r in rows)


@pytest.mark.parametrize("fetch", [7, 100, 1000])
def test_scan_over_token_ranges(cluster, session, many, fetch):
    ring = sorted(t.value for t in cluster.metadata.token_map.ring)
    bounds = [MIN_TOKEN] + ring + [MAX_TOKEN]
    ps = session.prepare("SELECT k, c FROM %s WHERE token(k) > ? AND token(k) <= ?" % many)
    got = []
    for lo, hi in zip(bounds, bounds[1:]):
        b = ps.bind([lo, hi])
        b.fetch_size = fetch
        got.extend((r.k, r.c) for r in flat(pages(session, b)))
    assert got == _expected_scan()


@pytest.mark.parametrize("fetch", [7, 100])
def test_paging_with_limits_and_filters(session, many, fetch):
    st = SimpleStatement("SELECT k, c FROM %s PER PARTITION LIMIT 1" % many, fetch_size=fetch)
    assert [(r.k, r.c) for r in flat(pages(session, st))] == [(k, 0) for k in sorted(range(NPART), key=tok)]
    st = SimpleStatement("SELECT k, c FROM %s LIMIT 250" % many, fetch_size=fetch)
    assert [(r.k, r.c) for r in flat(pages(session, st))] == _expected_scan()[:250]
    st = SimpleStatement("SELECT DISTINCT k FROM %s" % many, fetch_size=fetch)
    assert [r.k for r in flat(pages(session, st))] == sorted(range(NPART), key=tok)
    st = SimpleStatement("SELECT k, c FROM %s WHERE c = 2 ALLOW FILTERING" % many, fetch_size=fetch)
    assert [(r.k, r.c) for r in flat(pages(session, st))] == [(k, 2) for k in sorted(range(NPART), key=tok)]
    st = SimpleStatement("SELECT k, c FROM %s WHERE k IN (5, 3, 100, 7) " % many, fetch_size=fetch)
    got = [(r.k, r.c) for r in flat(pages(session, st))]
    assert sorted(got) == sorted((k, c) for k in (3, 5, 7, 100) for c in range(PER))
    assert len(got) == len(set(got))


def test_count_is_not_paged_away(session, many, wide):
    st = SimpleStatement("SELECT count(*) FROM %s" % many, fetch_size=7)
    rs = session.execute(st)
    assert rs.one()[0] == NPART * PER
    st = SimpleStatement("SELECT count(*) FROM %s WHERE k = 1" % wide, fetch_size=10)
    assert session.execute(st).one()[0] == WIDE


def test_paging_state_survives_new_session(helenus, many):
    # A paging_state is opaque but not tied to the connection that produced it.
    from helpers import make_cluster
    c1, c2 = make_cluster(helenus.port), make_cluster(helenus.port)
    try:
        s1, s2 = c1.connect(), c2.connect()
        st = SimpleStatement("SELECT k, c FROM %s" % many, fetch_size=50)
        rs = s1.execute(st)
        first = list(rs.current_rows)
        rs2 = s2.execute(st, paging_state=rs.paging_state)
        second = list(rs2.current_rows)
        assert [(r.k, r.c) for r in first + second] == _expected_scan()[:100]
    finally:
        c1.shutdown()
        c2.shutdown()


@pytest.mark.parametrize("fetch", [1, 3, 7])
def test_paging_over_deletions_and_statics(session, keyspace, fetch):
    t = "%s.pdel_%d" % (keyspace, fetch)
    session.execute("CREATE TABLE %s (k int, c int, s text STATIC, v int, PRIMARY KEY (k, c))" % t)
    ins = session.prepare("INSERT INTO %s (k, c, v) VALUES (?, ?, ?)" % t)
    for k in range(3):
        session.execute("UPDATE %s SET s = 'static%d' WHERE k = %d" % (t, k, k))
        for c in range(40):
            session.execute(ins, [k, c, c])
    session.execute("DELETE FROM %s WHERE k = 1 AND c >= 5 AND c < 30" % t)   # range tombstone
    session.execute("DELETE FROM %s WHERE k = 1 AND c = 33" % t)             # row tombstone
    session.execute("DELETE FROM %s WHERE k = 2" % t)                        # whole partition
    want1 = [c for c in range(40) if not (5 <= c < 30) and c != 33]
    st = SimpleStatement("SELECT c, s FROM %s WHERE k = 1" % t, fetch_size=fetch)
    rows = flat(pages(session, st))
    assert [r.c for r in rows] == want1
    assert all(r.s == "static1" for r in rows)
    st = SimpleStatement("SELECT c FROM %s WHERE k = 1 ORDER BY c DESC" % t, fetch_size=fetch)
    assert [r.c for r in flat(pages(session, st))] == list(reversed(want1))
    st = SimpleStatement("SELECT c FROM %s WHERE k = 1 AND c IN (1, 6, 31, 33, 39)" % t, fetch_size=fetch)
    assert [r.c for r in flat(pages(session, st))] == [1, 31, 39]
    st = SimpleStatement("SELECT k, c FROM %s" % t, fetch_size=fetch)
    got = [(r.k, r.c) for r in flat(pages(session, st))]
    assert sorted(got) == sorted([(0, c) for c in range(40)] + [(1, c) for c in want1])
    assert len(got) == len(set(got))
    st = SimpleStatement("SELECT DISTINCT k, s FROM %s" % t, fetch_size=fetch)
    assert sorted(tuple(r) for r in flat(pages(session, st))) == [(0, "static0"), (1, "static1")]

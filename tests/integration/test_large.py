"""Values and results larger than one v5 segment (128 KiB) and than a
typical frame: they must cross segment boundaries intact."""
import hashlib
import os

import pytest
from cassandra.query import SimpleStatement


@pytest.fixture(scope="module")
def lt(session, keyspace):
    t = "%s.large" % keyspace
    session.execute("CREATE TABLE %s (k int, c int, b blob, t text, PRIMARY KEY (k, c))" % t)
    return t


@pytest.mark.parametrize("size", [131071, 131072, 131072 + 1, 1 << 20, 5 << 20])
def test_large_blob_roundtrip(session, lt, size):
    data = os.urandom(size)
    ps = session.prepare("INSERT INTO %s (k, c, b) VALUES (?, ?, ?)" % lt)
    session.execute(ps, [1, size, data])
    got = session.execute("SELECT b FROM %s WHERE k = 1 AND c = %d" % (lt, size)).one().b
    assert len(got) == size
    assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()


def test_large_text_inline_literal(session, lt):
    text = ("\u00e9t\u00e9 \u65e5\u672c " * 30000)[:200000]
    session.execute("INSERT INTO %s (k, c, t) VALUES (2, 1, %%s)" % lt, [text])  # inlined: a 400 KB QUERY
    assert session.execute("SELECT t FROM %s WHERE k = 2 AND c = 1" % lt).one().t == text


def test_large_result_pages(session, lt):
    ps = session.prepare("INSERT INTO %s (k, c, b) VALUES (3, ?, ?)" % lt)
    blobs = {c: os.urandom(40000) for c in range(150)}  # ~6 MB in all
    for f in [session.execute_async(ps, [c, b]) for c, b in blobs.items()]:
        f.result()
    for fetch in (10, 100, 5000):
        st = SimpleStatement("SELECT c, b FROM %s WHERE k = 3" % lt, fetch_size=fetch)
        got = {r.c: r.b for r in session.execute(st)}
        assert got == blobs

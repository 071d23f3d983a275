"""`helenus cql` COPY TO / COPY FROM as cqlsh does them: a round trip of a
table holding every CQL type (HELENUS_COPY_ROWS rows; 100k by default, 20k on
a sanitized build, where 100k take two minutes, mostly the driver reading both
tables back: set HELENUS_COPY_ROWS=100000 to run the full size there) compared
row by row through the Python driver, counters, and the options (HEADER,
DELIMITER, QUOTE, ESCAPE, NULL, DATETIMEFORMAT, BOOLSTYLE, DECIMALSEP,
THOUSANDSSEP, MAXROWS, SKIPROWS, SKIPCOLS, NUMPROCESSES, PREPAREDSTATEMENTS,
TTL, BEGINTOKEN/ENDTOKEN, ERRFILE) with cqlsh's messages for bad options and
bad rows."""
import datetime
import decimal
import os
import re
import subprocess
import time
import uuid

import pytest
from cassandra.concurrent import execute_concurrent, execute_concurrent_with_args
from cassandra.query import BatchStatement, BatchType
from cassandra.util import Duration

from helpers import make_cluster

KS = "copy_it"


def _sanitized():
    """Is the server an ASan build (the round trip then defaults to 20k rows)?"""
    from helpers import server_binary
    try:
        with open(server_binary(), "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


ROWS = int(os.environ.get("HELENUS_COPY_ROWS") or (20000 if _sanitized() else 100000))


def cql(helenus, *args, cwd=None, stdin=None, timeout=300):
    p = subprocess.run([helenus.binary, "cql", "127.0.0.1", str(helenus.port), "-k", KS]
                       + list(args), input=stdin, capture_output=True, text=True,
                       timeout=timeout, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def ok(helenus, *args, **kw):
    rc, out, err = cql(helenus, *args, **kw)
    assert rc == 0, (out, err)
    assert err == "", err
    return out


@pytest.fixture(scope="module")
def db(helenus):
    c = make_cluster(helenus.port)
    s = c.connect()
    s.execute("DROP KEYSPACE IF EXISTS %s" % KS)
    s.execute("CREATE KEYSPACE %s WITH replication = "
              "{'class': 'SimpleStrategy', 'replication_factor': 1}" % KS)
    s.set_keyspace(KS)
    yield s
    try:
        s.execute("DROP KEYSPACE IF EXISTS %s" % KS)
    finally:
        c.shutdown()


EVERY = ("(k int, c bigint, asci ascii, bl blob, bo boolean, da date, de decimal, db double, "
         "du duration, fl float, ip inet, i int, si smallint, tx text, tm time, ts timestamp, "
         "tu timeuuid, ti tinyint, uu uuid, vc varchar, vi varint, "
         "l list<text>, s set<int>, m map<text, int>, fls frozen<list<int>>, "
         "fse frozen<set<text>>, fm frozen<map<int, text>>, tp tuple<int, text, boolean>, "
         "ud frozen<addr>, un addr, nest map<text, frozen<list<int>>>, "
         "PRIMARY KEY (k, c))")

TEXTS = ["plain", "comma, inside", 'quote " inside', "it's", "line1\nline2", "tab\there",
         "back\\slash", "unicode \u00e9\u4e2d", "", "  spaced  "]


def every_row(n):
    """Row n: values that cqlsh's text form carries exactly (floats at 5 and
    doubles at 12 significant digits), nulls every 7th row."""
    t = TEXTS[n % len(TEXTS)]
    null = n % 7 == 3
    return (
        n // 4, n % 4 * 1000000007,
        None if null else "ascii %d" % n,
        None if null else bytes([n % 256, (n >> 8) % 256, 0, 255]),
        n % 2 == 0,
        datetime.date(2000, 1, 1) + datetime.timedelta(days=n % 9000),
        decimal.Decimal("%d.%02d" % (n - 500, n % 100)),
        n / 8.0 - 1000.5,
        None if null else Duration(n % 13, n % 29, (n % 1000) * 1000000000 + 123),
        (n % 1000) / 4.0,
        "10.%d.%d.%d" % (n % 200, n % 250, n % 99) if n % 5 else "::%x:%x" % (n >> 16, n % 65535 + 1),
        n * 37 - 2000000,
        n % 30000 - 15000,
        t or None,   # an empty string comes back null with NULL = '' (cqlsh does the same)
        datetime.time(n % 24, n % 60, n % 60, (n % 1000) * 1000),
        datetime.datetime(2020, 1, 1) + datetime.timedelta(milliseconds=n * 1001),
        uuid.UUID(int=(n << 96) | (0x1 << 76) | (0x8 << 60) | n),
        n % 256 - 128,
        uuid.UUID(int=n * 0x9E3779B97F4A7C15 % (1 << 128)),
        t + "!",
        (n - 50000) * 10 ** 20 + n,
        None if null else [t, "x%d" % n],
        None if null else {n % 10, n % 3, -n},
        None if null else {"a": n, "b,c": -n},
        [n, n + 1],
        {"s%d" % (n % 5), t},
        {n: t, -1: "neg"},
        (n, t, n % 3 == 0),
        (t, n),
        None if null else ("u%d" % n, -n),
        {"k": [n, n * 2]},
    )


def fetch_all(db, table):
    rows = {}
    for r in db.execute("SELECT * FROM %s" % table):
        rows[(r.k, r.c)] = tuple(r)
    return rows


def test_round_trip_every_type(helenus, db, tmp_path):
    db.execute("CREATE TYPE IF NOT EXISTS addr (street text, num int)")
    db.execute("CREATE TABLE every " + EVERY)
    db.execute("CREATE TABLE every2 " + EVERY)
    ins = db.prepare("INSERT INTO every (k, c, asci, bl, bo, da, de, db, du, fl, ip, i, si, tx, "
                     "tm, ts, tu, ti, uu, vc, vi, l, s, m, fls, fse, fm, tp, ud, un, nest) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                     "?, ?, ?, ?, ?, ?, ?, ?, ?)")
    t0 = time.monotonic()

    def batches():
        # the driver's per-request cost dominates: 25 rows a request
        for start in range(0, ROWS, 25):
            b = BatchStatement(batch_type=BatchType.UNLOGGED)
            for n in range(start, min(start + 25, ROWS)):
                b.add(ins, every_row(n))
            yield b
    res = execute_concurrent(db, ((b, ()) for b in batches()), concurrency=16,
                             raise_on_first_error=True)
    assert all(r.success for r in res)
    load = time.monotonic() - t0

    csv = tmp_path / "every.csv"
    t0 = time.monotonic()
    out = ok(helenus, "-e", "COPY every TO '%s' WITH NUMPROCESSES = 2" % csv, cwd=tmp_path)
    export = time.monotonic() - t0
    others = sorted(re.findall(r"(\w+) [a-z]", EVERY.split("(", 1)[1]))
    others = [c for c in others if c not in ("k", "c", "KEY")]
    assert out.startswith("Using 2 child processes\n\nStarting copy of %s.every with columns "
                          "[k, c, %s]." % (KS, ", ".join(others))), out
    # (text mode reads cqlsh's "\r" as "\n")
    assert re.search(r"\nProcessed: %d rows; Rate: +\d+ rows/s; Avg\. rate: +\d+ rows/s\n+"
                     r"%d rows exported to 1 files in (\d+ minutes? and )?\d+\.\d{3} seconds\.\n$"
                     % (ROWS, ROWS), out), out[-300:]
    t0 = time.monotonic()
    out = ok(helenus, "-e", "COPY every2 FROM '%s' WITH NUMPROCESSES = 2" % csv, cwd=tmp_path)
    imp = time.monotonic() - t0
    assert re.search(r"\n%d rows imported from 1 files in (\d+ minutes? and )?\d+\.\d{3} seconds "
                     r"\(0 skipped\)\.\n$" % ROWS, out), out[-300:]
    assert not (tmp_path / ("import_%s_every2.err" % KS)).exists()

    a = fetch_all(db, "every")
    b = fetch_all(db, "every2")
    assert len(a) == ROWS
    assert len(b) == ROWS
    bad = [k for k in a if a[k] != b.get(k)]
    assert not bad, (len(bad), _diff(a[bad[0]], b.get(bad[0])))
    print("rows=%d load=%.1fs export=%.1fs import=%.1fs" % (ROWS, load, export, imp))


def test_counters_round_trip(helenus, db, tmp_path):
    db.execute("CREATE TABLE cnt (k text, c int, hits counter, misses counter, "
               "PRIMARY KEY (k, c))")
    db.execute("CREATE TABLE cnt2 (k text, c int, hits counter, misses counter, "
               "PRIMARY KEY (k, c))")
    upd = db.prepare("UPDATE cnt SET hits = hits + ?, misses = misses + ? WHERE k = ? AND c = ?")
    execute_concurrent_with_args(db, upd, [(n * 3, -n, "key%d" % (n % 10), n) for n in
                                           range(200)])
    csv = tmp_path / "cnt.csv"
    ok(helenus, "-e", "COPY cnt TO '%s'" % csv)
    out = ok(helenus, "-e", "COPY cnt2 FROM '%s' WITH MAXBATCHSIZE = 7" % csv)
    assert "200 rows imported" in out
    rows = lambda t: sorted(tuple(r) for r in db.execute("SELECT * FROM %s" % t))
    assert rows("cnt") == rows("cnt2")
    # counters add up: a second import doubles them
    ok(helenus, "-e", "COPY cnt2 FROM '%s' WITH PREPAREDSTATEMENTS = false" % csv)
    assert [(k, c, h * 2, m * 2) for k, c, h, m in rows("cnt")] == rows("cnt2")


@pytest.fixture(scope="module")
def small(db):
    db.execute("CREATE TABLE small (k int PRIMARY KEY, t text, b boolean, ts timestamp, "
               "d double, v varint, l list<text>)")
    db.execute("INSERT INTO small (k, t, b, ts, d, v, l) VALUES (1, 'a|b \"q\" \nz', true, "
               "'2021-03-04 05:06:07.089+0000', 1234567.25, 1234567, ['x|y'])")
    db.execute("INSERT INTO small (k, t, b) VALUES (2, 'two', false)")
    db.execute("INSERT INTO small (k) VALUES (3)")
    return "small"


def test_options_on_export(helenus, small, tmp_path):
    f = tmp_path / "o.csv"
    ok(helenus, "-e", "COPY small (k, t, b, ts, d, v, l) TO '%s' WITH DELIMITER = '|' AND "
       "QUOTE = '''' AND ESCAPE = '#' AND NULL = '<null>' AND BOOLSTYLE = 'yes, no' AND "
       "DATETIMEFORMAT = '%%d/%%m/%%Y %%H:%%M' AND HEADER = true AND DECIMALSEP = ',' AND "
       "THOUSANDSSEP = '.'" % f)
    text = f.read_text()
    # pages of several token ranges are in flight at once: rows come in no set order
    header, rest = text.split("\n", 1)
    assert header == "k|t|b|ts|d|v|l"
    rows = sorted(rest.replace("\nz'", "\\nz'").splitlines())
    assert rows == [
        "1|'a|b \"q\" \\nz'|yes|04/03/2021 05:06|1.234.567,25|1.234.567|'[#'x|y#']'",
        "2|two|no|<null>|<null>|<null>|<null>",
        "3|<null>|<null>|<null>|<null>|<null>|<null>"]
    # ...and the same options read it back
    ok(helenus, "-e", "CREATE TABLE small_o (k int PRIMARY KEY, t text, b boolean, ts timestamp, "
       "d double, v varint, l list<text>)")
    out = ok(helenus, "-e", "COPY small_o (k, t, b, ts, d, v, l) FROM '%s' WITH DELIMITER = '|' "
             "AND QUOTE = '''' AND ESCAPE = '#' AND NULL = '<null>' AND BOOLSTYLE = 'yes, no' "
             "AND DATETIMEFORMAT = '%%d/%%m/%%Y %%H:%%M' AND HEADER = true AND DECIMALSEP = ',' "
             "AND THOUSANDSSEP = '.'" % f)
    assert "3 rows imported from 1 files" in out
    got = ok(helenus, "-e", "SELECT * FROM small_o WHERE k = 1")
    assert "2021-03-04 05:06:00.000000+0000" in got
    assert "1.2346e+06" in got and "['x|y']" in got and "True" in got
    assert "a|b \"q\" \\nz" in got


def test_maxrows_skiprows_header_stdout(helenus, small, tmp_path):
    out = ok(helenus, "-e", "COPY small (k, t) TO STDOUT WITH MAXROWS = 2 AND HEADER = true")
    # nothing but the data when exporting to STDOUT, as cqlsh; MAXROWS whole rows
    assert out in ('k,t\n1,"a|b \\"q\\" \nz"\n2,two\n', 'k,t\n2,two\n1,"a|b \\"q\\" \nz"\n',
                   'k,t\n1,"a|b \\"q\\" \nz"\n3,\n', 'k,t\n3,\n1,"a|b \\"q\\" \nz"\n',
                   'k,t\n2,two\n3,\n', 'k,t\n3,\n2,two\n'), out
    f = tmp_path / "s.csv"
    f.write_text("k,t\n10,a\n11,b\n12,c\n13,d\n14,e\n")
    ok(helenus, "-e", "CREATE TABLE skip (k int PRIMARY KEY, t text)")
    out = ok(helenus, "-e", "COPY skip FROM '%s' WITH HEADER = true AND SKIPROWS = 1 AND "
             "MAXROWS = 3" % f)
    assert re.search(r"^3 rows imported from 1 files in \d+\.\d{3} seconds \(1 skipped\)\.$",
                     out, re.M), out
    got = ok(helenus, "-e", "SELECT k FROM skip")
    assert sorted(int(x) for x in got.split() if x.isdigit()) == [11, 12, 13]


def test_numprocesses_chunks_and_literal_mode(helenus, db, tmp_path):
    f = tmp_path / "n.csv"
    f.write_text("".join("%d,v%d\n" % (i, i) for i in range(5000)))
    db.execute("CREATE TABLE par (k int PRIMARY KEY, t text)")
    out = ok(helenus, "-e", "COPY par FROM '%s' WITH NUMPROCESSES = 4 AND CHUNKSIZE = 100 AND "
             "MAXBATCHSIZE = 9" % f)
    assert out.startswith("Using 4 child processes\n")
    assert "5000 rows imported" in out
    assert db.execute("SELECT count(*) FROM par").one()[0] == 5000
    db.execute("TRUNCATE par")
    out = ok(helenus, "-e", "COPY par FROM '%s' WITH PREPAREDSTATEMENTS = false AND "
             "NUMPROCESSES = 3 AND TTL = 3600" % f)
    assert "5000 rows imported" in out
    assert db.execute("SELECT count(*) FROM par").one()[0] == 5000
    assert 3500 < db.execute("SELECT ttl(t) FROM par WHERE k = 7").one()[0] <= 3600
    out = ok(helenus, "-e", "COPY par TO '%s' WITH NUMPROCESSES = 3 AND PAGESIZE = 77" % f)
    assert "5000 rows exported" in out
    assert sorted(f.read_text().splitlines()) == sorted("%d,v%d" % (i, i) for i in range(5000))
    # one worker with one request in flight: the rows in token order
    out = ok(helenus, "-e", "COPY par (k) TO '%s' WITH NUMPROCESSES = 1 AND MAXREQUESTS = 1 AND "
             "PAGESIZE = 333" % f)
    assert "5000 rows exported" in out
    order = [r.k for r in db.execute("SELECT k FROM par")]
    assert [int(x) for x in f.read_text().split()] == order
    # BEGINTOKEN / ENDTOKEN: (begin, end]
    toks = sorted(r[0] for r in db.execute("SELECT token(k) FROM par"))
    mid = toks[2499]
    out = ok(helenus, "-e", "COPY par TO '%s' WITH ENDTOKEN = %d" % (f, mid))
    assert "2500 rows exported" in out
    out = ok(helenus, "-e", "COPY par TO '%s' WITH BEGINTOKEN = %d AND NUMPROCESSES = 2"
             % (f, mid))
    assert "2500 rows exported" in out


def test_skipcols(helenus, db, tmp_path):
    f = tmp_path / "sc.csv"
    f.write_text("1,junk,a\n2,junk,b\n")
    db.execute("CREATE TABLE sc (k int PRIMARY KEY, x text, t text)")
    out = ok(helenus, "-e", "COPY sc (k, x, t) FROM '%s' WITH SKIPCOLS = 'x'" % f)
    assert "2 rows imported" in out
    assert sorted(tuple(r) for r in db.execute("SELECT k, x, t FROM sc")) == \
        [(1, None, "a"), (2, None, "b")]


def test_bad_rows_as_cqlsh_reports_them(helenus, db, tmp_path):
    db.execute("CREATE TABLE bad (k int PRIMARY KEY, b boolean, i int, l list<int>)")
    f = tmp_path / "bad.csv"
    f.write_text("1,True,5,[1]\n2,maybe,5,[1]\n3,True,x,[1]\n4,True\n,True,1,[1]\n"
                 "5,False,6,\"[1, z]\"\n6,False,7,[]\n")
    rc, out, err = cql(helenus, "-e", "COPY bad FROM '%s'" % f, cwd=tmp_path)
    assert rc == 2
    assert re.search(r"^2 rows imported from 1 files in \d+\.\d{3} seconds \(0 skipped\)\.$",
                     out, re.M), out
    lines = err.splitlines()
    p = "<stdin>:1:"
    assert p + "Failed to import 1 rows: ParseError - Failed to parse maybe : Unable to make " \
        "boolean from 'maybe',  given up without retries" in lines
    assert p + "Failed to import 1 rows: ParseError - Failed to parse x : Unable to make int " \
        "from 'x',  given up without retries" in lines
    assert p + "Failed to import 1 rows: ParseError - Invalid row length 2 should be 4,  given " \
        "up without retries" in lines
    assert p + "Failed to import 1 rows: ParseError - Cannot insert null value for primary key " \
        "column 'k'. If you want to insert empty strings, consider using the WITH " \
        "NULL=<marker> option for COPY.,  given up without retries" in lines
    assert any(l.startswith(p + "Failed to import 1 rows: ParseError - Failed to parse [1, z] : ")
               for l in lines), lines
    assert lines[-1] == p + "Failed to process 5 rows; failed rows written to import_%s_bad.err" \
        % KS
    assert (tmp_path / ("import_%s_bad.err" % KS)).read_text() == \
        "2,maybe,5,[1]\n3,True,x,[1]\n4,True\n,True,1,[1]\n5,False,6,\"[1, z]\"\n"
    # ERRFILE names the file; an old one is moved aside first
    rc, out, err = cql(helenus, "-e", "COPY bad FROM '%s' WITH ERRFILE = 'e.txt'" % f,
                       cwd=tmp_path)
    assert "failed rows written to e.txt" in err
    assert len([p for p in os.listdir(tmp_path) if p.startswith("import_")]) == 1
    # MAXPARSEERRORS stops the import
    rc, out, err = cql(helenus, "-e", "COPY bad FROM '%s' WITH MAXPARSEERRORS = 1 AND "
                       "ERRFILE = 'e.txt'" % f, cwd=tmp_path)
    assert rc == 2 and "Exceeded maximum number of parse errors 1" in err
    assert len([p for p in os.listdir(tmp_path) if p.startswith("e.txt.")]) == 1


def test_insert_errors_are_retried_then_given_up(helenus, db, tmp_path):
    db.execute("CREATE TABLE ins (k int PRIMARY KEY, t text)")
    f = tmp_path / "i.csv"
    f.write_text("1,a\n")
    # the server refuses the batch (TTL over its maximum): not worth a retry
    rc, out, err = cql(helenus, "-e", "COPY ins FROM '%s' WITH TTL = 999999999" % f,
                       cwd=tmp_path)
    assert rc == 2
    assert "0 rows imported from 1 files" in out
    assert err.splitlines()[0] == "<stdin>:1:Failed to import 1 rows: InvalidRequest - Error " \
        "from server: code=2200 [Invalid query] message=\"ttl is too large. requested " \
        "(999999999) maximum (630720000)\",  given up after 1 attempts"
    assert "Failed to process 1 rows; failed rows written to import_%s_ins.err" % KS in err


def test_bad_options(helenus, small, tmp_path):
    f = tmp_path / "x.csv"
    cases = [
        ("TO", "WITH BOGUS = 1 AND OTHER = 2", "Unrecognized COPY TO options: bogus, other"),
        ("FROM", "WITH BOGUS = 1", "Unrecognized COPY FROM options: bogus"),
        ("TO", "WITH MAXROWS = abc", "invalid literal for int() with base 10: 'abc'"),
        ("TO", "WITH BOOLSTYLE = 'yes'", "Invalid boolean styles ['yes']"),
        ("TO", "WITH BOOLSTYLE = 'a, a'", "Invalid boolean styles ['a', 'a']"),
        ("TO", "WITH DELIMITER = 'ab'", '"delimiter" must be a 1-character string'),
    ]
    f.write_text("1,x\n")
    for d, opts, msg in cases:
        rc, out, err = cql(helenus, "-e", "COPY small (k, t) %s '%s' %s" % (d, f, opts))
        assert rc == 2 and err == "<stdin>:1:%s\n" % msg, (opts, err)
    rc, out, err = cql(helenus, "-e", "COPY small TO '%s' WITH" % f)
    assert err == "<stdin>:1:Improper copy command.\n"
    rc, out, err = cql(helenus, "-e", "COPY nosuch TO '%s'" % f)
    assert err == "<stdin>:1:Column family 'nosuch' not found\n"
    rc, out, err = cql(helenus, "-e", "COPY small (k, zz) TO '%s'" % f)
    assert err == "<stdin>:1:Invalid column name zz\n"


def _diff(a, b):
    return [(i, x, y) for i, (x, y) in enumerate(zip(a, b)) if x != y]


def test_several_files_and_globs(helenus, db, tmp_path):
    db.execute("CREATE TABLE multi (k int PRIMARY KEY, t text)")
    (tmp_path / "m1.csv").write_text("k,t\n1,a\n2,b\n")
    (tmp_path / "m2.csv").write_text("k,t\n3,c\n")
    (tmp_path / "other.csv").write_text("k,t\n4,d\n")
    out = ok(helenus, "-e", "COPY multi FROM '%s/m*.csv, %s/other.csv' WITH HEADER = true"
             % (tmp_path, tmp_path))
    assert re.search(r"^4 rows imported from 3 files in \d+\.\d{3} seconds \(0 skipped\)\.$",
                     out, re.M), out
    assert sorted(r.k for r in db.execute("SELECT k FROM multi")) == [1, 2, 3, 4]
    rc, out, err = cql(helenus, "-e", "COPY multi FROM '%s/nothing*.csv'" % tmp_path)
    assert rc == 2
    assert err == "<stdin>:1:Can't open '%s/nothing*.csv' for reading: no matching file " \
        "found\n" % tmp_path

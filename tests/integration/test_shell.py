"""`helenus cql`, cqlsh's role: -e / -f output compared with what cqlsh prints
for the same statements, error lines and exit status, DESCRIBE, COPY, and an
interactive session driven through a pseudo-terminal (banner, prompts,
multi-line input, tab completion, EXPAND, PAGING with ---MORE---, colours)."""
import os
import pty
import re
import select
import signal
import subprocess
import time

import pytest


KS = "shell_it"


def cql(helenus, *args, stdin=None, timeout=30):
    p = subprocess.run([helenus.binary, "cql", "127.0.0.1", str(helenus.port)] + list(args),
                       input=stdin, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def ok(helenus, *args, **kw):
    rc, out, err = cql(helenus, *args, **kw)
    assert rc == 0, (out, err)
    assert err == "", err
    return out


@pytest.fixture(scope="module")
def ks(helenus):
    ok(helenus, "-e", "DROP KEYSPACE IF EXISTS %s" % KS)
    ok(helenus, "-e", "CREATE KEYSPACE %s WITH replication = "
       "{'class': 'SimpleStrategy', 'replication_factor': 1}" % KS)
    yield KS
    cql(helenus, "-e", "DROP KEYSPACE IF EXISTS %s" % KS)


# --------------------------------------------------------------------------- batch mode

def test_select_formats_values_as_cqlsh(helenus, ks):
    ok(helenus, "-k", ks, "-e",
       "CREATE TABLE types (k int PRIMARY KEY, t text, b boolean, d double, f float, "
       "bi bigint, bl blob, ts timestamp, dt date, u uuid, l list<text>, s set<int>, "
       "m map<text, boolean>, ip inet, dec decimal, vi varint, tm time);")
    ok(helenus, "-k", ks, "-e",
       "INSERT INTO types (k, t, b, d, f, bi, bl, ts, dt, u, l, s, m, ip, dec, vi, tm) VALUES "
       "(1, 'it''s', true, 3.14159265358979, 1.5, 9000000000, 0xcafe, "
       "'2011-02-03 04:05:00+0000', '2011-02-03', 5132b130-ae79-11e4-ab27-0800200c9a66, "
       "['a', 'b''c'], {3, 1, 2}, {'x': true, 'y': false}, '127.0.0.1', 1.50, 123456789012345, "
       "'08:12:54.123456789');")
    ok(helenus, "-k", ks, "-e", "INSERT INTO types (k, t) VALUES (22, 'line1\nline2');")
    out = ok(helenus, "-k", ks, "-e", "SELECT k, t, b, d, f, bi, bl FROM types;")
    lines = out.split("\n")
    assert lines[0] == ""
    assert lines[1] == " k  | t            | b    | d       | f    | bi         | bl"
    assert lines[2] == "----+--------------+------+---------+------+------------+--------"
    # every cell right-aligned, text included; rows come in token order
    assert sorted(lines[3:5]) == sorted([
        "  1 |         it's | True | 3.14159 |  1.5 | 9000000000 | 0xcafe",
        " 22 | line1\\nline2 | null |    null | null |       null |   null"])
    assert lines[5:] == ["", "(2 rows)", ""]

    out = ok(helenus, "-k", ks, "-e",
             "SELECT ts, dt, u, l, s, m, ip, dec, vi, tm FROM types WHERE k = 1")
    assert out == table(
        ["ts", "dt", "u", "l", "s", "m", "ip", "dec", "vi", "tm"],
        [["2011-02-03 04:05:00.000000+0000", "2011-02-03", "5132b130-ae79-11e4-ab27-0800200c9a66",
          "['a', 'b''c']", "{1, 2, 3}", "{'x': True, 'y': False}", "127.0.0.1", "1.50",
          "123456789012345", "08:12:54.123456789"]])


def table(names, rows):
    """cqlsh's batch-mode table: left-justified header, right-justified cells."""
    w = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    out = "\n " + " | ".join(n.ljust(w[i]) for i, n in enumerate(names)).rstrip() + "\n"
    out += "-" + "-+-".join("-" * x for x in w) + "-\n"
    for r in rows:
        out += " " + " | ".join(c.rjust(w[i]) for i, c in enumerate(r)) + "\n"
    return out + "\n(%d rows)\n" % len(rows)


def test_empty_result_and_vertical_output(helenus, ks):
    ok(helenus, "-k", ks, "-e", "CREATE TABLE IF NOT EXISTS kv (k int PRIMARY KEY, v text)")
    out = ok(helenus, "-k", ks, "-e", "SELECT * FROM kv WHERE k = 404")
    # cqlsh in batch mode: header, rule, a blank line for no rows, and one more before the count
    assert out == "\n k | v\n---+---\n\n\n(0 rows)\n"
    ok(helenus, "-k", ks, "-e", "INSERT INTO kv (k, v) VALUES (7, 'seven')")
    out = ok(helenus, "-k", ks, "-e", "EXPAND ON; SELECT * FROM kv WHERE k = 7;")
    assert out == ("Now Expanded output is enabled\n"
                   "\n"
                   "@ Row 1\n"
                   "---+-------\n"
                   " k | 7\n"
                   " v | seven\n"
                   "\n"
                   "\n"
                   "(1 rows)\n")


def test_ddl_and_dml_print_nothing(helenus, ks):
    out = ok(helenus, "-e", "CREATE TABLE %s.quiet (k int PRIMARY KEY, v int); "
             "INSERT INTO %s.quiet (k, v) VALUES (1, 2); UPDATE %s.quiet SET v = 3 WHERE k = 1; "
             "DELETE FROM %s.quiet WHERE k = 1; TRUNCATE %s.quiet; DROP TABLE %s.quiet" % ((ks,) * 6))
    assert out == ""


def test_errors_and_exit_status(helenus, ks, tmp_path):
    rc, out, err = cql(helenus, "-e", "SELECT * FROM %s.nosuchtable" % ks)
    assert rc == 2
    assert err == ('<stdin>:1:InvalidRequest: Error from server: code=2200 [Invalid query] '
                   'message="table nosuchtable does not exist"\n') or re.match(
        r'<stdin>:1:InvalidRequest: Error from server: code=2200 \[Invalid query\] message=".+"\n$',
        err), err
    rc, out, err = cql(helenus, "-e", "SELEC 1")
    assert rc == 2
    assert err.startswith("<stdin>:1:SyntaxException: "), err
    rc, out, err = cql(helenus, "-e", "CREATE KEYSPACE %s WITH replication = "
                       "{'class': 'SimpleStrategy', 'replication_factor': 1}" % ks)
    assert rc == 2
    assert err == "<stdin>:1:AlreadyExists: Keyspace '%s' already exists\n" % ks
    # -f: errors carry the file name and cqlsh's line number (one past the statement's last line)
    f = tmp_path / "script.cql"
    f.write_text("USE %s;\nSELECT * FROM\n  nosuchtable;\nCONSISTENCY;\n" % ks)
    rc, out, err = cql(helenus, "-f", str(f))
    assert rc == 2
    assert err.startswith("%s:4:InvalidRequest: Error from server: code=2200" % f), err
    assert out == "Current consistency level is ONE.\n"
    # a clean script exits 0
    f.write_text("USE %s;\n-- a comment; with a semicolon\nCONSISTENCY QUORUM\n"
                 "SELECT k FROM kv WHERE k = 7; /* trailing */\n" % ks)
    out = ok(helenus, "-f", str(f))
    assert out == "Consistency level set to QUORUM.\n\n k\n---\n 7\n\n(1 rows)\n"
    rc, out, err = cql(helenus, "-f", str(tmp_path / "missing.cql"))
    assert rc == 1 and "missing.cql" in err


def test_statements_from_stdin(helenus, ks):
    rc, out, err = cql(helenus, stdin="SELECT k\nFROM %s.kv\nWHERE k = 7;\nSELECT nope FROM %s.kv;\n"
                       % (ks, ks))
    assert rc == 2
    assert out == "\n k\n---\n 7\n\n(1 rows)\n"
    assert err.startswith("<stdin>:5:InvalidRequest:"), err
    rc, out, err = cql(helenus, stdin="SELECT k FROM %s.kv WHERE k = 7\n" % ks)
    assert rc == 2 and "Incomplete statement at end of file" in err


def test_describe(helenus, ks, session):
    ok(helenus, "-e", "CREATE TABLE IF NOT EXISTS %s.kv (k int PRIMARY KEY, v text)" % ks)
    rows = list(session.execute("DESCRIBE TABLE %s.kv" % ks))
    out = ok(helenus, "-e", "DESCRIBE TABLE %s.kv" % ks)
    assert out == "\n" + rows[0].create_statement + "\n"
    rows = list(session.execute("DESCRIBE KEYSPACE %s" % ks))
    out = ok(helenus, "-e", "DESC KEYSPACE %s" % ks)
    assert out == "".join("\n" + r.create_statement + "\n" for r in rows)
    out = ok(helenus, "-e", "DESCRIBE KEYSPACES")
    assert out.startswith("\n") and out.endswith("\n\n")
    names = out.split()
    assert ks in names and "system" in names and "system_schema" in names
    out = ok(helenus, "-k", ks, "-e", "DESCRIBE TABLES")
    assert "kv" in out.split() and "Keyspace" not in out
    out = ok(helenus, "-e", "DESCRIBE TABLES")
    assert "Keyspace %s\n---------%s\n" % (ks, "-" * len(ks)) in out
    out = ok(helenus, "-e", "DESCRIBE CLUSTER")
    assert out.startswith("\nCluster: ") and "\nPartitioner: Murmur3Partitioner\n" in out
    rc, out, err = cql(helenus, "-e", "DESCRIBE TABLE %s.nope" % ks)
    assert rc == 2 and "nope" in err and "Error from server" not in err


def test_shell_commands(helenus, ks):
    out = ok(helenus, "-e", "CONSISTENCY; CONSISTENCY local_quorum; CONSISTENCY; "
             "SERIAL CONSISTENCY; SERIAL CONSISTENCY LOCAL_SERIAL; PAGING 50; PAGING OFF; "
             "TRACING; EXPAND")
    assert out == ("Current consistency level is ONE.\n"
                   "Consistency level set to LOCAL_QUORUM.\n"
                   "Current consistency level is LOCAL_QUORUM.\n"
                   "Current serial consistency level is SERIAL.\n"
                   "Serial consistency level set to LOCAL_SERIAL.\n"
                   "Page size: 50\n"
                   "Disabled Query paging.\n"
                   "Tracing is currently disabled. Use TRACING ON to enable.\n"
                   "Expanded output is currently disabled. Use EXPAND ON to enable.\n")
    rc, out, err = cql(helenus, "-e", "CONSISTENCY NOPE")
    assert rc == 2 and err == "<stdin>:1:Improper consistency command.\n"
    out = ok(helenus, "-e", "SHOW VERSION")
    assert re.match(r"^\[cqlsh 6\.1\.0 \| Cassandra 5\.\S+ \| CQL spec 3\.\d+\.\d+ \| "
                    r"Native protocol v5\]\n$", out), out
    out = ok(helenus, "--protocol-version", "4", "-e", "SHOW VERSION")
    assert out.endswith("| Native protocol v4]\n")
    out = ok(helenus, "-e", "SHOW HOST")
    assert out == "Connected to Test Cluster at 127.0.0.1:%d\n" % helenus.port
    out = ok(helenus, "-e", "HELP")
    assert "Documented shell commands:" in out and "CQL help topics:" in out


def test_source_and_capture(helenus, ks, tmp_path):
    src = tmp_path / "src.cql"
    src.write_text("SELECT k FROM %s.kv WHERE k = 7;\nSELECT bad FROM %s.kv;\n" % (ks, ks))
    cap = tmp_path / "cap.txt"
    rc, out, err = cql(helenus, "-e", "CAPTURE '%s'; SOURCE '%s'; CAPTURE OFF; CAPTURE" % (cap, src))
    assert rc == 2
    assert out == ("Now capturing query output to '%s'.\n"
                   "Currently not capturing query output.\n" % cap)
    assert err.startswith("%s:3:InvalidRequest:" % src), err
    assert cap.read_text() == "\n k\n---\n 7\n\n(1 rows)\n"


def test_paging_in_batch_mode_prints_every_row(helenus, ks):
    ok(helenus, "-e", "CREATE TABLE IF NOT EXISTS %s.many (k int PRIMARY KEY)" % ks)
    ok(helenus, stdin="".join("INSERT INTO %s.many (k) VALUES (%d);\n" % (ks, i) for i in range(250)))
    out = ok(helenus, "-e", "SELECT k FROM %s.many" % ks)
    assert "---MORE---" not in out
    keys = {int(l) for l in out.split("\n") if l.strip().isdigit()}
    assert keys == set(range(250))
    out = ok(helenus, "-e", "SELECT count(*) FROM %s.many" % ks)
    assert out == "\n count\n-------\n   250\n\n(1 rows)\n"


def test_copy_round_trip(helenus, ks, tmp_path):
    ok(helenus, "-k", ks, "-e",
       "CREATE TABLE IF NOT EXISTS src (k int PRIMARY KEY, t text, l list<int>, m map<text, int>, "
       "b boolean, ts timestamp, bl blob)")
    ok(helenus, "-k", ks, "-e",
       "INSERT INTO src (k, t, l, m, b, ts, bl) VALUES (1, 'a,b \"q\"', [1, 2], {'x': 1}, true, "
       "'2020-01-02 03:04:05+0000', 0x01ff);"
       "INSERT INTO src (k, t) VALUES (2, 'plain');"
       "INSERT INTO src (k) VALUES (3);")
    csv = tmp_path / "out.csv"
    out = ok(helenus, "-k", ks, "-e", "COPY src TO '%s' WITH HEADER = true" % csv)
    assert "Starting copy of %s.src with columns [k, b, bl, l, m, t, ts]." % ks in out
    assert re.search(r"^3 rows exported to 1 files in \d+\.\d{3} seconds\.$", out, re.M), out
    text = csv.read_text()
    assert text.splitlines()[0] == "k,b,bl,l,m,t,ts"
    assert "1,True,0x01ff,\"[1, 2]\",{'x': 1},\"a,b \\\"q\\\"\",2020-01-02 03:04:05.000000+0000" in text
    ok(helenus, "-k", ks, "-e",
       "CREATE TABLE IF NOT EXISTS dst (k int PRIMARY KEY, t text, l list<int>, m map<text, int>, "
       "b boolean, ts timestamp, bl blob)")
    out = ok(helenus, "-k", ks, "-e", "COPY dst (k, b, bl, l, m, t, ts) FROM '%s' WITH HEADER = true"
             % csv)
    assert re.search(r"^3 rows imported from 1 files in \d+\.\d{3} seconds \(0 skipped\)\.$", out,
                     re.M), out
    a = ok(helenus, "-k", ks, "-e", "SELECT * FROM src")
    b = ok(helenus, "-k", ks, "-e", "SELECT * FROM dst")
    assert sorted(a.splitlines()) == sorted(b.splitlines())
    rc, out, err = cql(helenus, "-k", ks, "-e", "COPY src TO '%s' WITH BOGUS = 1" % csv)
    assert rc == 2 and "Unrecognized COPY TO options: bogus" in err


def test_connection_errors(helenus):
    p = subprocess.run([helenus.binary, "cql", "127.0.0.1", "1", "-e", "SELECT 1"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 1
    assert p.stderr.startswith("Connection error: ('Unable to connect to any servers'"), p.stderr
    p = subprocess.run([helenus.binary, "cql", "--bogus"], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 2
    p = subprocess.run([helenus.binary, "cql", "--help"], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0 and "--execute" in p.stdout


# --------------------------------------------------------------------------- interactive

class Term:
    """The shell on a pseudo-terminal, read until a prompt appears."""

    def __init__(self, helenus, *args, home):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            env = dict(os.environ, TERM="xterm", HOME=str(home))
            env.pop("CQL_HISTORY", None)
            os.execve(helenus.binary, [helenus.binary, "cql", "127.0.0.1", str(helenus.port)]
                      + list(args), env)
        self.buf = b""
        self.reaped = False

    def read_until(self, pattern, timeout=20):
        end = time.time() + timeout
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        while time.time() < end:
            m = rx.search(self.buf)
            if m:
                out = self.buf[:m.end()].decode(errors="replace")
                self.buf = self.buf[m.end():]
                return out
            r, _, _ = select.select([self.fd], [], [], 0.1)
            if r:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    break
                if not data:
                    break
                self.buf += data
        raise AssertionError("no %r in %r" % (pattern, self.buf))

    def send(self, s):
        os.write(self.fd, s.encode())

    def close(self):
        if not self.reaped:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)

    def wait(self, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.reaped = True
                return os.waitstatus_to_exitcode(status)
            try:
                r, _, _ = select.select([self.fd], [], [], 0.1)
                if r:
                    self.buf += os.read(self.fd, 65536)
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the shell did not exit")


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\x07|\r")


def plain(s):
    return ANSI.sub("", s)


@pytest.fixture
def term(helenus, tmp_path):
    terms = []

    def start(*args):
        t = Term(helenus, *args, home=tmp_path)
        terms.append(t)
        return t
    yield start
    for t in terms:
        t.close()


def test_interactive_session(helenus, ks, term, tmp_path):
    ok(helenus, "-e", "CREATE TABLE IF NOT EXISTS %s.kv (k int PRIMARY KEY, v text)" % ks)
    ok(helenus, "-e", "INSERT INTO %s.kv (k, v) VALUES (7, 'seven')" % ks)
    t = term("--no-color")
    banner = t.read_until(r"cqlsh> ")
    assert "\x1b[" not in banner
    assert "Connected to Test Cluster at 127.0.0.1:%d" % helenus.port in banner
    assert re.search(r"\[cqlsh 6\.1\.0 \| Cassandra \S+ \| CQL spec \S+ \| Native protocol v5\]",
                     banner)
    assert "Use HELP for help." in banner
    t.send("USE %s;\n" % ks)
    t.read_until(r"cqlsh:%s> " % ks)
    # a statement over two lines: continuation prompt indented under the keyspace name
    t.send("SELECT k,\n")
    t.read_until(r"\n%s    \.\.\. " % (" " * len(ks)))
    t.send("v FROM kv WHERE k = 7;\n")
    out = plain(t.read_until(r"cqlsh:%s> " % ks))
    assert "\n k | v\n---+-------\n 7 | seven\n\n(1 rows)\n" in out
    # tab completion of a table name after "ks."
    t.send("SELECT * FROM %s.k\t" % ks)
    t.read_until(r"v ")   # libedit redraws: only the completed tail is echoed
    t.send("WHERE k = 7;\n")
    out = plain(t.read_until(r"cqlsh:%s> " % ks))
    assert " 7 | seven" in out
    t.send("EXPAND ON\n")
    assert "Now Expanded output is enabled" in t.read_until(r"cqlsh:%s> " % ks)
    t.send("SELECT * FROM kv WHERE k = 7;\n")
    out = plain(t.read_until(r"cqlsh:%s> " % ks))
    assert "@ Row 1\n---+-------\n k | 7\n v | seven\n" in out
    t.send("EXPAND OFF\n")
    assert "Disabled Expanded output." in t.read_until(r"cqlsh:%s> " % ks)
    t.send("EXIT\n")
    assert t.wait() == 0
    assert (tmp_path / ".cassandra" / "cqlsh_history").exists()


def test_interactive_paging(helenus, ks, term):
    ok(helenus, "-e", "CREATE TABLE IF NOT EXISTS %s.pg (k int PRIMARY KEY)" % ks)
    ok(helenus, stdin="".join("INSERT INTO %s.pg (k) VALUES (%d);\n" % (ks, i) for i in range(5)))
    t = term("--no-color")
    t.read_until(r"cqlsh> ")
    t.send("PAGING 2\n")
    assert "Page size: 2" in t.read_until(r"cqlsh> ")
    t.send("SELECT k FROM %s.pg;\n" % ks)
    first = plain(t.read_until("---MORE---"))
    # each page has its header and a blank line, as cqlsh on a terminal
    assert re.search(r"\n k\n---\n \d\n \d\n\n---MORE---$", first), first
    pages = 1
    while True:
        t.send("\n")
        out = plain(t.read_until(r"---MORE---|cqlsh> "))
        if out.endswith("cqlsh> "):
            break
        pages += 1
        assert pages < 10
    assert pages >= 2
    assert re.search(r"\(\d+ rows\)\n", out)
    t.send("PAGING OFF\n")
    assert "Disabled Query paging." in t.read_until(r"cqlsh> ")
    t.send("SELECT k FROM %s.pg;\n" % ks)
    out = plain(t.read_until(r"cqlsh> "))
    assert "---MORE---" not in out and "(5 rows)" in out


def test_colours_on_a_terminal(helenus, ks, term):
    t = term()
    banner = t.read_until(r"cqlsh> ")
    assert "Connected to \x1b[0;1;34mTest Cluster\x1b[0m at" in banner
    t.send("SELECT k, v FROM %s.kv WHERE k = 7;\n" % ks)
    out = t.read_until(r"cqlsh> ")
    assert "\x1b[0;1;31mk\x1b[0m" in out            # partition key column name in red
    assert "\x1b[0;1;35mv\x1b[0m" in out            # other columns in magenta
    assert "\x1b[0;1;32m7\x1b[0m" in out            # numbers in green
    assert "\x1b[0;1;33mseven\x1b[0m" in out        # text in yellow
    t.send("SELECT nope FROM %s.kv;\n" % ks)
    out = t.read_until(r"cqlsh> ")
    assert "\x1b[0;1;31mInvalidRequest: Error from server: code=2200 [Invalid query]" in out
    t.send("exit\n")
    assert t.wait() == 0


def test_interactive_completion_login_and_copy_stdin(helenus, ks, term):
    ok(helenus, "-e", "CREATE TABLE IF NOT EXISTS %s.zoo (k int PRIMARY KEY, zebra_count int)" % ks)
    t = term("--no-color", "-k", ks)
    t.read_until(r"cqlsh:%s> " % ks)
    # keywords, then the columns of the table being written
    t.send("UPDA\t")
    t.read_until(r"TE ")
    t.send("zoo SET zeb\t")
    t.read_until(r"ra_count ")
    t.send("= 3 WHERE k = 1;\n")
    t.read_until(r"cqlsh:%s> " % ks)
    # LOGIN reconnects as the user (this server asks for no password): the prompt names them
    t.send("LOGIN bob 'secret'\n")
    t.read_until(r"bob@cqlsh:%s> " % ks)
    t.send("SELECT zebra_count FROM zoo WHERE k = 1;\n")
    out = plain(t.read_until(r"bob@cqlsh:%s> " % ks))
    assert "\n zebra_count\n-------------\n           3\n\n(1 rows)\n" in out
    t.send("LOGIN\n")
    assert "Improper login command." in plain(t.read_until(r"bob@cqlsh:%s> " % ks))
    # COPY FROM STDIN on a terminal: cqlsh's hint, then rows up to a lone "."
    t.send("COPY zoo FROM STDIN;\n")
    assert "[Use . on a line by itself to end input]" in t.read_until(r"end input\]")
    t.send("5,50\n6,60\n.\n")
    out = plain(t.read_until(r"bob@cqlsh:%s> " % ks))
    assert re.search(r"2 rows imported from 1 files in \d+\.\d{3} seconds \(0 skipped\)\.", out)
    t.send("exit\n")
    assert t.wait() == 0
    out = ok(helenus, "-e", "SELECT zebra_count FROM %s.zoo WHERE k = 6" % ks)
    assert "60" in out

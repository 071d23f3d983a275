"""Non-frozen UDTs stored as Cassandra stores them: a complex column with one
cell per non-null field (path = the field's position as a 2-byte short).
Whole-value writes, field updates and deletions, TTLs, flush / compaction /
restart, and the cells an SSTable holds."""
import json
import os
import subprocess
import time

import pytest
from cassandra import InvalidRequest

from helpers import HelenusServer, finish_server, make_cluster


@pytest.fixture(scope="module")
def uks(session):
    session.execute("CREATE KEYSPACE IF NOT EXISTS uc WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TYPE IF NOT EXISTS uc.addr (street text, zip int, tags frozen<set<text>>)")
    session.execute("CREATE TABLE IF NOT EXISTS uc.p (id int, c int, a addr, fa frozen<addr>, n int, "
                    "s addr static, PRIMARY KEY (id, c))")
    yield "uc"
    session.execute("DROP KEYSPACE IF EXISTS uc")


def addr(r):
    return None if r is None else (r.street, r.zip, r.tags)


def get(session, id_, c=0):
    return session.execute("SELECT a FROM uc.p WHERE id = %d AND c = %d" % (id_, c)).one()


def test_whole_value_and_fields(session, uks):
    session.execute("INSERT INTO uc.p (id, c, a) VALUES (1, 0, {street: 'Main', zip: 42})")
    assert addr(get(session, 1).a) == ("Main", 42, None)
    session.execute("UPDATE uc.p SET a.zip = 7 WHERE id = 1 AND c = 0")
    assert addr(get(session, 1).a) == ("Main", 7, None)
    session.execute("UPDATE uc.p SET a.tags = {'x', 'y'} WHERE id = 1 AND c = 0")
    assert addr(get(session, 1).a) == ("Main", 7, {"x", "y"})
    # a field set to null is a cell tombstone
    session.execute("UPDATE uc.p SET a.street = null WHERE id = 1 AND c = 0")
    assert addr(get(session, 1).a) == (None, 7, {"x", "y"})
    session.execute("DELETE a.zip FROM uc.p WHERE id = 1 AND c = 0")
    assert addr(get(session, 1).a) == (None, None, {"x", "y"})
    # every field gone: the column is null
    session.execute("DELETE a.tags FROM uc.p WHERE id = 1 AND c = 0")
    assert get(session, 1).a is None
    # a whole-value write replaces every field (a complex deletion first)
    session.execute("UPDATE uc.p SET a.zip = 1, a.street = 'Old' WHERE id = 1 AND c = 0")
    session.execute("UPDATE uc.p SET a = {tags: {'z'}} WHERE id = 1 AND c = 0")
    assert addr(get(session, 1).a) == (None, None, {"z"})
    session.execute("UPDATE uc.p SET a = null WHERE id = 1 AND c = 0")
    assert get(session, 1).a is None
    # field selection and whole-column delete
    session.execute("UPDATE uc.p SET a.street = 'S', a.zip = 9 WHERE id = 1 AND c = 0")
    r = session.execute("SELECT a.street, a.zip FROM uc.p WHERE id = 1 AND c = 0").one()
    assert tuple(r) == ("S", 9)
    session.execute("DELETE a FROM uc.p WHERE id = 1 AND c = 0")
    assert get(session, 1).a is None
    # an UPDATE of one field creates no row marker: deleting the field leaves no row
    session.execute("UPDATE uc.p SET a.zip = 5 WHERE id = 2 AND c = 0")
    assert addr(get(session, 2).a) == (None, 5, None)
    session.execute("DELETE a.zip FROM uc.p WHERE id = 2 AND c = 0")
    assert get(session, 2) is None


def test_static_and_prepared(session, uks):
    session.execute("UPDATE uc.p SET s.zip = 3 WHERE id = 3")
    session.execute("INSERT INTO uc.p (id, c, n) VALUES (3, 1, 1)")
    r = session.execute("SELECT s FROM uc.p WHERE id = 3").one()
    assert addr(r.s) == (None, 3, None)
    ps = session.prepare("UPDATE uc.p SET a.street = ? WHERE id = ? AND c = ?")
    assert [c.name for c in ps.column_metadata][0] == "a.street"
    session.execute(ps, ["P", 4, 0])
    assert addr(get(session, 4).a) == ("P", None, None)
    # unset leaves the field alone
    ps2 = session.prepare("UPDATE uc.p SET a.street = ?, a.zip = ? WHERE id = ? AND c = ?")
    from cassandra.query import UNSET_VALUE
    if session.cluster.protocol_version >= 4:
        session.execute(ps2, [UNSET_VALUE, 11, 4, 0])
        assert addr(get(session, 4).a) == ("P", 11, None)


def test_field_ttl_and_writetime(session, uks):
    session.execute("INSERT INTO uc.p (id, c, a) VALUES (5, 0, {street: 'T', zip: 1})")
    session.execute("UPDATE uc.p USING TTL 1 SET a.zip = 2 WHERE id = 5 AND c = 0")
    assert addr(get(session, 5).a) == ("T", 2, None)
    time.sleep(2.2)
    assert addr(get(session, 5).a) == ("T", None, None)


def test_errors(session, uks):
    cases = [
        ("UPDATE uc.p SET fa.zip = 0 WHERE id = 0 AND c = 0",
         "Invalid operation (fa.zip = 0) for frozen UDT column fa"),
        ("UPDATE uc.p SET n.zip = 0 WHERE id = 0 AND c = 0",
         "Invalid operation (n.zip = 0) for non-UDT column n"),
        ("UPDATE uc.p SET a.foo = 0 WHERE id = 0 AND c = 0",
         "UDT column a does not have a field named foo"),
        ("DELETE fa.zip FROM uc.p WHERE id = 0 AND c = 0",
         "Frozen UDT column fa does not support field deletions"),
        ("DELETE n.zip FROM uc.p WHERE id = 0 AND c = 0",
         "Invalid field deletion operation for non-UDT column n"),
        ("DELETE a.foo FROM uc.p WHERE id = 0 AND c = 0",
         "UDT column a does not have a field named foo"),
    ]
    for q, msg in cases:
        with pytest.raises(InvalidRequest) as ei:
            session.execute(q)
        if msg:
            assert msg in str(ei.value), (q, str(ei.value))


def _admin(srv, *args):
    p = subprocess.run([srv.binary, "admin", "-p", str(srv.admin_port())] + list(args),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_flush_compact_restart_and_sstable_cells(tmp_path):
    srv = HelenusServer(data_dir=tmp_path, shards=1)
    srv.start()
    try:
        c = make_cluster(srv.port)
        s = c.connect()
        s.execute("CREATE KEYSPACE d WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        s.execute("CREATE TYPE d.addr (street text, zip int)")
        s.execute("CREATE TABLE d.t (k int PRIMARY KEY, a addr)")
        s.execute("INSERT INTO d.t (k, a) VALUES (1, {street: 'Main', zip: 42})")
        s.execute("INSERT INTO d.t (k, a) VALUES (2, {zip: 5})")
        _admin(srv, "flush", "d", "t")
        s.execute("UPDATE d.t SET a.street = 'New' WHERE k = 1")
        s.execute("DELETE a.zip FROM d.t WHERE k = 2")
        s.execute("UPDATE d.t SET a.street = 'X' WHERE k = 2")
        _admin(srv, "flush", "d", "t")
        want = {1: ("New", 42), 2: ("X", None)}

        def check(sess):
            got = {r.k: (r.a.street, r.a.zip) for r in sess.execute("SELECT k, a FROM d.t")}
            assert got == want

        check(s)
        _admin(srv, "compact", "d", "t")
        check(s)
        c.shutdown()
        assert srv.restart() == 0
        c = make_cluster(srv.port)
        s = c.connect()
        check(s)
        c.shutdown()
        # the compacted SSTable holds one cell per field, path = the field
        root = tmp_path / "data" / "d"
        tdir = [d for d in os.listdir(root) if d.startswith("t-")][0]
        datas = sorted(f for f in os.listdir(root / tdir) if f.endswith("-Data.db"))
        assert len(datas) == 1
        p = subprocess.run([srv.binary, "sstable", "dump", str(root / tdir / datas[0])],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        parts = json.loads(p.stdout)
        cells = {}
        for part in parts:
            k = part["partition"]["key"][0]
            for row in part["rows"]:
                for cell in row.get("cells", []):
                    if "path" in cell and "value" in cell:
                        cells.setdefault(k, []).append((cell["path"][0], cell["value"]))
        assert cells["1"] == [("street", "New"), ("zip", 42)]
        assert cells["2"] == [("street", "X")]
    finally:
        finish_server(srv)

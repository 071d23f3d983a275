"""Prepared statements: routing key indexes, bind variable names and types,
deterministic ids (also across restarts), and re-preparing after UNPREPARED."""
import struct

import pytest
from cassandra import InvalidRequest

from helpers import HelenusServer, finish_server, make_cluster, wait_until


@pytest.fixture(scope="module")
def pt(session, keyspace):
    t = "%s.pt" % keyspace
    session.execute("CREATE TABLE %s (a int, b text, c int, v text, PRIMARY KEY ((a, b), c))" % t)
    session.execute("CREATE TABLE %s.pt1 (id int PRIMARY KEY, v text)" % keyspace)
    return t


def test_routing_key_indexes(session, keyspace, pt):
    ps = session.prepare("INSERT INTO %s (a, b, c, v) VALUES (?, ?, ?, ?)" % pt)
    assert ps.routing_key_indexes == [0, 1]
    ps = session.prepare("INSERT INTO %s (v, c, b, a) VALUES (?, ?, ?, ?)" % pt)
    assert ps.routing_key_indexes == [3, 2], "indexes follow partition key order"
    bound = ps.bind(["x", 1, "bee", 7])
    want = b"".join(struct.pack(">H", len(p)) + p + b"\x00" for p in (struct.pack(">i", 7), b"bee"))
    assert bound.routing_key == want
    ps = session.prepare("SELECT * FROM %s WHERE a = ? AND b = ? AND c > ?" % pt)
    assert ps.routing_key_indexes == [0, 1]
    ps = session.prepare("UPDATE %s SET v = ? WHERE a = ? AND b = ? AND c = ?" % pt)
    assert ps.routing_key_indexes == [1, 2]
    ps = session.prepare("DELETE FROM %s.pt1 WHERE id = ?" % keyspace)
    assert ps.routing_key_indexes == [0]
    ps = session.prepare("SELECT * FROM %s WHERE token(a, b) > ?" % pt)
    assert not ps.routing_key_indexes


def test_bind_variable_names_and_types(session, keyspace, pt):
    ps = session.prepare('INSERT INTO %s ("a", "b", "c", "v") VALUES (:"a", :"b", :"c", :"v")' % pt)
    assert [c.name for c in ps.column_metadata] == ["a", "b", "c", "v"]
    # Cassandra sends text columns as option 0x000D, which the driver names varchar
    assert [c.type.typename for c in ps.column_metadata] == ["int", "varchar", "int", "varchar"]
    assert all(c.keyspace_name == keyspace and c.table_name == "pt" for c in ps.column_metadata)
    assert ps.routing_key_indexes == [0, 1]
    session.execute(ps, {"a": 1, "b": "named", "c": 2, "v": "by name"})
    r = session.execute("SELECT v FROM %s WHERE a = 1 AND b = 'named' AND c = 2" % pt).one()
    assert r.v == "by name"

    ps = session.prepare("INSERT INTO %s.pt1 (id, v) VALUES (:ident, :val) USING TTL :ttl" % keyspace)
    assert [c.name for c in ps.column_metadata] == ["ident", "val", "ttl"]
    assert [c.type.typename for c in ps.column_metadata] == ["int", "varchar", "int"]
    session.execute(ps, {"ident": 5, "val": "five", "ttl": 1000})
    assert 900 < session.execute("SELECT ttl(v) FROM %s.pt1 WHERE id = 5" % keyspace).one()[0] <= 1000

    # a ? marker is named after the column it binds
    ps = session.prepare("SELECT v FROM %s WHERE a = ? AND b = ? AND c IN ? LIMIT ?" % pt)
    names = [c.name for c in ps.column_metadata]
    assert names[:2] == ["a", "b"]
    assert names[3] == "[limit]"
    assert ps.column_metadata[2].type.typename == "list"
    assert [c[2] for c in ps.result_metadata] == ["v"]


def test_same_text_same_id(session, keyspace, pt):
    q = "SELECT v FROM %s WHERE a = ? AND b = ? AND c = ?" % pt
    p1 = session.prepare(q)
    p2 = session.prepare(q)
    assert p1.query_id == p2.query_id
    assert session.prepare(q + " LIMIT 1").query_id != p1.query_id
    # unqualified text depends on the keyspace it was prepared in
    c = make_cluster(session.cluster.port)
    try:
        s = c.connect(keyspace)
        p3 = s.prepare("SELECT v FROM pt1 WHERE id = ?")
        p4 = s.prepare("SELECT v FROM pt1 WHERE id = ?")
        assert p3.query_id == p4.query_id
        s.execute("INSERT INTO pt1 (id, v) VALUES (1, 'one')")
        assert s.execute(p3, [1]).one().v == "one"
    finally:
        c.shutdown()


def test_prepare_with_keyspace_argument(session, keyspace, pt):
    # v5 carries the keyspace in PREPARE itself; older versions need qualified names
    if session.cluster.protocol_version < 5:
        pytest.skip("PREPARE keyspace flag is v5 only")
    ps = session.prepare("SELECT v FROM pt1 WHERE id = ?", keyspace=keyspace)
    session.execute("INSERT INTO %s.pt1 (id, v) VALUES (77, 'ks flag')" % keyspace)
    assert session.execute(ps, [77]).one().v == "ks flag"
    assert ps.keyspace == keyspace


def test_execute_errors(session, keyspace, pt):
    ps = session.prepare("INSERT INTO %s.pt1 (id, v) VALUES (?, ?)" % keyspace)
    b = ps.bind([1, "x"])
    b.values[0] = b"\x00\x00\x01"          # an int must be 4 bytes
    with pytest.raises(InvalidRequest):
        session.execute(b)
    b = ps.bind([1, "x"])
    b.values[1] = b"\xc3\x28\xff"          # invalid UTF-8 for text
    with pytest.raises(InvalidRequest):
        session.execute(b)
    ps2 = session.prepare("INSERT INTO %s.pt1 (id, v) VALUES (1, ?)" % keyspace)
    b = ps2.bind(["x"])
    b.values[0] = b"\xff"                   # invalid UTF-8 for a non-key column too
    with pytest.raises(InvalidRequest):
        session.execute(b)
    session.execute(ps, [2, "fine afterwards"])
    assert session.execute("SELECT v FROM %s.pt1 WHERE id = 2" % keyspace).one().v == "fine afterwards"


def test_ids_stable_across_restart_and_reprepare(tmp_path):
    """After a restart the server has forgotten every prepared id. EXECUTE gets
    UNPREPARED; the driver re-prepares by text and must get the same id back."""
    srv = HelenusServer(data_dir=tmp_path)
    srv.start()
    # reprepare_on_up=False so the driver really meets UNPREPARED on EXECUTE
    c = make_cluster(srv.port, reprepare_on_up=False, prepare_on_all_hosts=False)
    try:
        s = c.connect()
        q = "SELECT key, cluster_name FROM system.local WHERE key = ?"
        p = s.prepare(q)
        before = p.query_id
        assert s.execute(p, ["local"]).one().key == "local"

        rc = srv.restart()
        assert rc == 0, "exit status after SIGTERM: %r" % (rc,)

        def run():
            return s.execute(p, ["local"]).one()
        row = wait_until(run, timeout=30, interval=0.5, what="EXECUTE to succeed after restart")
        assert row.key == "local"
        assert p.query_id == before

        c2 = make_cluster(srv.port)
        try:
            assert c2.connect().prepare(q).query_id == before, "ids must survive restarts"
        finally:
            c2.shutdown()
    finally:
        c.shutdown()
        finish_server(srv)

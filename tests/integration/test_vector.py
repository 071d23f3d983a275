"""vector<elem, n> (Cassandra 5.0): DDL, literals, bind values, the wire
form (fixed-width elements concatenated, variable-width ones after an
unsigned vint length), the custom type name in result metadata, validation
errors, DESCRIBE / system_schema text, JSON, similarity functions, and an
SSTable round trip through flush and restart.

The Debian Python driver (3.25) predates vectors: it reports the column as an
unrecognised custom type and hands the raw bytes over, so the tests assert on
those bytes (and bind raw bytes)."""
import json
import struct
import subprocess

import pytest
from cassandra import InvalidRequest

from helpers import HelenusServer, finish_server, make_cluster

VEC_CLASS = ("org.apache.cassandra.db.marshal.VectorType("
             "org.apache.cassandra.db.marshal.FloatType , 3)")


def fvec(*xs):
    return struct.pack(">%df" % len(xs), *xs)


def uvint(n):
    # Cassandra's unsigned vint: the leading 1-bits of the first byte count the extra bytes
    assert n < 128
    return bytes([n])


@pytest.fixture(scope="module")
def vt(session, keyspace):
    name = "%s.vec" % keyspace
    session.execute("CREATE TABLE %s (k int PRIMARY KEY, v vector<float, 3>, t vector<text, 2>, "
                    "i vector<int, 2>)" % name)
    session.execute("INSERT INTO %s (k, v, t, i) VALUES (1, [1.0, 2.0, 3.0], ['a', 'bcd'], [7, -1])" % name)
    return name


def test_literal_and_wire_form(session, vt):
    rs = session.execute("SELECT v, t, i FROM %s WHERE k = 1" % vt)
    r = rs.one()
    assert r[0] == fvec(1.0, 2.0, 3.0)
    assert r[1] == uvint(1) + b"a" + uvint(3) + b"bcd"
    assert r[2] == struct.pack(">ii", 7, -1)


def test_result_metadata_type_string(helenus, vt):
    # the column's [option] read straight off the wire: 0x0000 (custom) + the class string
    import cqlproto as P
    with P.RawConn(helenus.host, helenus.port) as c:
        c.startup()
        f = c.request(4, P.QUERY, P.query_body("SELECT v FROM %s WHERE k = 1" % vt))
        assert f.opcode == P.RESULT, f
        body = f.body
        kind, flags, ncols = struct.unpack(">iii", body[:12])
        assert kind == 2 and ncols == 1
        off = 12
        if flags & 0x0001:
            for _ in range(2):
                n = struct.unpack(">H", body[off:off + 2])[0]
                off += 2 + n
        n = struct.unpack(">H", body[off:off + 2])[0]
        assert body[off + 2:off + 2 + n] == b"v"
        off += 2 + n
        tid, = struct.unpack(">H", body[off:off + 2])
        n = struct.unpack(">H", body[off + 2:off + 4])[0]
        assert tid == 0
        assert body[off + 4:off + 4 + n].decode() == VEC_CLASS


def test_bind_values(session, vt):
    ps = session.prepare("INSERT INTO %s (k, v) VALUES (?, ?)" % vt)
    session.execute(ps, [2, fvec(0.5, -1.0, 4.0)])
    assert session.execute("SELECT v FROM %s WHERE k = 2" % vt).one()[0] == fvec(0.5, -1.0, 4.0)
    with pytest.raises(InvalidRequest) as e:
        session.execute(ps, [3, fvec(0.5, -1.0)])
    assert "Not enough bytes to read a vector<float, 3>" in str(e.value)
    with pytest.raises(InvalidRequest) as e:
        session.execute(ps, [3, fvec(0.5, -1.0, 1.0, 2.0)])
    assert "Unexpected 4 extraneous bytes after vector<float, 3> value" in str(e.value)


def test_wrong_dimension_literal(session, vt):
    with pytest.raises(InvalidRequest) as e:
        session.execute("INSERT INTO %s (k, v) VALUES (5, [1.0, 2.0])" % vt)
    assert "Invalid vector literal for v of type vector<float, 3>; expected 3 elements, but given 2" \
        in str(e.value)


def test_zero_dimension_refused(session, keyspace):
    with pytest.raises(InvalidRequest) as e:
        session.execute("CREATE TABLE %s.bad (k int PRIMARY KEY, v vector<float, 0>)" % keyspace)
    assert "vectors may only have positive dimensions; given 0" in str(e.value)


def test_schema_text_and_describe(session, keyspace, vt):
    r = session.execute("SELECT type FROM system_schema.columns WHERE keyspace_name = %s AND "
                        "table_name = 'vec' AND column_name = 'v'", [keyspace]).one()
    assert r.type == "vector<float, 3>"
    d = session.execute("DESCRIBE TABLE %s" % vt).one()
    assert "v vector<float, 3>" in d.create_statement
    assert "t vector<text, 2>" in d.create_statement


def test_json(session, vt):
    r = session.execute("SELECT JSON k, v, t FROM %s WHERE k = 1" % vt).one()
    assert json.loads(r[0]) == {"k": 1, "v": [1.0, 2.0, 3.0], "t": ["a", "bcd"]}
    session.execute("INSERT INTO %s JSON '{\"k\": 9, \"v\": [3.0, 2.0, 1.0]}'" % vt)
    assert session.execute("SELECT v FROM %s WHERE k = 9" % vt).one()[0] == fvec(3.0, 2.0, 1.0)
    with pytest.raises(InvalidRequest) as e:
        session.execute("INSERT INTO %s JSON '{\"k\": 9, \"v\": [3.0]}'" % vt)
    assert "List had incorrect size: expected 3 but given 1" in str(e.value)


def test_similarity_functions(session, keyspace):
    name = "%s.sim" % keyspace
    session.execute("CREATE TABLE %s (k int PRIMARY KEY, v vector<float, 2>)" % name)
    session.execute("INSERT INTO %s (k, v) VALUES (1, [1.0, 0.0])" % name)
    rs = session.execute("SELECT similarity_cosine(v, [0.0, 1.0]), similarity_euclidean(v, [1.0, 2.0]), "
                         "similarity_dot_product(v, [0.5, 0.0]), similarity_cosine(v, v) FROM %s" % name)
    assert list(rs.column_names) == ["system.similarity_cosine(v, [0.0, 1.0])",
                                     "system.similarity_euclidean(v, [1.0, 2.0])",
                                     "system.similarity_dot_product(v, [0.5, 0.0])",
                                     "system.similarity_cosine(v, v)"]
    r = rs.one()
    assert r[0] == pytest.approx(0.5)          # (1 + cos 90deg) / 2
    assert r[1] == pytest.approx(1 / (1 + 4))  # 1 / (1 + squared distance)
    assert r[2] == pytest.approx(0.75)         # (1 + 0.5) / 2
    assert r[3] == pytest.approx(1.0)
    assert [t.typename for t in rs.column_types] == ["float"] * 4
    with pytest.raises(InvalidRequest) as e:
        session.execute("SELECT similarity_cosine(v, [1.0, 2.0, 3.0]) FROM %s" % name)
    assert "Invalid vector literal" in str(e.value)


def test_sstable_round_trip():
    srv = HelenusServer()
    srv.start()
    try:
        c = make_cluster(srv.port)
        s = c.connect()
        s.execute("CREATE KEYSPACE vk WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        s.execute("CREATE TABLE vk.t (k int PRIMARY KEY, v vector<float, 3>, w vector<text, 2>)")
        for k in range(20):
            s.execute("INSERT INTO vk.t (k, v, w) VALUES (%d, [%d.0, 1.5, -2.0], ['x%d', 'y'])" % (k, k, k))
        c.shutdown()
        p = subprocess.run([srv.binary, "admin", "-p", str(srv.admin_port()), "flush", "vk", "t"],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        srv.stop()
        srv.start()
        c = make_cluster(srv.port)
        s = c.connect()
        rows = {r.k: (r.v, r.w) for r in s.execute("SELECT k, v, w FROM vk.t")}
        assert len(rows) == 20
        assert rows[7] == (fvec(7.0, 1.5, -2.0), uvint(2) + b"x7" + uvint(1) + b"y")
        c.shutdown()
    finally:
        finish_server(srv)

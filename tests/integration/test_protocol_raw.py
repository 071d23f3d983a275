"""The native protocol on a raw socket: version negotiation bytes, handshake,
stream ids, and malformed input that must get Cassandra's errors, never a crash."""
import os
import random
import socket
import struct

import pytest

import cqlproto as P
from helpers import make_cluster


def _conn(helenus, timeout=10.0):
    return P.RawConn(helenus.host, helenus.port, timeout=timeout)


def _assert_serving(helenus):
    """The server still answers a full handshake and a query on a new socket."""
    with _conn(helenus) as c:
        c.startup(4)
        f = c.query("SELECT key FROM system.local")
        assert f.opcode == P.RESULT, f
        assert struct.unpack(">i", f.body[:4])[0] == 2  # Rows


@pytest.mark.parametrize("version", [0x42, 0x41, 0x06])
def test_unsupported_version_is_refused_with_protocol_error(helenus, version):
    with _conn(helenus) as c:
        # OPTIONS, stream 5, empty body, in the header the drivers send first
        c.send(bytes([version, 0x00, 0x00, 0x05, 0x05, 0, 0, 0, 0]))
        f = c.recv_frame()
        assert f.version in (0x84, 0x85), f
        assert f.stream == 5, f
        assert f.opcode == P.ERROR, f
        assert f.body[:4] == b"\x00\x00\x00\x0a", f
        code, msg = f.error()
        assert "Invalid or unsupported protocol version (%d)" % version in msg, msg
        # Python's driver keys on this lowercase substring
        assert "unsupported protocol version" in msg
    _assert_serving(helenus)


def test_startup_refused_version_then_v4(helenus):
    # Node.js goes straight to STARTUP with 0x42, then retries with v4.
    with _conn(helenus) as c:
        f = c.request(0x42, P.STARTUP, P.string_map({"CQL_VERSION": "3.0.0"}), stream=0)
        assert f.opcode == P.ERROR and f.stream == 0
        code, msg = f.error()
        assert code == P.PROTOCOL_ERROR
        assert "Invalid or unsupported protocol version" in msg
    _assert_serving(helenus)


@pytest.mark.parametrize("version", [3, 4, 5])
def test_options_supported(helenus, version):
    with _conn(helenus) as c:
        f = c.request(version, P.OPTIONS, stream=7)
        assert f.opcode == P.SUPPORTED, f
        assert f.version == 0x80 | version
        assert f.stream == 7
        m = P.Reader(f.body).string_multimap()
        assert m["CQL_VERSION"] and m["CQL_VERSION"][0].startswith("3.")
        assert "COMPRESSION" in m
        assert "PROTOCOL_VERSIONS" in m
        for v in ("3/v3", "4/v4", "5/v5"):
            assert v in m["PROTOCOL_VERSIONS"], m
        assert "DATASTAX_APOLLO" not in m.get("PRODUCT_TYPE", [])


@pytest.mark.parametrize("version", [3, 4])
def test_startup_query_and_stream_echo(helenus, version):
    with _conn(helenus) as c:
        c.startup(version)
        # Pipeline many requests with distinct stream ids before reading any answer.
        ids = list(range(100, 150)) + [32767]
        for sid in ids:
            c.send(P.frame(version, P.QUERY, P.query_body("SELECT key FROM system.local"), stream=sid))
        seen = []
        for _ in ids:
            f = c.recv_frame()
            assert f.opcode == P.RESULT, f
            assert f.version == 0x80 | version
            seen.append(f.stream)
        assert sorted(seen) == sorted(ids)


def test_heartbeat_options_after_startup(helenus):
    with _conn(helenus) as c:
        c.startup(4)
        f = c.request(4, P.OPTIONS, stream=9)
        assert f.opcode == P.SUPPORTED and f.stream == 9


def test_unknown_opcode_is_protocol_error(helenus):
    with _conn(helenus) as c:
        c.startup(4)
        c.send(P.frame(4, 0x7F, b"", stream=33))
        try:
            f = c.recv_frame()
        except P.Closed:
            pytest.fail("server closed the connection instead of answering with a ProtocolError")
        assert f.opcode == P.ERROR, f
        assert f.stream == 33
        code, msg = f.error()
        assert code == P.PROTOCOL_ERROR, (hex(code), msg)
    _assert_serving(helenus)


def test_oversized_frame_length_is_refused(helenus):
    with _conn(helenus) as c:
        c.startup(4)
        # Claims a 256 MiB + 1 body; the server must not wait for (or allocate) it.
        c.send(struct.pack(">BBhBI", 4, 0, 44, P.QUERY, 256 * 1024 * 1024 + 1))
        try:
            f = c.recv_frame(timeout=10)
        except P.Closed:
            f = None  # closing is acceptable
        except (socket.timeout, TimeoutError):
            pytest.fail("server neither answered nor closed after a 256 MiB frame header")
        if f is not None:
            # Cassandra answers "Request is too big: length N exceeds maximum
            # allowed length M." as an Invalid error on the frame's stream
            code, msg = f.error()
            assert code in (P.INVALID, P.PROTOCOL_ERROR), (hex(code), msg)
            assert f.stream == 44
            if code == P.INVALID:
                assert "Request is too big" in msg, msg
    _assert_serving(helenus)


def test_truncated_frames_then_close(helenus):
    with _conn(helenus) as c:
        c.send(bytes([4, 0, 0]))  # partial header
    with _conn(helenus) as c:
        c.startup(4)
        body = P.query_body("SELECT key FROM system.local")
        c.send(P.frame(4, P.QUERY, body, stream=3)[:20])  # header + part of the body
    with _conn(helenus) as c:
        c.startup(4)
        c.send(struct.pack(">BBhBI", 4, 0, 3, P.QUERY, 100) + b"x" * 10)
        c.sock.shutdown(socket.SHUT_WR)  # half-close while the server waits for more
        assert c.closed_by_peer(timeout=5), "server kept a connection open after EOF mid-frame"
    _assert_serving(helenus)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_garbage_bytes_do_not_hurt_other_clients(helenus, session, seed):
    rnd = random.Random(seed)
    other = _conn(helenus)
    try:
        other.startup(4)
        with _conn(helenus, timeout=5) as c:
            try:
                if seed == 3:
                    c.startup(4)  # garbage after a good handshake
                c.send(bytes(rnd.getrandbits(8) for _ in range(4096)))
                c.closed_by_peer(timeout=3)
            except (P.Closed, ConnectionError, OSError):
                pass
        # a client that was connected all along is unaffected
        f = other.query("SELECT key FROM system.local", stream=11)
        assert f.opcode == P.RESULT and f.stream == 11
    finally:
        other.close()
    assert session.execute("SELECT key FROM system.local").one().key == "local"
    _assert_serving(helenus)


def test_malformed_bodies_get_errors(helenus):
    cases = [
        P.frame(4, P.QUERY, b"\x00\x00", stream=1),                       # truncated long string
        P.frame(4, P.QUERY, struct.pack(">i", 1000) + b"SELECT", stream=1),  # string longer than body
        P.frame(4, P.QUERY, P.long_string("SELECT key FROM system.local"), stream=1),  # no consistency
        P.frame(4, P.EXECUTE, b"\x00", stream=1),
        P.frame(4, P.PREPARE, struct.pack(">i", -5), stream=1),
        P.frame(4, P.BATCH, b"\x07\xff\xff", stream=1),
    ]
    for data in cases:
        with _conn(helenus) as c:
            c.startup(4)
            c.send(data)
            try:
                f = c.recv_frame()
            except P.Closed:
                continue
            assert f.opcode == P.ERROR, (data, f)
            code, msg = f.error()
            assert code == P.PROTOCOL_ERROR, (data, hex(code), msg)
            assert f.stream == 1
    _assert_serving(helenus)


def test_query_before_startup_is_refused(helenus):
    with _conn(helenus) as c:
        f = c.request(4, P.QUERY, P.query_body("SELECT key FROM system.local"), stream=4)
        assert f.opcode == P.ERROR, f
        code, msg = f.error()
        assert code == P.PROTOCOL_ERROR, (hex(code), msg)


def test_execute_unknown_id_is_unprepared(helenus):
    qid = os.urandom(16)
    with _conn(helenus) as c:
        c.startup(4)
        f = c.request(4, P.EXECUTE, P.execute_body(qid), stream=21)
        assert f.opcode == P.ERROR and f.stream == 21, f
        code, msg, r = P.parse_error(f.body)
        assert code == P.UNPREPARED, (hex(code), msg)
        assert r.short_bytes() == qid  # the drivers check the echoed id


def test_query_with_positional_values(helenus, session, keyspace):
    # Java/Node/SCC send bind values inside QUERY; invalid UTF-8 must be Invalid.
    session.execute("CREATE TABLE %s.qv (k int PRIMARY KEY, t text)" % keyspace)
    with _conn(helenus) as c:
        c.startup(4)
        f = c.query("INSERT INTO %s.qv (k, t) VALUES (?, ?)" % keyspace,
                    values=[struct.pack(">i", 7), "sju".encode()])
        assert f.opcode == P.RESULT, f
        f = c.query("INSERT INTO %s.qv (k, t) VALUES (?, ?)" % keyspace,
                    values=[struct.pack(">i", 8), b"\xff\xfe\xc3"])
        code, msg = f.error()
        assert code == P.INVALID, (hex(code), msg)
        f = c.query("INSERT INTO %s.qv (k, t) VALUES (?, ?)" % keyspace,
                    values=[b"\x00\x01\x02", b"x"])  # 3-byte int
        code, msg = f.error()
        assert code == P.INVALID, (hex(code), msg)
        f = c.query("SELECT t FROM %s.qv WHERE k = ?" % keyspace, values=[struct.pack(">i", 7)])
        assert f.opcode == P.RESULT
        assert b"sju" in f.body
    assert session.execute("SELECT t FROM %s.qv WHERE k = 7" % keyspace).one().t == "sju"
    assert session.execute("SELECT t FROM %s.qv WHERE k = 8" % keyspace).one() is None


def test_driver_survives_raw_abuse(helenus):
    # After all of the above, a brand-new driver session still connects cleanly.
    c = make_cluster(helenus.port)
    try:
        s = c.connect()
        assert s.execute("SELECT key FROM system.local").one().key == "local"
    finally:
        c.shutdown()


def _parse_prepared_v4(body):
    r = P.Reader(body)
    assert r.int() == 4, "RESULT kind must be Prepared (4)"
    qid = r.short_bytes()
    flags = r.int()
    count = r.int()
    pk = [r.short() for _ in range(r.int())]
    if flags & 0x0001:  # global table spec
        r.string()
        r.string()
    names = []
    for _ in range(count):
        if not flags & 0x0001:
            r.string()
            r.string()
        names.append(r.string())
        _skip_type(r)
    return qid, pk, names


def _skip_type(r):
    t = r.short()
    if t == 0x0000:
        r.string()
    elif t in (0x0020, 0x0022):
        _skip_type(r)
    elif t == 0x0021:
        _skip_type(r)
        _skip_type(r)
    elif t == 0x0030:
        r.string()
        r.string()
        for _ in range(r.short()):
            r.string()
            _skip_type(r)
    elif t == 0x0031:
        for _ in range(r.short()):
            _skip_type(r)


def test_prepared_pk_indexes_on_the_wire(helenus, session, keyspace):
    # The Python driver recomputes missing pk indexes from its metadata; Java,
    # Node and the Spark connector do not, so check the server's own bytes.
    session.execute("CREATE TABLE %s.pkw (a int, b text, c int, v text, PRIMARY KEY ((a, b), c))" % keyspace)
    with _conn(helenus) as c:
        c.startup(4)
        cases = [
            ("INSERT INTO %s.pkw (a, b, c, v) VALUES (?, ?, ?, ?)", [0, 1], ["a", "b", "c", "v"]),
            ("INSERT INTO %s.pkw (v, c, b, a) VALUES (?, ?, ?, ?)", [3, 2], ["v", "c", "b", "a"]),
            ('INSERT INTO %s.pkw ("a", "b", "c") VALUES (:"a", :"b", :"c")', [0, 1], ["a", "b", "c"]),
            ("SELECT v FROM %s.pkw WHERE a = ? AND b = ? AND c = ?", [0, 1], ["a", "b", "c"]),
            ("UPDATE %s.pkw SET v = ? WHERE a = ? AND b = ? AND c = ?", [1, 2], ["v", "a", "b", "c"]),
            ("SELECT v FROM %s.pkw WHERE token(a, b) > ? AND token(a, b) <= ?", [], None),
        ]
        ids = set()
        for i, (q, want_pk, want_names) in enumerate(cases):
            f = c.request(4, P.PREPARE, P.long_string(q % keyspace), stream=50 + i)
            assert f.opcode == P.RESULT, f
            qid, pk, names = _parse_prepared_v4(f.body)
            assert pk == want_pk, (q, pk)
            if want_names is not None:
                assert names == want_names, (q, names)
            ids.add(qid)
            # the same text prepared again gives the same id
            f2 = c.request(4, P.PREPARE, P.long_string(q % keyspace), stream=60 + i)
            assert _parse_prepared_v4(f2.body)[0] == qid
        assert len(ids) == len(cases)


def test_frame_delivered_byte_by_byte(helenus):
    with _conn(helenus) as c:
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        data = P.frame(4, P.STARTUP, P.string_map({"CQL_VERSION": "3.0.0"}), stream=1) + \
            P.frame(4, P.QUERY, P.query_body("SELECT key FROM system.local"), stream=2)
        import time
        for i in range(len(data)):
            c.send(data[i:i + 1])
            if i % 16 == 0:
                time.sleep(0.002)
        f1, f2 = c.recv_frame(), c.recv_frame()
        assert (f1.opcode, f1.stream) == (P.READY, 1)
        assert (f2.opcode, f2.stream) == (P.RESULT, 2)


def test_many_frames_in_one_write(helenus):
    with _conn(helenus) as c:
        c.startup(4)
        blob = b"".join(P.frame(4, P.QUERY, P.query_body("SELECT key FROM system.local"), stream=s)
                        for s in range(200, 260))
        c.send(blob)
        got = sorted(c.recv_frame().stream for _ in range(60))
        assert got == list(range(200, 260))


def test_many_connections_at_once(helenus):
    conns = []
    try:
        for _ in range(150):
            conns.append(_conn(helenus))
        for c in conns:
            c.send(P.frame(4, P.STARTUP, P.string_map({"CQL_VERSION": "3.0.0"}), stream=1))
        for c in conns:
            assert c.recv_frame().opcode == P.READY
        for i, c in enumerate(conns):
            c.send(P.frame(4, P.QUERY, P.query_body("SELECT key FROM system.local"), stream=i % 32000))
        for i, c in enumerate(conns):
            f = c.recv_frame()
            assert f.opcode == P.RESULT and f.stream == i % 32000
    finally:
        for c in conns:
            c.close()
    _assert_serving(helenus)

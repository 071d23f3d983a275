"""A tiny, deliberately dumb CQL native-protocol (v3/v4 framing) client for the
raw-socket tests: it builds frames byte by byte so tests can send exactly what
they mean, including malformed input. Written from the protocol spec."""
import socket
import struct
import time

# opcodes
ERROR, STARTUP, READY, AUTHENTICATE, OPTIONS, SUPPORTED, QUERY, RESULT = 0, 1, 2, 3, 5, 6, 7, 8
PREPARE, EXECUTE, REGISTER, EVENT, BATCH = 9, 10, 11, 12, 13

ONE = 0x0001

PROTOCOL_ERROR = 0x000A
SYNTAX_ERROR = 0x2000
INVALID = 0x2200
UNPREPARED = 0x2500


def frame(version, opcode, body=b"", stream=0, flags=0):
    return struct.pack(">BBhBI", version, flags, stream, opcode, len(body)) + body


def short(n):
    return struct.pack(">H", n)


def string(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack(">H", len(b)) + b


def long_string(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack(">i", len(b)) + b


def bytes_(b):
    if b is None:
        return struct.pack(">i", -1)
    return struct.pack(">i", len(b)) + b


def short_bytes(b):
    return struct.pack(">H", len(b)) + b


def string_map(d):
    out = struct.pack(">H", len(d))
    for k, v in d.items():
        out += string(k) + string(v)
    return out


def query_body(cql, values=None, consistency=ONE, page_size=None):
    flags = 0
    tail = b""
    if values:
        flags |= 0x01
        tail += struct.pack(">H", len(values)) + b"".join(bytes_(v) for v in values)
    if page_size is not None:
        flags |= 0x04
        tail += struct.pack(">i", page_size)
    return long_string(cql) + struct.pack(">HB", consistency, flags) + tail


def execute_body(query_id, values=(), consistency=ONE):
    flags = 0x01 if values else 0
    out = short_bytes(query_id) + struct.pack(">HB", consistency, flags)
    if values:
        out += struct.pack(">H", len(values)) + b"".join(bytes_(v) for v in values)
    return out


class Reader:
    def __init__(self, data):
        self.d = data
        self.i = 0

    def take(self, n):
        if self.i + n > len(self.d):
            raise ValueError("short body: need %d at %d of %d" % (n, self.i, len(self.d)))
        b = self.d[self.i:self.i + n]
        self.i += n
        return b

    def int(self):
        return struct.unpack(">i", self.take(4))[0]

    def short(self):
        return struct.unpack(">H", self.take(2))[0]

    def string(self):
        return self.take(self.short()).decode("utf-8")

    def short_bytes(self):
        return self.take(self.short())

    def bytes(self):
        n = self.int()
        return None if n < 0 else self.take(n)

    def string_list(self):
        return [self.string() for _ in range(self.short())]

    def string_multimap(self):
        return {self.string(): self.string_list() for _ in range(self.short())}


def parse_error(body):
    r = Reader(body)
    return r.int(), r.string(), r


class Frame:
    def __init__(self, version, flags, stream, opcode, body):
        self.version, self.flags, self.stream, self.opcode, self.body = version, flags, stream, opcode, body

    def __repr__(self):
        return "Frame(v=0x%02x flags=%d stream=%d opcode=0x%02x len=%d body=%r)" % (
            self.version, self.flags, self.stream, self.opcode, len(self.body), self.body[:120])

    def error(self):
        assert self.opcode == ERROR, "expected an ERROR frame, got %r" % (self,)
        code, msg, _ = parse_error(self.body)
        return code, msg


class Closed(Exception):
    pass


class RawConn:
    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("timed out waiting for %d bytes (have %d)" % (n, len(self.buf)))
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise Closed("connection closed by server (had %d bytes)" % len(self.buf))
            self.buf += chunk

    def recv_frame(self, timeout=None):
        """Read one v3+ frame (9-byte header)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        self._fill(9, deadline)
        version, flags, stream, opcode, length = struct.unpack(">BBhBI", self.buf[:9])
        if length > 64 * 1024 * 1024:
            raise ValueError("absurd response length %d" % length)
        self._fill(9 + length, deadline)
        body = self.buf[9:9 + length]
        self.buf = self.buf[9 + length:]
        return Frame(version, flags, stream, opcode, body)

    def closed_by_peer(self, timeout=5.0):
        """True when the server closes the connection within `timeout` (bytes
        still sent before the close are discarded)."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._fill(len(self.buf) + 1, deadline)
                self.buf = b""
        except Closed:
            return True
        except (socket.timeout, TimeoutError):
            return False

    def request(self, version, opcode, body=b"", stream=1, flags=0, timeout=None):
        self.send(frame(version, opcode, body, stream=stream, flags=flags))
        return self.recv_frame(timeout)

    def startup(self, version=4):
        f = self.request(version, STARTUP, string_map({"CQL_VERSION": "3.0.0"}), stream=1)
        assert f.opcode == READY, "STARTUP answered with %r" % (f,)
        assert f.version == 0x80 | version, f
        return f

    def query(self, cql, values=None, version=4, stream=2, page_size=None):
        return self.request(version, QUERY, query_body(cql, values, page_size=page_size), stream=stream)

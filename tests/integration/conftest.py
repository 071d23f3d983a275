"""Fixtures for the integration tests: a real Helenus server process and real
Python-driver sessions against it.

The server binary is $HELENUS_BIN (default build/helenus). It is started on
127.0.0.1 on a free port with a temporary data directory and --shards 2; at
the end it gets SIGTERM and must exit 0 with no sanitizer report on stderr.
"""
import logging
import uuid

import pytest

from helpers import HelenusServer, finish_server, make_cluster, CapturingHandler

# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def helenus():
    srv = HelenusServer()
    srv.start()
    yield srv
    finish_server(srv)


@pytest.fixture(autouse=True)
def _server_survives(request):
    """Fail the test during which the shared server died, then bring it back so
    later tests still say something useful."""
    yield
    if "helenus" not in request.fixturenames:
        return
    srv = request.getfixturevalue("helenus")
    if srv.proc is not None and srv.proc.poll() is not None:
        rc = srv.proc.returncode
        tail = srv.stderr_tail(150)
        srv.exit_codes.append(rc)
        srv.proc = None
        srv.start()
        pytest.fail("helenus died during this test (exit %r)\n%s" % (rc, tail), pytrace=False)


PROTOCOLS = {"v5": None, "v4": 4}  # None: let the driver negotiate (it lands on 5)


@pytest.fixture(scope="session", params=list(PROTOCOLS))
def cluster(helenus, request):
    """A connected-on-demand Cluster. Every test that uses it runs twice: with
    the version the driver negotiates (5, in v5 segments) and pinned to v4
    (plain frames, what the Node.js and older Java drivers speak)."""
    version = PROTOCOLS[request.param]
    kw = {} if version is None else {"protocol_version": version}
    c = make_cluster(helenus.port, **kw)
    c.expected_protocol_version = version or 5
    yield c
    c.shutdown()


@pytest.fixture(scope="session")
def session(cluster):
    return cluster.connect()


_ks_counter = [0]


@pytest.fixture(scope="module")
def keyspace(session, request):
    """A fresh SimpleStrategy RF=1 keyspace for one test module."""
    _ks_counter[0] += 1
    name = "it_%s_%d" % (request.module.__name__.split(".")[-1].replace("test_", ""), _ks_counter[0])
    name = name.lower()[:48]
    session.execute("CREATE KEYSPACE %s WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}" % name)
    yield name
    try:
        session.execute("DROP KEYSPACE IF EXISTS %s" % name)
    except Exception:  # the server may be gone; the server fixture reports that
        pass


@pytest.fixture
def table_name(request):
    """A table name unique within a module's keyspace."""
    n = request.node.name.replace("test_", "")
    n = "".join(ch if ch.isalnum() else "_" for ch in n).lower()
    return ("t_" + n)[:40] + "_" + uuid.uuid4().hex[:6]


@pytest.fixture
def driver_log():
    """Every record the 'cassandra' loggers emit during a test."""
    h = CapturingHandler()
    lg = logging.getLogger("cassandra")
    old = lg.level
    lg.setLevel(logging.DEBUG)
    lg.addHandler(h)
    yield h
    lg.removeHandler(h)
    lg.setLevel(old)

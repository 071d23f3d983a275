"""Request tracing (the frame's tracing flag, system_traces.sessions/events)
and probabilistic tracing (`helenus admin settraceprobability`), checked
through the Python driver's own trace API, as Cassandra 5.0 behaves."""
import re
import subprocess
import time
import uuid

import pytest
from cassandra import InvalidRequest
from cassandra.query import SimpleStatement


def admin(helenus, *args):
    p = subprocess.run([helenus.binary, "admin", "-p", str(helenus.admin_port())] + list(args),
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


@pytest.fixture(scope="module")
def ks(session):
    session.execute("CREATE KEYSPACE IF NOT EXISTS trc WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE IF NOT EXISTS trc.t (k int, c int, v text, PRIMARY KEY (k, c))")
    for c in range(3):
        session.execute("INSERT INTO trc.t (k, c, v) VALUES (1, %d, 'x')" % c)
    return "trc"


def test_traced_select_returns_session_and_events(session, ks):
    q = "SELECT * FROM trc.t WHERE k = 1"
    rs = session.execute(q, trace=True)
    assert len(rs.current_rows) == 3
    trace = rs.get_query_trace(max_wait_sec=5)
    assert isinstance(trace.trace_id, uuid.UUID) and trace.trace_id.version == 1
    assert trace.request_type == "Execute CQL3 query"
    assert trace.duration is not None and trace.duration.total_seconds() > 0
    assert trace.coordinator == "127.0.0.1"
    assert trace.client == "127.0.0.1"
    assert trace.parameters["query"] == q
    assert trace.parameters["consistency_level"] in ("LOCAL_ONE", "ONE")
    assert trace.started_at is not None
    acts = [e.description for e in trace.events]
    assert acts[0] == "Parsing " + q
    assert "Preparing statement" in acts
    assert "Executing single-partition query on t" in acts
    assert "Acquiring sstable references" in acts
    assert any(a.startswith("Merged data from memtables and ") for a in acts)
    assert "Read 3 live rows and 0 tombstone cells" in acts
    # events are ordered by their timeuuid and elapsed time never goes back
    elapsed = [e.source_elapsed.total_seconds() for e in trace.events]
    assert elapsed == sorted(elapsed)
    assert all(e.source == "127.0.0.1" for e in trace.events)
    threads = {e.thread_name for e in trace.events}
    assert any(t.startswith("Native-Transport-Requests-") for t in threads)
    assert any(t.startswith("ReadStage-") for t in threads)


def test_traced_write_and_prepared(session, ks):
    rs = session.execute("INSERT INTO trc.t (k, c, v) VALUES (2, 0, 'y')", trace=True)
    trace = rs.get_query_trace(max_wait_sec=5)
    acts = [e.description for e in trace.events]
    assert "Appending to commitlog" in acts
    assert "Adding to t memtable" in acts
    ps = session.prepare("SELECT v FROM trc.t WHERE k = ?")
    rs = session.execute(ps, [2], trace=True)
    assert rs.one().v == "y"
    trace = rs.get_query_trace(max_wait_sec=5)
    assert trace.request_type == "Execute CQL3 prepared query"
    assert "Read 1 live rows and 0 tombstone cells" in [e.description for e in trace.events]


def test_untraced_request_has_no_trace(session, ks):
    rs = session.execute("SELECT * FROM trc.t WHERE k = 1")
    assert rs.response_future._query_traces == [] or rs.get_all_query_traces() == []


def test_trace_tables_are_queryable_and_read_only(session, ks):
    rs = session.execute("SELECT * FROM trc.t WHERE k = 1", trace=True)
    tid = rs.get_query_trace(max_wait_sec=5).trace_id
    row = session.execute("SELECT * FROM system_traces.sessions WHERE session_id = %s", [tid]).one()
    assert row.command == "QUERY" and row.duration > 0 and row.coordinator_port == 7000
    n = session.execute("SELECT count(*) FROM system_traces.events WHERE session_id = %s", [tid]).one()
    assert n[0] >= 5
    ks_meta = session.cluster.metadata.keyspaces["system_traces"]
    assert set(ks_meta.tables) == {"sessions", "events"}
    assert ks_meta.replication_strategy.replication_factor == 2


def test_traced_error_still_records_a_session(session, ks):
    with pytest.raises(InvalidRequest):
        session.execute("SELECT * FROM trc.nope", trace=True)
    rows = list(session.execute("SELECT session_id, parameters FROM system_traces.sessions"))
    assert any(r.parameters.get("query") == "SELECT * FROM trc.nope" for r in rows)


def test_trace_probability(helenus, session, ks):
    rc, out, err = admin(helenus, "gettraceprobability")
    assert rc == 0, err
    assert out == "Current trace probability: 0.0\n"
    rc, out, err = admin(helenus, "settraceprobability", "1.5")
    assert rc == 1 and "Trace probability must be between 0 and 1" in err
    rc, out, err = admin(helenus, "settraceprobability", "1")
    assert rc == 0 and out == "", err
    try:
        rc, out, _ = admin(helenus, "gettraceprobability")
        assert out == "Current trace probability: 1.0\n"
        marker = "SELECT v FROM trc.t WHERE k = 1 AND c = 2"
        before = len(list(session.execute("SELECT session_id FROM system_traces.sessions")))
        rs = session.execute("SELECT v FROM trc.t WHERE k = 1 AND c = 2")
        # sampled, not requested: no tracing id in the response (as Cassandra)
        assert rs.response_future._query_traces == [] or rs.get_all_query_traces() == []
    finally:
        rc, _, err = admin(helenus, "settraceprobability", "0")
        assert rc == 0, err
    rows = list(session.execute("SELECT parameters FROM system_traces.sessions"))
    assert len(rows) > before
    assert any(r.parameters.get("query") == marker for r in rows)


def test_shell_tracing_prints_the_trace_as_cqlsh(helenus, ks):
    p = subprocess.run([helenus.binary, "cql", "127.0.0.1", str(helenus.port), "-e",
                        "TRACING ON; SELECT v FROM trc.t WHERE k = 1 AND c = 0"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    out = p.stdout
    assert out.startswith("Now Tracing is enabled\n")
    m = re.search(r"\nTracing session: ([0-9a-f-]{36})\n\n", out)
    assert m, out
    lines = out[m.end():].splitlines()
    assert [c.strip() for c in lines[0].split("|")] == \
        ["activity", "timestamp", "source", "source_elapsed", "client"]
    assert set(lines[1]) <= {"-", "+"}
    body = [[c.strip() for c in l.split("|")] for l in lines[2:] if "|" in l]
    assert body[0][0] == "Execute CQL3 query" and body[0][3] == "0" and body[0][4] == "127.0.0.1"
    assert body[1][0] == "Parsing SELECT v FROM trc.t WHERE k = 1 AND c = 0 [Native-Transport-Requests-1]" \
        or body[1][0].startswith("Parsing SELECT v FROM trc.t")
    assert any(r[0].startswith("Read 1 live rows and 0 tombstone cells [ReadStage-") for r in body)
    assert body[-1][0] == "Request complete" and int(body[-1][3]) > 0
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$", body[-1][1])

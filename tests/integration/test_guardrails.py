"""Guardrails users rely on, with Cassandra's default thresholds: tombstone
warnings on reads, batch size warnings and refusals."""
import pytest
from cassandra import InvalidRequest
from cassandra.query import BatchStatement, BatchType


@pytest.fixture(scope="module")
def gks(session):
    session.execute("CREATE KEYSPACE IF NOT EXISTS guard WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    yield "guard"
    session.execute("DROP KEYSPACE IF EXISTS guard")


def test_tombstone_warning(session, gks):
    session.execute("CREATE TABLE IF NOT EXISTS guard.tomb (k int, c int, v int, PRIMARY KEY (k, c))")
    ins = session.prepare("INSERT INTO guard.tomb (k, c, v) VALUES (1, ?, 1)")
    dele = session.prepare("DELETE FROM guard.tomb WHERE k = 1 AND c = ?")
    for f in [session.execute_async(ins, [c]) for c in range(1500)]:
        f.result()
    for f in [session.execute_async(dele, [c]) for c in range(1, 1500)]:
        f.result()
    rs = session.execute("SELECT * FROM guard.tomb WHERE k = 1")
    assert [r.c for r in rs] == [0]
    warnings = rs.response_future.warnings or []
    assert any("tombstone" in w and "tombstone_warn_threshold" in w for w in warnings), warnings
    # a read with few tombstones carries no warning
    rs = session.execute("SELECT * FROM guard.tomb WHERE k = 2")
    assert not rs.response_future.warnings


def test_batch_size_warning_and_refusal(session, gks):
    session.execute("CREATE TABLE IF NOT EXISTS guard.b (k int PRIMARY KEY, v text)")
    ins = session.prepare("INSERT INTO guard.b (k, v) VALUES (?, ?)")
    b = BatchStatement(batch_type=BatchType.UNLOGGED)
    for k in range(8):
        b.add(ins, [k, "x" * 1024])
    rs = session.execute(b)
    assert any("Batch for" in w and "exceeding specified threshold of 5120" in w
               for w in (rs.response_future.warnings or []))
    big = BatchStatement(batch_type=BatchType.UNLOGGED)
    for k in range(60):
        big.add(ins, [k, "y" * 1024])
    with pytest.raises(InvalidRequest) as ei:
        session.execute(big)
    assert "Batch too large" in str(ei.value)
    # nothing of the refused batch was written
    assert session.execute("SELECT v FROM guard.b WHERE k = 50").one() is None

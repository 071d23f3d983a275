"""Consistency levels on a single node: what can be met succeeds, what
cannot gets Unavailable with the right fields, and read-only/write-only
levels are refused as Cassandra refuses them."""
import pytest
from cassandra import ConsistencyLevel as CL, InvalidRequest, Unavailable
from cassandra.cluster import ExecutionProfile, EXEC_PROFILE_DEFAULT
from cassandra.policies import FallthroughRetryPolicy
from cassandra.query import SimpleStatement

from helpers import make_cluster


@pytest.fixture(scope="module")
def strict_session(helenus):
    c = make_cluster(helenus.port)
    c.add_execution_profile("fallthrough", ExecutionProfile(retry_policy=FallthroughRetryPolicy(),
                                                            load_balancing_policy=c.profile_manager.default.load_balancing_policy))
    s = c.connect()
    s.execute("CREATE KEYSPACE IF NOT EXISTS cl1 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    s.execute("CREATE TABLE IF NOT EXISTS cl1.t (k int PRIMARY KEY, v int)")
    yield s
    s.execute("DROP KEYSPACE IF EXISTS cl1")
    s.execute("DROP KEYSPACE IF EXISTS cl3")
    c.shutdown()


def _run(s, q, cl):
    return s.execute(SimpleStatement(q, consistency_level=cl), execution_profile="fallthrough")


@pytest.mark.parametrize("cl", [CL.ONE, CL.LOCAL_ONE, CL.QUORUM, CL.LOCAL_QUORUM, CL.ALL],
                         ids=lambda c: CL.value_to_name[c])
def test_rf1_reads_and_writes(strict_session, cl):
    _run(strict_session, "INSERT INTO cl1.t (k, v) VALUES (1, %d)" % cl, cl)
    assert _run(strict_session, "SELECT v FROM cl1.t WHERE k = 1", cl).one().v == cl


def test_write_only_levels(strict_session):
    _run(strict_session, "INSERT INTO cl1.t (k, v) VALUES (2, 2)", CL.ANY)
    _run(strict_session, "INSERT INTO cl1.t (k, v) VALUES (3, 3)", CL.EACH_QUORUM)
    assert _run(strict_session, "SELECT v FROM cl1.t WHERE k = 2", CL.ONE).one().v == 2


def test_unmet_or_invalid_levels(strict_session):
    s = strict_session
    with pytest.raises(InvalidRequest):  # "ANY ConsistencyLevel is only supported for writes"
        _run(s, "SELECT v FROM cl1.t WHERE k = 2", CL.ANY)
    s.execute("CREATE KEYSPACE IF NOT EXISTS cl3 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
    s.execute("CREATE TABLE IF NOT EXISTS cl3.t (k int PRIMARY KEY, v int)")
    _run(s, "INSERT INTO cl3.t (k, v) VALUES (1, 1)", CL.ONE)
    assert _run(s, "SELECT v FROM cl3.t WHERE k = 1", CL.ONE).one().v == 1
    for cl, required in ((CL.QUORUM, 2), (CL.ALL, 3), (CL.TWO, 2), (CL.LOCAL_QUORUM, 2)):
        for q in ("INSERT INTO cl3.t (k, v) VALUES (1, 2)", "SELECT v FROM cl3.t WHERE k = 1"):
            with pytest.raises(Unavailable) as ei:
                _run(s, q, cl)
            assert ei.value.consistency == cl
            assert ei.value.required_replicas == required
            assert ei.value.alive_replicas == 1
    assert _run(s, "SELECT v FROM cl3.t WHERE k = 1", CL.ONE).one().v == 1

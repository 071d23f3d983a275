"""Errors reach the driver as the same exception classes Cassandra produces,
and the connection stays usable after each one."""
import pytest
from cassandra import AlreadyExists, InvalidRequest
from cassandra.protocol import ConfigurationException, SyntaxException


@pytest.fixture(scope="module")
def et(session, keyspace):
    t = "%s.et" % keyspace
    session.execute("CREATE TABLE %s (k int, c int, t text, PRIMARY KEY (k, c))" % t)
    return t


def still_usable(session, et):
    session.execute("INSERT INTO %s (k, c, t) VALUES (1, 1, 'ok')" % et)
    assert session.execute("SELECT t FROM %s WHERE k = 1 AND c = 1" % et).one().t == "ok"


SYNTAX = [
    "SELEC * FROM system.local",
    "SELECT * FROM",
    "SELECT * FROM system.local WHERE",
    "INSERT INTO x VALUES (1)",
    "CREATE TABLE (k int PRIMARY KEY)",
    "SELECT * FROM system.local WHERE key = 'unterminated",
    "SELECT * FROM system.local LIMIT",
    "UPDATE x SET",
    "garbage ) ( ;;",
    "",
]


@pytest.mark.parametrize("cql", SYNTAX)
def test_syntax_errors(session, et, cql):
    with pytest.raises(SyntaxException):
        session.execute(cql)
    still_usable(session, et)


INVALID = [
    "SELECT * FROM nosuchks.t",
    "SELECT * FROM {ks}.nosuchtable",
    "SELECT nosuchcol FROM {et}",
    "INSERT INTO {et} (k, c, nosuchcol) VALUES (1, 1, 1)",
    "INSERT INTO {et} (c, t) VALUES (1, 'no partition key')",
    "INSERT INTO {et} (k, t) VALUES (1, 'no clustering key')",
    "INSERT INTO {et} (k, c, t) VALUES ('string', 1, 'x')",
    "INSERT INTO {et} (k, c, t) VALUES (1, 1, 42)",
    "INSERT INTO {et} (k, c, t) VALUES (1, 1)",
    "INSERT INTO {et} (k, k, c) VALUES (1, 1, 1)",
    "UPDATE {et} SET t = 'x' WHERE k = 1",
    "UPDATE {et} SET k = 2 WHERE k = 1 AND c = 1",
    "DELETE FROM {et} WHERE c = 1",
    "SELECT * FROM {et} WHERE t = 'x'",
    "SELECT * FROM {et} WHERE k = 1 AND k = 2",
    "USE nosuchks",
    "TRUNCATE {ks}.nosuchtable",
    "SELECT * FROM system.local WHERE key = 1",
    "SELECT ttl(k) FROM {et}",
    "SELECT * FROM et",  # no keyspace in the session and none in the name
]


@pytest.mark.parametrize("cql", INVALID)
def test_invalid_requests(session, keyspace, et, cql):
    with pytest.raises(InvalidRequest):
        session.execute(cql.format(ks=keyspace, et=et))
    still_usable(session, et)


def test_prepare_errors(session, keyspace, et):
    for cql in ["SELECT * FROM %s.nosuchtable WHERE k = ?" % keyspace,
                "SELECT nosuch FROM %s WHERE k = ?" % et,
                "INSERT INTO %s (k, c, t) VALUES (?, ?)" % et]:
        with pytest.raises(InvalidRequest):
            session.prepare(cql)
    with pytest.raises(SyntaxException):
        session.prepare("SELECT * FRM %s" % et)
    still_usable(session, et)


def test_bound_value_errors(session, et):
    ps = session.prepare("INSERT INTO %s (k, c, t) VALUES (?, ?, ?)" % et)
    with pytest.raises(TypeError):  # the driver itself refuses a str for an int
        session.execute(ps, ["one", 1, "x"])
    b = ps.bind([1, 2, "x"])
    b.values[1] = b"\x01\x02"                      # wrong-size int
    with pytest.raises(InvalidRequest):
        session.execute(b)
    b = ps.bind([1, 2, "x"])
    b.values[2] = b"\xed\xa0\x80"                  # UTF-8 encoded surrogate: invalid
    with pytest.raises(InvalidRequest):
        session.execute(b)
    b = ps.bind([1, 2, "x"])
    b.values[2] = b"\xf8\x88\x80\x80\x80"          # 5-byte sequence: invalid
    with pytest.raises(InvalidRequest):
        session.execute(b)
    b = ps.bind([1, 2, "x"])
    b.values[0] = b""                              # empty int partition key
    with pytest.raises(InvalidRequest):
        session.execute(b)
    still_usable(session, et)
    assert session.execute("SELECT * FROM %s WHERE k = 1 AND c = 2" % et).one() is None


def test_error_messages_are_cassandras(session, keyspace, et):
    with pytest.raises(InvalidRequest) as ei:
        session.execute("SELECT * FROM %s.nosuchtable" % keyspace)
    assert "nosuchtable" in str(ei.value)
    with pytest.raises(InvalidRequest) as ei:
        session.execute("SELECT * FROM nosuchks.t")
    assert "nosuchks" in str(ei.value)
    with pytest.raises(InvalidRequest) as ei:
        session.execute("SELECT nosuchcol FROM %s" % et)
    assert "nosuchcol" in str(ei.value)
    with pytest.raises(InvalidRequest) as ei:
        session.execute("INSERT INTO %s (c, t) VALUES (1, 'x')" % et)
    assert "Some partition key parts are missing: k" in str(ei.value)
    with pytest.raises(InvalidRequest) as ei:
        session.execute("INSERT INTO %s (k, t) VALUES (1, 'x')" % et)
    assert "Some clustering keys are missing: c" in str(ei.value)


def test_already_exists_details(session, keyspace, et):
    with pytest.raises(AlreadyExists) as ei:
        session.execute("CREATE TABLE %s (k int PRIMARY KEY)" % et)
    assert (ei.value.keyspace, ei.value.table) == (keyspace, "et")
    with pytest.raises(AlreadyExists) as ei:
        session.execute("CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', "
                        "'replication_factor': 1}" % keyspace)
    assert ei.value.keyspace == keyspace and not ei.value.table
    still_usable(session, et)


def test_configuration_errors(session, et):
    with pytest.raises((ConfigurationException, InvalidRequest)):
        session.execute("CREATE KEYSPACE bad_rf WITH replication = {'class': 'SimpleStrategy'}")
    with pytest.raises((ConfigurationException, InvalidRequest)):
        session.execute("CREATE KEYSPACE bad_rf2 WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 'abc'}")
    still_usable(session, et)


def test_error_storm_on_one_connection(session, et):
    # many failing requests in flight on the same connection, interleaved with good ones
    futs = []
    for i in range(200):
        if i % 2:
            futs.append(("bad", session.execute_async("SELECT nosuch FROM %s" % et)))
        else:
            futs.append(("good", session.execute_async("SELECT k FROM %s WHERE k = 1" % et)))
    for kind, f in futs:
        if kind == "bad":
            with pytest.raises(InvalidRequest):
                f.result()
        else:
            f.result()
    still_usable(session, et)

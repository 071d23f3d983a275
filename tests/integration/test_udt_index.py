"""User-defined types (literals, frozen and non-frozen columns, field
selection) and secondary indexes (queries they allow without ALLOW
FILTERING, with the answers of the equivalent filtering scan)."""
import pytest
from cassandra import InvalidRequest


@pytest.fixture(scope="module")
def uks(session):
    session.execute("CREATE KEYSPACE IF NOT EXISTS ui WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    yield "ui"
    session.execute("DROP KEYSPACE IF EXISTS ui")


def test_udt_values_and_fields(session, cluster, uks):
    session.execute("CREATE TYPE IF NOT EXISTS ui.addr (street text, zip int)")
    session.execute("CREATE TABLE IF NOT EXISTS ui.people (id int PRIMARY KEY, home frozen<addr>, "
                    "work addr)")
    session.execute("INSERT INTO ui.people (id, home, work) VALUES (1, {street: 'Main', zip: 42}, "
                    "{zip: 7})")
    r = session.execute("SELECT home, work, home.zip, work.street FROM ui.people WHERE id = 1").one()
    assert (r.home.street, r.home.zip) == ("Main", 42)
    assert (r.work.street, r.work.zip) == (None, 7)
    assert r[2] == 42 and r[3] is None
    # prepared: the driver serializes its own UDT value
    addr = cluster.metadata.keyspaces["ui"].user_types["addr"]
    assert [f for f in addr.field_names] == ["street", "zip"]
    with pytest.raises(InvalidRequest) as ei:
        session.execute("INSERT INTO ui.people (id, home) VALUES (2, {nope: 1})")
    assert "Unknown field 'nope'" in str(ei.value)


def test_index_allows_queries(session, uks):
    session.execute("CREATE TABLE IF NOT EXISTS ui.t (k int, c int, v int, w int, tags set<text>, "
                    "PRIMARY KEY (k, c))")
    for k in range(10):
        for c in range(3):
            session.execute("INSERT INTO ui.t (k, c, v, w, tags) VALUES (%d, %d, %d, %d, {'t%d'})"
                            % (k, c, (k + c) % 4, k, c))
    with pytest.raises(InvalidRequest):
        session.execute("SELECT k FROM ui.t WHERE v = 1")
    session.execute("CREATE INDEX IF NOT EXISTS t_v_idx ON ui.t (v)")
    session.execute("CREATE INDEX IF NOT EXISTS ON ui.t (tags)")
    rows = sorted((r.k, r.c) for r in session.execute("SELECT k, c FROM ui.t WHERE v = 1"))
    assert rows == sorted((k, c) for k in range(10) for c in range(3) if (k + c) % 4 == 1)
    rows = sorted((r.k, r.c) for r in session.execute("SELECT k, c FROM ui.t WHERE tags CONTAINS 't2'"))
    assert rows == [(k, 2) for k in range(10)]
    # a non-indexed restriction beside it still needs ALLOW FILTERING
    with pytest.raises(InvalidRequest) as ei:
        session.execute("SELECT k FROM ui.t WHERE v = 1 AND w = 3")
    assert "ALLOW FILTERING" in str(ei.value)
    rows = list(session.execute("SELECT k, c FROM ui.t WHERE v = 1 AND w = 3 ALLOW FILTERING"))
    assert sorted((r.k, r.c) for r in rows) == [(3, 2)]

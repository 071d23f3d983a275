"""ALTER TYPE: ADD field, RENAME fields, the refused ALTER field TYPE, and what
happens to tables (frozen and non-frozen UDT columns, nested types) that use
the type, across restart. Messages are Cassandra 5.0's."""
import pytest
from cassandra import InvalidRequest

from helpers import HelenusServer, finish_server, make_cluster


@pytest.fixture
def sess(helenus, session, request):
    """A session of its own (it USEs a keyspace that the test drops)."""
    v = session.cluster.expected_protocol_version
    ks = "alt_" + request.node.name.split("[")[0][5:][:30] + str(v)
    c = make_cluster(helenus.port, protocol_version=v)
    s = c.connect()
    s.execute("DROP KEYSPACE IF EXISTS %s" % ks)
    s.execute("CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}" % ks)
    s.set_keyspace(ks)
    s.execute("CREATE TYPE addr (street text, zip int)")
    s.execute("CREATE TYPE person (name text, home frozen<addr>)")
    s.execute("CREATE TABLE t (k int PRIMARY KEY, fa frozen<addr>, na addr, p frozen<person>)")
    s.execute("INSERT INTO t (k, fa, na, p) VALUES (1, {street: 'a', zip: 1}, {street: 'b', zip: 2}, "
              "{name: 'n', home: {street: 'c', zip: 3}})")
    yield s
    s.execute("DROP KEYSPACE IF EXISTS %s" % ks)
    c.shutdown()


@pytest.fixture
def ks(sess):
    return sess.keyspace


def udt_row(s, ks):
    r = s.execute("SELECT fa, na, p FROM t WHERE k = 1").one()
    return r


def test_add_field(sess, ks):
    sess.execute("ALTER TYPE addr ADD city text")
    sess.cluster.refresh_schema_metadata()
    meta = sess.cluster.metadata.keyspaces[ks].user_types["addr"]
    assert meta.field_names == ["street", "zip", "city"]
    r = udt_row(sess, ks)
    assert (r.fa.street, r.fa.zip, r.fa.city) == ("a", 1, None)
    assert (r.na.street, r.na.zip, r.na.city) == ("b", 2, None)
    assert r.p.home.city is None and r.p.home.street == "c"
    # the new field is writable in frozen and non-frozen columns and nested
    sess.execute("UPDATE t SET na.city = 'x', fa = {street: 'a', zip: 1, city: 'y'} WHERE k = 1")
    sess.execute("UPDATE t SET p = {name: 'n', home: {street: 'c', zip: 3, city: 'z'}} WHERE k = 1")
    r = udt_row(sess, ks)
    assert (r.fa.city, r.na.city, r.p.home.city) == ("y", "x", "z")
    cols = {row.column_name: row.type for row in sess.execute(
        "SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = %s AND table_name = 't'",
        (ks,))}
    assert cols["na"] == "addr" and cols["fa"] == "frozen<addr>"
    ft = sess.execute("SELECT field_names, field_types FROM system_schema.types WHERE keyspace_name = %s "
                      "AND type_name = 'addr'", (ks,)).one()
    assert list(ft.field_names) == ["street", "zip", "city"]
    assert list(ft.field_types) == ["text", "int", "text"]


def test_add_field_errors(sess, ks):
    with pytest.raises(InvalidRequest, match="Cannot add field zip to type %s.addr: a field with name zip "
                       "already exists" % ks):
        sess.execute("ALTER TYPE addr ADD zip int")
    sess.execute("ALTER TYPE addr ADD IF NOT EXISTS zip int")
    with pytest.raises(InvalidRequest, match="circular reference"):
        sess.execute("ALTER TYPE addr ADD me frozen<person>")
    with pytest.raises(InvalidRequest, match="Type %s.nope doesn't exist" % ks):
        sess.execute("ALTER TYPE nope ADD x int")
    sess.execute("ALTER TYPE IF EXISTS nope ADD x int")
    with pytest.raises(InvalidRequest, match="Altering field types is no longer supported"):
        sess.execute("ALTER TYPE addr ALTER zip TYPE bigint")
    sess.execute("CREATE TABLE pk (a frozen<addr> PRIMARY KEY, v int)")
    with pytest.raises(InvalidRequest, match="as the type is being used in partition key by the following "
                       "tables: %s.pk" % ks):
        sess.execute("ALTER TYPE addr ADD city text")


def test_rename_fields(sess, ks):
    sess.execute("ALTER TYPE addr RENAME street TO road AND zip TO code")
    r = udt_row(sess, ks)
    assert (r.fa.road, r.fa.code) == ("a", 1)
    assert (r.na.road, r.na.code) == ("b", 2)
    assert r.p.home.road == "c"
    sess.execute("UPDATE t SET na.code = 9 WHERE k = 1")
    assert sess.execute("SELECT na.code FROM t WHERE k = 1").one()[0] == 9
    with pytest.raises(InvalidRequest, match="Unkown field nope in user type %s.addr" % ks):
        sess.execute("ALTER TYPE addr RENAME nope TO x")
    sess.execute("ALTER TYPE addr RENAME IF EXISTS nope TO x")
    with pytest.raises(InvalidRequest, match="Duplicate field name code in type"):
        sess.execute("ALTER TYPE addr RENAME road TO code")
    desc = sess.execute("DESCRIBE TYPE addr").one().create_statement
    assert "road text" in desc and "code int" in desc


def test_survives_restart(tmp_path):
    srv = HelenusServer(data_dir=tmp_path, shards=1)
    srv.start()
    try:
        c = make_cluster(srv.port)
        s = c.connect()
        s.execute("CREATE KEYSPACE k1 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        s.execute("CREATE TYPE k1.addr (street text)")
        s.execute("CREATE TABLE k1.t (k int PRIMARY KEY, na addr)")
        s.execute("INSERT INTO k1.t (k, na) VALUES (1, {street: 's'})")
        s.execute("ALTER TYPE k1.addr ADD zip int")
        s.execute("UPDATE k1.t SET na.zip = 5 WHERE k = 1")
        c.shutdown()
        assert srv.restart() == 0
        c = make_cluster(srv.port)
        s = c.connect()
        r = s.execute("SELECT na FROM k1.t WHERE k = 1").one()
        assert (r.na.street, r.na.zip) == ("s", 5)
        c.shutdown()
    finally:
        finish_server(srv)

"""Materialized views through the Python driver: DDL and its errors, view
contents kept in step with base inserts, updates that move the view key,
deletes of every width, TTL expiry, batches, LWT, the build of existing data
at CREATE, flush and restart, driver metadata and DESCRIBE."""
import os
import time

import pytest
from cassandra import InvalidRequest, AlreadyExists
from cassandra.query import BatchStatement, SimpleStatement

from helpers import HelenusServer, finish_server, make_cluster, wait_until

KS = "mv"


@pytest.fixture(scope="module")
def mvserver(tmp_path_factory):
    d = tmp_path_factory.mktemp("mvconf")
    conf = os.path.join(str(d), "helenus.yaml")
    with open(conf, "w") as f:
        f.write("materialized_views_enabled: true\n")
    srv = HelenusServer(extra_args=["--config", conf])
    srv.start()
    yield srv
    finish_server(srv)


@pytest.fixture(scope="module")
def mvcluster(mvserver):
    c = make_cluster(mvserver.port)
    yield c
    c.shutdown()


@pytest.fixture(scope="module")
def s(mvcluster):
    sess = mvcluster.connect()
    sess.execute("CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', "
                 "'replication_factor': 1}" % KS)
    sess.set_keyspace(KS)
    return sess


def rows(s, q, *args):
    return sorted(tuple(r) for r in s.execute(q, args or None))


def invalid(s, q, msg):
    with pytest.raises(InvalidRequest) as ei:
        s.execute(q)
    assert msg in str(ei.value), str(ei.value)


# ----------------------------------------------------------------- DDL

def test_disabled_by_default(session):
    session.execute("CREATE KEYSPACE IF NOT EXISTS mvoff WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE IF NOT EXISTS mvoff.t (k int PRIMARY KEY, v int)")
    invalid(session, "CREATE MATERIALIZED VIEW mvoff.v AS SELECT * FROM mvoff.t "
            "WHERE v IS NOT NULL AND k IS NOT NULL PRIMARY KEY (v, k)",
            "Materialized views are disabled. Enable in cassandra.yaml to use.")
    session.execute("DROP KEYSPACE mvoff")


def test_create_errors(s):
    s.execute("CREATE TABLE base_e (k int, c int, v int, w int, st int static, "
              "l list<int>, n counter_free_dummy_never_used int, PRIMARY KEY (k, c))"
              .replace(", n counter_free_dummy_never_used int", ""))
    s.execute("CREATE TABLE cnt (k int PRIMARY KEY, n counter)")
    cases = [
        ("CREATE MATERIALIZED VIEW v1 AS SELECT k, c, v FROM nope WHERE k IS NOT NULL "
         "PRIMARY KEY (k)", "Base table 'nope' doesn't exist"),
        ("CREATE MATERIALIZED VIEW base_e AS SELECT k, c FROM base_e WHERE k IS NOT NULL AND "
         "c IS NOT NULL PRIMARY KEY (c, k)",
         "Cannot create materialized view 'base_e' - a table with the same name already exists"),
        ("CREATE MATERIALIZED VIEW v1 AS SELECT k FROM cnt WHERE k IS NOT NULL PRIMARY KEY (k)",
         "Materialized views are not supported on counter tables"),
        ("CREATE MATERIALIZED VIEW v1 AS SELECT * FROM base_e WHERE k IS NOT NULL AND c IS NOT NULL "
         "PRIMARY KEY (c, k)", "Cannot include static column 'st' in materialized view 'v1'"),
        ("CREATE MATERIALIZED VIEW v1 AS SELECT k, c, v FROM base_e WHERE k IS NOT NULL AND "
         "c IS NOT NULL PRIMARY KEY (c, w, k)",
         "Unknown column 'w' referenced in PRIMARY KEY for materialized view 'v1'"),
        ("CREATE MATERIALIZED VIEW v1 AS SELECT k, c, v FROM base_e WHERE k IS NOT NULL AND "
         "v IS NOT NULL PRIMARY KEY (v, k)",
         "Cannot create materialized view 'v1' without primary key columns c from base table 'base_e'"),
        ("CREATE MATERIALIZED VIEW v1 AS SELECT k, c, v, w FROM base_e WHERE k IS NOT NULL AND "
         "c IS NOT NULL AND v IS NOT NULL AND w IS NOT NULL PRIMARY KEY (v, w, k, c)",
         "Cannot include more than one non-primary key column in materialized view primary key "
         "(got v, w)"),
        ("CREATE MATERIALIZED VIEW v1 AS SELECT k, c, v FROM base_e WHERE k IS NOT NULL "
         "PRIMARY KEY (v, k, c)",
         "Primary key columns v, c must be restricted with 'IS NOT NULL' or otherwise"),
        ("CREATE MATERIALIZED VIEW v1 AS SELECT k, c, l FROM base_e WHERE k IS NOT NULL AND "
         "c IS NOT NULL AND l IS NOT NULL PRIMARY KEY (l, k, c)",
         "Invalid non-frozen collection type 'list<int>' for PRIMARY KEY column 'l'"),
        ("CREATE MATERIALIZED VIEW v1 AS SELECT k, c, v FROM base_e WHERE k IS NOT NULL AND "
         "c IS NOT NULL AND v = 1 PRIMARY KEY (c, k)",
         "Non-primary key columns can only be restricted with 'IS NOT NULL' (got: v restricted "
         "illegally)"),
        ("CREATE MATERIALIZED VIEW v1 AS SELECT k, c AS cc FROM base_e WHERE k IS NOT NULL AND "
         "c IS NOT NULL PRIMARY KEY (c, k)", "Cannot use aliases when defining a materialized view"),
        ("CREATE MATERIALIZED VIEW v1 AS SELECT k, c FROM base_e WHERE k IS NOT NULL AND "
         "c IS NOT NULL PRIMARY KEY (c, k) WITH default_time_to_live = 5",
         "Cannot set default_time_to_live for a materialized view."),
        ("CREATE MATERIALIZED VIEW v1 AS SELECT k, c FROM base_e WHERE k IS NOT NULL AND "
         "c IS NOT NULL PRIMARY KEY (c, k) WITH CLUSTERING ORDER BY (c DESC)",
         "Clustering key columns must exactly match columns in CLUSTERING ORDER BY directive"),
    ]
    for q, msg in cases:
        invalid(s, q, msg)


def test_create_alter_drop_and_metadata(s, mvcluster):
    s.execute("CREATE TABLE users (id int PRIMARY KEY, email text, name text, age int)")
    r = s.execute("CREATE MATERIALIZED VIEW users_by_email AS SELECT * FROM users "
                  "WHERE email IS NOT NULL AND id IS NOT NULL PRIMARY KEY (email, id)")
    assert r.response_future.warnings == [
        "Materialized views are experimental and are not recommended for production use."]
    with pytest.raises(AlreadyExists):
        s.execute("CREATE MATERIALIZED VIEW users_by_email AS SELECT * FROM users "
                  "WHERE email IS NOT NULL AND id IS NOT NULL PRIMARY KEY (email, id)")
    s.execute("CREATE MATERIALIZED VIEW IF NOT EXISTS users_by_email AS SELECT * FROM users "
              "WHERE email IS NOT NULL AND id IS NOT NULL PRIMARY KEY (email, id)")
    row = s.execute("SELECT * FROM system_schema.views WHERE keyspace_name = %s AND view_name = %s",
                    (KS, "users_by_email")).one()
    assert row.base_table_name == "users"
    assert row.where_clause == "email IS NOT NULL AND id IS NOT NULL"
    assert row.include_all_columns is True
    base_id = s.execute("SELECT id FROM system_schema.tables WHERE keyspace_name = %s AND "
                        "table_name = 'users'", (KS,)).one().id
    assert row.base_table_id == base_id
    assert not list(s.execute("SELECT * FROM system_schema.tables WHERE keyspace_name = %s AND "
                              "table_name = 'users_by_email'", (KS,)))
    cols = {r.column_name: (r.kind, r.position) for r in s.execute(
        "SELECT * FROM system_schema.columns WHERE keyspace_name = %s AND table_name = "
        "'users_by_email'", (KS,))}
    assert cols == {"email": ("partition_key", 0), "id": ("clustering", 0),
                    "name": ("regular", -1), "age": ("regular", -1)}
    built = rows(s, "SELECT keyspace_name, view_name FROM system.built_views")
    assert (KS, "users_by_email") in built

    mvcluster.refresh_schema_metadata()
    ksm = mvcluster.metadata.keyspaces[KS]
    assert "users_by_email" in ksm.views
    vm = ksm.views["users_by_email"]
    assert vm.base_table_name == "users" and vm.include_all_columns
    assert [c.name for c in vm.partition_key] == ["email"]
    assert [c.name for c in vm.clustering_key] == ["id"]
    assert "users_by_email" in ksm.tables["users"].views

    # writes into a view are refused; DROP TABLE / ALTER TABLE name views
    invalid(s, "INSERT INTO users_by_email (email, id) VALUES ('a', 1)",
            "Cannot directly modify a materialized view")
    invalid(s, "DROP TABLE users_by_email",
            "Cannot use DROP TABLE on a materialized view. Please use DROP MATERIALIZED VIEW instead.")
    invalid(s, "DROP TABLE users", "Cannot drop a table when materialized views still depend on it (mv)")
    invalid(s, "ALTER TABLE users_by_email WITH comment = 'x'",
            "Cannot use ALTER TABLE on a materialized view; use ALTER MATERIALIZED VIEW instead")
    invalid(s, "ALTER TABLE users DROP age", "Cannot drop column age on base table users with "
            "materialized views")
    invalid(s, "TRUNCATE users_by_email",
            "Cannot TRUNCATE materialized view directly; must truncate base table instead")
    invalid(s, "CREATE INDEX ON users_by_email (name)",
            "Secondary indexes are not supported on materialized views")

    # ALTER MATERIALIZED VIEW changes table options
    s.execute("ALTER MATERIALIZED VIEW users_by_email WITH comment = 'by mail'")
    assert s.execute("SELECT comment FROM system_schema.views WHERE keyspace_name = %s AND "
                     "view_name = 'users_by_email'", (KS,)).one().comment == "by mail"
    invalid(s, "ALTER MATERIALIZED VIEW users_by_email WITH gc_grace_seconds = 0",
            "Cannot alter gc_grace_seconds of a materialized view to 0")
    invalid(s, "ALTER MATERIALIZED VIEW nope WITH comment = 'x'",
            "Materialized view 'mv.nope' doesn't exist")
    s.execute("ALTER MATERIALIZED VIEW IF EXISTS nope WITH comment = 'x'")

    # ADD on the base reaches SELECT * views
    s.execute("ALTER TABLE users ADD city text")
    assert s.execute("SELECT column_name FROM system_schema.columns WHERE keyspace_name = %s AND "
                     "table_name = 'users_by_email' AND column_name = 'city'", (KS,)).one()

    s.execute("DROP MATERIALIZED VIEW users_by_email")
    invalid(s, "DROP MATERIALIZED VIEW users_by_email", "Materialized view 'mv.users_by_email' doesn't exist")
    s.execute("DROP MATERIALIZED VIEW IF EXISTS users_by_email")
    assert not list(s.execute("SELECT * FROM system_schema.views WHERE keyspace_name = %s", (KS,)))
    s.execute("DROP TABLE users")


def test_schema_events(s, mvcluster):
    s.execute("CREATE TABLE ev (k int PRIMARY KEY, v int)")
    s.execute("CREATE MATERIALIZED VIEW ev_by_v AS SELECT k, v FROM ev WHERE v IS NOT NULL AND "
              "k IS NOT NULL PRIMARY KEY (v, k)")
    # the driver refreshes from the CREATED TABLE event the server pushes
    wait_until(lambda: "ev_by_v" in mvcluster.metadata.keyspaces[KS].views, what="view metadata")
    s.execute("DROP MATERIALIZED VIEW ev_by_v")
    wait_until(lambda: "ev_by_v" not in mvcluster.metadata.keyspaces[KS].views, what="view dropped")
    s.execute("DROP TABLE ev")


# ----------------------------------------------------------------- maintenance

@pytest.fixture
def tv(s):
    s.execute("CREATE TABLE t (k int, c int, v int, w text, PRIMARY KEY (k, c))")
    s.execute("CREATE MATERIALIZED VIEW t_by_v AS SELECT k, c, v, w FROM t "
              "WHERE v IS NOT NULL AND k IS NOT NULL AND c IS NOT NULL PRIMARY KEY (v, k, c)")
    yield "t_by_v"
    s.execute("DROP MATERIALIZED VIEW t_by_v")
    s.execute("DROP TABLE t")


def view(s):
    return rows(s, "SELECT v, k, c, w FROM t_by_v")


def test_insert_update_delete(s, tv):
    s.execute("INSERT INTO t (k, c, v, w) VALUES (1, 1, 10, 'a')")
    s.execute("INSERT INTO t (k, c, v, w) VALUES (1, 2, 20, 'b')")
    s.execute("INSERT INTO t (k, c, w) VALUES (2, 1, 'no v')")      # null key column: no view row
    assert view(s) == [(10, 1, 1, "a"), (20, 1, 2, "b")]
    assert rows(s, "SELECT k, c FROM t_by_v WHERE v = 20") == [(1, 2)]
    # a change of the view key moves the row
    s.execute("UPDATE t SET v = 30 WHERE k = 1 AND c = 1")
    assert view(s) == [(20, 1, 2, "b"), (30, 1, 1, "a")]
    # and back again (the old key's tombstone must not hide it)
    s.execute("UPDATE t SET v = 10 WHERE k = 1 AND c = 1")
    assert view(s) == [(10, 1, 1, "a"), (20, 1, 2, "b")]
    # a non-key column follows; setting it null leaves the row
    s.execute("UPDATE t SET w = 'z' WHERE k = 1 AND c = 2")
    s.execute("UPDATE t SET w = null WHERE k = 1 AND c = 1")
    assert view(s) == [(10, 1, 1, None), (20, 1, 2, "z")]
    # the view key set null: the view row goes
    s.execute("UPDATE t SET v = null WHERE k = 1 AND c = 2")
    assert view(s) == [(10, 1, 1, None)]
    s.execute("UPDATE t SET v = 5 WHERE k = 2 AND c = 1")
    assert view(s) == [(5, 2, 1, "no v"), (10, 1, 1, None)]
    # row, range and partition deletions
    s.execute("INSERT INTO t (k, c, v) VALUES (3, 1, 31)")
    s.execute("INSERT INTO t (k, c, v) VALUES (3, 2, 32)")
    s.execute("INSERT INTO t (k, c, v) VALUES (3, 3, 33)")
    s.execute("DELETE FROM t WHERE k = 1 AND c = 1")
    assert view(s) == [(5, 2, 1, "no v"), (31, 3, 1, None), (32, 3, 2, None), (33, 3, 3, None)]
    s.execute("DELETE FROM t WHERE k = 3 AND c >= 2")
    assert view(s) == [(5, 2, 1, "no v"), (31, 3, 1, None)]
    s.execute("DELETE FROM t WHERE k = 3")
    s.execute("DELETE v FROM t WHERE k = 2 AND c = 1")
    assert view(s) == []
    # re-insert after deletion
    s.execute("INSERT INTO t (k, c, v, w) VALUES (3, 1, 31, 'again')")
    assert view(s) == [(31, 3, 1, "again")]
    # the same through prepared statements and IN
    ins = s.prepare("INSERT INTO t (k, c, v, w) VALUES (?, ?, ?, ?)")
    for i in range(20):
        s.execute(ins, (10 + i % 4, i, i * 7, "p%d" % i))
    s.execute("UPDATE t SET v = 1000 WHERE k = 10 AND c IN (0, 4, 8)")
    got = rows(s, "SELECT k, c FROM t_by_v WHERE v = 1000")
    assert got == [(10, 0), (10, 4), (10, 8)]
    assert len(view(s)) == 21


def test_ttl_expiry(s, tv):
    s.execute("INSERT INTO t (k, c, v, w) VALUES (1, 1, 10, 'x') USING TTL 2")
    s.execute("INSERT INTO t (k, c, v, w) VALUES (1, 2, 20, 'y')")
    s.execute("UPDATE t USING TTL 2 SET w = 'short' WHERE k = 1 AND c = 2")
    assert view(s) == [(10, 1, 1, "x"), (20, 1, 2, "short")]
    ttl = s.execute("SELECT ttl(w) FROM t_by_v WHERE v = 10").one()[0]
    assert 0 < ttl <= 2
    wait_until(lambda: view(s) == [(20, 1, 2, None)], timeout=10, what="expiry in the view")
    assert rows(s, "SELECT k, c, v, w FROM t") == [(1, 2, 20, None)]
    # a TTL'd view key column: the view row dies with it
    s.execute("UPDATE t USING TTL 2 SET v = 21 WHERE k = 1 AND c = 2")
    assert view(s) == [(21, 1, 2, None)]
    wait_until(lambda: view(s) == [], timeout=10, what="view key expiry")


def test_batches_and_lwt(s, tv):
    b = BatchStatement()
    b.add(SimpleStatement("INSERT INTO t (k, c, v, w) VALUES (1, 1, 11, 'a')"))
    b.add(SimpleStatement("INSERT INTO t (k, c, v, w) VALUES (2, 1, 21, 'b')"))
    b.add(SimpleStatement("UPDATE t SET v = 12 WHERE k = 1 AND c = 1"))
    s.execute(b)
    assert view(s) == [(12, 1, 1, "a"), (21, 2, 1, "b")]
    s.execute("BEGIN BATCH DELETE FROM t WHERE k = 2 AND c = 1; "
              "INSERT INTO t (k, c, v) VALUES (2, 2, 22); APPLY BATCH")
    assert view(s) == [(12, 1, 1, "a"), (22, 2, 2, None)]
    r = s.execute("INSERT INTO t (k, c, v, w) VALUES (5, 5, 55, 'lwt') IF NOT EXISTS").one()
    assert r[0] is True
    s.execute("UPDATE t SET v = 56 WHERE k = 5 AND c = 5 IF v = 55")
    s.execute("UPDATE t SET v = 99 WHERE k = 5 AND c = 5 IF v = 1")   # not applied
    assert view(s) == [(12, 1, 1, "a"), (22, 2, 2, None), (56, 5, 5, "lwt")]
    s.execute("BEGIN BATCH UPDATE t SET v = 57 WHERE k = 5 AND c = 5 IF v = 56; "
              "UPDATE t SET w = 'cb' WHERE k = 5 AND c = 5; APPLY BATCH")
    assert view(s) == [(12, 1, 1, "a"), (22, 2, 2, None), (57, 5, 5, "cb")]


def test_build_existing_data_and_paging(s):
    s.execute("CREATE TABLE big (k int, c int, v int, PRIMARY KEY (k, c))")
    ins = s.prepare("INSERT INTO big (k, c, v) VALUES (?, ?, ?)")
    for k in range(60):
        for c in range(10):
            s.execute(ins, (k, c, (k * 10 + c) % 37))
    s.execute("CREATE MATERIALIZED VIEW big_by_v AS SELECT k, c, v FROM big WHERE v IS NOT NULL "
              "AND k IS NOT NULL AND c IS NOT NULL PRIMARY KEY (v, c, k) "
              "WITH CLUSTERING ORDER BY (c DESC, k ASC)")
    st = SimpleStatement("SELECT v, c, k FROM big_by_v", fetch_size=50)
    got = [tuple(r) for r in s.execute(st)]
    assert len(got) == 600
    assert sorted(got) == sorted(((k * 10 + c) % 37, c, k) for k in range(60) for c in range(10))
    part = [tuple(r) for r in s.execute("SELECT c, k FROM big_by_v WHERE v = 3")]
    want = sorted(((c, k) for k in range(60) for c in range(10) if (k * 10 + c) % 37 == 3),
                  key=lambda x: (-x[0], x[1]))
    assert part == want
    assert [tuple(r) for r in s.execute("SELECT c, k FROM big_by_v WHERE v = 3 AND c = 0")] == \
        [x for x in want if x[0] == 0]
    s.execute("TRUNCATE big")
    assert list(s.execute("SELECT * FROM big_by_v")) == []
    s.execute("DROP MATERIALIZED VIEW big_by_v")
    s.execute("DROP TABLE big")


# ----------------------------------------------------------------- DESCRIBE

def test_describe(s):
    s.execute("CREATE TABLE d (k int, c int, v text, PRIMARY KEY (k, c)) "
              "WITH CLUSTERING ORDER BY (c DESC)")
    s.execute("CREATE MATERIALIZED VIEW d_by_v AS SELECT k, c, v FROM d WHERE v IS NOT NULL AND "
              "k IS NOT NULL AND c IS NOT NULL PRIMARY KEY (v, k, c) WITH comment = 'dv'")
    r = list(s.execute("DESCRIBE MATERIALIZED VIEW d_by_v"))
    assert len(r) == 1
    assert (r[0].keyspace_name, r[0].type, r[0].name) == (KS, "materialized_view", "d_by_v")
    text = r[0].create_statement
    assert text.startswith(
        "CREATE MATERIALIZED VIEW mv.d_by_v AS\n"
        "    SELECT v, k, c\n"
        "    FROM mv.d\n"
        "    WHERE v IS NOT NULL AND k IS NOT NULL AND c IS NOT NULL\n"
        "    PRIMARY KEY (v, k, c) WITH CLUSTERING ORDER BY (k ASC, c DESC)\n"
        "    AND additional_write_policy = '99p'\n"), text
    assert "AND comment = 'dv'\n" in text
    assert "default_time_to_live" not in text
    assert text.endswith("AND speculative_retry = '99p';")
    # the keyspace lists it after its base table; DESCRIBE TABLES does not
    ks_rows = [(x.type, x.name) for x in s.execute("DESCRIBE KEYSPACE mv")]
    i = ks_rows.index(("table", "d"))
    assert ks_rows[i + 1] == ("materialized_view", "d_by_v")
    assert ("table", "d_by_v") not in [(x.type, x.name) for x in s.execute("DESCRIBE TABLES")]
    invalid(s, "DESCRIBE TABLE d_by_v", "Table 'd_by_v' not found in keyspace 'mv'")
    invalid(s, "DESCRIBE MATERIALIZED VIEW d", "Materialized view 'd' not found in 'mv'")
    # the text recreates the same view
    s.execute("DROP MATERIALIZED VIEW d_by_v")
    s.execute(text)
    again = s.execute("DESCRIBE MATERIALIZED VIEW d_by_v").one().create_statement
    assert again == text
    s.execute("DROP MATERIALIZED VIEW d_by_v")
    s.execute("DROP TABLE d")


# ----------------------------------------------------------------- restart

def test_flush_and_restart(tmp_path):
    conf = tmp_path / "helenus.yaml"
    # batch commit log sync: writes are acknowledged once fsynced (the wait path)
    conf.write_text("materialized_views_enabled: true\ncommitlog_sync: batch\n")
    srv = HelenusServer(data_dir=tmp_path / "data", extra_args=["--config", str(conf)])
    os.makedirs(srv.data_dir, exist_ok=True)
    srv.start()
    try:
        c = make_cluster(srv.port)
        sess = c.connect()
        sess.execute("CREATE KEYSPACE r WITH replication = {'class': 'SimpleStrategy', "
                     "'replication_factor': 1}")
        sess.execute("CREATE TABLE r.t (k int PRIMARY KEY, v int)")
        sess.execute("CREATE MATERIALIZED VIEW r.v AS SELECT * FROM r.t WHERE v IS NOT NULL AND "
                     "k IS NOT NULL PRIMARY KEY (v, k)")
        for k in range(30):
            sess.execute("INSERT INTO r.t (k, v) VALUES (%d, %d)" % (k, k % 5))
        vid = sess.execute("SELECT id FROM system_schema.views WHERE keyspace_name = 'r'").one().id
        import subprocess
        p = subprocess.run([srv.binary, "admin", "-p", str(srv.admin_port()), "flush"],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        # after the flush: these live only in the commit log until the restart
        for k in range(30, 40):
            sess.execute("INSERT INTO r.t (k, v) VALUES (%d, %d)" % (k, k % 5))
        sess.execute("UPDATE r.t SET v = 7 WHERE k = 0")
        c.shutdown()
        srv.restart()
        c = make_cluster(srv.port)
        sess = c.connect()
        assert sess.execute("SELECT id FROM system_schema.views WHERE keyspace_name = 'r'").one().id == vid
        got = sorted(tuple(r) for r in sess.execute("SELECT v, k FROM r.v"))
        assert got == sorted((7 if k == 0 else k % 5, k) for k in range(40))
        sess.execute("UPDATE r.t SET v = 100 WHERE k = 3")
        assert [tuple(r) for r in sess.execute("SELECT k FROM r.v WHERE v = 100")] == [(3,)]
        assert [tuple(r) for r in sess.execute("SELECT k FROM r.v WHERE v = 3 AND k = 3")] == []
        c.shutdown()
    finally:
        finish_server(srv)


def test_collections_and_rename(s):
    s.execute("CREATE TABLE coll (k int, c int, v int, tags set<text>, m map<text, int>, "
              "PRIMARY KEY (k, c))")
    s.execute("CREATE MATERIALIZED VIEW coll_by_v AS SELECT * FROM coll WHERE v IS NOT NULL AND "
              "k IS NOT NULL AND c IS NOT NULL PRIMARY KEY (v, k, c)")
    s.execute("INSERT INTO coll (k, c, v, tags, m) VALUES (1, 1, 7, {'a', 'b'}, {'x': 1})")
    s.execute("UPDATE coll SET tags = tags + {'c'}, m['y'] = 2 WHERE k = 1 AND c = 1")
    s.execute("UPDATE coll SET tags = tags - {'a'} WHERE k = 1 AND c = 1")
    r = s.execute("SELECT tags, m FROM coll_by_v WHERE v = 7").one()
    assert r.tags == {"b", "c"} and r.m == {"x": 1, "y": 2}
    s.execute("UPDATE coll SET tags = {'z'} WHERE k = 1 AND c = 1")
    assert s.execute("SELECT tags FROM coll_by_v WHERE v = 7").one().tags == {"z"}
    s.execute("UPDATE coll SET v = 8 WHERE k = 1 AND c = 1")
    r = s.execute("SELECT k, c, tags, m FROM coll_by_v WHERE v = 8").one()
    assert (r.k, r.c, r.tags, r.m) == (1, 1, {"z"}, {"x": 1, "y": 2})
    assert list(s.execute("SELECT * FROM coll_by_v WHERE v = 7")) == []
    # renaming a base key column renames it in the view and its WHERE clause
    s.execute("ALTER TABLE coll RENAME c TO cc")
    row = s.execute("SELECT where_clause FROM system_schema.views WHERE keyspace_name = %s AND "
                    "view_name = 'coll_by_v'", (KS,)).one()
    assert row.where_clause == "v IS NOT NULL AND k IS NOT NULL AND cc IS NOT NULL"
    assert [tuple(x) for x in s.execute("SELECT k, cc FROM coll_by_v WHERE v = 8")] == [(1, 1)]
    text = s.execute("DESCRIBE MATERIALIZED VIEW coll_by_v").one().create_statement
    assert "PRIMARY KEY (v, k, cc)" in text
    s.execute("DROP MATERIALIZED VIEW coll_by_v")
    s.execute("DROP TABLE coll")


# ----------------------------------------------------------------- WHERE filters

def test_where_restrictions_on_key_columns(s):
    s.execute("CREATE TABLE wf (k int, c int, t text, v int, PRIMARY KEY (k, c, t))")
    s.execute("CREATE MATERIALIZED VIEW wf_eq AS SELECT * FROM wf WHERE k IS NOT NULL AND "
              "c IS NOT NULL AND t IS NOT NULL AND v IS NOT NULL AND c = 1 "
              "PRIMARY KEY (v, k, c, t)")
    s.execute("CREATE MATERIALIZED VIEW wf_range AS SELECT k, c, t, v FROM wf WHERE k IS NOT NULL "
              "AND c IS NOT NULL AND t IS NOT NULL AND c > 5 AND t <= 'm' PRIMARY KEY (c, k, t)")
    s.execute("CREATE MATERIALIZED VIEW wf_in AS SELECT * FROM wf WHERE k IN (1, 2) AND "
              "c IS NOT NULL AND t IS NOT NULL AND t IN ('a', 'it''s') PRIMARY KEY (t, k, c)")
    # Cassandra prints the restrictions as given, joined by AND
    got = {r.view_name: r.where_clause for r in s.execute(
        "SELECT view_name, where_clause FROM system_schema.views WHERE keyspace_name = %s", (KS,))
        if r.view_name.startswith("wf_")}
    assert got == {
        "wf_eq": "k IS NOT NULL AND c IS NOT NULL AND t IS NOT NULL AND v IS NOT NULL AND c = 1",
        "wf_range": "k IS NOT NULL AND c IS NOT NULL AND t IS NOT NULL AND c > 5 AND t <= 'm'",
        "wf_in": "k IN (1, 2) AND c IS NOT NULL AND t IS NOT NULL AND t IN ('a', 'it''s')",
    }
    data = {}
    for k in range(4):
        for c in (0, 1, 6, 9):
            for t in ("a", "it's", "z"):
                data[(k, c, t)] = k * 100 + c
                s.execute("INSERT INTO wf (k, c, t, v) VALUES (%s, %s, %s, %s)", (k, c, t, k * 100 + c))

    def check():
        assert rows(s, "SELECT v, k, c, t FROM wf_eq") == sorted(
            (v, k, c, t) for (k, c, t), v in data.items() if v is not None and c == 1)
        assert rows(s, "SELECT c, k, t, v FROM wf_range") == sorted(
            (c, k, t, v) for (k, c, t), v in data.items() if c > 5 and t <= "m")
        assert rows(s, "SELECT t, k, c, v FROM wf_in") == sorted(
            (t, k, c, v) for (k, c, t), v in data.items() if k in (1, 2) and t in ("a", "it's"))

    check()
    # updates and deletes of rows inside and outside the filters
    s.execute("UPDATE wf SET v = 1000 WHERE k = 1 AND c = 1 AND t = 'a'")
    data[(1, 1, "a")] = 1000
    s.execute("UPDATE wf SET v = 2000 WHERE k = 3 AND c = 0 AND t = 'z'")
    data[(3, 0, "z")] = 2000
    s.execute("DELETE FROM wf WHERE k = 2 AND c = 6")
    for key in [x for x in data if x[0] == 2 and x[1] == 6]:
        del data[key]
    s.execute("DELETE v FROM wf WHERE k = 0 AND c = 1 AND t = 'z'")
    data[(0, 1, "z")] = None
    check()
    # a view built from existing data applies the filter too
    s.execute("CREATE MATERIALIZED VIEW wf_built AS SELECT k, c, t FROM wf WHERE k IS NOT NULL AND "
              "c >= 6 AND c < 9 AND t IS NOT NULL PRIMARY KEY (k, c, t)")
    assert rows(s, "SELECT k, c, t FROM wf_built") == sorted(
        (k, c, t) for (k, c, t) in data if 6 <= c < 9)
    # DESCRIBE prints the same WHERE, and running it recreates the view
    text = s.execute("DESCRIBE MATERIALIZED VIEW wf_in").one().create_statement
    assert "    WHERE k IN (1, 2) AND c IS NOT NULL AND t IS NOT NULL AND t IN ('a', 'it''s')\n" \
        in text, text
    s.execute("DROP MATERIALIZED VIEW wf_in")
    s.execute(text)
    assert s.execute("DESCRIBE MATERIALIZED VIEW wf_in").one().create_statement == text
    assert rows(s, "SELECT t, k, c, v FROM wf_in") == sorted(
        (t, k, c, v) for (k, c, t), v in data.items() if k in (1, 2) and t in ("a", "it's"))
    # renaming a restricted column renames it in the stored WHERE
    s.execute("ALTER TABLE wf RENAME t TO \"T x\"")
    assert s.execute("SELECT where_clause FROM system_schema.views WHERE keyspace_name = %s AND "
                     "view_name = 'wf_range'", (KS,)).one().where_clause == \
        "k IS NOT NULL AND c IS NOT NULL AND \"T x\" IS NOT NULL AND c > 5 AND \"T x\" <= 'm'"
    s.execute("INSERT INTO wf (k, c, \"T x\", v) VALUES (7, 7, 'b', 1)")
    s.execute("INSERT INTO wf (k, c, \"T x\", v) VALUES (7, 7, 'n', 1)")
    assert rows(s, "SELECT k, \"T x\" FROM wf_range WHERE c = 7") == [(7, "b")]
    for v in ("wf_eq", "wf_range", "wf_in", "wf_built"):
        s.execute("DROP MATERIALIZED VIEW " + v)
    s.execute("DROP TABLE wf")


def test_where_restriction_errors(s):
    s.execute("CREATE TABLE wfe (k int, c int, v int, PRIMARY KEY (k, c))")
    head = "CREATE MATERIALIZED VIEW wfe_v AS SELECT * FROM wfe WHERE k IS NOT NULL AND "
    tail = " PRIMARY KEY (c, k)"
    invalid(s, head + "c IS NOT NULL AND c = 'x'" + tail,
            "Invalid STRING constant (x) for \"c\" of type int")
    invalid(s, head + "c = 1 AND c = 2" + tail,
            "c cannot be restricted by more than one relation if it includes an Equal")
    invalid(s, head + "c IS NOT NULL AND v > 1" + tail,
            "Non-primary key columns can only be restricted with 'IS NOT NULL' (got: v restricted "
            "illegally)")
    with pytest.raises(InvalidRequest) as ei:
        # Cassandra refuses it at PREPARE; Helenus when it runs
        s.execute(s.prepare(head + "c IS NOT NULL AND c = ?" + tail))
    assert "Bind variables are not allowed in CREATE MATERIALIZED VIEW statements" in str(ei.value)
    s.execute("DROP TABLE wfe")

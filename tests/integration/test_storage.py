"""The durable engine through the real server: flush to SSTables, restart,
compaction, and import of SSTables written by Apache Cassandra."""
import os
import shutil
import subprocess

import pytest

from helpers import HelenusServer, finish_server, make_cluster

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "fixtures",
                        "cassandra-sstables")


def admin(srv, *args):
    p = subprocess.run([srv.binary, "admin", "-p", str(srv.admin_port())] + list(args),
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def sstables(datadir, ks, table):
    root = os.path.join(datadir, ks)
    dirs = [d for d in os.listdir(root) if d.startswith(table + "-")]
    assert len(dirs) == 1
    return sorted(f for f in os.listdir(os.path.join(root, dirs[0])) if f.endswith("-Data.db"))


def test_flush_restart_compact(tmp_path):
    srv = HelenusServer(data_dir=tmp_path)
    srv.start()
    try:
        c = make_cluster(srv.port)
        s = c.connect()
        s.execute("CREATE KEYSPACE st WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        s.execute("CREATE TABLE st.t (k int, c int, v text, PRIMARY KEY (k, c))")
        ins = s.prepare("INSERT INTO st.t (k, c, v) VALUES (?, ?, ?)")
        for gen in range(3):
            for f in [s.execute_async(ins, [k, gen, "g%d-%d" % (gen, k)]) for k in range(200)]:
                f.result()
            s.execute("DELETE FROM st.t WHERE k = %d" % (gen + 10))
            rc, out, err = admin(srv, "flush", "st", "t")
            assert rc == 0, err
        files = sstables(str(tmp_path / "data"), "st", "t")
        assert len(files) >= 3, files
        want = {(r.k, r.c): r.v for r in s.execute("SELECT * FROM st.t")}
        assert len(want) == 200 * 3 - (1 + 2 + 3)
        rc, out, err = admin(srv, "tablestats", "st.t")
        assert rc == 0 and "SSTable count:" in out
        # a major compaction keeps every answer and leaves one SSTable per shard
        rc, out, err = admin(srv, "compact", "st", "t")
        assert rc == 0, err
        assert {(r.k, r.c): r.v for r in s.execute("SELECT * FROM st.t")} == want
        assert len(sstables(str(tmp_path / "data"), "st", "t")) <= srv.shards
        c.shutdown()
        assert srv.restart() == 0
        c = make_cluster(srv.port)
        s = c.connect()
        assert {(r.k, r.c): r.v for r in s.execute("SELECT * FROM st.t")} == want
        assert s.execute("SELECT v FROM st.t WHERE k = 42 AND c = 1").one().v == "g1-42"
        c.shutdown()
    finally:
        finish_server(srv)


def test_import_cassandra_sstables(helenus, session, tmp_path):
    src = os.path.join(FIXTURES, "scylladb", "3.x", "uncompressed", "simple")
    if not os.path.isdir(src):
        pytest.skip("fixtures not found at %s (../shared absent)" % src)
    d = tmp_path / "simple"
    shutil.copytree(src, d)
    session.execute("CREATE KEYSPACE IF NOT EXISTS imp WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE IF NOT EXISTS imp.simple (pk int, ck int, val int, PRIMARY KEY (pk, ck))")
    rc, out, err = admin(helenus, "import", "imp", "simple", str(d))
    assert rc == 0, err
    rows = sorted((r.pk, r.ck, r.val) for r in session.execute("SELECT * FROM imp.simple"))
    assert rows == [(i, 100 + i, 1000 + i) for i in range(1, 6)]
    # the imported data merges with new writes by timestamp
    session.execute("INSERT INTO imp.simple (pk, ck, val) VALUES (3, 103, 7)")
    assert session.execute("SELECT val FROM imp.simple WHERE pk = 3 AND ck = 103").one().val == 7
    # a table whose schema does not match is refused, and nothing is imported
    session.execute("CREATE TABLE IF NOT EXISTS imp.other (pk int PRIMARY KEY, x text)")
    rc, out, err = admin(helenus, "import", "imp", "other", str(d))
    assert rc == 1 and err
    assert list(session.execute("SELECT * FROM imp.other")) == []
    session.execute("DROP KEYSPACE imp")


def test_snapshots_and_refresh(tmp_path):
    srv = HelenusServer(data_dir=tmp_path)
    srv.start()
    try:
        c = make_cluster(srv.port)
        s = c.connect()
        s.execute("CREATE KEYSPACE sn WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        s.execute("CREATE TABLE sn.t (k int PRIMARY KEY, v text)")
        for k in range(50):
            s.execute("INSERT INTO sn.t (k, v) VALUES (%d, 'v%d')" % (k, k))
        rc, out, err = admin(srv, "snapshot", "-t", "before", "sn")
        assert rc == 0, err
        rc, out, err = admin(srv, "listsnapshots")
        assert rc == 0 and "before" in out and "sn" in out, out
        root = os.path.join(str(tmp_path / "data"), "sn")
        tdir = os.path.join(root, [d for d in os.listdir(root) if d.startswith("t-")][0])
        snap = os.path.join(tdir, "snapshots", "before")
        assert os.path.exists(os.path.join(snap, "manifest.json"))
        snapped = [f for f in os.listdir(snap) if f.endswith("-Data.db")]
        assert snapped
        # TRUNCATE takes an automatic snapshot, then the data is gone
        s.execute("TRUNCATE sn.t")
        assert list(s.execute("SELECT * FROM sn.t")) == []
        assert any(d.startswith("truncated-") for d in os.listdir(os.path.join(tdir, "snapshots")))
        # put the snapshot's files back in the table directory and refresh
        for f in os.listdir(snap):
            if "-big-" in f:
                shutil.copy(os.path.join(snap, f), os.path.join(tdir, "restore-" + f))
        for f in os.listdir(tdir):
            if f.startswith("restore-"):
                os.rename(os.path.join(tdir, f), os.path.join(tdir, f[len("restore-"):].replace(
                    "-big-", "-big-", 1).replace("nb-", "nb-10", 1)))
        rc, out, err = admin(srv, "refresh", "sn", "t")
        assert rc == 0, err
        assert sorted(r.k for r in s.execute("SELECT k FROM sn.t")) == list(range(50))
        rc, out, err = admin(srv, "clearsnapshot", "-t", "before")
        assert rc == 0, err
        assert not os.path.exists(snap)
        c.shutdown()
    finally:
        finish_server(srv)


@pytest.mark.parametrize("comp,marker", [
    ("{'class': 'LZ4Compressor', 'chunk_length_in_kb': '4'}", b"LZ4Compressor"),
    ("{'class': 'SnappyCompressor'}", b"SnappyCompressor"),
    ("{'class': 'DeflateCompressor'}", b"DeflateCompressor"),
    ("{'class': 'ZstdCompressor'}", b"ZstdCompressor"),
    ("{'enabled': 'false'}", None),
])
def test_table_compression_option_is_used(tmp_path, comp, marker):
    srv = HelenusServer(data_dir=tmp_path, shards=1)
    srv.start()
    try:
        c = make_cluster(srv.port)
        s = c.connect()
        s.execute("CREATE KEYSPACE cz WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        s.execute("CREATE TABLE cz.t (k int PRIMARY KEY, v text) WITH compression = %s "
                  "AND bloom_filter_fp_chance = 0.1" % comp)
        for k in range(300):
            s.execute("INSERT INTO cz.t (k, v) VALUES (%d, '%s')" % (k, "x" * (k % 50)))
        rc, out, err = admin(srv, "flush", "cz", "t")
        assert rc == 0, err
        root = os.path.join(str(tmp_path / "data"), "cz")
        tdir = os.path.join(root, os.listdir(root)[0])
        files = os.listdir(tdir)
        info = [f for f in files if f.endswith("-CompressionInfo.db")]
        if marker is None:
            assert not info and any(f.endswith("-CRC.db") for f in files)
        else:
            assert info and marker in open(os.path.join(tdir, info[0]), "rb").read()
        c.shutdown()
        assert srv.restart() == 0
        c = make_cluster(srv.port)
        s = c.connect()
        got = {r.k: r.v for r in s.execute("SELECT k, v FROM cz.t")}
        assert len(got) == 300 and got[49] == "x" * 49
        c.shutdown()
    finally:
        finish_server(srv)

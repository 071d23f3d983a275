"""`helenus admin`, nodetool's role: the command talks to the running node's
admin port and prints what nodetool prints for the same question."""
import os
import re
import subprocess

import pytest


def admin(helenus, *args):
    p = subprocess.run([helenus.binary, "admin", "-p", str(helenus.admin_port())] + list(args),
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def test_status_and_info(helenus, session):
    local = session.execute("SELECT host_id, tokens FROM system.local").one()
    rc, out, err = admin(helenus, "status")
    assert rc == 0, err
    assert "Datacenter: datacenter1" in out
    line = [l for l in out.splitlines() if l.startswith("UN ")]
    assert len(line) == 1
    assert "127.0.0.1" in line[0] and str(local.host_id) in line[0] and " 16 " in line[0]
    rc, out, err = admin(helenus, "info", "--tokens")
    assert rc == 0, err
    assert re.search(r"^ID\s+: %s$" % local.host_id, out, re.M)
    tokens = re.findall(r"^Token\s+: (-?\d+)$", out, re.M)
    assert sorted(tokens) == sorted(local.tokens)


def test_describecluster_reports_the_schema_version(helenus, session):
    v = session.execute("SELECT schema_version FROM system.local").one().schema_version
    rc, out, err = admin(helenus, "describecluster")
    assert rc == 0, err
    assert "Partitioner: org.apache.cassandra.dht.Murmur3Partitioner" in out
    assert "%s: [127.0.0.1]" % v in out


def test_tablestats_counts_partitions(helenus, session):
    session.execute("CREATE KEYSPACE IF NOT EXISTS adm WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE IF NOT EXISTS adm.t (k int PRIMARY KEY, v text)")
    for i in range(25):
        session.execute("INSERT INTO adm.t (k, v) VALUES (%s, 'x')", (i,))
    rc, out, err = admin(helenus, "tablestats", "adm.t")
    assert rc == 0, err
    assert "Keyspace : adm" in out and "Table: t" in out
    assert re.search(r"Number of partitions \(estimate\): 25$", out, re.M)
    session.execute("DROP KEYSPACE adm")


def test_errors(helenus):
    rc, out, err = admin(helenus, "no-such-command")
    assert rc == 1 and "unknown command" in err
    rc, out, err = admin(helenus, "tablestats", "nope.nope")
    assert rc == 1 and "Unknown keyspace/table" in err
    rc, out, err = admin(helenus, "version")
    assert rc == 0 and out.startswith("ReleaseVersion: 5.0")
    # nothing listening: a clear connection error, exit 2
    p = subprocess.run([helenus.binary, "admin", "-p", "1", "status"], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 2 and "cannot connect" in p.stderr


def test_metrics_are_valid_prometheus_text(helenus, session):
    import urllib.request
    from prometheus_client.parser import text_string_to_metric_families
    session.execute("CREATE KEYSPACE IF NOT EXISTS met WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute('CREATE TABLE IF NOT EXISTS met."MixedCase" (k int PRIMARY KEY)')
    session.execute('INSERT INTO met."MixedCase" (k) VALUES (1)')
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % helenus.admin_port(), timeout=10) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain")
        text = r.read().decode()
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    assert fams["helenus_up"].samples[0].value == 1
    parts = [s for s in fams["helenus_table_partitions"].samples
             if s.labels == {"keyspace": "met", "table": "MixedCase"}]
    assert len(parts) == 1 and parts[0].value == 1
    session.execute("DROP KEYSPACE met")


def test_admin_api_is_http_json(helenus):
    import json
    import urllib.error
    import urllib.request
    url = "http://127.0.0.1:%d/v1/command" % helenus.admin_port()
    req = urllib.request.Request(url, data=json.dumps({"args": ["version"]}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        body = json.loads(r.read())
    assert body["ok"] is True and body["output"].startswith("ReleaseVersion:")
    bad = urllib.request.Request(url, data=b"{not json", headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as ei:
        urllib.request.urlopen(bad, timeout=10)
    assert ei.value.code == 400 and json.loads(ei.value.read())["ok"] is False


def test_ring_commands(helenus, session):
    session.execute("CREATE KEYSPACE IF NOT EXISTS ring1 WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE IF NOT EXISTS ring1.t (k int PRIMARY KEY)")
    tokens = sorted(int(t) for t in session.execute("SELECT tokens FROM system.local").one().tokens)
    rc, out, err = admin(helenus, "describering", "ring1")
    assert rc == 0, err
    ranges = re.findall(r"TokenRange\(start_token:(-?\d+), end_token:(-?\d+), endpoints:\[127\.0\.0\.1\]", out)
    assert sorted(int(e) for _, e in ranges) == tokens
    rc, out, err = admin(helenus, "getendpoints", "ring1", "t", "42")
    assert rc == 0 and out.strip() == "127.0.0.1", err
    rc, out, err = admin(helenus, "getendpoints", "ring1", "t", "notanint")
    assert rc == 1
    rc, out, err = admin(helenus, "drain")
    assert rc == 0, err
    session.execute("DROP KEYSPACE ring1")


# --------------------------------------------------------------------------- metrics

def scrape(helenus):
    import urllib.request
    from prometheus_client.parser import text_string_to_metric_families
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % helenus.admin_port(), timeout=10) as r:
        text = r.read().decode()
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
        out[("type", fam.name)] = fam.type
    return out


def sample(m, name, **labels):
    return m.get((name, tuple(sorted(labels.items()))), 0)


def test_metrics_move_with_the_workload(helenus, session):
    # the session fixture runs each test once per protocol version: a table each
    t = "t%d" % session.cluster.protocol_version
    session.execute("CREATE KEYSPACE IF NOT EXISTS mw WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE IF NOT EXISTS mw." + t + " (k int, c int, v text, PRIMARY KEY (k, c))")
    before = scrape(helenus)
    ins = session.prepare("INSERT INTO mw." + t + " (k, c, v) VALUES (?, ?, ?)")
    for i in range(40):
        session.execute(ins, (i % 4, i, "v%d" % i))
    for k in range(4):
        assert len(list(session.execute("SELECT * FROM mw." + t + " WHERE k = %s", (k,)))) == 10
    assert len(list(session.execute("SELECT * FROM mw." + t))) == 40
    session.execute("INSERT INTO mw." + t + " (k, c, v) VALUES (9, 9, 'x') IF NOT EXISTS")
    session.execute("DELETE FROM mw." + t + " WHERE k = 0 AND c = 0")
    assert len(list(session.execute("SELECT * FROM mw." + t + " WHERE k = 0"))) == 9
    try:
        session.execute("SELECT * FROM mw.nope")
    except Exception:
        pass
    after = scrape(helenus)

    def delta(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    lat = "helenus_client_request_latency_seconds"
    assert after[("type", lat)] == "histogram"
    assert delta(lat + "_count", op="write") >= 41
    assert delta(lat + "_count", op="read") >= 5
    assert delta(lat + "_count", op="range_read") >= 1
    assert delta(lat + "_count", op="cas_write") == 1
    assert delta(lat + "_sum", op="write") > 0
    # cumulative buckets end at the count
    assert sample(after, lat + "_bucket", op="write", le="+Inf") == sample(after, lat + "_count", op="write")
    tl = dict(keyspace="mw", table=t)
    assert sample(after, "helenus_table_write_latency_seconds_count", **tl) >= 41
    assert sample(after, "helenus_table_read_latency_seconds_count", **tl) >= 5
    assert sample(after, "helenus_table_range_latency_seconds_count", **tl) >= 1
    # each partition read returned 10 (then 9) rows of one cell
    cells = "helenus_table_cell_count"
    assert sample(after, cells + "_bucket", le="5", **tl) == 0
    assert sample(after, cells + "_bucket", le="10", **tl) >= 5
    assert sample(after, "helenus_table_tombstones_scanned_sum", **tl) >= 1
    assert sample(after, "helenus_table_sstables_per_read_count", **tl) >= 5
    assert delta("helenus_requests_total", type="execute") >= 40
    assert delta("helenus_requests_total", type="prepare") >= 1
    assert delta("helenus_request_errors_total", code="0x2200") == 1
    assert sample(after, "helenus_connections") >= 1
    assert sample(after, "helenus_connections_total") >= 1
    assert delta("helenus_received_bytes_total") > 0 and delta("helenus_sent_bytes_total") > 0
    assert after[("type", "helenus_commitlog_syncs")] == "counter"
    assert sample(after, "helenus_commitlog_size_bytes") > 0
    assert sample(after, "helenus_memtable_bytes", **tl) > 0
    # a flush moves the table into SSTables and is counted
    rc, out, err = admin(helenus, "flush", "mw", t)
    assert rc == 0, err
    flushed = scrape(helenus)
    assert sample(flushed, "helenus_sstables", **tl) >= 1
    assert sample(flushed, "helenus_sstable_bytes", **tl) > 0
    assert sample(flushed, "helenus_flushes_total") > sample(after, "helenus_flushes_total")
    assert "helenus_compactions_pending" in [k[1] for k in flushed if k[0] == "type"]
    # reads now find their partition in one SSTable (one per shard owning it)
    for k in range(4):
        list(session.execute("SELECT * FROM mw." + t + " WHERE k = %s", (k,)))
    again = scrape(helenus)
    assert (sample(again, "helenus_table_sstables_per_read_sum", **tl)
            - sample(flushed, "helenus_table_sstables_per_read_sum", **tl)) == 4


def test_tablehistograms(helenus, session):
    t = "t%d" % session.cluster.protocol_version
    tt = "th." + t
    session.execute("CREATE KEYSPACE IF NOT EXISTS th WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE IF NOT EXISTS " + tt + " (k int PRIMARY KEY, a text, b text)")
    rc, out, err = admin(helenus, "tablehistograms", tt)
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == "th/%s histograms" % t
    assert lines[1] == "%-10s%10s%18s%18s%18s%18s" % ("Percentile", "SSTables", "Write Latency",
                                                    "Read Latency", "Partition Size", "Cell Count")
    assert lines[2] == "%-10s%10s%18s%18s%18s%18s" % ("", "", "(micros)", "(micros)", "(bytes)", "")
    assert [l.split()[0] for l in lines[3:10]] == ["50%", "75%", "95%", "98%", "99%", "Min", "Max"]
    assert lines[3] == "%-10s%10.2f%18.2f%18.2f%18s%18s" % ("50%", 0, 0, 0, "NaN", "NaN")
    for i in range(5):
        session.execute("INSERT INTO " + tt + " (k, a, b) VALUES (%s, 'xxxx', 'yy')", (i,))
        session.execute("SELECT * FROM " + tt + " WHERE k = %s", (i,))
    rc, out2, err = admin(helenus, "tablehistograms", "th", t)
    assert rc == 0, err
    row = out2.splitlines()[3].split()
    assert float(row[2]) > 0 and float(row[3]) > 0      # write and read latency
    assert row[5] == "2"                                  # two cells per partition
    # 4 key bytes + 4 + 2 value bytes
    assert row[4] == "10"
    assert out2.splitlines()[8].split()[0] == "Min"
    # the errors nodetool gives
    rc, out, err = admin(helenus, "tablehistograms", "th")
    assert rc == 1 and "tablehistograms requires keyspace and table name arguments" in err
    rc, out, err = admin(helenus, "tablehistograms", "th", "nope")
    assert rc == 1 and "Table [nope] does not exist in keyspace [th]." in err
    rc, out, err = admin(helenus, "tablehistograms", "nope.t")
    assert rc == 1 and "Keyspace [nope] does not exist." in err
    rc, out, err = admin(helenus, "cfhistograms", tt)
    assert rc == 0 and out.startswith("th/%s histograms" % t)
    rc, out, err = admin(helenus, "tablehistograms")
    assert rc == 0 and "th/%s histograms" % t in out


def test_proxyhistograms(helenus, session):
    session.execute("SELECT release_version FROM system.local")
    rc, out, err = admin(helenus, "proxyhistograms")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == "proxy histograms"
    assert lines[1] == "%-10s%19s%19s%19s%19s%19s%19s" % (
        "Percentile", "Read Latency", "Write Latency", "Range Latency", "CAS Read Latency",
        "CAS Write Latency", "View Write Latency")
    assert [l.split()[0] for l in lines[3:10]] == ["50%", "75%", "95%", "98%", "99%", "Min", "Max"]
    assert float(lines[3].split()[1]) > 0       # reads happened
    assert lines[3].endswith("%19.2f" % 0)       # no views


def test_timeouts(helenus):
    rc, out, err = admin(helenus, "gettimeout", "read")
    assert rc == 0 and out == "Current timeout for type read: 5000 ms\n"
    for t, ms in (("range", 10000), ("write", 2000), ("counterwrite", 5000),
                  ("cascontention", 1000), ("truncate", 60000), ("misc", 10000)):
        rc, out, err = admin(helenus, "gettimeout", t)
        assert out == "Current timeout for type %s: %d ms\n" % (t, ms)
    rc, out, err = admin(helenus, "settimeout", "write", "3500")
    assert rc == 0 and out == ""
    rc, out, err = admin(helenus, "gettimeout", "write")
    assert out == "Current timeout for type write: 3500 ms\n"
    admin(helenus, "settimeout", "write", "2000")
    rc, out, err = admin(helenus, "gettimeout", "bogus")
    assert rc == 1 and "bogus" in err
    rc, out, err = admin(helenus, "gettimeout")
    assert rc == 1 and "gettimeout requires a timeout type" in err
    rc, out, err = admin(helenus, "settimeout", "read", "-1")
    assert rc == 1 and "timeout must be non-negative" in err
    rc, out, err = admin(helenus, "settimeout", "read")
    assert rc == 1 and "Timeout type followed by value in ms" in err


def test_timeouts_come_from_the_config(tmp_path):
    from helpers import HelenusServer, finish_server
    conf = tmp_path / "cassandra.yaml"
    conf.write_text("read_request_timeout: 7s\nwrite_request_timeout_in_ms: 1500\n")
    srv = HelenusServer(extra_args=["--config", str(conf)]).start()
    try:
        rc, out, err = admin(srv, "gettimeout", "read")
        assert out == "Current timeout for type read: 7000 ms\n", err
        rc, out, err = admin(srv, "gettimeout", "write")
        assert out == "Current timeout for type write: 1500 ms\n"
    finally:
        finish_server(srv)


def test_admin_finds_the_node_from_its_config(helenus, tmp_path):
    conf = tmp_path / "node.yaml"
    conf.write_text("rpc_address: 127.0.0.1\nadmin_port: %d\n" % helenus.admin_port())
    p = subprocess.run([helenus.binary, "admin", "--config", str(conf), "version"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and p.stdout.startswith("ReleaseVersion: "), p.stderr
    # -p wins over the file
    p = subprocess.run([helenus.binary, "admin", "--config", str(conf), "-p", "1", "version"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "cannot connect to 127.0.0.1:1" in p.stderr
    p = subprocess.run([helenus.binary, "admin", "--config", str(tmp_path / "missing.yaml"),
                        "version"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "missing.yaml" in p.stderr

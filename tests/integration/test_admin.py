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

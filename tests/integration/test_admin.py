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

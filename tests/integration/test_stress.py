"""`helenus stress`, cassandra-stress's role: runs against the test server,
its output is parsed the way scripts parse cassandra-stress's "Results:"
block, and what it wrote is checked through the Python driver, including
the exact keys cassandra-stress would have used (java.util.Random seeded
with the population seed XOR Murmur3("randomstrkey"))."""
import json
import re
import subprocess
import uuid

import pytest

from cassandra.murmur3 import murmur3

from helpers import make_cluster


def stress(helenus, *args, timeout=120):
    p = subprocess.run([helenus.binary, "stress"] + list(args) +
                       ["-port", "native=%d" % helenus.port],
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def results(out):
    """The summary fields, as a cassandra-stress log parser reads them."""
    assert "\nResults:\n" in out, out
    block = out.split("\nResults:\n", 1)[1]
    fields = {}
    for line in block.splitlines():
        m = re.match(r"^([A-Za-z][A-Za-z0-9. ]*?)\s*: (.*)$", line)
        if m:
            fields[m.group(1)] = m.group(2)

    def num(name):
        m = re.match(r"\s*([\d,]+(?:\.\d+)?)", fields[name])
        return float(m.group(1).replace(",", ""))

    r = {
        "op_rate": num("Op rate"),
        "partition_rate": num("Partition rate"),
        "row_rate": num("Row rate"),
        "mean": num("Latency mean"),
        "median": num("Latency median"),
        "p95": num("Latency 95th percentile"),
        "p99": num("Latency 99th percentile"),
        "p999": num("Latency 99.9th percentile"),
        "max": num("Latency max"),
        "partitions": int(num("Total partitions")),
        "errors": int(num("Total errors")),
        "gc": int(num("Total GC count")),
        "time": fields["Total operation time"],
        "raw": fields,
    }
    assert re.match(r"^\d\d:\d\d:\d\d$", r["time"])
    assert r["median"] <= r["p95"] <= r["p99"] <= r["p999"] <= r["max"]
    return r


def stress_key(seed, size=10):
    """cassandra-stress's partition key for a population seed."""
    mask = (1 << 48) - 1
    state = [((seed ^ murmur3(b"randomstrkey")) ^ 0x5DEECE66D) & mask]

    def nxt(bits):
        state[0] = (state[0] * 0x5DEECE66D + 0xB) & mask
        return state[0] >> (48 - bits)

    def draw():
        u = ((nxt(26) << 27) + nxt(27)) * 2.0 ** -53
        v = int(u * (100000000000 + 1) + (1 - u) * 1)
        return min(max(v, 1), 100000000000)

    draw()
    out = bytearray()
    for i in range(0, size, 16):
        value = draw()
        for j in range(min(16, size - i)):
            v = value & 15
            out.append((ord("0") if v < 10 else ord("A")) + v)
            value >>= 4
    return bytes(out)


@pytest.fixture(scope="module")
def cql(helenus):
    c = make_cluster(helenus.port)
    s = c.connect()
    yield s
    c.shutdown()


@pytest.fixture
def ks():
    return "stress_" + uuid.uuid4().hex[:10]


def test_keys_match_cassandra_stress():
    # values printed by a JVM running the same formula
    assert stress_key(1) == b"0P37709P21"
    assert stress_key(123456789) == b"83P4M3KKN0"


def test_write_then_read(helenus, cql, ks, tmp_path):
    js, csv = tmp_path / "w.json", tmp_path / "w.csv"
    rc, out, err = stress(helenus, "write", "n=2000", "cl=ONE", "-rate", "threads=32",
                          "-schema", "keyspace=%s" % ks, "replication(factor=1)",
                          "-log", "interval=1s", "file=%s" % csv, "--json", str(js))
    assert rc == 0, err + out
    w = results(out)
    assert w["errors"] == 0
    assert w["partitions"] == 2000
    assert w["op_rate"] > 0 and w["row_rate"] == w["op_rate"]
    assert w["raw"]["Op rate"].endswith("op/s  [WRITE: %s op/s]" % w["raw"]["Op rate"].split()[0])
    assert "Warming up WRITE with 2000 iterations..." in out
    assert re.search(r"^total,\s+2000,", out, re.M), out
    summary = json.loads(js.read_text())
    assert summary["total_ops"] == 2000 and summary["total_errors"] == 0
    assert summary["latency_ms"]["p99"] <= summary["latency_ms"]["max"]
    lines = csv.read_text().splitlines()
    assert lines[0].startswith("type,total_ops,op_s,")
    assert lines[-1].startswith("summary,2000,")

    # the rows exist, under cassandra-stress's keys, with its schema
    assert cql.execute('SELECT count(*) FROM %s.standard1' % ks).one()[0] == 2000
    for seed in (1, 777, 2000):
        row = cql.execute('SELECT "C0", "C1", "C2", "C3", "C4" FROM %s.standard1 WHERE key = %%s'
                          % ks, [stress_key(seed)]).one()
        assert row is not None, seed
        assert all(len(v) == 34 for v in row)
    assert cql.execute('SELECT * FROM %s.standard1 WHERE key = %%s' % ks,
                       [stress_key(2001)]).one() is None
    cols = {r.column_name: r.type for r in cql.execute(
        "SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = %s "
        "AND table_name = 'standard1'", [ks])}
    assert cols == {"key": "blob", "C0": "blob", "C1": "blob", "C2": "blob", "C3": "blob",
                    "C4": "blob"}

    # every read finds its row: the default gaussian over 1..n, then the whole sequence
    rc, out, err = stress(helenus, "read", "n=2000", "-rate", "threads=16",
                          "-schema", "keyspace=%s" % ks)
    assert rc == 0, err + out
    r = results(out)
    assert r["errors"] == 0 and r["partitions"] == 2000 and r["row_rate"] == r["op_rate"]
    assert "[READ: " in r["raw"]["Op rate"]
    js2 = tmp_path / "r.json"
    rc, out, err = stress(helenus, "read", "n=2000", "no-warmup", "-pop", "seq=1..2000",
                          "-schema", "keyspace=%s" % ks, "--json", str(js2))
    assert rc == 0, err + out
    s = json.loads(js2.read_text())
    assert s["total_rows"] == 2000 and s["missing_reads"] == 0 and s["total_errors"] == 0


def test_mixed_and_unprepared_v4(helenus, cql, ks):
    rc, out, err = stress(helenus, "mixed", "n=1000", "ratio(write=1,read=3)", "no-warmup",
                          "-pop", "dist=uniform(1..500)", "-schema", "keyspace=%s" % ks,
                          "-mode", "native", "cql3", "unprepared", "protocolVersion=4",
                          "-rate", "threads=8")
    assert rc == 0, err + out
    r = results(out)
    assert r["errors"] == 0
    m = re.search(r"\[READ: ([\d,]+) op/s, WRITE: ([\d,]+) op/s\]", r["raw"]["Op rate"])
    assert m, r["raw"]["Op rate"]
    reads, writes = (int(x.replace(",", "")) for x in m.groups())
    assert reads > writes
    n = cql.execute('SELECT count(*) FROM %s.standard1' % ks).one()[0]
    assert 0 < n <= 500


def test_counter_write(helenus, cql, ks):
    rc, out, err = stress(helenus, "counter_write", "n=300", "no-warmup", "-col", "n=FIXED(3)",
                          "-schema", "keyspace=%s" % ks)
    assert rc == 0, err + out
    assert results(out)["errors"] == 0
    assert cql.execute('SELECT count(*) FROM %s.counter1' % ks).one()[0] == 300
    row = cql.execute('SELECT "C0", "C1", "C2" FROM %s.counter1 WHERE key = %%s' % ks,
                      [stress_key(42)]).one()
    assert tuple(row) == (1, 1, 1)


def test_options_ceiling_and_fixed_rate(helenus, tmp_path):
    rc, out, err = stress(helenus, "options", "duration=1s", "no-warmup", "-rate", "threads=64")
    assert rc == 0, err + out
    r = results(out)
    assert r["errors"] == 0 and r["op_rate"] > 0 and r["partitions"] == 0
    assert "[OPTIONS: " in r["raw"]["Op rate"]

    js = tmp_path / "f.json"
    rc, out, err = stress(helenus, "write", "duration=2s", "no-warmup", "-rate", "fixed=300/s",
                          "--json", str(js))
    assert rc == 0, err + out
    s = json.loads(js.read_text())
    assert s["fixed_rate"] == 300 and s["total_errors"] == 0
    # the schedule, not the server, sets the pace
    assert 450 <= s["total_ops"] <= 650, s
    assert s["latency_ms"]["p50"] >= s["service_latency_ms"]["p50"] * 0.99


def test_bad_arguments_and_unreachable_server(helenus):
    p = subprocess.run([helenus.binary, "stress", "write"], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 2 and "n=N or duration" in p.stderr
    p = subprocess.run([helenus.binary, "stress", "write", "n=1", "-rate", "threads>=4"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "threads=N" in p.stderr
    p = subprocess.run([helenus.binary, "stress", "help"], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0 and "counter_write" in p.stdout
    p = subprocess.run([helenus.binary, "stress", "write", "n=10", "-port", "native=1"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 1 and "cannot connect" in p.stderr

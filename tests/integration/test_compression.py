"""Frame compression as the drivers negotiate it: LZ4 and Snappy bodies in
protocol v4, LZ4 segments in v5 (Snappy is refused in v5, and the driver
then runs uncompressed), with large values crossing segment boundaries."""
import pytest

from helpers import make_cluster

CASES = [(4, "lz4"), (4, "snappy"), (5, "lz4"), (5, "snappy"), (3, "lz4")]


@pytest.mark.parametrize("version,algo", CASES, ids=["v%d-%s" % c for c in CASES])
def test_compressed_round_trips(helenus, version, algo):
    try:
        if algo == "lz4":
            import lz4  # noqa: F401
        else:
            import snappy  # noqa: F401
    except ImportError:
        pytest.skip("python3-%s is not installed (scripts/setup.sh installs it)" % algo)
    c = make_cluster(helenus.port, protocol_version=version, compression=algo)
    try:
        s = c.connect()
        s.execute("CREATE KEYSPACE IF NOT EXISTS comp WITH replication = "
                  "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        s.execute("CREATE TABLE IF NOT EXISTS comp.t (k int PRIMARY KEY, v text)")
        big = "".join(chr(97 + (i * 7) % 26) for i in range(300000))   # > one 128 KiB v5 segment
        ins = s.prepare("INSERT INTO comp.t (k, v) VALUES (?, ?)")
        for k in range(20):
            s.execute(ins, [k, big if k == 7 else "v%d" % k])
        got = {r.k: r.v for r in s.execute("SELECT k, v FROM comp.t")}
        assert len(got) == 20 and got[7] == big and got[3] == "v3"
        assert c.protocol_version == version
    finally:
        c.shutdown()

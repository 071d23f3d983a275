"""`helenus sstable` (dump, metadata, verify, index, summary) against the
Cassandra-written fixtures in ../shared/fixtures/cassandra-sstables, whose
README lists what each one holds. No server is needed: the tools read the
schema from each SSTable's own Statistics.db.

The binary is $HELENUS_BIN (default build/helenus).
"""
import json
import os
import pathlib
import random
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIX = ROOT.parent / "shared" / "fixtures" / "cassandra-sstables"
SCY = FIX / "scylladb" / "3.x"
UNC = SCY / "uncompressed"
LEG = FIX / "apache-cassandra" / "legacy-sstables"
NEG = FIX / "apache-cassandra" / "negative-ldts-invalid-deletions-test"

pytestmark = pytest.mark.skipif(
    not FIX.is_dir(), reason="SSTable fixtures not found at %s" % FIX)

NB_VAL = ("lxvwpnwfbdpmayjujittwghygywemwpvlemfkutzstfbiednkferyifrvvauhpdowraebccylljbibrbolnno"
          "ifwjkspqzgjdihyknypyzricuymwknfitpvjmvpcxob")
L = "0123456789" * 120


def binary():
    b = os.environ.get("HELENUS_BIN") or str(ROOT / "build" / "helenus")
    if not os.path.exists(b):
        pytest.skip("helenus binary %s not built (set HELENUS_BIN)" % b)
    return b


def run(*args, check=None):
    p = subprocess.run([binary(), "sstable"] + [str(a) for a in args],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    assert "AddressSanitizer" not in err and "runtime error" not in err, err
    assert p.returncode >= 0, "killed by signal %d: %s" % (-p.returncode, err)
    if check is not None:
        assert p.returncode == check, "exit %d, stderr: %s" % (p.returncode, err)
    return p.returncode, out, err


def data(d, v="mc"):
    return d / ("%s-1-big-Data.db" % v)


def dump(path, *opts):
    rc, out, err = run("dump", path, *opts, check=0)
    return json.loads(out)


def rows_of(part):
    return [r for r in part["rows"] if r["type"] == "row"]


def cells(row):
    return {c["name"]: c for c in row["cells"] if "path" not in c and "value" in c}


# --------------------------------------------------------------------------- help


@pytest.mark.parametrize("cmd", ["dump", "metadata", "verify", "index", "summary"])
def test_help_is_a_man_page(cmd):
    rc, out, _ = run(cmd, "--help", check=0)
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS"):
        assert re.search(r"^%s$" % section, out, re.M), (section, out)
    assert "helenus sstable %s" % cmd in out


def test_usage_errors():
    rc, _, err = run("dump")
    assert rc == 2 and "usage" in err
    rc, _, err = run("dump", "--bogus", data(UNC / "simple"))
    assert rc == 2 and "unrecognized option" in err
    rc, _, err = run("frobnicate")
    assert rc == 2
    rc, out, _ = run("--help", check=0)
    assert "dump" in out and "verify" in out
    rc, _, err = run("dump", "/nonexistent/mc-1-big-Data.db")
    assert rc == 1 and "Cannot find file" in err


# --------------------------------------------------------------------------- dump


def test_dump_simple_partitions_in_token_order():
    parts = dump(data(UNC / "simple"))
    # Murmur3 order of int keys 1..5 (README section 5)
    assert [p["partition"]["key"] for p in parts] == [["5"], ["1"], ["2"], ["4"], ["3"]]
    assert parts[0]["partition"]["position"] == 0
    for p in parts:
        k = int(p["partition"]["key"][0])
        (row,) = p["rows"]
        assert row["type"] == "row"
        assert row["clustering"] == [100 + k]
        assert cells(row)["val"]["value"] == 1000 + k
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", row["liveness_info"]["tstamp"])
        assert row["position"] > p["partition"]["position"]
        # the cell shares the row timestamp, so it carries none of its own
        assert "tstamp" not in cells(row)["val"]


def test_dump_positions_match_index():
    rc, out, _ = run("index", UNC / "simple" / "mc-1-big-Index.db", check=0)
    positions = [int(m) for m in re.findall(r"position=(\d+)", out)]
    parts = dump(data(UNC / "simple"))
    assert [p["partition"]["position"] for p in parts] == positions


@pytest.mark.parametrize("v", ["ma", "mc", "me", "na", "nb", "oa"])
def test_dump_legacy_simple_and_clust(v):
    d = LEG / v / "legacy_tables"
    parts = dump(data(d / ("legacy_%s_simple" % v), v))
    assert [p["partition"]["key"] for p in parts] == [[str(i)] for i in range(5)]
    for p in parts:
        (row,) = rows_of(p)
        assert cells(row)["val"]["value"] == "foo bar baz"
    parts = dump(data(d / ("legacy_%s_clust" % v), v))
    assert len(parts) == 5
    for p in parts:
        rows = rows_of(p)
        assert len(rows) == 50
        cks = [r["clustering"][0] for r in rows]
        assert cks == sorted([str(i) + L for i in range(50)])
        if v == "nb":
            assert all(cells(r)["val"]["value"] == NB_VAL for r in rows)


def test_dump_counters():
    parts = dump(data(UNC / "counters"))
    got = {p["partition"]["key"][0]: cells(p["rows"][0])["val"]["value"] for p in parts}
    assert got == {"1": 3, "2": 2, "3": 6}
    # counter rows have no row marker: the cell has its own timestamp
    assert "liveness_info" not in parts[0]["rows"][0]
    assert "tstamp" in cells(parts[0]["rows"][0])["val"]
    parts = dump(data(LEG / "nb" / "legacy_tables" / "legacy_nb_simple_counter", "nb"))
    assert [cells(p["rows"][0])["val"]["value"] for p in parts] == [1] * 5


def test_dump_static_rows():
    parts = dump(data(UNC / "static_row"))
    assert len(parts) == 5
    for p in parts:
        k = int(p["partition"]["key"][0])
        st, row = p["rows"]
        assert st["type"] == "static_block" and "clustering" not in st
        assert cells(st)["s"]["value"] == 100 + k
        assert row["clustering"] == [10 + k] and cells(row)["val"]["value"] == 1000 + k
    parts = dump(data(UNC / "write_static_row"))
    (p,) = parts
    assert p["partition"]["key"] == ["key1"]
    (st,) = p["rows"]
    assert st["type"] == "static_block"
    assert cells(st)["st1"]["value"] == 1135 and cells(st)["st2"]["value"] == "hello"


def test_dump_collections():
    parts = dump(data(UNC / "collections"))
    assert len(parts) == 5
    for p in parts:
        k = int(p["partition"]["key"][0])
        (row,) = p["rows"]
        by = {}
        for c in row["cells"]:
            by.setdefault(c["name"], []).append(c)
        # an INSERT of a whole collection writes a complex deletion first
        for name in ("set_val", "list_val", "map_val"):
            assert "deletion_info" in by[name][0] and "path" not in by[name][0]
        sets = [c["path"][0] for c in by["set_val"] if "path" in c]
        assert len(sets) == 3
        maps = {c["path"][0]: c["value"] for c in by["map_val"] if "path" in c}
        assert len(maps) == 3 and all(v.startswith("Text ") for v in maps.values())
        lists = [c["value"] for c in by["list_val"] if "path" in c]
        assert len(lists) == 3 and all(v.startswith("Text ") for v in lists)
    one = [p for p in parts if p["partition"]["key"] == ["1"]][0]
    sets = sorted(c["path"][0] for c in one["rows"][0]["cells"]
                  if c["name"] == "set_val" and "path" in c)
    assert sets == ["1", "2", "3"]


def test_dump_deleted_cells_and_rows():
    (p,) = dump(data(UNC / "deleted_cells"))
    rows = rows_of(p)
    assert [r["clustering"][0] for r in rows] == [101, 102, 103, 104, 105]
    for r in rows:
        (c,) = r["cells"]
        if r["clustering"][0] in (102, 104):
            assert "value" not in c and "local_delete_time" in c["deletion_info"]
            assert "tstamp" in c
        else:
            assert c["value"] == 1000 + r["clustering"][0] - 100
    (p,) = dump(data(UNC / "write_deleted_row"))
    (r,) = p["rows"]
    assert r["clustering"] == [2]
    assert set(r["deletion_info"]) == {"marked_deleted", "local_delete_time"}
    assert r["cells"] == []


def test_dump_ttl():
    (p,) = dump(data(UNC / "write_ttled_row"))
    (r,) = p["rows"]
    li = r["liveness_info"]
    assert li["ttl"] == 1135 and li["expired"] is True and "expires_at" in li
    (p,) = dump(data(UNC / "write_ttled_column"))
    (c,) = p["rows"][0]["cells"]
    assert c["ttl"] == 1135 and c["value"] == 1 and "expires_at" in c


def test_dump_range_tombstones():
    (p,) = dump(data(UNC / "range_tombstones_simple"))
    kinds = [r["type"] for r in p["rows"]]
    assert kinds.count("row") == 5
    markers = [r for r in p["rows"] if r["type"] != "row"]
    # ck>101 AND ck<104, ck>=104 AND ck<105 (a boundary at 104), ck>108
    assert [m["type"] for m in markers] == [
        "range_tombstone_bound", "range_tombstone_boundary", "range_tombstone_bound",
        "range_tombstone_bound", "range_tombstone_bound"]
    m0 = markers[0]["start"]
    assert m0["type"] == "exclusive" and m0["clustering"] == [101]
    assert set(m0["deletion_info"]) == {"marked_deleted", "local_delete_time"}
    b = markers[1]
    assert b["start"]["type"] == "inclusive" and b["start"]["clustering"] == [104]
    assert b["end"]["type"] == "exclusive" and b["end"]["clustering"] == [104]
    assert markers[2]["end"]["clustering"] == [105]
    assert markers[4]["end"]["type"] == "inclusive" and "clustering" not in markers[4]["end"]
    # rows and markers interleave in clustering order
    assert [r.get("clustering", [None])[0] for r in p["rows"] if r["type"] == "row"] == \
        [101, 105, 106, 107, 108]
    (p,) = dump(data(UNC / "range_tombstones_partial"))
    markers = [r for r in p["rows"] if r["type"] != "row"]
    assert len(markers) == 4
    # a clustering prefix: the missing component shows as "*"
    assert markers[0]["start"]["clustering"] == [1, "*"]


def test_dump_nb_murmur3_whole_partition_tombstone():
    parts = dump(data(NEG / "invalid_range_tombstone_compaction", "nb"))
    assert [p["partition"]["key"] for p in parts] == [["1"], ["0"], ["22"]]
    p22 = parts[2]
    markers = [r for r in p22["rows"] if r["type"] == "range_tombstone_bound"]
    assert len(markers) == 2
    assert markers[0]["start"]["type"] == "inclusive" and "clustering" not in markers[0]["start"]
    # the deliberately invalid local deletion time -1
    assert markers[0]["start"]["deletion_info"]["local_delete_time"] == "1969-12-31T23:59:59Z"
    assert [r["clustering"] for r in rows_of(p22)] == [[33]]


def test_dump_composite_key_and_types():
    (p,) = dump(data(UNC / "write_composite_partition_key"))
    assert p["partition"]["key"] == ["1", "hello", "true"]
    (r,) = p["rows"]
    assert r["clustering"] == [2, "dear"]
    assert cells(r)["f"]["value"] == 3 and cells(r)["g"]["value"] == "world"
    (p,) = dump(data(UNC / "write_user_defined_type_table"))
    v = cells(p["rows"][0])["rc"]["value"]
    assert v == {"my_int": 1703, "my_boolean": True, "my_text": "Санкт-Петербург"}
    (p,) = dump(data(UNC / "write_different_types"))
    c = cells(p["rows"][0])
    assert c["varcharval"]["value"] == "привет"
    assert c["durationval"]["value"] == "1h4m48s20ms"
    assert c["boolval"]["value"] is True


@pytest.mark.parametrize("comp", ["lz4", "snappy", "deflate", "uncompressed"])
def test_dump_compressors(comp):
    parts = dump(data(SCY / comp / "partition_key_with_values_of_different_types"))
    assert sorted(int(p["partition"]["key"][0]) for p in parts) == [1, 2, 3, 4, 5]


def test_dump_key_filters():
    path = data(UNC / "simple")
    parts = dump(path, "-k", "2")
    assert [p["partition"]["key"] for p in parts] == [["2"]]
    parts = dump(path, "-k", "3", "1")
    assert [p["partition"]["key"] for p in parts] == [["1"], ["3"]]
    parts = dump(path, "-x", "1", "-x", "5")
    assert [p["partition"]["key"] for p in parts] == [["2"], ["4"], ["3"]]
    assert dump(path, "-k", "42") == []
    # text keys, plain or as a CQL literal
    leg = data(LEG / "nb" / "legacy_tables" / "legacy_nb_simple", "nb")
    assert [p["partition"]["key"] for p in dump(leg, "-k", "3")] == [["3"]]
    assert [p["partition"]["key"] for p in dump(leg, "-k", "'3'")] == [["3"]]
    comp = data(UNC / "write_composite_partition_key")
    assert len(dump(comp, "-k", "1:hello:true")) == 1
    assert dump(comp, "-k", "1:hello:false") == []
    rc, _, err = run("dump", path, "-k", "notanint")
    assert rc == 1 and "notanint" in err


def test_dump_enumerate_keys():
    rc, out, _ = run("dump", data(UNC / "simple"), "-e", check=0)
    assert json.loads(out) == [["5"], ["1"], ["2"], ["4"], ["3"]]
    assert out.startswith("[ [ \"5\" ]")


def test_dump_debug_lines():
    rc, out, _ = run("dump", data(UNC / "simple"), "-d", check=0)
    lines = out.splitlines()
    assert len(lines) == 5
    assert re.match(r"^\[5\]@0 Row\[info=\[ts=\d+\] \]: 105 \| \[val=1005 ts=\d+\]$", lines[0]), lines[0]
    rc, out, _ = run("dump", data(UNC / "range_tombstones_simple"), "-d", check=0)
    assert "Marker EXCL_START_BOUND(101)@" in out
    assert "Marker EXCL_END_INCL_START_BOUNDARY(104)@" in out
    rc, out, _ = run("dump", data(UNC / "static_row"), "-d", check=0)
    assert re.search(r"^\[1\]@\d+ Row\[info=\[ts=-9223372036854775808\] \]: STATIC \| \[s=101 ts=\d+\]$",
                     out, re.M), out


def test_dump_raw_timestamps_and_json_lines():
    parts = dump(data(UNC / "simple"), "-t")
    ts = parts[0]["rows"][0]["liveness_info"]["tstamp"]
    assert re.match(r"^\d{16}$", ts)
    rc, out, _ = run("dump", data(UNC / "simple"), "-l", check=0)
    lines = out.splitlines()
    assert len(lines) == 5
    assert [json.loads(x)["partition"]["key"] for x in lines] == [["5"], ["1"], ["2"], ["4"], ["3"]]


def test_dump_readme_counts():
    """Row and marker counts per the README's decoded-facts table."""
    cases = [
        (UNC / "filtering_and_forwarding", 2, 20, 0, 1),
        (UNC / "skip_using_index_rows", 2, 2048, 0, 2),
        (UNC / "write_non_adjacent_range_tombstones", 1, 0, 4, 0),
        (UNC / "write_simple_range_tombstone", 1, 0, 2, 0),
        (UNC / "read_range_tombstone_boundaries_index", 1, 0, 1023, 0),
        (UNC / "large_subset_of_columns_sparse", 5, 5, 0, 0),
    ]
    for d, np, nr, nm, ns in cases:
        parts = dump(data(d))
        assert len(parts) == np, d
        allrows = [r for p in parts for r in p["rows"]]
        assert sum(r["type"] == "row" for r in allrows) == nr, d
        assert sum(r["type"] == "static_block" for r in allrows) == ns, d
        assert sum(r["type"].startswith("range_tombstone") for r in allrows) == nm, d


# --------------------------------------------------------------------------- metadata


def meta(path):
    rc, out, err = run("metadata", path, check=0)
    fields = {}
    for line in out.splitlines():
        m = re.match(r"^([A-Za-z][^:]*): (.*)$", line)
        if m:
            fields[m.group(1)] = m.group(2)
    return fields, out


def test_metadata_nb():
    f, out = meta(data(LEG / "nb" / "legacy_tables" / "legacy_nb_clust", "nb"))
    assert f["Partitioner"] == "org.apache.cassandra.dht.ByteOrderedPartitioner"
    assert f["Bloom Filter FP chance"] == "0.01"
    assert f["Minimum timestamp"].startswith("1620986780251000 (")
    assert f["Compressor"] == "org.apache.cassandra.io.compress.LZ4Compressor"
    assert f["totalRows"] == "250" and f["totalColumnsSet"] == "250"
    assert f["SSTable Level"] == "0" and f["Repaired at"] == "0"
    assert f["Pending repair"] == "--"
    assert f["Originating host id"] == "f8474a0c-8218-4948-8397-1005c9147a26"
    assert f["SSTable min local deletion time"].endswith("(no tombstones)")
    assert f["KeyType"] == "org.apache.cassandra.db.marshal.UTF8Type"
    assert f["ClusteringTypes"] == "[org.apache.cassandra.db.marshal.UTF8Type]"
    assert f["RegularColumns"] == "{val:org.apache.cassandra.db.marshal.UTF8Type}"
    assert f["StaticColumns"] == "{}"
    assert f["First token"].endswith("(key=0)") and f["Last token"].endswith("(key=4)")
    assert f["minClusteringValues"] == "[0%s]" % L
    assert "Replay positions covered" in f
    assert "Partition Size:" in out and "Column Count:" in out
    assert "Estimated tombstone drop times:" in out


def test_metadata_mc():
    f, out = meta(data(UNC / "static_row"))
    assert f["Partitioner"] == "org.apache.cassandra.dht.Murmur3Partitioner"
    assert f["Compressor"] == "-"
    assert "Compression ratio" not in f
    assert f["First token"] == "-7509452495886106294 (key=5)"
    assert f["totalRows"] == "10"   # static rows count too
    assert f["StaticColumns"] == "{s:org.apache.cassandra.db.marshal.Int32Type}"
    assert f["RegularColumns"] == "{val:org.apache.cassandra.db.marshal.Int32Type}"
    assert f["minClusteringValues"] == "[11]" and f["maxClusteringValues"] == "[15]"
    assert "Pending repair" not in f   # no such field before na
    f, _ = meta(data(UNC / "write_ttled_row"))
    assert f["TTL min"] == "1135 (18 minutes 55 seconds)"
    f, _ = meta(data(UNC / "deleted_cells"))
    assert not f["SSTable min local deletion time"].endswith("(no tombstones)")
    f, _ = meta(data(UNC / "random_partitioner"))
    assert f["Partitioner"] == "org.apache.cassandra.dht.RandomPartitioner"


def test_metadata_several_and_missing():
    rc, out, _ = run("metadata", data(UNC / "simple"), data(UNC / "counters"), check=0)
    assert out.count("SSTable: ") == 2
    rc, out, _ = run("metadata", "/nonexistent/mc-1-big-Data.db")
    assert rc == 1 and "No such file" in out


# --------------------------------------------------------------------------- verify

GOOD = [
    data(UNC / "simple"),
    data(UNC / "collections"),
    data(UNC / "range_tombstones_simple"),
    data(SCY / "lz4" / "partition_key_with_values_of_different_types"),
    data(SCY / "snappy" / "partition_key_with_values_of_different_types"),
    data(SCY / "deflate" / "partition_key_with_values_of_different_types"),
    data(LEG / "nb" / "legacy_tables" / "legacy_nb_clust", "nb"),
    data(LEG / "oa" / "legacy_tables" / "legacy_oa_clust_counter", "oa"),
    data(LEG / "ma" / "legacy_tables" / "legacy_ma_simple", "ma"),
    data(NEG / "invalid_range_tombstone_reader", "nb"),
]


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.parent.name)
def test_verify_good(path):
    rc, out, err = run("verify", path, check=0)
    assert "succeeded" in out and err == ""


@pytest.mark.parametrize("comp,kind,words", [
    ("uncompressed", "invalid_digest", ["Digest.crc32"]),
    ("uncompressed", "invalid_checksums", ["Digest.crc32", "CRC.db"]),
    ("lz4", "invalid_digest", ["Digest.crc32"]),
    ("lz4", "invalid_checksums", ["checksum mismatch"]),
])
def test_verify_integrity_check_fails(comp, kind, words):
    path = SCY / comp / "integrity_check" / kind / "me-1-big-Data.db"
    rc, out, err = run("verify", path)
    assert rc == 1
    for w in words:
        assert w in err, err
    assert "failed" in err
    # several files: still non-zero when one is bad
    rc, _, _ = run("verify", "-q", data(UNC / "simple"), path)
    assert rc == 1


def test_verify_bloom_and_summary(tmp_path):
    d = tmp_path / "t"
    shutil.copytree(UNC / "simple", d)
    # an empty bloom filter (same size) misses every key
    f = d / "mc-1-big-Filter.db"
    b = bytearray(f.read_bytes())
    b[8:] = bytes(len(b) - 8)
    f.write_bytes(bytes(b))
    rc, _, err = run("verify", data(d))
    assert rc == 1 and "bloom filter" in err


# --------------------------------------------------------------------------- index / summary


def test_index_listing():
    rc, out, _ = run("index", LEG / "nb" / "legacy_tables" / "legacy_nb_clust" / "nb-1-big-Index.db",
                     check=0)
    assert "5 entries" in out
    assert len(re.findall(r"^\d+: key=", out, re.M)) == 5
    assert len(re.findall(r"^    block \d+:", out, re.M)) == 65
    assert "partition_deletion=LIVE" in out
    rc, out, _ = run("index", UNC / "simple" / "mc-1-big-Index.db", check=0)
    assert re.search(r"^0: key=5 \(0x00000005\) token=-7509452495886106294 position=0 ", out, re.M), out


def test_summary_listing():
    rc, out, _ = run("summary", UNC / "simple" / "mc-1-big-Summary.db", check=0)
    assert "min_index_interval: 128" in out
    assert re.search(r"^0: key=5 .* index_position=0$", out, re.M), out
    assert "first_key: 5" in out and "last_key: 3" in out
    rc, _, err = run("summary", UNC / "read_missing_summary" / "mc-1-big-Summary.db")
    assert rc == 1 and "Summary.db" in err


# --------------------------------------------------------------------------- robustness


def _corruptions(src):
    """(name, mutate(dir)) pairs: truncations and byte flips of each component."""
    rnd = random.Random(1234)
    out = []
    for comp in ("Data.db", "Index.db", "Statistics.db", "Summary.db", "CompressionInfo.db",
                 "Filter.db", "CRC.db"):
        f = next(iter(src.glob("*-" + comp)), None)
        if f is None:
            continue
        size = f.stat().st_size
        for cut in sorted({0, 1, size // 3, size // 2, max(size - 1, 0)}):
            out.append(("%s-trunc%d" % (comp, cut), comp, ("trunc", cut)))
        for i in range(6):
            pos = rnd.randrange(size) if size else 0
            out.append(("%s-flip%d" % (comp, i), comp, ("flip", pos, rnd.randrange(1, 256))))
    return out


@pytest.mark.parametrize("src", [
    UNC / "range_tombstones_simple",
    UNC / "collections",
    SCY / "lz4" / "partition_key_with_values_of_different_types",
    LEG / "nb" / "legacy_tables" / "legacy_nb_clust",
    LEG / "oa" / "legacy_tables" / "legacy_oa_simple",
], ids=lambda p: p.name)
def test_tools_never_crash_on_corrupt_copies(src, tmp_path):
    for name, comp, how in _corruptions(src):
        d = tmp_path / name
        shutil.copytree(src, d)
        f = next(d.glob("*-" + comp))
        b = bytearray(f.read_bytes())
        if how[0] == "trunc":
            b = b[:how[1]]
        elif b:
            b[how[1]] ^= how[2]
        f.write_bytes(bytes(b))
        dataf = next(d.glob("*-Data.db"))
        prefix = str(dataf)[:-len("Data.db")]
        for args in (["dump", dataf], ["dump", dataf, "-d"], ["dump", dataf, "-e"],
                     ["metadata", dataf], ["verify", dataf], ["index", prefix + "Index.db"],
                     ["summary", prefix + "Summary.db"]):
            rc, out, err = run(*args)
            assert rc in (0, 1), (name, args, rc, err)
            if rc == 1 and args[0] != "metadata":
                assert err.strip(), (name, args)
        # detectable for sure: any change to Data.db (Digest), a flipped CRC
        # word (not the chunk-size header, which may still cover the file)
        if comp == "Data.db" or (comp == "CRC.db" and how[0] == "flip" and how[1] >= 4) or \
                (comp == "Summary.db" and how[0] == "trunc"):
            rc, _, err = run("verify", dataf)
            assert rc == 1, (name, err)
        shutil.rmtree(d)

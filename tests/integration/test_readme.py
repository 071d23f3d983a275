"""The README's tour runs as written: every command of the block after
`<!-- tour -->` is run against a fresh node (the node it starts itself), with
the ports and data directory substituted, so the README cannot rot."""
import os
import re
import signal
import subprocess
import time

from helpers import free_port, port_open, server_binary

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def tour_lines():
    text = open(os.path.join(ROOT, "README.md")).read()
    m = re.search(r"<!-- tour -->\s*```sh\n(.*?)```", text, re.S)
    assert m, "README.md has no tour block"
    return [l for l in m.group(1).splitlines() if l.strip()]


def test_readme_tour(tmp_path):
    binary = os.path.abspath(server_binary())
    native, admin = free_port(), free_port()
    data = str(tmp_path / "tour")

    def subst(line):
        line = line.replace("build/helenus", binary).replace("/tmp/helenus-tour", data)
        line = re.sub(r"\b9042\b", str(native), line)
        return re.sub(r"\b7199\b", str(admin), line)

    lines = tour_lines()
    # a node, shell statements, admin, metrics, stress and an SSTable dump
    for what in ("helenus server", "helenus cql", "admin -p 7199 status", "tablestats",
                 "tablehistograms", "/metrics", "helenus stress", "helenus sstable dump"):
        assert any(what in l for l in lines), what
    assert lines[0].endswith("&") and lines[-1] == "kill %1"
    log = open(str(tmp_path / "server.log"), "wb")
    server = subprocess.Popen(["bash", "-c", "exec " + subst(lines[0][:-1])], stdout=log,
                              stderr=log, cwd=str(tmp_path), start_new_session=True)
    outputs = {}
    try:
        deadline = time.monotonic() + 60
        while not (port_open(native) and port_open(admin)):
            assert server.poll() is None, open(str(tmp_path / "server.log")).read()
            assert time.monotonic() < deadline, "the tour's node did not start"
            time.sleep(0.1)
        for line in lines[1:-1]:
            p = subprocess.run(["bash", "-o", "pipefail", "-c", subst(line)], capture_output=True,
                               text=True, timeout=300, cwd=str(tmp_path))
            assert p.returncode == 0, "%s\n%s%s" % (line, p.stdout, p.stderr)
            outputs[line] = p.stdout
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
        rc = server.wait(timeout=60)
        log.close()
    assert rc == 0, open(str(tmp_path / "server.log")).read()

    def out(fragment):
        return next(v for k, v in outputs.items() if fragment in k)

    assert re.search(r"^\s+1 \|\s+ada$", out("SELECT * FROM tour.users"), re.M)
    assert out("admin -p 7199 status").count("\nUN ") == 1
    assert "Table: users" in out("tablestats")
    hist = out("tablehistograms").splitlines()
    assert hist[0] == "tour/users histograms"
    assert hist[1].split() == ["Percentile", "SSTables", "Write", "Latency", "Read", "Latency",
                               "Partition", "Size", "Cell", "Count"]
    # the read of id 1 returned one partition with one cell (name)
    assert hist[3].split()[0] == "50%" and hist[3].split()[5] == "1"
    counts = dict(re.findall(r'op="(\w+)"\} (\d+)', out("/metrics")))
    assert int(counts["write"]) >= 1 and int(counts["read"]) >= 1
    assert "Op rate" in out("helenus stress")
    assert '"key" : [ "1" ]' in out("sstable dump") or '"1"' in out("sstable dump")

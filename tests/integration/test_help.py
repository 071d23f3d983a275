"""Manual pages: `helenus --help` and each subcommand's --help print a page
with NAME, SYNOPSIS, DESCRIPTION, OPTIONS, EXAMPLES and EXIT STATUS, exit 0,
and mention every flag the subcommand's parser accepts (the flags are read
from the parsers' option tables in the sources, so a new flag without a
line in its page fails here)."""
import os
import re
import subprocess

import pytest

from helpers import server_binary

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECTIONS = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXAMPLES", "EXIT STATUS"]


def src(path):
    """A source file without its comments (they quote option names too)."""
    text = open(os.path.join(ROOT, path)).read()
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def run(*args):
    return subprocess.run([server_binary()] + list(args), capture_output=True, text=True,
                          timeout=30)


def long_options(text, func):
    """The `struct option` table inside a function: --name for each entry."""
    body = text[text.index(func):]
    table = body[body.index("struct option"):body.index("{ NULL, 0, NULL, 0 }")]
    return ["--" + n for n in re.findall(r'\{\s*"([a-z-]+)",', table)]


def server_flags():
    return long_options(src("src/main.c"), "static int cmd_server")


def cql_flags():
    text = src("src/tools/cql.c")
    flags = long_options(text, "int tool_cql")
    shorts = re.search(r'getopt_long\(argc, argv, "([^"]+)"', text).group(1)
    return flags + ["-" + c for c in shorts if c.isalpha()]


def admin_flags():
    text = src("src/tools/admin.c")
    table = text[text.index("admin_flags[] = {"):]
    table = table[:table.index("};")]
    return [f for f in re.findall(r'"(-[-a-z]+)"', table)]


def stress_flags():
    text = src("src/tools/stress_opts.c")
    words = set(re.findall(r'"([A-Za-z][A-Za-z-]*=)"', text))
    words |= set(re.findall(r'"(-{1,2}[a-z?]+)"', text))
    return sorted(words)


PAGES = [
    (["--help"], None),
    (["-h"], None),
    (["server", "--help"], server_flags),
    (["admin", "--help"], admin_flags),
    (["cql", "--help"], cql_flags),
    (["stress", "--help"], stress_flags),
    (["sstable", "--help"], None),
    (["admin", "help", "tablehistograms"], admin_flags),
    (["admin", "help", "settimeout"], admin_flags),
]


@pytest.mark.parametrize("args,flags", PAGES, ids=[" ".join(a) for a, _ in PAGES])
def test_page(args, flags):
    p = run(*args)
    assert p.returncode == 0, p.stderr
    pos = [p.stdout.find("\n" + s + "\n") if i else p.stdout.find(s + "\n")
           for i, s in enumerate(SECTIONS)]
    assert all(x >= 0 for x in pos), "missing section in:\n" + p.stdout
    assert pos == sorted(pos), "sections out of order"
    if flags:
        names = flags()
        assert len(names) >= 2, names
        missing = [f for f in names if f not in p.stdout]
        assert not missing, "flags the parser accepts but the page does not name: %s" % missing


def test_every_admin_command_has_a_page():
    """The node's command list and the local pages agree."""
    text = src("src/server/admin.c")
    body = text[text.index("static int execute("):]
    body = body[:body.index("sch_release(s);")]
    commands = sorted(set(re.findall(r'!strcmp\(c, "([a-z]+)"\)', body)))
    assert "tablehistograms" in commands and "settimeout" in commands
    for c in commands:
        p = run("admin", "help", c)
        assert p.returncode == 0 and p.stdout.startswith("NAME\n"), c
        assert "helenus admin " in p.stdout
    p = run("admin", "help", "nosuch")
    assert p.returncode == 2 and "nosuch" in p.stderr


def test_usage_errors_exit_2():
    assert run().returncode == 2
    assert run("nosuch").returncode == 2
    assert run("server", "--nosuch").returncode == 2
    assert run("admin").returncode == 2
    p = run("admin", "-p")
    assert p.returncode == 2 and "needs a value" in p.stderr

"""Server-side token() is bit-exact Murmur3 as the drivers compute it (the
tail-byte sign extension and the MIN -> MAX rule included)."""
import struct

import pytest
from cassandra.metadata import Murmur3Token

VECTORS = [
    ("int", 1, -4069959284402364209),
    ("int", 0, -3485513579396041028),
    ("int", -1, 7297452126230313552),
    ("bigint", 1, 6292367497774912474),
    ("text", "a", -8839064797231613815),
    ("text", "hello", -3758069500696749310),
    ("text", "abcdefghijklmnopq", 8459014091212432983),
    ("blob", b"\xff" * 15, -2195530867418009455),
    ("blob", bytes(range(0x80, 0x94)), 4445046086399922156),
]


@pytest.mark.parametrize("typ,key,token", VECTORS, ids=["%s-%d" % (v[0], i) for i, v in enumerate(VECTORS)])
def test_token_vectors(session, keyspace, typ, key, token):
    t = "%s.tok_%s" % (keyspace, typ)
    session.execute("CREATE TABLE IF NOT EXISTS %s (k %s PRIMARY KEY, v int)" % (t, typ))
    ps = session.prepare("INSERT INTO %s (k, v) VALUES (?, 1)" % t)
    session.execute(ps, [key])
    sel = session.prepare("SELECT token(k) FROM %s WHERE k = ?" % t)
    assert session.execute(sel, [key]).one()[0] == token
    # and the driver agrees (so token-aware routing hits the right replica)
    assert session.execute(sel, [key]).one()[0] == Murmur3Token.from_key(ps.bind([key]).routing_key).value


def test_many_random_keys_match_driver(session, keyspace):
    import random
    rnd = random.Random(42)
    t = "%s.tok_rand" % keyspace
    session.execute("CREATE TABLE %s (k blob PRIMARY KEY)" % t)
    ins = session.prepare("INSERT INTO %s (k) VALUES (?)" % t)
    keys = [bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 40))) for _ in range(300)]
    for f in [session.execute_async(ins, [k]) for k in keys]:
        f.result()
    got = {bytes(r.k): r[1] for r in session.execute("SELECT k, token(k) FROM %s" % t)}
    assert len(got) == len(set(keys))
    for k, tok in got.items():
        assert tok == Murmur3Token.from_key(k).value, k.hex()


def test_token_function_on_literals(session):
    # token() of a literal needs a table to give it a type
    r = session.execute("SELECT token(key) FROM system.local WHERE key = 'local'").one()
    assert r[0] == Murmur3Token.from_key(b"local").value
    assert r[0] == Murmur3Token.from_key(struct.pack("5s", b"local")).value

"""SELECT JSON, INSERT JSON, toJson() and fromJson() with Cassandra's JSON
form of each type and its error messages."""
import json

import pytest
from cassandra import InvalidRequest


@pytest.fixture(scope="module")
def jt(session):
    session.execute("CREATE KEYSPACE IF NOT EXISTS js WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute('CREATE TABLE IF NOT EXISTS js.t (k int, c text, v double, b blob, ts timestamp, '
                    'u uuid, f frozen<map<text, int>>, l frozen<list<int>>, "Up" int, PRIMARY KEY (k, c))')
    yield "js.t"
    session.execute("DROP KEYSPACE IF EXISTS js")


def test_insert_json_then_select_json(session, jt):
    doc = {"k": 1, "c": "a", "v": 1.5, "b": "0x00ff", "ts": "2011-02-03 04:05:00.000Z",
           "u": "ba5b4ffe-4a3c-11e9-8646-d663bd873d93", "f": {"z": 1, "a": 2}, "l": [3, 1],
           '"Up"': 7}
    session.execute("INSERT INTO %s JSON %%s" % jt, [json.dumps(doc)])
    row = session.execute("SELECT JSON * FROM %s WHERE k = 1" % jt).one()
    got = json.loads(row[0])
    assert got == {"k": 1, "c": "a", "b": "0x00ff", "f": {"a": 2, "z": 1}, "l": [3, 1],
                   "ts": "2011-02-03 04:05:00.000Z", "u": "ba5b4ffe-4a3c-11e9-8646-d663bd873d93",
                   "v": 1.5, '"Up"': 7}
    # the driver sees one text column named [json]
    rs = session.execute("SELECT JSON k, v FROM %s WHERE k = 1" % jt)
    assert rs.column_names == ["[json]"]
    assert json.loads(rs.one()[0]) == {"k": 1, "v": 1.5}


def test_default_null_and_unset(session, jt):
    session.execute("INSERT INTO %s JSON '{\"k\": 2, \"c\": \"x\", \"v\": 2.5, \"l\": [1]}'" % jt)
    session.execute("INSERT INTO %s JSON '{\"k\": 2, \"c\": \"x\", \"v\": 3.5}' DEFAULT UNSET" % jt)
    r = session.execute("SELECT v, l FROM %s WHERE k = 2" % jt).one()
    assert (r.v, r.l) == (3.5, [1])
    session.execute("INSERT INTO %s JSON '{\"k\": 2, \"c\": \"x\", \"v\": 4.5}'" % jt)  # DEFAULT NULL
    r = session.execute("SELECT v, l FROM %s WHERE k = 2" % jt).one()
    assert (r.v, r.l) == (4.5, None)


def test_tojson_fromjson(session, jt):
    session.execute("INSERT INTO %s (k, c, f) VALUES (3, 'y', fromJson('{\"b\": 5}'))" % jt)
    r = session.execute("SELECT toJson(f), toJson(v) FROM %s WHERE k = 3" % jt).one()
    assert (r[0], r[1]) == ('{"b": 5}', "null")


def test_json_errors(session, jt):
    with pytest.raises(InvalidRequest) as ei:
        session.execute("INSERT INTO %s JSON '{\"k\": 1, \"c\": \"a\", \"nope\": 1}'" % jt)
    assert "JSON values map contains unrecognized column: nope" in str(ei.value)
    with pytest.raises(InvalidRequest) as ei:
        session.execute("INSERT INTO %s JSON '{\"k\": \"one\", \"c\": \"a\"}'" % jt)
    assert "Error decoding JSON value for k" in str(ei.value)
    with pytest.raises(InvalidRequest) as ei:
        session.execute("INSERT INTO %s JSON '{\"k\": 1,'" % jt)
    assert "Could not decode JSON string as a map" in str(ei.value)

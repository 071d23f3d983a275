"""The Python driver's object mapper (cassandra.cqlengine) against Helenus:
schema sync, collections (List/Set/Map with append/prepend/add/remove/
update), user types (frozen through the mapper, and a non-frozen UDT column
of a table made in CQL, updated field by field), counters and LWT
(.if_not_exists(), .iff()), checking the values read back."""
import os
import uuid

import pytest

os.environ.setdefault("CQLENG_ALLOW_SCHEMA_MANAGEMENT", "1")

from cassandra.cqlengine import columns, connection, management, models, usertype  # noqa: E402
from cassandra.cqlengine.query import LWTException  # noqa: E402

KS = "cqleng"


class Addr(usertype.UserType):
    __type_name__ = "addr"
    street = columns.Text()
    zip = columns.Integer()


class Item(models.Model):
    __keyspace__ = KS
    __table_name__ = "item"
    id = columns.Integer(primary_key=True)
    tags = columns.Set(columns.Text)
    nums = columns.List(columns.Integer)
    attrs = columns.Map(columns.Text, columns.Integer)
    home = columns.UserDefinedType(Addr)
    version = columns.Integer()


class Hits(models.Model):
    __keyspace__ = KS
    __table_name__ = "hits"
    id = columns.Integer(primary_key=True)
    page = columns.Text(primary_key=True)
    n = columns.Counter()


class Person(models.Model):
    """Mapped onto a table created in CQL with a non-frozen UDT column."""
    __keyspace__ = KS
    __table_name__ = "person"
    id = columns.Integer(primary_key=True)
    work = columns.UserDefinedType(Addr)


@pytest.fixture(scope="module")
def mapper(helenus):
    name = "cqleng-%s" % uuid.uuid4().hex[:8]
    connection.setup(["127.0.0.1"], KS, port=helenus.port, protocol_version=4)
    conn = connection.get_connection()
    try:
        management.create_keyspace_simple(KS, 1)
        management.sync_type(KS, Addr)
        management.sync_table(Item)
        management.sync_table(Hits)
        conn.session.execute("CREATE TABLE IF NOT EXISTS %s.person (id int PRIMARY KEY, work addr)" % KS)
        yield conn.session
    finally:
        try:
            management.drop_keyspace(KS)
        finally:
            connection.unregister_connection("default")
            del name


def test_schema_synced(mapper):
    t = mapper.cluster.metadata.keyspaces[KS].tables["item"]
    assert [c for c in t.columns] == ["id", "attrs", "home", "nums", "tags", "version"]
    assert t.columns["home"].cql_type == "frozen<addr>"
    assert t.columns["nums"].cql_type == "list<int>"
    # a second sync finds nothing to change
    management.sync_table(Item)


def test_collections(mapper):
    it = Item.create(id=1, tags={"a", "b"}, nums=[1, 2], attrs={"x": 1})
    got = Item.get(id=1)
    assert (got.tags, got.nums, got.attrs) == ({"a", "b"}, [1, 2], {"x": 1})
    # model-level changes become collection operations
    it.tags.add("c")
    it.tags.discard("a")
    it.nums.append(3)
    it.attrs["y"] = 2
    it.save()
    got = Item.get(id=1)
    assert (got.tags, got.nums, got.attrs) == ({"b", "c"}, [1, 2, 3], {"x": 1, "y": 2})
    # queryset updates with the explicit operators
    Item.objects(id=1).update(nums__append=[4], tags__add={"d"}, attrs__update={"z": 3})
    Item.objects(id=1).update(nums__prepend=[0])
    Item.objects(id=1).update(tags__remove={"b"}, attrs__remove={"x"})
    got = Item.get(id=1)
    assert got.tags == {"c", "d"}
    assert got.nums == [0, 1, 2, 3, 4]
    assert got.attrs == {"y": 2, "z": 3}
    # a list element removed on the model
    got.nums.remove(2)
    got.save()
    assert Item.get(id=1).nums == [0, 1, 3, 4]
    # emptying a collection reads back empty (null)
    Item.objects(id=1).update(tags=set())
    assert Item.get(id=1).tags == set()


def test_frozen_udt(mapper):
    Item.create(id=2, home=Addr(street="Main", zip=42))
    got = Item.get(id=2)
    assert (got.home.street, got.home.zip) == ("Main", 42)
    Item.objects(id=2).update(home=Addr(street="Side"))
    got = Item.get(id=2)
    assert (got.home.street, got.home.zip) == ("Side", None)


def test_non_frozen_udt(mapper):
    Person.create(id=1, work=Addr(street="Dock", zip=7))
    got = Person.get(id=1)
    assert (got.work.street, got.work.zip) == ("Dock", 7)
    # one field at a time (CQL), read back through the mapper
    mapper.execute("UPDATE %s.person SET work.zip = 8 WHERE id = 1" % KS)
    got = Person.get(id=1)
    assert (got.work.street, got.work.zip) == ("Dock", 8)
    mapper.execute("DELETE work.street FROM %s.person WHERE id = 1" % KS)
    got = Person.get(id=1)
    assert (got.work.street, got.work.zip) == (None, 8)
    # the mapper writes the whole value: every field is replaced
    p = Person.get(id=1)
    p.work = Addr(street="Quay")
    p.save()
    got = Person.get(id=1)
    assert (got.work.street, got.work.zip) == ("Quay", None)
    # LWT on a field of the non-frozen UDT
    r = mapper.execute("UPDATE %s.person SET work.zip = 9 WHERE id = 1 IF work.street = 'Quay'" % KS)
    assert r.one()["[applied]"] is True  # cqlengine sessions return dict rows
    assert Person.get(id=1).work.zip == 9


def test_counters(mapper):
    h = Hits(id=1, page="home")
    h.n += 5
    h.save()
    assert Hits.get(id=1, page="home").n == 5
    h = Hits.get(id=1, page="home")
    h.n -= 2
    h.save()
    h = Hits.get(id=1, page="home")
    h.n += 10
    h.save()
    assert Hits.get(id=1, page="home").n == 13
    assert [(x.page, x.n) for x in Hits.objects(id=1)] == [("home", 13)]


def test_lwt(mapper):
    Item.if_not_exists().create(id=10, version=1)
    with pytest.raises(LWTException) as ei:
        Item.if_not_exists().create(id=10, version=99)
    assert ei.value.existing.get("version") == 1
    assert Item.get(id=10).version == 1
    it = Item.get(id=10)
    it.iff(version=1).update(version=2)
    assert Item.get(id=10).version == 2
    with pytest.raises(LWTException) as ei:
        Item.get(id=10).iff(version=1).update(version=3)
    assert ei.value.existing["version"] == 2
    Item.objects(id=10).iff(version=2).update(version=4, tags={"t"})
    got = Item.get(id=10)
    assert (got.version, got.tags) == (4, {"t"})
    with pytest.raises(LWTException):
        Item.objects(id=10).iff(version=0).update(version=5)
    assert Item.get(id=10).version == 4
    # conditional delete
    with pytest.raises(LWTException):
        Item.objects(id=10).iff(version=3).delete()
    Item.objects(id=10).iff(version=4).delete()
    assert Item.objects(id=10).count() == 0

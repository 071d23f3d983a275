'use strict';
// Helenus through the real Node.js driver (npm cassandra-driver 4.x).
// Starts $HELENUS_BIN (default ../../build/helenus) on a free loopback port with
// a temp data dir, unless HELENUS_PORT points at a server that is already up.
// Run: node --test   (from tests/node)

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const cassandra = require('cassandra-driver');

const HOST = '127.0.0.1';
const LOCAL_DC = 'datacenter1';
const SANITIZER_MARKERS = ['ERROR: AddressSanitizer', 'ERROR: LeakSanitizer',
  'AddressSanitizer:DEADLYSIGNAL', 'runtime error:', 'UndefinedBehaviorSanitizer'];
const KS = 'node_it';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
    s.setTimeout(500, () => { s.destroy(); resolve(false); });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Server {
  async start() {
    this.bin = path.resolve(process.env.HELENUS_BIN ||
      path.join(__dirname, '..', '..', 'build', 'helenus'));
    if (!fs.existsSync(this.bin)) throw new Error(`server binary ${this.bin} not found (set HELENUS_BIN)`);
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helenus-node-'));
    this.port = await freePort();
    this.stderr = '';
    this.proc = spawn(this.bin, ['server', '--native-port', String(this.port), '--admin-port', '0',
      '--data-dir', this.dir, '--shards', '2'], { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d) => { this.stderr += d.toString(); });
    this.proc.stderr.on('data', (d) => { this.stderr += d.toString(); });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 60000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`helenus exited early (${this.proc.exitCode}):\n${this.stderr}`);
      if (this.stderr.includes('listening on') && await canConnect(this.port)) return;
      await sleep(50);
    }
    this.proc.kill('SIGKILL');
    throw new Error(`helenus did not start within 60 s:\n${this.stderr}`);
  }

  async stop() {
    if (!this.proc) return null;
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(null), 30000); });
    const res = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (res === null) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
    return res;
  }
}

let server = null;
let port = Number(process.env.HELENUS_PORT || 0);
let client = null;
const driverLog = [];

function newClient(extra = {}) {
  return new cassandra.Client(Object.assign({
    contactPoints: [HOST],
    localDataCenter: LOCAL_DC,
    protocolOptions: { port },
    socketOptions: { connectTimeout: 10000, readTimeout: 30000 },
  }, extra));
}

describe('helenus with the Node.js driver', () => {
  before(async () => {
    if (!port) {
      server = new Server();
      await server.start();
      port = server.port;
    }
    client = newClient();
    client.on('log', (level, className, message) => {
      if (level === 'warning' || level === 'error') driverLog.push(`${level} ${className}: ${message}`);
    });
    await client.connect();
  });

  after(async () => {
    if (client) {
      try { await client.execute(`DROP KEYSPACE IF EXISTS ${KS}`); } catch (e) { /* reported by tests */ }
      await client.shutdown();
    }
    if (server) {
      const res = await server.stop();
      const bad = SANITIZER_MARKERS.filter((m) => server.stderr.includes(m));
      if (!res || res.code !== 0 || bad.length) {
        console.error(server.stderr.split('\n').slice(-300).join('\n'));
      }
      assert.ok(res, 'server did not exit within 30 s of SIGTERM');
      assert.equal(res.code, 0, `exit status after SIGTERM (signal ${res.signal})`);
      assert.deepEqual(bad, [], 'sanitizer report on the server stderr');
    }
  });

  it('connects without driver errors and sees the cluster', async () => {
    assert.deepEqual(driverLog.filter((l) => l.startsWith('error')), []);
    const hosts = client.hosts.values();
    assert.equal(hosts.length, 1);
    assert.equal(hosts[0].datacenter, LOCAL_DC);
    assert.ok(hosts[0].hostId, 'host id');
    assert.match(hosts[0].cassandraVersion, /^[45]\./);
    assert.equal(hosts[0].tokens.length, 16);
    const cc = client.controlConnection;
    if (cc && cc.protocolVersion !== undefined) {
      assert.equal(cc.protocolVersion, 4, 'the Node.js 4.x driver negotiates v4');
    }
    const rs = await client.execute("SELECT key, partitioner, release_version FROM system.local WHERE key='local'");
    assert.equal(rs.rowLength, 1);
    assert.equal(rs.first().partitioner, 'org.apache.cassandra.dht.Murmur3Partitioner');
  });

  it('has system keyspaces in metadata', async () => {
    const ks = client.metadata.keyspaces;
    assert.ok(ks.system, 'system keyspace');
    assert.ok(ks.system_schema, 'system_schema keyspace');
    assert.match(ks.system_schema.strategy, /LocalStrategy|SimpleStrategy|EverywhereStrategy/);
    const t = await client.metadata.getTable('system', 'local');
    assert.ok(t, 'system.local table metadata');
    assert.equal(t.partitionKeys[0].name, 'key');
  });

  it('creates a keyspace and a table, visible in metadata', async () => {
    await client.execute(`DROP KEYSPACE IF EXISTS ${KS}`);
    await client.execute(`CREATE KEYSPACE ${KS} WITH replication = {'class': 'NetworkTopologyStrategy', '${LOCAL_DC}': 1}`);
    await client.execute(`CREATE TABLE ${KS}.items (id int, seq int, name text, price decimal, tags set<text>, ` +
      'PRIMARY KEY (id, seq)) WITH CLUSTERING ORDER BY (seq DESC)');
    await client.metadata.refreshKeyspace(KS);
    const ks = client.metadata.keyspaces[KS];
    assert.ok(ks, 'new keyspace in metadata');
    assert.equal(ks.strategy, 'org.apache.cassandra.locator.NetworkTopologyStrategy');
    assert.equal(String(ks.strategyOptions[LOCAL_DC]), '1');
    const t = await client.metadata.getTable(KS, 'items');
    assert.ok(t, 'table metadata');
    assert.deepEqual(t.partitionKeys.map((c) => c.name), ['id']);
    assert.deepEqual(t.clusteringKeys.map((c) => c.name), ['seq']);
    assert.deepEqual(t.clusteringOrder, ['DESC']);
    assert.ok(t.columnsByName.tags);
  });

  it('inserts and selects with prepare:true', async () => {
    const ins = `INSERT INTO ${KS}.items (id, seq, name, price, tags) VALUES (?, ?, ?, ?, ?)`;
    for (let seq = 0; seq < 5; seq++) {
      await client.execute(ins, [1, seq, `item ${seq}`, cassandra.types.BigDecimal.fromString(`${seq}.25`),
        ['a', `t${seq}`]], { prepare: true });
    }
    const rs = await client.execute(`SELECT seq, name, price, tags FROM ${KS}.items WHERE id = ?`, [1],
      { prepare: true });
    assert.deepEqual(rs.rows.map((r) => r.seq), [4, 3, 2, 1, 0], 'clustering order DESC');
    const r = rs.rows[0];
    assert.equal(r.name, 'item 4');
    assert.equal(r.price.toString(), '4.25');
    assert.deepEqual([...r.tags].sort(), ['a', 't4']);
  });

  it('inserts and selects with prepare:false and parameters (hints)', async () => {
    await client.execute(`INSERT INTO ${KS}.items (id, seq, name) VALUES (?, ?, ?)`, [2, 7, 'hinted'],
      { prepare: false, hints: ['int', 'int', 'text'] });
    // object parameters are sent as named values
    await client.execute(`INSERT INTO ${KS}.items (id, seq, name) VALUES (:id, :seq, :name)`,
      { id: 2, seq: 8, name: 'named' }, { prepare: false, hints: { id: 'int', seq: 'int', name: 'text' } });
    const rs = await client.execute(`SELECT seq, name FROM ${KS}.items WHERE id = ? AND seq IN (7, 8)`,
      [2], { prepare: false, hints: ['int'] });
    assert.deepEqual(rs.rows.map((r) => [r.seq, r.name]), [[8, 'named'], [7, 'hinted']]);
    const one = await client.execute(`SELECT name FROM ${KS}.items WHERE id = 2 AND seq = 7`);
    assert.equal(one.first().name, 'hinted');
  });

  it('runs batches', async () => {
    const q = `INSERT INTO ${KS}.items (id, seq, name) VALUES (?, ?, ?)`;
    await client.batch([
      { query: q, params: [3, 1, 'b1'] },
      { query: q, params: [3, 2, 'b2'] },
      { query: `UPDATE ${KS}.items SET name = ? WHERE id = ? AND seq = ?`, params: ['b3', 3, 3] },
    ], { prepare: true });
    await client.batch([
      `INSERT INTO ${KS}.items (id, seq, name) VALUES (3, 4, 'b4')`,
      `DELETE FROM ${KS}.items WHERE id = 3 AND seq = 1`,
    ], { logged: false });
    const rs = await client.execute(`SELECT seq, name FROM ${KS}.items WHERE id = 3`);
    assert.deepEqual(rs.rows.map((r) => [r.seq, r.name]), [[4, 'b4'], [3, 'b3'], [2, 'b2']]);
  });

  it('pages with fetchSize and pageState, and with eachRow autoPage', async () => {
    const N = 1000;
    const ins = `INSERT INTO ${KS}.items (id, seq, name) VALUES (?, ?, ?)`;
    const pending = [];
    for (let i = 0; i < N; i++) {
      pending.push(client.execute(ins, [10, i, `p${i}`], { prepare: true }));
    }
    await Promise.all(pending);

    const sel = `SELECT seq FROM ${KS}.items WHERE id = ?`;
    const seen = [];
    let pageState;
    for (let pages = 0; pages < 1000; pages++) {
      const rs = await client.execute(sel, [10], { prepare: true, fetchSize: 37, pageState });
      if (rs.pageState) assert.ok(rs.rowLength > 0, 'no empty page while more pages remain');
      assert.ok(rs.rowLength <= 37);
      for (const r of rs.rows) seen.push(r.seq);
      pageState = rs.pageState;
      if (!pageState) break;
    }
    const want = Array.from({ length: N }, (_, i) => N - 1 - i);
    assert.deepEqual(seen, want);

    const rows = await new Promise((resolve, reject) => {
      const acc = [];
      client.eachRow(sel, [10], { prepare: true, fetchSize: 100, autoPage: true },
        (n, row) => acc.push(row.seq),
        (err) => (err ? reject(err) : resolve(acc)));
    });
    assert.deepEqual(rows, want);

    // a full scan with a small fetch size, not prepared
    const all = [];
    await new Promise((resolve, reject) => {
      client.eachRow(`SELECT id, seq FROM ${KS}.items`, [], { fetchSize: 50, autoPage: true },
        (n, row) => all.push(`${row.id}:${row.seq}`),
        (err) => (err ? reject(err) : resolve()));
    });
    assert.equal(new Set(all).size, all.length, 'every row once');
    assert.ok(all.length >= N + 5);
  });

  it('traces a query (traceQuery) and reads it back with metadata.getTrace', async () => {
    const q = `SELECT seq, name FROM ${KS}.items WHERE id = ?`;
    const rs = await client.execute(q, [3], { prepare: true, traceQuery: true });
    assert.equal(rs.rowLength, 3);
    assert.ok(rs.info.traceId, 'tracing id in the response');
    const trace = await client.metadata.getTrace(rs.info.traceId);
    assert.equal(trace.requestType, 'Execute CQL3 prepared query');
    assert.ok(trace.duration > 0, 'duration set');
    assert.equal(trace.coordinator.toString(), HOST);
    assert.equal(trace.clientAddress.toString(), HOST);
    assert.ok(trace.startedAt instanceof Date);
    const acts = trace.events.map((e) => e.activity);
    assert.ok(acts.includes('Executing single-partition query on items'), acts.join('; '));
    // the batch test deleted one row of this partition: its tombstone is counted
    assert.ok(acts.includes('Read 3 live rows and 1 tombstone cells'), acts.join('; '));
    assert.ok(trace.events.every((e) => e.source.toString() === HOST && e.elapsed >= 0));
    const plain = await client.execute(q, [3], { prepare: true });
    assert.equal(plain.info.traceId, undefined, 'no tracing id unless asked');
  });

  it('reports an unknown table as ResponseError code 0x2200', async () => {
    await assert.rejects(
      client.execute(`SELECT * FROM ${KS}.no_such_table`),
      (err) => {
        assert.ok(err instanceof cassandra.errors.ResponseError, `got ${err && err.constructor.name}`);
        assert.equal(err.code, cassandra.types.responseErrorCodes.invalid);
        assert.equal(err.code, 0x2200);
        return true;
      });
    await assert.rejects(client.execute('SELEC nonsense'), (err) => {
      assert.ok(err instanceof cassandra.errors.ResponseError);
      assert.equal(err.code, cassandra.types.responseErrorCodes.syntaxError);
      return true;
    });
    await assert.rejects(client.execute(`CREATE TABLE ${KS}.items (k int PRIMARY KEY)`), (err) => {
      assert.equal(err.code, cassandra.types.responseErrorCodes.alreadyExists);
      assert.equal(err.keyspace, KS);
      assert.equal(err.table, 'items');
      return true;
    });
    const rs = await client.execute('SELECT key FROM system.local');
    assert.equal(rs.rowLength, 1, 'connection still usable after errors');
  });

  it('routes by token like the server computes it', async () => {
    await client.execute(`CREATE TABLE IF NOT EXISTS ${KS}.tok (k int PRIMARY KEY)`);
    await client.execute(`INSERT INTO ${KS}.tok (k) VALUES (?)`, [1], { prepare: true });
    const rs = await client.execute(`SELECT token(k) AS t FROM ${KS}.tok WHERE k = 1`);
    assert.equal(rs.first().t.toString(), '-4069959284402364209');
    const replicas = client.getReplicas(KS, Buffer.from([0, 0, 0, 1]));
    assert.equal(replicas.length, 1);
  });

  it('connects a second client and shuts down cleanly', async () => {
    const c2 = newClient();
    await c2.connect();
    const rs = await c2.execute('SELECT cluster_name FROM system.local');
    assert.equal(rs.rowLength, 1);
    await c2.shutdown();
  });
});

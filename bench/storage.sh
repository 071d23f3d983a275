#!/usr/bin/env bash
# bench/storage.sh: the storage engine on one pinned core, beside RocksDB.
#
# Starts `helenus server --shards 1` pinned to one core (taskset) on an empty
# temporary data directory, drives it with `helenus stress` pinned to the
# other core, and measures:
#   1. write throughput with the commit log on: `commitlog_sync: periodic`
#      (the default) and `batch` (a --config YAML, on a second server);
#   2. flush MB/s (`helenus admin flush`, timed; bytes = the Data.db files it
#      wrote) and major compaction MB/s (several flushed SSTables, then
#      `helenus admin compact`, timed; bytes in/out = Data.db sizes);
#   3. point-read latency from SSTables with a warm and a cold page cache
#      (`echo 3 > /proc/sys/vm/drop_caches` when permitted);
#   4. write amplification: write_bytes of the server process (/proc/PID/io)
#      over the writes, flushes and compaction, divided by the user bytes;
#   5. the same operations through RocksDB's db_bench (Debian rocksdb-tools,
#      installed when missing) pinned to the same core: fillrandom (WAL on,
#      sync off), flush, compact, readrandom warm and cold; side by side.
# See bench/README.md ("Storage") for what each figure means.
#
# Bounded: the default run takes about a minute (--long about four); every process has
# a timeout; the servers are stopped by their pids; temporary data is deleted.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${HELENUS_BIN:-$ROOT/build/helenus}
ROWS=1000000
FLUSHES=4
READS=100000
COLD_READS=20000
READ_THREADS=16
THREADS=256
BATCH_SECONDS=10
SERVER_CPU=0
CLIENT_CPU=1
OUT=""
PARENT=${TMPDIR:-/tmp}
DO_ROCKSDB=1
DO_INSTALL=1
DO_COLD=1

usage() {
	cat <<EOF
usage: bench/storage.sh [options]
  --bin PATH          helenus binary (default: \$HELENUS_BIN or build/helenus)
  --rows N            write operations in all (keys drawn uniformly from 1..N, as
                      db_bench fillrandom --num=N) (default 1000000)
  --flushes N         write rounds, each followed by a flush: SSTables compacted (default 4)
  --reads N           warm point reads (default 100000)
  --cold-reads N      point reads after dropping the page cache (default 20000)
  --read-threads N    reads in flight for the Helenus read runs (default 16)
  --threads N         writes in flight for the Helenus write runs (default 256)
  --batch-seconds N   length of the commitlog_sync: batch write run (default 10)
  --long              --rows 4000000 --reads 400000 --cold-reads 50000 --batch-seconds 30
  --server-cpu C      core for the server and db_bench (default 0)
  --client-cpu C      core for the load generator (default 1)
  --no-rocksdb        skip the db_bench comparison
  --no-install        never apt-get install rocksdb-tools (skip db_bench when it is missing)
  --no-cold           do not drop the page cache (it is machine-wide)
  --out DIR           keep every output here (default: a new temp dir)
  --data-parent DIR   where the temporary data directories go (default \$TMPDIR or /tmp)
EOF
}

while [ $# -gt 0 ]; do
	case "$1" in
	--bin) BIN=$2; shift 2 ;;
	--rows) ROWS=$2; shift 2 ;;
	--flushes) FLUSHES=$2; shift 2 ;;
	--reads) READS=$2; shift 2 ;;
	--cold-reads) COLD_READS=$2; shift 2 ;;
	--read-threads) READ_THREADS=$2; shift 2 ;;
	--threads) THREADS=$2; shift 2 ;;
	--batch-seconds) BATCH_SECONDS=$2; shift 2 ;;
	--long) ROWS=4000000; READS=400000; COLD_READS=50000; BATCH_SECONDS=30; shift ;;
	--server-cpu) SERVER_CPU=$2; shift 2 ;;
	--client-cpu) CLIENT_CPU=$2; shift 2 ;;
	--no-rocksdb) DO_ROCKSDB=0; shift ;;
	--no-install) DO_INSTALL=0; shift ;;
	--no-cold) DO_COLD=0; shift ;;
	--out) OUT=$2; shift 2 ;;
	--data-parent) PARENT=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "bench/storage.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
done

case "$ROWS$FLUSHES$READS$COLD_READS$READ_THREADS$THREADS$BATCH_SECONDS" in
*[!0-9]*) echo "bench/storage.sh: numeric options take whole numbers" >&2; exit 2 ;;
esac
if [ "$FLUSHES" -lt 1 ] || [ "$ROWS" -lt "$FLUSHES" ]; then
	echo "bench/storage.sh: need --rows >= --flushes >= 1" >&2
	exit 2
fi
[ -x "$BIN" ] || { echo "bench/storage.sh: no binary at $BIN (build first: scripts/build.sh, or --bin)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "bench/storage.sh: python3 is needed" >&2; exit 2; }

PIN_S=(taskset -c "$SERVER_CPU")
PIN_C=(taskset -c "$CLIENT_CPU")
if [ "$(nproc)" -lt 2 ] || ! command -v taskset >/dev/null; then
	echo "note: fewer than 2 cores or no taskset: server and generator share the CPU" >&2
	PIN_S=()
	PIN_C=()
fi

[ -n "$OUT" ] || OUT=$(mktemp -d "${PARENT%/}/helenus-storage-out.XXXXXX")
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d "${PARENT%/}/helenus-storage-data.XXXXXX")
FACTS=$OUT/facts.txt
: >"$FACTS"
SERVER_PID=""
PORT=""
ADMIN_PORT=""
DATA=""
RUN_TIMEOUT=900
T_START=$(date +%s)

fact() { echo "$1=$2" >>"$FACTS"; }
say() { echo "storage: $*" >&2; }
now() { date +%s.%N; }
io_of() { # "write_bytes cancelled_write_bytes" of a process
	awk '/^write_bytes:/ {w=$2} /^cancelled_write_bytes:/ {c=$2} END {printf "%.0f %.0f\n", w, c}' "/proc/$1/io" 2>/dev/null || echo "0 0"
}
# bytes of the SSTable components matching GLOB under the table directories (no snapshots)
sst_bytes() { # sst_bytes DATA_DIR GLOB
	find "$1" -path '*/snapshots' -prune -o -type f -name "$2" -printf '%s\n' 2>/dev/null | awk '{s+=$1} END {printf "%.0f\n", s}'
}
read_of() { awk '/^read_bytes:/ {printf "%.0f\n", $2}' "/proc/$1/io" 2>/dev/null || echo 0; }
sst_count() { find "$1" -path '*/snapshots' -prune -o -type f -name '*-Data.db' -print 2>/dev/null | wc -l; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

stop_server() {
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 1 600); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	SERVER_PID=""
}
cleanup() {
	stop_server
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_server() { # start_server NAME [CONFIG]
	local name=$1 config=${2:-}
	DATA=$WORK/$name
	mkdir -p "$DATA"
	PORT=$(free_port)
	local args=(server --native-port "$PORT" --admin-port 0 --data-dir "$DATA" --shards 1)
	[ -n "$config" ] && args+=(--config "$config")
	(cd "$DATA" && exec "${PIN_S[@]}" "$BIN" "${args[@]}" </dev/null >"$OUT/$name-server.log" 2>&1) &
	SERVER_PID=$!
	ADMIN_PORT=""
	for _ in $(seq 1 300); do
		kill -0 "$SERVER_PID" 2>/dev/null || { echo "storage: server $name exited; see $OUT/$name-server.log" >&2; tail -5 "$OUT/$name-server.log" >&2; exit 1; }
		ADMIN_PORT=$(sed -n 's/.*admin listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$OUT/$name-server.log" | tail -1)
		[ -n "$ADMIN_PORT" ] && grep -q 'listening on 127.0.0.1:'"$PORT" "$OUT/$name-server.log" && break
		ADMIN_PORT=""
		sleep 0.1
	done
	[ -n "$ADMIN_PORT" ] || { echo "storage: server $name did not start in 30 s" >&2; exit 1; }
	say "server $name: pid $SERVER_PID, native port $PORT, admin port $ADMIN_PORT, ${PIN_S[*]:-unpinned}; data in $DATA"
}

admin() { timeout "$RUN_TIMEOUT" "$BIN" admin -p "$ADMIN_PORT" "$@"; }

stress() { # stress NAME ARGS...: one run, summary in $OUT/NAME.json
	local name=$1; shift
	say "$name: stress $*"
	if ! timeout "$RUN_TIMEOUT" "${PIN_C[@]}" "$BIN" stress "$@" -node 127.0.0.1 -port "native=$PORT" \
		--json "$OUT/$name.json" >"$OUT/$name.txt" 2>&1; then
		echo "storage: $name failed; see $OUT/$name.txt" >&2
		tail -5 "$OUT/$name.txt" >&2
		exit 1
	fi
}

drop_caches() { # 0 when the page cache was dropped
	[ "$DO_COLD" = 1 ] || return 1
	sync
	{ echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null
}

# ------------------------------------------------ machine

fact nproc "$(nproc)"
fact cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
fact mem_gb "$(awk '/^MemTotal:/ {printf "%.0f", $2/1048576}' /proc/meminfo)"
fact disk "$(df -hT "$WORK" | awk 'NR==2 {print $1" "$2", "$3" total, "$5" free"}')"
fact kernel "$(uname -r)"
fact date "$(date -u '+%Y-%m-%d %H:%M UTC')"
fact loadavg "$(cut -d' ' -f1-3 /proc/loadavg)"
fact pin_s "${PIN_S[*]:-unpinned}"
fact pin_c "${PIN_C[*]:-unpinned}"
for v in ROWS FLUSHES READS COLD_READS READ_THREADS THREADS BATCH_SECONDS; do fact "${v,,}" "${!v}"; done

POP="dist=uniform(1..$ROWS)"
ROUND=$((ROWS / FLUSHES))

# ------------------------------------------------ Helenus, commitlog_sync: periodic

start_server periodic
read -r W0 C0 < <(io_of "$SERVER_PID")
fact io_start "$W0 $C0"
for r in $(seq 1 "$FLUSHES"); do
	n=$ROUND
	[ "$r" = "$FLUSHES" ] && n=$((ROWS - ROUND * (FLUSHES - 1)))
	read -r w c < <(io_of "$SERVER_PID"); fact "io_write_${r}_before" "$w $c"
	stress "write-$r" write "n=$n" no-warmup -pop "$POP" -rate "threads=$THREADS"
	read -r w c < <(io_of "$SERVER_PID"); fact "io_write_${r}_after" "$w $c"
	if [ "$r" = 1 ]; then
		# keep every flushed SSTable until the timed major compaction, and do not throttle it
		timeout 60 "$BIN" cql 127.0.0.1 "$PORT" -e "ALTER TABLE keyspace1.standard1 WITH compaction = {'class': 'SizeTieredCompactionStrategy', 'enabled': 'false'}" >"$OUT/alter.txt" 2>&1 ||
			{ echo "storage: ALTER TABLE failed; see $OUT/alter.txt" >&2; exit 1; }
		admin setcompactionthroughput 0 >"$OUT/throughput.txt" 2>&1
		fact memtable_bytes_round1 "$(admin tablestats keyspace1.standard1 | sed -n 's/.*Memtable data size: *\([0-9][0-9]*\)$/\1/p' | head -1)"
	fi
	d0=$(sst_bytes "$DATA/data" '*-Data.db'); a0=$(sst_bytes "$DATA/data" '*-big-*')
	t0=$(now)
	admin flush keyspace1 standard1 >"$OUT/flush-$r.txt" 2>&1 || { echo "storage: flush failed; see $OUT/flush-$r.txt" >&2; exit 1; }
	t1=$(now)
	read -r w c < <(io_of "$SERVER_PID"); fact "io_flush_${r}_after" "$w $c"
	d1=$(sst_bytes "$DATA/data" '*-Data.db'); a1=$(sst_bytes "$DATA/data" '*-big-*')
	fact "flush_${r}" "$t0 $t1 $((d1 - d0)) $((a1 - a0))"
	say "flush $r: $((d1 - d0)) Data.db bytes in $(python3 -c "print('%.3f' % ($t1 - $t0))") s"
done
fact sstables_before_compaction "$(sst_count "$DATA/data")"
d0=$(sst_bytes "$DATA/data" '*-Data.db'); a0=$(sst_bytes "$DATA/data" '*-big-*')
read -r w c < <(io_of "$SERVER_PID"); fact io_compact_before "$w $c"
t0=$(now)
admin compact keyspace1 standard1 >"$OUT/compact.txt" 2>&1 || { echo "storage: compact failed; see $OUT/compact.txt" >&2; exit 1; }
t1=$(now)
read -r w c < <(io_of "$SERVER_PID"); fact io_compact_after "$w $c"
d1=$(sst_bytes "$DATA/data" '*-Data.db'); a1=$(sst_bytes "$DATA/data" '*-big-*')
fact compact "$t0 $t1 $d0 $d1 $a0 $a1"
fact sstables_after_compaction "$(sst_count "$DATA/data")"
admin compactionstats >"$OUT/compactionstats.txt" 2>&1 || true
admin tablestats keyspace1.standard1 >"$OUT/tablestats.txt" 2>&1 || true
say "compaction: $d0 -> $d1 Data.db bytes in $(python3 -c "print('%.3f' % ($t1 - $t0))") s"

# reads from the compacted SSTable (the memtable is empty): warm, then cold
stress read-warm read "n=$READS" no-warmup -pop "$POP" -rate "threads=$READ_THREADS"
if drop_caches; then
	fact cold helenus
	r0=$(read_of "$SERVER_PID")
	stress read-cold read "n=$COLD_READS" no-warmup -pop "$POP" -rate "threads=$READ_THREADS"
	fact read_cold_bytes "$(($(read_of "$SERVER_PID") - r0))"
else
	fact cold none
	say "cold page cache: not measured (--no-cold, or /proc/sys/vm/drop_caches is not writable)"
fi
stop_server

# ------------------------------------------------ Helenus, commitlog_sync: batch

cat >"$WORK/batch.yaml" <<EOF
commitlog_sync: batch
EOF
cp "$WORK/batch.yaml" "$OUT/batch.yaml"
start_server batch "$WORK/batch.yaml"
read -r w c < <(io_of "$SERVER_PID"); fact io_batch_before "$w $c"
stress write-batch write "duration=${BATCH_SECONDS}s" no-warmup -pop "$POP" -rate "threads=$THREADS"
read -r w c < <(io_of "$SERVER_PID"); fact io_batch_after "$w $c"
stop_server

# ------------------------------------------------ RocksDB db_bench

DB_BENCH=""
if [ "$DO_ROCKSDB" = 1 ]; then
	find_db_bench() {
		DB_BENCH=$(command -v db_bench || command -v rocksdb_db_bench || true)
		if [ -z "$DB_BENCH" ] && command -v dpkg >/dev/null; then
			DB_BENCH=$(dpkg -L rocksdb-tools 2>/dev/null | grep -E '/(rocksdb_)?db_bench$' | head -1 || true)
		fi
	}
	find_db_bench
	if [ -z "$DB_BENCH" ] && [ "$DO_INSTALL" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		say "installing rocksdb-tools (db_bench)"
		export DEBIAN_FRONTEND=noninteractive
		if ! apt-get install -y rocksdb-tools >"$OUT/apt.txt" 2>&1; then
			apt-get update >>"$OUT/apt.txt" 2>&1 || true
			apt-get install -y rocksdb-tools >>"$OUT/apt.txt" 2>&1 || true
		fi
		find_db_bench
	fi
	[ -n "$DB_BENCH" ] || say "db_bench not found (rocksdb-tools): RocksDB columns skipped"
fi
fact db_bench "${DB_BENCH:-none}"

if [ -n "$DB_BENCH" ]; then
	fact rocksdb_version "$(dpkg-query -W -f '${Version}' rocksdb-tools 2>/dev/null || echo unknown)"
	RDB=$WORK/rocksdb
	COMMON=(--db="$RDB" --num="$ROWS" --key_size=10 --value_size=170 --compression_type=lz4
		--compression_ratio=1.0 --threads=1 --histogram=1 --disable_auto_compactions=true)
	# rdb NAME ARGS...: one db_bench process pinned to the server core; its wall time and the
	# write_bytes it caused (a reaped child's I/O is added to the parent's /proc/self/io)
	rdb() {
		local name=$1; shift
		say "rocksdb-$name: db_bench $*"
		echo "${PIN_S[*]} $DB_BENCH ${COMMON[*]} $*" >"$OUT/rocksdb-$name.cmd"
		if ! python3 - "$OUT/rocksdb-$name.txt" "$OUT/rocksdb-$name.io" "$RUN_TIMEOUT" \
			"${PIN_S[@]}" "$DB_BENCH" "${COMMON[@]}" "$@" <<'EOF'
import subprocess, sys, time
out, iof, tmo = sys.argv[1], sys.argv[2], int(sys.argv[3])
def io():
    d = {}
    for line in open("/proc/self/io"):
        k, v = line.split(":")
        d[k] = int(v)
    return d
a = io()
t0 = time.monotonic()
with open(out, "wb") as f:
    rc = subprocess.run(sys.argv[4:], stdout=f, stderr=subprocess.STDOUT, timeout=tmo).returncode
t1 = time.monotonic()
b = io()
open(iof, "w").write("%d %d %.3f %d\n" % (b["write_bytes"] - a["write_bytes"],
                                         b["cancelled_write_bytes"] - a["cancelled_write_bytes"], t1 - t0,
                                         b["read_bytes"] - a["read_bytes"]))
sys.exit(rc)
EOF
		then
			echo "storage: db_bench $name failed; see $OUT/rocksdb-$name.txt" >&2
			tail -5 "$OUT/rocksdb-$name.txt" >&2
			exit 1
		fi
	}
	rdb_sst() { find "$RDB" -name '*.sst' -printf '%s\n' | awk '{s+=$1} END {printf "%.0f\n", s}'; }
	rdb_nsst() { find "$RDB" -name '*.sst' | wc -l; }
	rm -rf "$RDB"
	rdb fill --benchmarks=fillrandom,flush,stats --seed=1 --writes="$ROWS" --disable_wal=false --sync=false
	fact rocksdb_sst_before_compaction "$(rdb_sst) $(rdb_nsst)"
	rdb compact --benchmarks=compact,stats --seed=2 --use_existing_db=1
	fact rocksdb_sst_after_compaction "$(rdb_sst) $(rdb_nsst)"
	rdb read-warm --benchmarks=readrandom --seed=3 --use_existing_db=1 --reads="$READS"
	if drop_caches; then
		fact rocksdb_cold yes
		rdb read-cold --benchmarks=readrandom --seed=4 --use_existing_db=1 --reads="$COLD_READS"
	fi
	rm -rf "$RDB"
fi
fact elapsed_s "$(($(date +%s) - T_START))"

# ------------------------------------------------ the report

python3 - "$OUT" <<'EOF'
import json, os, re, sys
out = sys.argv[1]
F = {}
for line in open(os.path.join(out, "facts.txt")):
    k, _, v = line.rstrip("\n").partition("=")
    F[k] = v
def J(name):
    p = os.path.join(out, name + ".json")
    return json.load(open(p)) if os.path.exists(p) else None
def ints(k):
    return [int(x) for x in F[k].split()]
MB = 1e6
ROW = 10 + 5 * 34  # key + five 34-byte columns: the user bytes of one write
rows, flushes = int(F["rows"]), int(F["flushes"])

# ---- Helenus
writes = [J("write-%d" % r) for r in range(1, flushes + 1)]
w_ops = sum(j["total_ops"] for j in writes)
w_dur = sum(j["duration_s"] for j in writes)
w_rate = w_ops / w_dur
w_p50 = max(j["latency_ms"]["p50"] for j in writes)
w_p99 = max(j["latency_ms"]["p99"] for j in writes)
fl = [F["flush_%d" % r].split() for r in range(1, flushes + 1)]
fl_time = sum(float(f[1]) - float(f[0]) for f in fl)
fl_data = sum(int(f[2]) for f in fl)
fl_all = sum(int(f[3]) for f in fl)
c = F["compact"].split()
c_time = float(c[1]) - float(c[0])
c_in, c_out, c_in_all, c_out_all = int(c[2]), int(c[3]), int(c[4]), int(c[5])
cl_bytes = sum(ints("io_write_%d_after" % r)[0] - ints("io_write_%d_before" % r)[0] for r in range(1, flushes + 1))
fl_bytes = sum(ints("io_flush_%d_after" % r)[0] - ints("io_write_%d_after" % r)[0] for r in range(1, flushes + 1))
cp_bytes = ints("io_compact_after")[0] - ints("io_compact_before")[0]
io0, io1 = ints("io_start"), ints("io_compact_after")
h_gross = io1[0] - io0[0]
h_net = h_gross - (io1[1] - io0[1])
user = w_ops * ROW
b = J("write-batch")
bio = ints("io_batch_after")[0] - ints("io_batch_before")[0]
rw, rc = J("read-warm"), J("read-cold")
cstats = ""
p = os.path.join(out, "compactionstats.txt")
if os.path.exists(p):
    m = re.search(r"completed: .*", open(p).read())
    cstats = m.group(0) if m else ""
load_time = w_dur + fl_time + c_time

# ---- RocksDB
R = None
if F.get("db_bench", "none") != "none":
    def text(n):
        return open(os.path.join(out, "rocksdb-%s.txt" % n)).read()
    def bench(t, name):
        m = re.search(r"^%s\s*:\s*([\d.]+) micros/op (\d+) ops/sec(?: ([\d.]+) seconds)?(?: (\d+) operations)?;?\s*(?:([\d.]+) MB/s)?(?: \((\d+) of (\d+) found\))?" % name, t, re.M)
        if not m:
            return None
        d = {"us_op": float(m.group(1)), "ops": int(m.group(2))}
        if m.group(3): d["secs"] = float(m.group(3))
        if m.group(6): d["found"] = (int(m.group(6)), int(m.group(7)))
        after = t[m.end():]
        pm = re.search(r"Percentiles: P50: ([\d.]+) P75: ([\d.]+) P99: ([\d.]+)", after)
        if pm:
            d["p50_us"], d["p99_us"] = float(pm.group(1)), float(pm.group(3))
        return d
    def l0_flush(t):  # the L0 row of the first "Compaction Stats": flush jobs' bytes, seconds, count
        lines = t.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("Level") and "Write(GB)" in line:
                hdr = line.split()
                for row in lines[i + 1:i + 12]:
                    f = row.split()
                    if f and f[0] == "L0":
                        g = lambda col: float(f[hdr.index(col) + 1])  # Size is "N UNIT": one more token
                        return g("Write(GB)"), g("Comp(sec)"), int(g("Comp(cnt)"))
                break
        return None
    def io(n):
        w, cc, wall, rb = open(os.path.join(out, "rocksdb-%s.io" % n)).read().split()
        return int(w), int(cc), float(wall), int(rb)
    ft, ct = text("fill"), text("compact")
    R = {"fill": bench(ft, "fillrandom"), "flush_l0": l0_flush(ft), "compact": bench(ct, "compact"),
         "warm": bench(text("read-warm"), "readrandom"),
         "cold": bench(text("read-cold"), "readrandom") if F.get("rocksdb_cold") == "yes" else None,
         "io_fill": io("fill"), "io_compact": io("compact"),
         "io_cold": io("read-cold") if F.get("rocksdb_cold") == "yes" else None}
    sb, nb = [int(x) for x in F["rocksdb_sst_before_compaction"].split()]
    sa, na = [int(x) for x in F["rocksdb_sst_after_compaction"].split()]
    R.update(sst_before=sb, n_before=nb, sst_after=sa, n_after=na)
    # the flush benchmark's own time (last memtable) is inside the fill process; compaction time
    # is the compact benchmark's
    R["compact_secs"] = R["compact"]["secs"] if R["compact"] and "secs" in R["compact"] else R["compact"]["us_op"] / 1e6

def f0(x): return "{:,.0f}".format(x)
def ratio(a, b):
    return "%.2fx" % (a / b) if a and b else "n/a"

print()
print("Helenus storage bench, %s; %s cores (%s), %s GB RAM, disk %s, kernel %s; load average at start %s"
      % (F["date"], F["nproc"], F["cpu"], F["mem_gb"], F["disk"], F["kernel"], F["loadavg"]))
print("server %s (--shards 1), generator %s; %s writes (keys uniform in 1..%s, %d rounds each + flush), %s warm / %s cold reads (%s in flight), writes %s in flight"
      % (F["pin_s"], F["pin_c"], f0(rows), f0(rows), flushes, f0(int(F["reads"])), f0(int(F["cold_reads"])), F["read_threads"], F["threads"]))
if R:
    print("RocksDB: %s (rocksdb-tools %s) on the server core, 1 thread, key 10 B, value 170 B, lz4, incompressible values, auto compaction off"
          % (F["db_bench"], F.get("rocksdb_version", "?")))
print()
W = "%-50s %-46s %-46s %s"
print(W % ("", "Helenus", "RocksDB db_bench" if R else "", "Helenus/RocksDB" if R else ""))
def row(label, h, r="", rt=""):
    print(W % (label, h, r, rt))

rf = R["fill"] if R else None
row("1. write, commit log periodic (WAL, no sync)",
    "%s ops/s, %.1f MB/s" % (f0(w_rate), w_rate * ROW / MB),
    "%s ops/s, %.1f MB/s" % (f0(rf["ops"]), rf["ops"] * ROW / MB) if rf else "", ratio(w_rate, rf["ops"]) if rf else "")
row("   per round",
    ", ".join(f0(j["op_rate"]) for j in writes) + " ops/s", "")
row("   latency p50 / p99 (worst round)",
    "%.2f / %.2f ms (%s in flight)" % (w_p50, w_p99, F["threads"]),
    "%.1f / %.1f us (1 thread)" % (rf["p50_us"], rf["p99_us"]) if rf and "p50_us" in rf else "")
row("   write, commit log batch (fsync before ack)",
    "%s ops/s, p50 %.2f / p99 %.2f ms" % (f0(b["op_rate"]), b["latency_ms"]["p50"], b["latency_ms"]["p99"]),
    "(not run)" if R else "")
print()
if R and R["flush_l0"] and R["flush_l0"][1]:
    # with auto compaction off every SSTable before the compaction is a flush output; the
    # seconds are RocksDB's own (the L0 row of its compaction stats: the flush jobs' time)
    _, secs, cnt = R["flush_l0"]
    r_flush_v = R["sst_before"] / MB / secs
    r_flush = "%.1f MB/s (%d flushes, %.1f MB in %.2f s)" % (r_flush_v, cnt, R["sst_before"] / MB, secs)
else:
    r_flush, r_flush_v = "", 0
row("2. flush (Data.db bytes / time)",
    "%.1f MB/s (%d flushes, %.1f MB in %.2f s)" % (fl_data / MB / fl_time, flushes, fl_data / MB, fl_time),
    r_flush, ratio(fl_data / MB / fl_time, r_flush_v) if R else "")
row("   all SSTable components",
    "%.1f MB/s (%.1f MB)" % (fl_all / MB / fl_time, fl_all / MB), "")
if R:
    r_cin = R["sst_before"] / MB / R["compact_secs"] if R["compact_secs"] else 0
    r_c = "%.1f MB/s in (%d files, %.1f -> %.1f MB, %.2f s)" % (r_cin, R["n_before"], R["sst_before"] / MB, R["sst_after"] / MB, R["compact_secs"])
else:
    r_cin, r_c = 0, ""
row("   compaction, major (input bytes / time)",
    "%.1f MB/s in (%s files, %.1f -> %.1f MB, %.2f s)" % (c_in / MB / c_time, F["sstables_before_compaction"], c_in / MB, c_out / MB, c_time),
    r_c, ratio(c_in / MB / c_time, r_cin) if R else "")
row("   compaction output bytes / time", "%.1f MB/s out" % (c_out / MB / c_time),
    "%.1f MB/s out" % (R["sst_after"] / MB / R["compact_secs"]) if R and R["compact_secs"] else "")
if cstats:
    row("   compactionstats", cstats, "")
if R:
    # the fill process's wall time: open, fillrandom (with its background flushes on the same
    # core), the final flush, close; then the compact benchmark's time
    r_load = R["io_fill"][2] + R["compact_secs"]
row("   write + flush + compaction",
    "%s ops/s (%.1f s)" % (f0(w_ops / load_time), load_time),
    "%s ops/s (%.1f s)" % (f0(rows / r_load), r_load) if R else "", ratio(w_ops / load_time, rows / r_load) if R else "")
print()
def rd(j):
    return "%s ops/s, p50 %.3f / p99 %.3f ms" % (f0(j["op_rate"]), j["latency_ms"]["p50"], j["latency_ms"]["p99"])
def rrd(d):
    return "%s ops/s, p50 %.1f / p99 %.1f us" % (f0(d["ops"]), d["p50_us"], d["p99_us"]) if d else ""
def found(j):
    return "%.1f%%" % (100.0 * (j["total_ops"] - j.get("missing_reads", 0)) / j["total_ops"]) if j["total_ops"] else "?"
def rfound(d):
    return "%.1f%%" % (100.0 * d["found"][0] / d["found"][1]) if d and "found" in d else "?"
rw_r = R["warm"] if R else None
row("3. point read, warm page cache", rd(rw), rrd(rw_r), ratio(rw["op_rate"], rw_r["ops"]) if rw_r else "")
row("   keys found", found(rw), rfound(rw_r) if R else "")
if rc:
    rc_r = R["cold"] if R else None
    row("   point read, cold page cache", rd(rc), rrd(rc_r), ratio(rc["op_rate"], rc_r["ops"]) if rc_r else "")
    row("   keys found", found(rc), rfound(rc_r) if rc_r else "")
    row("   read from disk during the cold run", "%.1f MB" % (int(F.get("read_cold_bytes", 0)) / MB),
        "%.1f MB" % (R["io_cold"][3] / MB) if R and R["io_cold"] else "")
else:
    row("   point read, cold page cache", "not measured (--no-cold, or the page cache could not be dropped)", "")
print()
r_gross = r_net = 0
if R:
    r_gross = R["io_fill"][0] + R["io_compact"][0]
    r_net = r_gross - R["io_fill"][1] - R["io_compact"][1]
    r_user = rows * ROW
row("4. write amplification (disk bytes / user bytes)",
    "%.2f (%.1f MB / %.1f MB)" % (h_gross / user, h_gross / MB, user / MB),
    "%.2f (%.1f MB / %.1f MB)" % (r_gross / r_user, r_gross / MB, r_user / MB) if R else "",
    ratio(h_gross / user, r_gross / r_user) if R else "")
row("   net of cancelled writes (deleted before writeback)",
    "%.2f" % (h_net / user), "%.2f" % (r_net / r_user) if R else "")
row("   commit log / flush / compaction (per user byte)",
    "%.2f / %.2f / %.2f" % (cl_bytes / user, fl_bytes / user, cp_bytes / user),
    # RocksDB: the fill process wrote its WAL and the flushed SSTables; the compact process the output
    "%.2f / %.2f / %.2f" % ((R["io_fill"][0] - R["sst_before"]) / r_user, R["sst_before"] / r_user,
                            R["io_compact"][0] / r_user) if R else "")
row("   commit log batch: bytes per write", "%.0f B (%s writes)" % (bio / b["total_ops"], f0(b["total_ops"])) if b["total_ops"] else "", "")
print()
mt = F.get("memtable_bytes_round1", "")
if mt:
    print("memtable after round 1: %.1f MB for %s writes (%.0f B per write)" % (int(mt) / MB, f0(writes[0]["total_ops"]), int(mt) / writes[0]["total_ops"]))
if R and "Assertions are enabled" in open(os.path.join(out, "rocksdb-fill.txt")).read():
    print("note: this db_bench says \"Assertions are enabled; benchmarks unnecessarily slow\" (the distribution's build)")
print("generator CPU: at most %.0f%% of its core" % (100 * max(j["client_cpu_s"] / j["duration_s"] for j in writes + [rw, b] + ([rc] if rc else []))))
print("elapsed %s s; raw outputs: %s" % (F["elapsed_s"], out))
EOF

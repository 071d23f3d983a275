#!/usr/bin/env bash
# bench/run.sh: the Helenus benchmark on one machine (made for 2 cores).
#
# Starts `helenus server --shards 1` on an empty temporary data directory,
# pinned to one core, drives it with `helenus stress` pinned to the other,
# and prints in one table: the protocol ceiling (OPTIONS only), write, read
# from the memtable, read after a flush, mixed 1:3 (ops/s, p99, fraction of
# the ceiling, p99 at 50% and 90% of each max rate), commit log ingest
# against dd, and the footprint (RSS idle / under load, time to the first
# accepted connection). Optionally the same generator against another CQL
# server (--other HOST:PORT). See bench/README.md for what each figure means.
#
# Every run is bounded: --seconds per measurement (default 5; about two
# minutes in all), a timeout on every process, and the server is stopped by
# its pid on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${HELENUS_BIN:-$ROOT/build/helenus}
SECONDS_PER_RUN=5
KEYS=200000
THREADS=256
SERVER_CPU=0
CLIENT_CPU=1
OTHER=""
OUT=""
DD_MB=256
PARENT=${TMPDIR:-/tmp}
STORAGE=0
STORAGE_ARGS=()

usage() {
	cat <<EOF
usage: bench/run.sh [options]
  --bin PATH          helenus binary (default: \$HELENUS_BIN or build/helenus)
  --seconds N         seconds per measured run (default 5)
  --long              30 seconds per run (about 10 minutes in all)
  --keys N            partitions written and read (default 200000)
  --threads N         requests in flight in the closed-loop runs (default 256)
  --server-cpu C      core for the server (default 0)
  --client-cpu C      core for the load generator (default 1)
  --other HOST:PORT   also measure another CQL server (e.g. Cassandra) with the same generator
  --out DIR           keep every stress output and JSON here (default: a new temp dir)
  --data-parent DIR   where the temporary data directory goes (default \$TMPDIR or /tmp)
  --dd-mb N           size of the dd write test (default 256)
  --storage           afterwards, run bench/storage.sh (flush, compaction, cold reads, write
                      amplification, RocksDB db_bench side by side) with the same binary and cores
EOF
}

while [ $# -gt 0 ]; do
	case "$1" in
	--bin) BIN=$2; shift 2 ;;
	--seconds) SECONDS_PER_RUN=$2; shift 2 ;;
	--long) SECONDS_PER_RUN=30; STORAGE_ARGS+=(--long); shift ;;
	--keys) KEYS=$2; shift 2 ;;
	--threads) THREADS=$2; shift 2 ;;
	--server-cpu) SERVER_CPU=$2; shift 2 ;;
	--client-cpu) CLIENT_CPU=$2; shift 2 ;;
	--other) OTHER=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--data-parent) PARENT=$2; shift 2 ;;
	--dd-mb) DD_MB=$2; shift 2 ;;
	--storage) STORAGE=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "bench/run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
done

case "$SECONDS_PER_RUN$KEYS$THREADS$DD_MB" in
*[!0-9]*) echo "bench/run.sh: --seconds, --keys, --threads, --dd-mb take numbers" >&2; exit 2 ;;
esac
[ -x "$BIN" ] || { echo "bench/run.sh: no binary at $BIN (build first: scripts/build.sh, or --bin)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "bench/run.sh: python3 is needed to read the JSON summaries" >&2; exit 2; }

NCPU=$(nproc)
PIN_S=(taskset -c "$SERVER_CPU")
PIN_C=(taskset -c "$CLIENT_CPU")
if [ "$NCPU" -lt 2 ] || ! command -v taskset >/dev/null; then
	echo "note: fewer than 2 cores or no taskset: server and generator share the CPU" >&2
	PIN_S=()
	PIN_C=()
fi

[ -n "$OUT" ] || OUT=$(mktemp -d "${PARENT%/}/helenus-bench-out.XXXXXX")
mkdir -p "$OUT"
DATA=$(mktemp -d "${PARENT%/}/helenus-bench-data.XXXXXX")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RUN_TIMEOUT=$((SECONDS_PER_RUN + 120))
SERVER_PID=""
KS=bench_stress

stop_server() {
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$SERVER_PID" 2>/dev/null || true
	fi
	SERVER_PID=""
}
cleanup() {
	stop_server
	rm -rf "$DATA"
}
trap cleanup EXIT INT TERM

jget() { # jget FILE key[.key...]
	python3 - "$1" "$2" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
print(v)
EOF
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
io_written() { awk '/^write_bytes:/ {print $2}' "/proc/$1/io" 2>/dev/null || echo 0; }

# --------------------------------------------------------------- the server

# Start the server and time it from the fork to the first accepted TCP
# connection (python: a tight connect loop, no shell forks in the timing).
read -r SERVER_PID START_MS < <(python3 - "$BIN" "$PORT" "$DATA" "$OUT/server.log" "${PIN_S[@]}" <<'EOF'
import os, socket, subprocess, sys, time
binary, port, data, log = sys.argv[1:5]
pin = sys.argv[5:]
argv = pin + [binary, "server", "--native-port", port, "--admin-port", "0",
              "--data-dir", data, "--shards", "1"]
out = open(log, "wb")
t0 = time.monotonic()
p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, cwd=data,
                     start_new_session=True)
deadline = t0 + 30
while True:
    if p.poll() is not None:
        sys.exit("server exited with %d" % p.returncode)
    if time.monotonic() > deadline:
        p.kill()
        sys.exit("server did not accept a connection within 30 s")
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", int(port)))
        break
    except OSError:
        pass
    finally:
        s.close()
print(p.pid, "%.1f" % ((time.monotonic() - t0) * 1000))
EOF
)
ADMIN_PORT=""
for _ in $(seq 1 100); do
	ADMIN_PORT=$(sed -n 's/.*admin listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$OUT/server.log" | tail -1)
	[ -n "$ADMIN_PORT" ] && break
	sleep 0.1
done
sleep 1
RSS_IDLE=$(rss_kb "$SERVER_PID")

echo "bench: server pid $SERVER_PID on port $PORT (cpu ${PIN_S[*]:-any}), generator on cpu ${PIN_C[*]:-any}; outputs in $OUT" >&2

# stress NAME ARGS...: one run against Helenus, its JSON in $OUT/NAME.json
stress() {
	local name=$1; shift
	echo "bench: $name: stress $*" >&2
	if ! timeout "$RUN_TIMEOUT" "${PIN_C[@]}" "$BIN" stress "$@" -node 127.0.0.1 -port "native=$PORT" \
		-schema "keyspace=$KS" --json "$OUT/$name.json" >"$OUT/$name.txt" 2>&1; then
		echo "bench: $name failed; see $OUT/$name.txt" >&2
		tail -5 "$OUT/$name.txt" >&2
		exit 1
	fi
}

D="duration=${SECONDS_PER_RUN}s"
CLOSED=(-rate "threads=$THREADS")
POP=(-pop "dist=uniform(1..$KEYS)")

# (a) the ceiling: the cheapest request the protocol has
stress ceiling options "$D" "${CLOSED[@]}"

# (b) write: closed loop first (it also loads the keys), sampling RSS and disk writes
echo "bench: write-fill: stress write n=$KEYS (load the population)" >&2
timeout "$RUN_TIMEOUT" "${PIN_C[@]}" "$BIN" stress write "n=$KEYS" no-warmup -pop "seq=1..$KEYS" \
	"${CLOSED[@]}" -node 127.0.0.1 -port "native=$PORT" -schema "keyspace=$KS" \
	--json "$OUT/write-fill.json" >"$OUT/write-fill.txt" 2>&1 || { echo "bench: fill failed" >&2; tail -5 "$OUT/write-fill.txt" >&2; exit 1; }
IO0=$(io_written "$SERVER_PID")
(
	max=0
	for _ in $(seq 1 $(((SECONDS_PER_RUN + 30) * 5))); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		[ -e "$OUT/.rss-stop" ] && break
		r=$(rss_kb "$SERVER_PID"); [ "$r" -gt "$max" ] && max=$r
		echo "$max" >"$OUT/rss-load.kb"
		sleep 0.2
	done
) &
RSS_SAMPLER=$!
# no warm-up: the fill warmed the server, and the disk bytes must be this run's only
stress write write "$D" no-warmup -pop "seq=1..$KEYS" "${CLOSED[@]}"
touch "$OUT/.rss-stop"
wait "$RSS_SAMPLER" || true
rm -f "$OUT/.rss-stop"
IO1=$(io_written "$SERVER_PID")
RSS_LOAD=$(cat "$OUT/rss-load.kb" 2>/dev/null || echo 0)

# fixed= runs at 50% and 90% of a closed-loop maximum. Command options
# (duration=, ratio(...)) must precede the option groups, as in cassandra-stress.
fixed_runs() { # fixed_runs NAME MAXRATE COMMAND "CMDOPTS" GROUPS...
	local name=$1 max=$2 cmd=$3 cmdopts=$4
	shift 4
	local r50 r90
	r50=$(python3 -c "print(max(1, int($max * 0.5)))")
	r90=$(python3 -c "print(max(1, int($max * 0.9)))")
	# shellcheck disable=SC2086
	stress "$name-50" "$cmd" "$D" no-warmup $cmdopts "$@" -rate "fixed=${r50}/s"
	# shellcheck disable=SC2086
	stress "$name-90" "$cmd" "$D" no-warmup $cmdopts "$@" -rate "fixed=${r90}/s"
}
fixed_runs write "$(jget "$OUT/write.json" op_rate)" write "" -pop "seq=1..$KEYS"

# (b) reads while everything is in the memtable
SST_BEFORE=$(find "$DATA/data" -name '*-Data.db' 2>/dev/null | wc -l)
stress read-mem read "$D" "${POP[@]}" "${CLOSED[@]}"
fixed_runs read-mem "$(jget "$OUT/read-mem.json" op_rate)" read "" "${POP[@]}"
stress mixed mixed "$D" "ratio(write=1,read=3)" "${POP[@]}" "${CLOSED[@]}"
fixed_runs mixed "$(jget "$OUT/mixed.json" op_rate)" mixed "ratio(write=1,read=3)" "${POP[@]}"

# (b) reads from SSTables (in the page cache) after a flush
FLUSH_NOTE="flushed"
if [ -n "$ADMIN_PORT" ] && timeout 120 "$BIN" admin -p "$ADMIN_PORT" flush >"$OUT/flush.txt" 2>&1; then
	:
else
	FLUSH_NOTE="flush FAILED (see $OUT/flush.txt)"
fi
SST_AFTER=$(find "$DATA/data" -name '*-Data.db' 2>/dev/null | wc -l)
stress read-sst read "$D" "${POP[@]}" "${CLOSED[@]}"
fixed_runs read-sst "$(jget "$OUT/read-sst.json" op_rate)" read "" "${POP[@]}"

# (c) the disk: commit log bytes during the closed-loop write vs dd
DD_LINE=$( (dd if=/dev/zero of="$DATA/dd.tmp" bs=1M count="$DD_MB" oflag=direct conv=fdatasync 2>&1 ||
	dd if=/dev/zero of="$DATA/dd.tmp" bs=1M count="$DD_MB" conv=fdatasync 2>&1) | tail -1)
rm -f "$DATA/dd.tmp"
DD_MBS=$(python3 - "$DD_LINE" <<'EOF'
import re, sys
m = re.match(r"(\d+) bytes.*copied, ([\d.]+) s", sys.argv[1])
print("%.0f" % (int(m.group(1)) / float(m.group(2)) / 1e6) if m else "0")
EOF
)

# (e) another server, same generator (its own pinning is up to whoever started it);
# the Helenus node is stopped first so that it takes nothing from that server's core
stop_server
if [ -n "$OTHER" ]; then
	OHOST=${OTHER%:*}
	OPORT=${OTHER##*:}
	other() {
		local name=$1; shift
		echo "bench: other-$name: stress $* against $OTHER" >&2
		timeout "$RUN_TIMEOUT" "${PIN_C[@]}" "$BIN" stress "$@" -node "$OHOST" -port "native=$OPORT" \
			-schema "keyspace=$KS" --json "$OUT/other-$name.json" >"$OUT/other-$name.txt" 2>&1 ||
			{ echo "bench: other-$name failed; see $OUT/other-$name.txt" >&2; rm -f "$OUT/other-$name.json"; }
	}
	other ceiling options "$D" "${CLOSED[@]}"
	other write-fill write "n=$KEYS" no-warmup -pop "seq=1..$KEYS" "${CLOSED[@]}"
	other write write "$D" -pop "seq=1..$KEYS" "${CLOSED[@]}"
	other read-mem read "$D" "${POP[@]}" "${CLOSED[@]}"
	other mixed mixed "$D" "ratio(write=1,read=3)" "${POP[@]}" "${CLOSED[@]}"
fi

# --------------------------------------------------------------- the table

python3 - "$OUT" "$OTHER" "$RSS_IDLE" "$RSS_LOAD" "$START_MS" "$IO0" "$IO1" "$DD_MBS" \
	"$SST_BEFORE" "$SST_AFTER" "$FLUSH_NOTE" "$SECONDS_PER_RUN" "$KEYS" "$THREADS" \
	"${PIN_S[*]:-unpinned}" "${PIN_C[*]:-unpinned}" <<'EOF'
import json, os, sys, time
(out, other, rss_idle, rss_load, start_ms, io0, io1, dd_mbs, sst_before, sst_after, flush_note,
 secs, keys, threads, pin_s, pin_c) = sys.argv[1:]

def load(name):
    p = os.path.join(out, name + ".json")
    return json.load(open(p)) if os.path.exists(p) else None

ceiling = load("ceiling")
oceiling = load("other-ceiling")
rows = [("(a) ceiling: OPTIONS", "ceiling"), ("(b) write", "write"),
        ("    write at 50% of max (fixed=)", "write-50"), ("    write at 90% of max (fixed=)", "write-90"),
        ("    read, memtable", "read-mem"), ("    read, memtable at 50%", "read-mem-50"),
        ("    read, memtable at 90%", "read-mem-90"),
        ("    read after flush (SSTables)", "read-sst"), ("    read after flush at 50%", "read-sst-50"),
        ("    read after flush at 90%", "read-sst-90"),
        ("    mixed write:read 1:3", "mixed"), ("    mixed at 50%", "mixed-50"), ("    mixed at 90%", "mixed-90")]
print()
print("Helenus bench, %s, %d cores (%s), generator %s, %s s per run, %s keys, %s in flight"
      % (time.strftime("%Y-%m-%d %H:%M %Z"), os.cpu_count(), "server " + pin_s, pin_c, secs, keys, threads))
hdr = "%-36s %12s %9s %11s" % ("", "ops/s", "p99 ms", "of ceiling")
if other:
    hdr += "   | %12s %9s %11s" % ("other ops/s", "p99 ms", "of ceiling")
print(hdr)
for label, name in rows:
    j = load(name)
    if not j:
        continue
    frac = "%10.1f%%" % (100.0 * j["op_rate"] / ceiling["op_rate"]) if ceiling and name != "ceiling" else ""
    line = "%-36s %12s %9.2f %11s" % (label, "{:,.0f}".format(j["op_rate"]), j["latency_ms"]["p99"], frac)
    o = load("other-" + name) if other else None
    if o:
        ofrac = "%10.1f%%" % (100.0 * o["op_rate"] / oceiling["op_rate"]) if oceiling and name != "ceiling" else ""
        line += "   | %12s %9.2f %11s" % ("{:,.0f}".format(o["op_rate"]), o["latency_ms"]["p99"], ofrac)
    if j["total_errors"]:
        line += "   (%d errors)" % j["total_errors"]
    print(line)
w = load("write")
if w:
    written = (int(io1) - int(io0)) / 1e6
    mbs = written / w["duration_s"] if w["duration_s"] else 0
    payload = w["op_rate"] * (10 + 5 * 34) / 1e6
    dd = float(dd_mbs)
    print("(c) commit log ingest: %.1f MB/s written by the server during the write run "
          "(%.1f MB/s of key+column payload); dd sequential write: %.0f MB/s (%s of it)"
          % (mbs, payload, dd, "%.1f%%" % (100 * mbs / dd) if dd else "n/a"))
print("(d) footprint: RSS idle %.1f MB, under load %.1f MB; start to first accepted connection %s ms"
      % (int(rss_idle) / 1024, int(rss_load) / 1024, start_ms))
print("    SSTables before the memtable reads: %s, after the flush: %s (%s)" % (sst_before, sst_after, flush_note))
cpu = [load(n)["client_cpu_s"] / load(n)["duration_s"] for n in ("ceiling", "write", "read-mem") if load(n)]
if cpu:
    print("    generator CPU: at most %.0f%% of its core (the server, not the generator, is the limit)"
          % (100 * max(cpu)) if max(cpu) < 0.9 else
          "    generator CPU: %.0f%% of its core: the generator may be the limit" % (100 * max(cpu)))
print("raw outputs: %s" % out)
EOF

# --------------------------------------------------------------- storage (--storage)

if [ "$STORAGE" = 1 ]; then
	"$ROOT/bench/storage.sh" --bin "$BIN" --server-cpu "$SERVER_CPU" --client-cpu "$CLIENT_CPU" \
		--data-parent "$PARENT" --out "$OUT/storage" "${STORAGE_ARGS[@]}"
fi

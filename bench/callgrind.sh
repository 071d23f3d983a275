#!/usr/bin/env bash
# bench/callgrind.sh: instructions per request, the figure that stays stable
# on a noisy shared machine (wall-clock rates do not).
#
# Runs `helenus server --shards 1` under valgrind's callgrind on an empty
# data directory, creates the cassandra-stress schema and N keys with an
# unmeasured warm-up, then measures, each with zeroed counters:
#   write   n=N UPDATEs of keys 1..N (every key exists: overwrites)
#   read    n=N SELECTs uniform over 1..N from the memtable
#   options n=N OPTIONS (the transport alone)
# and prints the server's total instructions (Ir, every thread) divided by
# N. The callgrind.out files are kept in --out for callgrind_annotate.
#
#   bench/callgrind.sh [--bin build/helenus] [--n 20000] [--out DIR] [--flush]
# --flush: also measure reads after `helenus admin flush` (SSTable reads),
# then reads of N new keys that only the memtable holds while that SSTable
# exists (read_mt_sst).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${HELENUS_BIN:-$ROOT/build/helenus}
N=20000
OUT=""
FLUSH=0
while [ $# -gt 0 ]; do
	case "$1" in
	--bin) BIN=$2; shift 2 ;;
	--n) N=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--flush) FLUSH=1; shift ;;
	*) echo "usage: bench/callgrind.sh [--bin PATH] [--n N] [--out DIR] [--flush]" >&2; exit 2 ;;
	esac
done
command -v valgrind >/dev/null || { echo "bench/callgrind.sh: needs valgrind" >&2; exit 2; }
[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/hl-callgrind.XXXXXX)
mkdir -p "$OUT"
DATA=$(mktemp -d /tmp/hl-cg-data.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SPID=""
cleanup() {
	if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then
		kill -TERM "$SPID" 2>/dev/null || true
		wait "$SPID" 2>/dev/null || true
	fi
	rm -rf "$DATA"
}
trap cleanup EXIT INT TERM

valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out.%p" \
	--dump-instr=no "$BIN" server --shards 1 --native-port "$PORT" --admin-port 0 \
	--data-dir "$DATA" >"$OUT/server.log" 2>&1 &
SPID=$!
for _ in $(seq 1 600); do
	python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$PORT),1)" 2>/dev/null && break
	sleep 0.2
done
ADMIN_PORT=$(sed -n 's/.*admin listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$OUT/server.log" | tail -1)

stress() {
	timeout 600 "$BIN" stress "$@" -node 127.0.0.1 -port "native=$PORT" -rate threads=64 \
		>>"$OUT/stress.txt" 2>&1
}
# unmeasured: schema, prepared statements, every key written once
stress write "n=$N" no-warmup
stress read n=1000 no-warmup -pop "dist=uniform(1..$N)"

measure() {
	local name=$1
	shift
	callgrind_control -z "$SPID" >/dev/null 2>&1
	stress "$@"
	callgrind_control -d "$name" "$SPID" >/dev/null 2>&1
	sleep 0.5
	local ir=0
	for f in "$OUT"/callgrind.out."$SPID".*; do
		grep -q "^desc: Trigger: dump $name\$" "$f" 2>/dev/null || continue
		local t
		t=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p;s/^summary: *\([0-9]*\).*/\1/p' "$f" | head -1)
		ir=$((ir + t))
		mv "$f" "$OUT/$name.$(basename "$f")"
	done
	printf '%-10s %12d Ir total  %8d Ir/request\n' "$name" "$ir" $((ir / N))
}
measure write write "n=$N" no-warmup -pop "seq=1..$N"
measure read read "n=$N" no-warmup -pop "dist=uniform(1..$N)"
measure options options "n=$N" no-warmup
if [ "$FLUSH" = 1 ] && [ -n "$ADMIN_PORT" ]; then
	timeout 300 "$BIN" admin -p "$ADMIN_PORT" flush >/dev/null
	measure read_sst read "n=$N" no-warmup -pop "dist=uniform(1..$N)"
	# keys N+1..2N only in the memtable, next to that SSTable (which the
	# bloom filter rules out): the usual memtable hit once SSTables exist
	stress write "n=$N" no-warmup -pop "seq=$((N + 1))..$((2 * N))"
	measure read_mt_sst read "n=$N" no-warmup -pop "dist=uniform($((N + 1))..$((2 * N)))"
fi
echo "outputs in $OUT" >&2

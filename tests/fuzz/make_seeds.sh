#!/usr/bin/env bash
# Regenerates the seeds that come from stock Redis 7.0.15 (corpus/<name>/ feeds <name>_fuzz; the
# hand-written seeds, configs and RESP requests, are edited in place):
#   rdb/dump.rdb              every type in every encoding (small limits force the big ones), three
#                             dbs, a TTL, int and LZF strings; saved by redis-server
#   rdb/restore-<key>         DUMP payloads of some of those keys without the 10-byte footer
#                             (rdb_fuzz.cc appends version and CRC64 itself)
#   aof/incr.aof              commands with #TS annotations and a MULTI/EXEC, as appended
#   aof/preamble.aof          an RDB base (BGREWRITEAOF with aof-use-rdb-preamble) + commands
#   aof/manifest              appendonly.aof.manifest after that rewrite
#   info/master, info/replica INFO server + replication of a master with one replica, and of it
#   hello/hello               a hello message a Sentinel published on __sentinel__:hello
#   sentinel_config/rewritten sentinel.conf as a stock Sentinel rewrote it (myid, epochs,
#                             known-replica, known-sentinel)
# rdb/legacy.rdb is tests/unit/storage/fixtures/legacy.rdb (ziplist, zipmap, RDB 9).
# Ports and temp paths differ from run to run; that is fine for seeds.
# Usage: tests/fuzz/make_seeds.sh [bin dir with redis-server, redis-sentinel] (needs python3).
# Everything listens on 127.0.0.1 free ports and is killed by PID on exit.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
corpus="$here/corpus"
bin="${1:-/usr/bin}"
work="$(mktemp -d /tmp/tandem-fuzz-seeds.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() {  # port
  for _ in $(seq 1 100); do
    "$bin/redis-cli" -h 127.0.0.1 -p "$1" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "nothing answers on port $1" >&2
  exit 1
}
cli() { "$bin/redis-cli" -h 127.0.0.1 "$@"; }

mp=$(free_port)
rp=$(free_port)
mkdir -p "$work/m" "$work/r"
# Small encoding limits so that a few elements already give hashtable / skiplist / multi-node
# quicklist encodings next to the listpack and intset ones.
"$bin/redis-server" --bind 127.0.0.1 --port "$mp" --dir "$work/m" --save '' \
  --appendonly yes --aof-use-rdb-preamble no --aof-timestamp-enabled yes \
  --logfile "$work/m/log" &
pids+=($!)
wait_port "$mp"

export MP="$mp" OUT="$corpus"
python3 - <<'EOF'
import os, socket

def conn(port):
    s = socket.create_connection(("127.0.0.1", int(port)))
    return s, s.makefile("rb")

def enc(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out

def read(f):
    line = f.readline()[:-2]
    t, rest = line[:1], line[1:]
    if t in (b"+", b"-"):
        return rest
    if t == b":":
        return int(rest)
    if t == b"$":
        n = int(rest)
        return None if n < 0 else f.read(n + 2)[:-2]
    if t == b"*":
        return [read(f) for _ in range(int(rest))]
    raise ValueError(line)

s, f = conn(os.environ["MP"])
def c(*args):
    s.sendall(enc(args))
    return read(f)

# Listpack / intset encodings (default limits).
c("set", "int", "12345"); c("set", "str", "hello"); c("set", "lzf", "abcabc" * 20)
c("set", "ttl", "v"); c("pexpireat", "ttl", 4102444800000)
c("rpush", "list", "a", "1", "-200", "70000", "x" * 70)
c("hset", "hash", "f1", "v1", "f2", "2")
c("sadd", "intset", "1", "2", "-3", "100000")
c("sadd", "set", "a", "b", "c")
c("zadd", "zset", "1", "a", "2.5", "b", "-inf", "c")
# Hashtable / skiplist / several quicklist nodes.
c("config", "set", "hash-max-listpack-entries", "2", "zset-max-listpack-entries", "2",
  "set-max-intset-entries", "2", "list-max-listpack-size", "2")
c("rpush", "biglist", "a", "b", "c", "d", "e")
c("hset", "bighash", "f1", "v1", "f2", "v2", "f3", "v3")
c("sadd", "bigset", "1", "2", "3")
c("zadd", "bigzset", "1", "a", "2", "b", "3", "c")
c("multi"); c("incr", "counter"); c("lpush", "list", "head"); c("exec")
c("select", "1"); c("set", "db1", "x")
c("select", "2"); c("hset", "db2", "k", "v"); c("select", "0")
c("save")
for key in ("str", "lzf", "list", "intset", "set", "zset", "hash", "biglist", "bighash",
            "bigzset"):
    payload = c("dump", key)
    open(os.path.join(os.environ["OUT"], "rdb", "restore-" + key), "wb").write(payload[:-10])
EOF
cp "$work/m/dump.rdb" "$corpus/rdb/dump.rdb"
cp "$work/m/appendonlydir/appendonly.aof.1.incr.aof" "$corpus/aof/incr.aof"
cli -p "$mp" config set aof-use-rdb-preamble yes >/dev/null
cli -p "$mp" bgrewriteaof >/dev/null
for _ in $(seq 1 100); do
  [[ "$(cli -p "$mp" info persistence | tr -d '\r' | grep '^aof_rewrite_in_progress:')" == \
     "aof_rewrite_in_progress:0" && -e "$work/m/appendonlydir/appendonly.aof.2.base.rdb" ]] && break
  sleep 0.1
done
cli -p "$mp" set after rewrite >/dev/null
cli -p "$mp" del str >/dev/null
cat "$work/m/appendonlydir/appendonly.aof.2.base.rdb" \
  "$work/m/appendonlydir/appendonly.aof.2.incr.aof" >"$corpus/aof/preamble.aof"
cp "$work/m/appendonlydir/appendonly.aof.manifest" "$corpus/aof/manifest"

# A replica and two Sentinels, for INFO, hello and a rewritten sentinel.conf.
"$bin/redis-server" --bind 127.0.0.1 --port "$rp" --dir "$work/r" --save '' \
  --replicaof 127.0.0.1 "$mp" --logfile "$work/r/log" &
pids+=($!)
wait_port "$rp"
sp=()
for i in 1 2; do
  port=$(free_port)
  sp+=("$port")
  printf 'port %s\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 %s 2\nsentinel down-after-milliseconds mymaster 5000\n' \
    "$port" "$mp" >"$work/s$i.conf"
  (cd "$work" && exec "$bin/redis-sentinel" "$work/s$i.conf" --logfile "s$i.log") &
  pids+=($!)
  wait_port "$port"
done
for _ in $(seq 1 200); do
  [[ "$(cli -p "$mp" info replication | tr -d '\r' | grep '^master_link_status:\|^slave0:')" == *online* ]] && break
  sleep 0.1
done
cli -p "$mp" info server replication >"$corpus/info/master"
cli -p "$rp" info server replication >"$corpus/info/replica"
hello=$(timeout 10 "$bin/redis-cli" -h 127.0.0.1 -p "$mp" --raw subscribe __sentinel__:hello |
        sed -n '6{p;q}') || true
printf '%s' "$hello" >"$corpus/hello/hello"
for _ in $(seq 1 300); do
  grep -q '^sentinel known-sentinel' "$work/s1.conf" &&
    grep -q '^sentinel known-replica' "$work/s1.conf" && break
  sleep 0.1
done
cp "$work/s1.conf" "$corpus/sentinel_config/rewritten"
ls -l "$corpus"/rdb "$corpus"/aof "$corpus"/info "$corpus"/hello \
  "$corpus"/sentinel_config/rewritten

#!/usr/bin/env bash
# Issue 8's tripwire target, end to end: from a scanner's first SYN to a tripwire
# port until the kernel drops that scanner's next packet; p50/p99 over N scanners.
# usage: bench/scripts/tripwire-latency.sh [SCANNERS] [INTERVAL_US] [new|est]   (root; build app first:
#        mvn -q -B -pl app -am package -DskipTests)
#
# Two namespaces joined by veth. In b: the real daemon (`palisade daemon -f pf.conf
# -c palisade.conf`) with `table <bofh> persist; block in quick from <bofh>` loaded into
# nft and `divert 7101 tripwire table "bofh"`; iptables sends TCP to port 2222 to
# NFQUEUE 7101 (this kernel has no nft `queue`). A UDP receiver in b on port 9999
# records, per source, the send timestamp of the last datagram it received.
# In a: scanner i (its own source address) takes t0 = CLOCK_MONOTONIC, sends one SYN
# to b:2222 (non-blocking connect), then a datagram to b:9999 every INTERVAL_US,
# each carrying its send time, for 1.5 s. The datagram after the last one received is
# the first the kernel dropped: latency = (last received send time - t0) + INTERVAL.
# Mode `new` (default): every datagram is a new flow (source port +1 each, a raw
# socket), so the kernel set add alone decides. Mode `est`: one connected UDP socket,
# whose flow is established (conntrack) before the ban, so the ban drops it only once
# the kernel side has also killed the source's states (as pf needs pfctl -k).
# (CLOCK_MONOTONIC is shared by every network namespace; veth keeps order.)
# NICE=-5 runs the daemon at the niceness packaging/palisaded.service gives it (default 0); JVM_OPTS adds
# options to the daemon's JVM (e.g. -Xlog:gc); KEEP_LOG=FILE keeps the daemon's log.
set -eu
n=${1:-40}
iv=${2:-100}
mode=${3:-new}
case $mode in new|est) ;; *) echo "mode must be new or est, got $mode" >&2; exit 2;; esac
root=$(cd "$(dirname "$0")/../.." && pwd)
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
jar=$root/app/target/palisade.jar
[ -f "$jar" ] || { echo "build first: mvn -q -B -pl app -am package -DskipTests" >&2; exit 2; }
tag=$$; a=twa$tag; b=twb$tag; tmp=$(mktemp -d /tmp/tripwire-latency.XXXXXX)
dpid=; rpid=
cleanup() {
  [ -n "$rpid" ] && kill "$rpid" 2>/dev/null || true
  [ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null || true
  ip netns del $a 2>/dev/null; ip netns del $b 2>/dev/null; true
}
trap cleanup EXIT
ip netns add $a; ip netns add $b
ip link add va$tag netns $a type veth peer name vb$tag netns $b
ip -n $b addr add 10.79.0.2/16 dev vb$tag
for i in $(seq 1 "$n"); do ip -n $a addr add 10.79.1.$i/16 dev va$tag; done
ip -n $a link set va$tag up; ip -n $b link set vb$tag up; ip -n $a link set lo up; ip -n $b link set lo up
cat > $tmp/pf.conf <<'PF'
table <bofh> persist
block in quick from <bofh>
pass
PF
printf 'divert 7101 tripwire table "bofh"\n' > $tmp/palisade.conf
ip netns exec $b iptables -A INPUT -p tcp --dport 2222 -j NFQUEUE --queue-num 7101
ip netns exec $b nice -n "${NICE:-0}" "$java" ${JVM_OPTS:-} --enable-native-access=ALL-UNNAMED -jar "$jar" daemon -f $tmp/pf.conf -c $tmp/palisade.conf \
  --state-dir $tmp/state --socket $tmp/ctl.sock > $tmp/daemon.log 2>&1 &
dpid=$!
for _ in $(seq 1 600); do
  grep -q 'reading NFQUEUE' $tmp/daemon.log && ip netns exec $b nft list table inet palisade >/dev/null 2>&1 && break
  kill -0 $dpid 2>/dev/null || { cat $tmp/daemon.log; exit 1; }
  sleep 0.1   # polls the daemon's readiness, bounded by 60 s
done
grep -q 'reading NFQUEUE' $tmp/daemon.log || { echo "daemon not ready:"; cat $tmp/daemon.log; exit 1; }
ip netns exec $b python3 - "$tmp/recv.txt" <<'PY' &
import socket, struct, sys, signal, select
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(("10.79.0.2", 9999)); last = {}
def out(*_):
    with open(sys.argv[1], "w") as f:
        for k, v in last.items(): f.write(f"{k} {v}\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, out)
while True:
    d, (src, _) = s.recvfrom(64)
    t = struct.unpack("!Q", d[:8])[0]
    if t > last.get(src, 0): last[src] = t
PY
rpid=$!
sleep 0.5  # the receiver binds (python start-up)
ip netns exec $a python3 - "$n" "$iv" "$tmp/t0.txt" "$mode" <<'PY'
import socket, struct, sys, time
n, iv, out, mode = int(sys.argv[1]), int(sys.argv[2]) * 1000, sys.argv[3], sys.argv[4]
mono = time.clock_gettime_ns
res = []
class Raw:  # one new flow per datagram: UDP header written here, source port +1 each time
    def __init__(self, src):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP); self.s.bind((src, 0)); self.p = 0
    def send(self, payload):
        self.p += 1
        self.s.sendto(struct.pack("!HHHH", 10000 + self.p % 50000, 9999, 8 + len(payload), 0) + payload, ("10.79.0.2", 0))
    def close(self): self.s.close()
for i in range(1, n + 1):
    src = f"10.79.1.{i}"
    if mode == "new":
        u = Raw(src)
    else:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((src, 0)); u.connect(("10.79.0.2", 9999))
    for _ in range(20): u.send(struct.pack("!Q", mono(time.CLOCK_MONOTONIC)))   # ARP/neighbour warm, before t0
    time.sleep(0.05)
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.bind((src, 0)); t.setblocking(False)
    t0 = mono(time.CLOCK_MONOTONIC)
    try: t.connect(("10.79.0.2", 2222))
    except BlockingIOError: pass
    nxt = t0
    end = t0 + 1_500_000_000
    first = 0
    while True:
        now = mono(time.CLOCK_MONOTONIC)
        if now >= end: break
        if now >= nxt:
            u.send(struct.pack("!Q", now)); nxt += iv
            if not first: first = now
    t.close(); u.close()
    res.append((src, t0, first))
with open(out, "w") as f:
    for s, t0, first in res: f.write(f"{s} {t0} {first}\n")
PY
sleep 0.3
kill $rpid; wait $rpid 2>/dev/null || true; rpid=
python3 - "$tmp/t0.txt" "$tmp/recv.txt" "$iv" "$mode" <<'PY'
import sys
t0 = {l.split()[0]: (int(l.split()[1]), int(l.split()[2])) for l in open(sys.argv[1])}
last = {k: int(v) for k, v in (l.split() for l in open(sys.argv[2]))}; iv = int(sys.argv[3]) / 1000
# nothing of the stream received (the sender was descheduled after its SYN and the ban was in first):
# the first stream datagram was the first dropped, so its send time bounds the latency from above
inorder = [(last[s] - t) / 1e6 + iv if last[s] >= t else (f - t) / 1e6 for s, (t, f) in t0.items() if s in last]
lat = sorted(inorder)
never = [s for s in t0 if s not in last]
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print(f"tripwire latency ({sys.argv[4]} flows), first SYN to first dropped packet, {len(lat)} scanners (stream every {iv*1000:.0f} us): "
      f"p50 {q(0.50):.2f} ms, p99 {q(0.99):.2f} ms, min {lat[0]:.2f} ms, max {lat[-1]:.2f} ms"
      + (f"; {len(never)} scanners with nothing received" if never else ""))
print("all (ms), in scanner order:", " ".join(f"{x:.2f}" for x in inorder))
PY
grep -c 'tripwire' $tmp/daemon.log | sed 's/^/daemon tripwire log lines: /'
echo "banned in the kernel sets: $(ip netns exec $b nft list table inet palisade | grep -o '10\.79\.1\.[0-9]*' | sort -u | wc -l) of $n"
[ -n "${KEEP_LOG:-}" ] && cp $tmp/daemon.log "$KEEP_LOG"; rm -rf $tmp

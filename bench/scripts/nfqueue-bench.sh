#!/usr/bin/env bash
# NFQUEUE throughput: Palisade's Java reader (accept everything) against the C
# libnetfilter_queue baseline, same flood, same run.
# usage: bench/scripts/nfqueue-bench.sh [COUNT] [SIZE]   (root; gcc, libnetfilter-queue-dev)
set -eu
count=${1:-500000}; size=${2:-64}
. "$(dirname "$0")/common.sh"
base=/work/shared/baselines
tmp=$(mktemp -d); tag=$$
trap 'delpair $tag; rm -rf "$tmp"' EXIT
gcc -O2 -o "$tmp/udpflood" "$base/udpflood.c"
mkpair $tag
ip netns exec pbb$tag iptables -A INPUT -p udp --dport 9999 -j NFQUEUE --queue-num 7
runjava dev.palisade.bench.kernel.NfqueueThroughput pbb$tag 7 "$count" > "$tmp/out" 2>"$tmp/err" &
pid=$!
for i in $(seq 1 100); do grep -q ready "$tmp/err" 2>/dev/null && break; sleep 0.1; done
for i in $(seq 1 20); do
  kill -0 $pid 2>/dev/null || break
  ip netns exec pba$tag timeout 20 "$tmp/udpflood" 10.78.0.2 9999 "$count" "$size" >/dev/null
done
wait $pid || true
java_line=$(cat "$tmp/out"); echo "$java_line"
c_line=$("$base/nfq-baseline.sh" "$count" "$size" | tail -1); echo "$c_line"
jp=$(echo "$java_line" | sed -n 's/.*= \([0-9]*\) pps.*/\1/p'); cp=$(echo "$c_line" | sed -n 's/.*= \([0-9]*\) pps.*/\1/p')
[ -n "$jp" ] && [ -n "$cp" ] && awk -v j="$jp" -v c="$cp" 'BEGIN { printf "ratio palisade/C = %.2f\n", j / c }'

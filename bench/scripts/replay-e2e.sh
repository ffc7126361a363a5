#!/usr/bin/env bash
# `palisade replay` end to end, as a user runs it: JVM start, ruleset load, a 1M-packet
# pcap (RAW IPv4 UDP, 10k flows, 1k-rule stateful ruleset: ReplayBench's workload) read,
# decoded, evaluated, the summary printed. Prints packets per second of wall time and of
# the process's CPU time (user + sys, all threads).
# usage: bench/scripts/replay-e2e.sh [ROUNDS]   (build first: mvn -q -B -pl app,bench -am package -DskipTests)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
rounds=${1:-3}
tmp=$(mktemp -d /tmp/replay-e2e.XXXXXX); trap 'rm -rf $tmp' EXIT
"$java" -Xmx1g -cp "$root/bench/target/benchmarks.jar" dev.palisade.bench.ReplayCpu write $tmp/c.pcap $tmp/pf.conf 2>/dev/null
printf 'interface eth0 10.0.0.1/24\n' > $tmp/host.profile
for i in $(seq 1 "$rounds"); do
  /usr/bin/time -f '%e %U %S' -o $tmp/t "$java" -jar "$root/app/target/palisade.jar" replay -f $tmp/pf.conf \
      --host-profile $tmp/host.profile -i eth0 $tmp/c.pcap > $tmp/out 2>&1 || { cat $tmp/out; exit 1; }
  read -r wall user sys < $tmp/t
  python3 -c "import sys; w,u,s=map(float,sys.argv[1:]); print(f'round $i: {1e6/w/1e6:.2f}M packets/s wall ({w:.2f} s), {1e6/(u+s)/1e6:.2f}M packets per CPU-s (user {u:.2f} + sys {s:.2f} s, every thread)')" $wall $user $sys
done
grep -m3 -i 'packets' $tmp/out

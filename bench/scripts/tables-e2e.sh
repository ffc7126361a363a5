#!/bin/sh
# End-to-end table figures (BENCHMARKS.md, "Tables"): a 1M-entry state
# directory made by TableRestartBench, then
#   - restart: palisaded started on it until its control socket answers;
#   - show: `palisade pfctl -t big -T show` of all entries to /dev/null.
# Usage: bench/scripts/tables-e2e.sh [STATE_DIR]   (JDK 25 as $JAVA_HOME or on PATH)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
state=${1:-/tmp/palisade-restart-bench}
sock=$state/e2e.sock
jar=$root/app/target/palisade.jar
[ -f "$state/tables.snap" ] || "$java" -Xmx1g -cp "$root/bench/target/benchmarks.jar" dev.palisade.bench.TableRestartBench "$state"
now_ms() { date +%s%3N; }
t0=$(now_ms)
"$java" -Xmx512m -jar "$jar" daemon --state-dir "$state" --socket "$sock" > "$state/e2e.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until "$java" -jar "$jar" pfctl --socket "$sock" -sT > /dev/null 2>&1; do
    kill -0 $pid 2>/dev/null || { cat "$state/e2e.log"; exit 1; }
done
t1=$(now_ms)
echo "restart: serving after $((t1 - t0)) ms (including JVM start and the polling client's own JVM starts)"
grep -E "tables loaded|ready in" "$state/e2e.log"
# the client through bin/palisade, with its AOT cache (made first if stale) and without
"$root/bin/palisade" pfctl -s Tables > /dev/null 2>&1 || true
# ROUNDS (default 2) runs of each variant: the first may meet the daemon's show path not yet compiled
for aot in 1 0; do
  for round in $(seq 1 "${ROUNDS:-2}"); do
    t2=$(now_ms)
    lines=$(PALISADE_AOT=$aot "$root/bin/palisade" pfctl --socket "$sock" -t big -T show | wc -l)
    t3=$(now_ms)
    echo "show (PALISADE_AOT=$aot, round $round): $lines lines in $((t3 - t2)) ms (client JVM start included): $((lines * 1000 / (t3 - t2))) lines/s"
    t4=$(now_ms)
    PALISADE_AOT=$aot "$root/bin/palisade" pfctl --socket "$sock" -s Tables > /dev/null
    t5=$(now_ms)
    echo "pfctl -s Tables (PALISADE_AOT=$aot, round $round): $((t5 - t4)) ms"
  done
done
kill $pid
wait $pid || true

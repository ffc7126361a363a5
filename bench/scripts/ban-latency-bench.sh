#!/usr/bin/env bash
# One ban (set add + conntrack kill) until the kernel drops the next packet: p50/p99.
# usage: bench/scripts/ban-latency-bench.sh [ROUNDS]   (root)
set -eu
rounds=${1:-2000}
. "$(dirname "$0")/common.sh"
tag=$$
trap 'delpair $tag' EXIT
mkpair $tag
runjava dev.palisade.bench.kernel.BanLatency pba$tag pbb$tag 10.78.0.1 10.78.0.2 "$rounds"

#!/usr/bin/env bash
# N random IPv4 addresses into a kernel set: NftSets over netlink vs nft -f.
# usage: bench/scripts/set-load-bench.sh [N]   (root)
set -eu
n=${1:-1000000}
. "$(dirname "$0")/common.sh"
ns=pbs$$
trap 'ip netns del $ns 2>/dev/null || true' EXIT
ip netns add $ns
runjava -Xmx2g dev.palisade.bench.kernel.SetLoad $ns "$n"

#!/bin/sh
# examples/make-sample-pcap.sh: records examples/sample.pcap from REAL traffic
# between two network namespaces joined by a veth pair, with tcpdump.
#
# What it records (client 10.99.0.1 / fd99::1 -> server 10.99.0.2 / fd99::2):
#   1. an allowed TCP connection with its replies: an HTTP GET to a small
#      python3 web server on port 8080, over IPv4 and over IPv6;
#   2. a port scan: nmap SYN scan of closed ports 22,23,25,3389 (the
#      server's kernel answers RST);
#   3. UDP: a DNS query to a python3 UDP responder on port 53 and its answer;
#   4. ICMP: a datagram to closed UDP port 9999 (port unreachable, v4 and
#      v6) and echo request/reply (v4 and v6).
# Neighbour discovery and ARP are left out to keep the sample small.
#
# Needs root, iproute2, tcpdump, nmap, curl, python3. Cleans up on exit.
# Usage: examples/make-sample-pcap.sh [OUTPUT]   (default examples/sample.pcap)
set -eu
out=${1:-"$(cd "$(dirname "$0")" && pwd)/sample.pcap"}
[ "$(id -u)" = 0 ] || { echo "make-sample-pcap: must run as root (network namespaces)" >&2; exit 1; }
for c in ip tcpdump nmap curl python3; do
    command -v "$c" >/dev/null || { echo "make-sample-pcap: missing $c" >&2; exit 1; }
done

tag=$$
cli=pal-cli-$tag
srv=pal-srv-$tag
tmp=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    ip netns del "$cli" 2>/dev/null || true
    ip netns del "$srv" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# wait_for FILE PATTERN: until FILE holds PATTERN, at most 10 s
wait_for() {
    i=0
    until grep -q "$2" "$1" 2>/dev/null; do
        i=$((i + 1))
        [ $i -le 100 ] || { echo "make-sample-pcap: timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1; }
        sleep 0.1
    done
}

ip netns add "$cli"
ip netns add "$srv"
ip link add veth-c$tag type veth peer name veth-s$tag
ip link set veth-c$tag netns "$cli"
ip link set veth-s$tag netns "$srv"
ip -n "$cli" link set veth-c$tag name eth0
ip -n "$srv" link set veth-s$tag name eth0
ip -n "$cli" link set eth0 address 02:00:00:00:00:01
ip -n "$srv" link set eth0 address 02:00:00:00:00:02
ip -n "$cli" addr add 10.99.0.1/24 dev eth0
ip -n "$srv" addr add 10.99.0.2/24 dev eth0
ip -n "$cli" addr add fd99::1/64 dev eth0 nodad
ip -n "$srv" addr add fd99::2/64 dev eth0 nodad
for n in "$cli" "$srv"; do ip -n "$n" link set lo up; ip -n "$n" link set eth0 up; done
# veth offloads would leave partial checksums in the capture; have the kernel compute them
ip netns exec "$cli" sh -c 'command -v ethtool >/dev/null && ethtool -K eth0 tx off rx off >/dev/null 2>&1 || true'
ip netns exec "$srv" sh -c 'command -v ethtool >/dev/null && ethtool -K eth0 tx off rx off >/dev/null 2>&1 || true'
# no ICMP rate limit, so every closed-port probe gets its error
ip netns exec "$srv" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0

# the server: a web server (v4 and v6) and a DNS-like UDP responder
mkdir -p "$tmp/www" && echo "hello from palisade sample" > "$tmp/www/index.html"
ip netns exec "$srv" python3 -m http.server 8080 --bind :: --directory "$tmp/www" >"$tmp/http.log" 2>&1 &
pids="$pids $!"
cat > "$tmp/dns.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.0.2", 53))
print("ready", flush=True)
q, peer = s.recvfrom(512)
# answer: same id, QR set, one A record 192.0.2.53 for the question
ans = q[:2] + b"\x81\x80" + q[4:6] + b"\x00\x01\x00\x00\x00\x00" + q[12:] \
    + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x35"
s.sendto(ans, peer)
PY
ip netns exec "$srv" python3 "$tmp/dns.py" >"$tmp/dns.log" 2>&1 &
pids="$pids $!"
wait_for "$tmp/dns.log" ready
# until the web server answers (checked from inside the server's namespace)
i=0
until ip netns exec "$srv" curl -s -o /dev/null http://127.0.0.1:8080/; do
    i=$((i + 1)); [ $i -le 100 ] || { echo "make-sample-pcap: web server did not start" >&2; cat "$tmp/http.log" >&2; exit 1; }
    sleep 0.1
done

# record on the client's side of the link
ip netns exec "$cli" tcpdump -i eth0 -U --immediate-mode -s 262144 -w "$tmp/sample.pcap" \
    'not arp and not (icmp6 and (ip6[40] >= 133 and ip6[40] <= 137 or ip6[40] == 143))' >"$tmp/tcpdump.log" 2>&1 &
tcpdump_pid=$!
pids="$pids $tcpdump_pid"
wait_for "$tmp/tcpdump.log" "listening on"

c() { ip netns exec "$cli" "$@"; }
# 1. allowed TCP connections with replies
c curl -s -o /dev/null http://10.99.0.2:8080/index.html
c curl -s -o /dev/null -g 'http://[fd99::2]:8080/index.html'
# 2. a SYN scan of closed ports (RST answers)
c nmap -n -Pn -sS -p 22,23,25,3389 --max-retries 0 10.99.0.2 >/dev/null
# 3. UDP: a DNS query for example.com and its answer
c python3 -c '
import socket
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(q, ("10.99.0.2", 53)); s.recvfrom(512)'
# 4. ICMP errors: port unreachable from a closed UDP port, v4 and v6, and pings
c python3 -c '
import socket
for fam, addr in ((socket.AF_INET, "10.99.0.2"), (socket.AF_INET6, "fd99::2")):
    s = socket.socket(fam, socket.SOCK_DGRAM); s.settimeout(5); s.connect((addr, 9999)); s.send(b"anyone there?")
    try:
        s.recv(100)
    except (ConnectionRefusedError, socket.timeout):
        pass'
c python3 -c '
import socket, struct
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
for fam, proto, typ, addr in ((socket.AF_INET, socket.IPPROTO_ICMP, 8, "10.99.0.2"),
                              (socket.AF_INET6, socket.IPPROTO_ICMPV6, 128, "fd99::2")):
    s = socket.socket(fam, socket.SOCK_RAW, proto); s.settimeout(5)
    body = b"palisade ping"
    hdr = struct.pack("!BBHHH", typ, 0, 0, 0x5a5a, 1)
    if fam == socket.AF_INET:  # the kernel sums ICMPv6 (pseudo-header) itself
        hdr = struct.pack("!BBHHH", typ, 0, csum(hdr + body), 0x5a5a, 1)
    s.sendto(hdr + body, (addr, 0))
    while True:  # until the echo reply
        r = s.recv(2048)
        t = r[20] if fam == socket.AF_INET else r[0]
        if t in (0, 129): break'

# the last packet sent is the ICMPv6 echo reply: wait until tcpdump wrote it, then stop tcpdump
i=0
until tcpdump -nr "$tmp/sample.pcap" 2>/dev/null | grep -q "ICMP6, echo reply"; do
    i=$((i + 1)); [ $i -le 100 ] || { echo "make-sample-pcap: the capture lacks the last echo reply" >&2; exit 1; }
    sleep 0.1
done
kill -INT "$tcpdump_pid"
wait_for "$tmp/tcpdump.log" "packets captured"
cp "$tmp/sample.pcap" "$out"
grep "packets captured" "$tmp/tcpdump.log" >&2
echo "wrote $out" >&2

# The server side of examples/sample.pcap, for palisade replay:
#   bin/palisade replay -v -f examples/pf.conf --host-profile examples/sample-host.profile -i eth0 examples/sample.pcap
interface lo 127.0.0.1/8 ::1/128
interface eth0 10.99.0.2/24 fd99::2/64
ifgroup egress eth0
ifgroup lo lo

# the host the golden programs are compiled for
interface lo 127.0.0.1/8 ::1/128
interface eth0 192.0.2.10/24 2001:db8::10/64
interface eth1 10.0.0.1/24
ifgroup egress eth0
ifgroup lan eth1 eth2

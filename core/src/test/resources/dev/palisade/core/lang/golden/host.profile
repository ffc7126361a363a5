# A made-up host for the project's own golden tests.
interface lo0 127.0.0.1/8 ::1/128
interface em0 192.0.2.10/24 2001:db8::10/64 fe80::10/64
ifgroup egress em0
user root 0
user www 67
group wheel 0
group www 67
host mail.example 192.0.2.25 2001:db8::25

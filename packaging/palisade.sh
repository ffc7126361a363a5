#!/bin/sh
# Installed as /usr/local/bin/palisade: runs the installed jar with a JDK >= 25
# ($JAVA_HOME, then java on PATH, then /usr/lib/jvm/*).
set -eu
jar=/usr/local/lib/palisade/palisade.jar
ok() { [ -x "$1/bin/java" ] && "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | { read -r v; [ "${v:-0}" -ge 25 ]; }; }
home=
if [ -n "${JAVA_HOME:-}" ] && ok "$JAVA_HOME"; then home=$JAVA_HOME
elif command -v java >/dev/null 2>&1 && ok "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"; then
    home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
else
    for h in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -r); do h=${h%/}; if ok "$h"; then home=$h; break; fi; done
fi
[ -n "$home" ] || { echo "palisade: no JDK 25 or newer found (JAVA_HOME, PATH, /usr/lib/jvm)" >&2; exit 1; }
case "${1:-}" in pfctl|why|pftabled-client) client_opts="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC" ;; *) client_opts= ;; esac
exec "$home/bin/java" --enable-native-access=ALL-UNNAMED $client_opts ${PALISADE_JAVA_OPTS:-} -jar "$jar" "$@"

# Shared by bin/palisade and bin/test. POSIX sh.
# Finds a JDK >= 25: $JAVA_HOME, then `java` on PATH, then /usr/lib/jvm/*.
# Sets PALISADE_JAVA_HOME or exits 1 with a message saying where it looked.

palisade_root=$(cd "$(dirname "$0")/.." && pwd)

_java_major() { # $1 = path to a java binary; prints its feature version or nothing
    "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

_jdk_ok() { # $1 = a JDK home
    [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
    v=$(_java_major "$1/bin/java")
    [ -n "$v" ] && [ "$v" -ge 25 ]
}

find_jdk() {
    if [ -n "${JAVA_HOME:-}" ] && _jdk_ok "$JAVA_HOME"; then PALISADE_JAVA_HOME=$JAVA_HOME; return 0; fi
    if command -v java >/dev/null 2>&1; then
        j=$(command -v java)
        while [ -L "$j" ]; do
            l=$(readlink "$j"); case $l in /*) j=$l ;; *) j=$(dirname "$j")/$l ;; esac
        done
        h=$(cd "$(dirname "$j")/.." && pwd)
        if _jdk_ok "$h"; then PALISADE_JAVA_HOME=$h; return 0; fi
    fi
    for h in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -r); do
        h=${h%/}
        if _jdk_ok "$h"; then PALISADE_JAVA_HOME=$h; return 0; fi
    done
    echo "palisade: no JDK 25 or newer found (looked at \$JAVA_HOME='${JAVA_HOME:-}', java on PATH, /usr/lib/jvm/*)." >&2
    echo "palisade: install one (e.g. Temurin 25) or set JAVA_HOME to it." >&2
    exit 1
}

# The jar is stale when it is missing or any source, resource or pom is newer.
jar_stale() {
    jar=$palisade_root/app/target/palisade.jar
    [ -f "$jar" ] || return 0
    newer=$(find "$palisade_root/pom.xml" "$palisade_root/core" "$palisade_root/kernel" "$palisade_root/services" "$palisade_root/app" \
        -path '*/target' -prune -o -path '*/src/test' -prune -o -type f -newer "$jar" -print 2>/dev/null | head -n 1)
    [ -n "$newer" ]
}

# Maven on JDK 25 warns about sun.misc.Unsafe in its own Guava; keep the output clean.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"

build_jar() {
    command -v mvn >/dev/null 2>&1 || { echo "palisade: Maven (mvn) is needed to build; install it (apt-get install maven)." >&2; exit 1; }
    echo "palisade: building app/target/palisade.jar ..." >&2
    log=$(mktemp "${TMPDIR:-/tmp}/palisade-build.XXXXXX")
    if ! (cd "$palisade_root" && JAVA_HOME=$PALISADE_JAVA_HOME mvn -q -B -Dstyle.color=never -DskipTests -pl app -am package) >"$log" 2>&1; then
        cat "$log" >&2; rm -f "$log"
        echo "palisade: build failed (see above)" >&2; exit 1
    fi
    rm -f "$log"
}

# Builds the jar when stale; concurrent launchers wait for one build (flock).
ensure_jar() {
    jar_stale || return 0
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$palisade_root/.build.lock"
        flock 9
        if jar_stale; then build_jar; fi
        flock -u 9
        exec 9>&-
    else
        build_jar
    fi
}

# The JDK's AOT cache (JEP 483/514/515) next to the jar: classes loaded and
# linked, and method profiles, from one training run of a cheap command. It
# halves the CLI's start (pfctl is a short-lived client). Made when missing or
# older than the jar, under the build lock; any failure leaves no cache and the
# launcher runs without one. PALISADE_AOT=0 turns it off.
aot_file() { echo "$palisade_root/app/target/palisade.aot"; }

aot_stale() {
    a=$(aot_file)
    [ ! -f "$a" ] || [ "$palisade_root/app/target/palisade.jar" -nt "$a" ]
}

build_aot() {
    a=$(aot_file)
    tmp="$a.tmp.$$"
    rm -f "$tmp" "$tmp.config"
    # The training run: `pfctl -s Tables` loads picocli, the pfctl path and the
    # control client; with no daemon it just says so. Its output is not wanted.
    if "$PALISADE_JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -XX:AOTCacheOutput="$tmp" \
        -Xlog:aot*=off,cds*=off -jar "$palisade_root/app/target/palisade.jar" pfctl -s Tables \
        </dev/null >/dev/null 2>&1 || [ -s "$tmp" ]; then
        [ -s "$tmp" ] && mv -f "$tmp" "$a"
    fi
    rm -f "$tmp" "$tmp.config"
    return 0
}

# Sets PALISADE_AOT_OPTS to use the cache (made first when stale), or to nothing.
ensure_aot() {
    PALISADE_AOT_OPTS=
    [ "${PALISADE_AOT:-1}" = 0 ] && return 0
    if aot_stale; then
        command -v flock >/dev/null 2>&1 || return 0
        exec 9>"$palisade_root/.build.lock"
        flock 9
        if aot_stale; then build_aot; fi
        flock -u 9
        exec 9>&-
    fi
    aot_stale && return 0
    # A cache the JVM cannot use (another JDK, a moved jar) is skipped silently.
    PALISADE_AOT_OPTS="-XX:AOTCache=$(aot_file) -Xlog:aot*=off,cds*=off"
}

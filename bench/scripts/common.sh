# Shared by the kernel benchmark scripts: JDK, classpath, a namespace pair.
root=$(cd "$(dirname "$0")/../.." && pwd)
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
jar=$root/bench/target/benchmarks.jar
[ -f "$jar" ] || { echo "build first: mvn -q -B -pl bench -am package -DskipTests" >&2; exit 2; }
runjava() { "$java" --enable-native-access=ALL-UNNAMED -cp "$jar" "$@"; }
mkpair() { # mkpair TAG -> namespaces pb_a$TAG pb_b$TAG, 10.78.0.1 <-> 10.78.0.2
  a=pba$1; b=pbb$1
  ip netns add $a; ip netns add $b
  ip link add va$1 netns $a type veth peer name vb$1 netns $b
  ip -n $a addr add 10.78.0.1/24 dev va$1; ip -n $b addr add 10.78.0.2/24 dev vb$1
  ip -n $a link set va$1 up; ip -n $b link set vb$1 up; ip -n $a link set lo up; ip -n $b link set lo up
}
delpair() { ip netns del pba$1 2>/dev/null; ip netns del pbb$1 2>/dev/null; true; }

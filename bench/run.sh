#!/usr/bin/env bash
# Prints the bridge's benchmark table. Usage: bench/run.sh [-Dbench.webhooks=2000] [-Dbench.clients=16]
# [-Dbench.intake-only=true] [-Dbench.set.<property>=<value>]. wrk (Debian package) adds a row with a C client.
# Everything runs on loopback: a real PostgreSQL (embedded), the sandboxes, the bridge in-process and as a jar.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || echo "wrk is not installed (apt-get install wrk): the rows measured with wrk are skipped" >&2
mvn -B -q -DskipTests package
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
exec java -Xmx1g "$@" -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" \
  io.referralbridge.bench.Benchmark

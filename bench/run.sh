#!/usr/bin/env bash
# Prints the bridge's benchmark table. Usage: bench/run.sh [-Dbench.webhooks=3000] [-Dbench.clients=16]
# Everything runs on loopback: a real PostgreSQL (embedded), the sandboxes, the bridge in-process and as a jar.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests package
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
exec java -Xmx1g "$@" -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" \
  io.referralbridge.bench.Benchmark

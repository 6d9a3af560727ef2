#!/usr/bin/env bash
# The outbox beside db-scheduler, same PostgreSQL, same run (docs/task-queue.md). Usage: bench/queues.sh [-Dbench.tasks=5000]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests package
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
exec java -Xmx1g "$@" -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" \
  io.referralbridge.bench.QueueComparison

#!/usr/bin/env bash
# Starts Hawtio 4 (the released hawtio-war from Maven Central, in the released Jetty 12 distribution) on
# http://127.0.0.1:${HAWTIO_PORT:-8090}/hawtio, for watching a bridge on this host through its Jolokia endpoint
# (http://127.0.0.1:9876/observe/jolokia). Local use only: Hawtio's own login is off (-Dhawtio.authenticationEnabled=false).
set -euo pipefail
cd "$(dirname "$0")/../.."
HAWTIO_VERSION=4.2.0
JETTY_VERSION=12.0.16
DIR=target/hawtio
mkdir -p "$DIR/base/webapps"
if [ ! -d "$DIR/jetty-home-$JETTY_VERSION" ]; then
  mvn -B -q dependency:copy -Dartifact=org.eclipse.jetty:jetty-home:$JETTY_VERSION:zip -DoutputDirectory="$DIR"
  (cd "$DIR" && jar xf "jetty-home-$JETTY_VERSION.zip")  # the JDK's jar: no unzip needed
fi
if [ ! -f "$DIR/base/webapps/hawtio.war" ]; then
  mvn -B -q dependency:copy -Dartifact=io.hawt:hawtio-war:$HAWTIO_VERSION:war -DoutputDirectory="$DIR"
  cp "$DIR/hawtio-war-$HAWTIO_VERSION.war" "$DIR/base/webapps/hawtio.war"
  (cd "$DIR/base" && java -jar "../jetty-home-$JETTY_VERSION/start.jar" --add-modules=server,http,ee10-deploy,ee10-annotations)
fi
cd "$DIR/base"
exec java -Dhawtio.authenticationEnabled=false -jar "../jetty-home-$JETTY_VERSION/start.jar" \
  jetty.http.host=127.0.0.1 jetty.http.port="${HAWTIO_PORT:-8090}"

package io.referralbridge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import io.referralbridge.support.BridgeUnderTest;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** As in the dev profile: an integration engineer edits a route file, and the running bridge takes the change. */
class RouteReloadTest {

    @TempDir
    Path routes;

    @Test
    void anEditedRouteFileIsReloadedWithoutARestart() throws Exception {
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            for (Path f : files.toList()) {
                Files.copy(f, routes.resolve(f.getFileName()));
            }
        }
        try (BridgeUnderTest bridge = BridgeUnderTest.start(Map.of(
                "camel.main.routesIncludePattern", "file:" + routes + "/*.camel.yaml",
                "camel.main.routesReloadEnabled", "true",
                "camel.main.routesReloadDirectory", routes.toString()))) {
            CamelContext camel = bridge.main.getCamelContext();
            int before = camel.getRoutes().size();
            Path page = routes.resolve("report-page.camel.yaml");
            String yaml = Files.readString(page, StandardCharsets.UTF_8);
            String description = camel.getRoute("report-page").getDescription();
            Files.writeString(page, yaml.replace(description, "Edited while running"), StandardCharsets.UTF_8);
            // the file's three routes are replaced; every other route runs on
            BridgeUnderTest.await("the edited route in place", Duration.ofSeconds(30),
                    () -> camel.getRoute("report-page") != null && camel.getRoutes().size() == before
                            && "Edited while running".equals(camel.getRoute("report-page").getDescription()));
            assertEquals(200, bridge.get("/report", Map.of()).statusCode());
        }
    }
}

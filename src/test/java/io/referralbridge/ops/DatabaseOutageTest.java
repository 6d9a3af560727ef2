package io.referralbridge.ops;

import static io.referralbridge.support.BridgeUnderTest.referralEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import io.referralbridge.db.Database;
import io.referralbridge.support.BridgeUnderTest;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.camel.test.AvailablePortFinder;
import org.junit.jupiter.api.Test;

/** PostgreSQL goes away under the bridge and comes back: never a 2xx without a commit, and recovery without restart. */
class DatabaseOutageTest {

    private static EmbeddedPostgres startPostgres(int port, Path dir) throws Exception {
        return Database.embeddedPostgres().setPort(port).setDataDirectory(dir).setCleanDataDirectory(false).start();
    }

    @Test
    void webhooksGet503WhileTheDatabaseIsDownAndTheBridgeRecoversByItself() throws Exception {
        int pgPort = AvailablePortFinder.getNextAvailable();
        Path dir = Files.createTempDirectory("bridge-outage-pg");
        EmbeddedPostgres pg = startPostgres(pgPort, dir);
        BridgeUnderTest bridge = BridgeUnderTest.start(Map.of(
                "bridge.db.url", pg.getJdbcUrl("postgres", "postgres"),
                "bridge.db.connection-timeout-ms", "1000"));
        try {
            assertEquals(202, bridge.sendWebhook("evt-db-1", referralEvent("DB-0001", "a@example.com")).statusCode());
            bridge.awaitState("DB-0001", "booked");

            pg.close();
            HttpResponse<String> refused = bridge.sendWebhook("evt-db-2", referralEvent("DB-0002", "b@example.com"));
            assertEquals(503, refused.statusCode(), refused.body());
            assertEquals("unavailable", bridge.json(refused).path("error").asText());
            assertTrue(refused.headers().firstValue("Retry-After").isPresent(), "503 carries Retry-After");
            HttpResponse<String> ready = bridge.management("/observe/health/ready");
            assertEquals(503, ready.statusCode(), ready.body());
            assertTrue(ready.body().contains("database"), ready.body());

            pg = startPostgres(pgPort, dir);
            BridgeUnderTest.await("readiness back up", Duration.ofSeconds(30),
                    () -> bridge.management("/observe/health/ready").statusCode() == 200);
            // The platform retries the refused delivery; it is accepted now, and nothing was half-written before.
            assertEquals(202, bridge.sendWebhook("evt-db-2", referralEvent("DB-0002", "b@example.com")).statusCode());
            bridge.awaitState("DB-0002", "booked");
            assertEquals("booked", bridge.referral("DB-0001").get("state"));
            assertEquals(1, bridge.sandbox.bookingsWithExternalId("DB-0002").size());
        } finally {
            bridge.close();
            pg.close();
        }
    }
}

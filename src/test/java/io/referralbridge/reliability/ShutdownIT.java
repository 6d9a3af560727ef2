package io.referralbridge.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import io.referralbridge.sandbox.Fault;
import io.referralbridge.sandbox.platform.ReferralPlatformSandbox;
import io.referralbridge.sandbox.servicetitan.ServiceTitanSandbox;
import io.referralbridge.support.BridgeProcess;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.TestDatabase;
import org.apache.camel.test.AvailablePortFinder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM to the packaged jar while a booking is in back-off, at the production retry and lease settings: the process
 * is gone within 10 s, logs no stack trace, leaves the task due in the database, and the next start books it at once.
 */
class ShutdownIT {

    private ServiceTitanSandbox sandbox;
    private ReferralPlatformSandbox platform;
    private BridgeProcess bridge;

    @AfterEach
    void stop() {
        if (bridge != null) {
            bridge.close();
        }
        if (sandbox != null) {
            sandbox.close();
        }
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void aStopWhileATaskIsInBackOffIsQuickCleanAndLosesNothing() throws Exception {
        sandbox = BridgeUnderTest.startServiceTitanSandbox();
        platform = ReferralPlatformSandbox.start(0, BridgeUnderTest.PLATFORM_KEY);
        String jdbcUrl = TestDatabase.newDatabase();
        int port = AvailablePortFinder.getNextAvailable();
        Map<String, String> p = BridgeUnderTest.testProperties(sandbox.baseUrl(), jdbcUrl, port);
        p.put("platform.base-url", platform.baseUrl());
        // production retry window and lease (application.properties), not the shortened ones of the other tests
        p.keySet().removeIf(k -> k.startsWith("bridge.retry.") || k.startsWith("bridge.outbox."));
        Path log = Path.of("target/shutdown-bridge.log");
        Files.deleteIfExists(log);

        sandbox.injectFault(Fault.status("GET", "/booking-provider/", 503, 1000));
        bridge = BridgeProcess.start(p, log.getFileName().toString());
        assertEquals(202, bridge.sendReferral("STOP-0001"));
        // ServiceTitan's reads fail for everyone: the queue is held (twice by now), the task waiting in the table
        BridgeUnderTest.await("the booking in back-off", Duration.ofSeconds(30), () -> TestDatabase.count(jdbcUrl,
                "SELECT count(*) FROM outbox_hold WHERE kind = 'create_booking' AND failures >= 2") == 1
                && TestDatabase.count(jdbcUrl, "SELECT count(*) FROM outbox WHERE last_error IS NOT NULL") == 1);
        long before = Files.size(log);
        String started = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(started.contains("Management server listening on http://127.0.0.1:" + bridge.managementPort),
                "the management server's real bind address is logged");
        assertFalse(started.contains("0.0.0.0:" + bridge.managementPort), "never 0.0.0.0 for the management server");

        Duration took = bridge.terminate();
        System.out.println("SIGTERM with a booking in back-off: stopped in " + took.toMillis() + " ms");
        assertTrue(took.toMillis() < 10_000, "stopped in " + took.toMillis() + " ms");
        String stopping = Files.readString(log, StandardCharsets.UTF_8).substring((int) before);
        assertFalse(stopping.contains("\tat ") || stopping.contains("ERROR"), stopping);
        assertEquals(1, TestDatabase.count(jdbcUrl, "SELECT count(*) FROM outbox WHERE kind = 'create_booking' "
                + "AND status = 'pending' AND claimed_until IS NULL"), "the task waits in the table, held by no lease");

        sandbox.clearFaults();
        long restart = System.nanoTime();
        bridge = BridgeProcess.start(p, log.getFileName().toString());
        BridgeUnderTest.await("booked after the restart", Duration.ofSeconds(30),
                () -> TestDatabase.count(jdbcUrl, "SELECT count(*) FROM referral WHERE state = 'booked'") == 1);
        System.out.println("booked " + (System.nanoTime() - restart) / 1_000_000 + " ms after the restart began");
        assertEquals(1, sandbox.bookings().size(), "one booking");
    }
}

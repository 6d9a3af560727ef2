package io.referralbridge.outbox;

import static io.referralbridge.support.BridgeUnderTest.referralEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;

import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * New tasks are picked up at once, through PostgreSQL's LISTEN/NOTIFY, not by the sweep: the sweep is set to ten
 * minutes here, so every task below that is done within seconds was woken.
 */
class WakeUpTest {

    static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(Map.of("bridge.outbox.poll-interval-ms", "600000"), started -> bridge = started);

    @Test
    void aNewReferralIsBookedAndAQualifiedOneToldAtOnce() {
        assertEquals(202, bridge.sendWebhook("evt-wake-1", referralEvent("WAKE-1", "wake1@example.com")).statusCode());
        BridgeUnderTest.await("booked without waiting for the sweep", Duration.ofSeconds(5),
                () -> bridge.sandbox.bookingsWithExternalId("WAKE-1").size() == 1);
        bridge.awaitState("WAKE-1", "booked");
        long job = bridge.sandbox.convertBooking(bridge.bookingId("WAKE-1")).path("id").asLong();
        bridge.sandbox.setJobStatus(job, "Completed");
        BridgeUnderTest.await("platform told without waiting for the sweep", Duration.ofSeconds(5),
                () -> bridge.platform.isQualified("WAKE-1"));
    }

    @Test
    void aLostListenerConnectionIsOpenedAgain() {
        int ended = bridge.query("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity "
                + "WHERE pid <> pg_backend_pid() AND query IN ('LISTEN outbox', 'SELECT 1') "
                + "AND backend_type = 'client backend' AND state = 'idle'").size();
        assertEquals(1, ended, "the listener's session");
        assertEquals(202, bridge.sendWebhook("evt-wake-2", referralEvent("WAKE-2", "wake2@example.com")).statusCode());
        BridgeUnderTest.await("booked once the listener is back", Duration.ofSeconds(10),
                () -> bridge.sandbox.bookingsWithExternalId("WAKE-2").size() == 1);
    }
}

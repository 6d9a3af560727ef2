package io.referralbridge.qualification;

import static io.referralbridge.support.BridgeUnderTest.referralEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;

import io.referralbridge.sandbox.servicetitan.ServiceTitanSandbox;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * ServiceTitan as it really behaves: export feeds out of step with each other, bookings dismissed and taken up again,
 * changes repeated (includeRecentChanges), short-lived tokens.
 */
class FeedsOutOfStepTest {

    static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(Map.of(), started -> bridge = started);

    private static void book(String code, int campaign) {
        assertEquals(202, bridge.sendWebhook("evt-" + code, referralEvent(code, code.toLowerCase() + "@example.com",
                campaign)).statusCode());
        bridge.awaitState(code, "booked");
    }

    /** Waits until the poll has read the invoices feed this many more times: what it saw, it has applied. */
    private static void pollCycles(int cycles) {
        int target = bridge.sandbox.exportCalls("invoices") + cycles;
        BridgeUnderTest.await(cycles + " poll cycles", Duration.ofSeconds(20),
                () -> bridge.sandbox.exportCalls("invoices") >= target);
    }

    @Test
    void anInvoiceSeenBeforeItsJobIsLinkedStillQualifiesTheReferral() {
        book("LAG-0001", 19); // revenue: at least 500.00, paid in full
        bridge.sandbox.holdFeeds("bookings", "jobs");
        long job;
        try {
            job = bridge.sandbox.convertBooking(bridge.bookingId("LAG-0001")).path("id").asLong();
            bridge.sandbox.setInvoice(job, "650.00", "0.00"); // the invoices feed is ahead of the jobs feed
            pollCycles(2);
            assertEquals("booked", bridge.referral("LAG-0001").get("state"), "the job is not linked yet");
            assertEquals(1L, bridge.query("SELECT count(*) AS n FROM job_invoice WHERE job_id = ?", job).get(0)
                    .get("n"), "the invoice is kept by its job");
        } finally {
            bridge.sandbox.releaseFeeds();
        }
        bridge.awaitState("LAG-0001", "platform_notified");
        assertEquals("revenue", bridge.referral("LAG-0001").get("milestone"));
        assertEquals(1, bridge.platform.deliveries("LAG-0001"));
    }

    @Test
    void aDismissedBookingEndsNotQualifiedAndGoesOnIfTakenUpAgain() {
        book("DIS-0001", 17); // job_status Completed
        long booking = bridge.bookingId("DIS-0001");
        bridge.sandbox.dismissBooking(booking);
        bridge.awaitState("DIS-0001", "not_qualified");
        assertEquals("booking dismissed", bridge.referral("DIS-0001").get("not_qualified_reason"));

        bridge.sandbox.reopenBooking(booking);
        bridge.awaitState("DIS-0001", "booked");
        long job = bridge.sandbox.convertBooking(booking).path("id").asLong();
        bridge.awaitState("DIS-0001", "job_created");
        bridge.sandbox.setJobStatus(job, "Completed");
        bridge.awaitState("DIS-0001", "platform_notified");
        assertEquals(1, bridge.platform.deliveries("DIS-0001"));
    }

    @Test
    void aDismissedBookingConvertedLaterGoesOn() {
        book("DIS-0002", 18); // booking_becomes_job
        long booking = bridge.bookingId("DIS-0002");
        bridge.sandbox.dismissBooking(booking);
        bridge.awaitState("DIS-0002", "not_qualified");
        bridge.sandbox.convertBooking(booking);
        bridge.awaitState("DIS-0002", "platform_notified");
    }

    @Test
    void exportsAskForRecentChangesByDefault() {
        pollCycles(1);
        for (String feed : new String[] {"bookings", "jobs", "invoices"}) {
            assertEquals("true", bridge.sandbox.lastExportQuery(feed).get("includeRecentChanges"), feed);
        }
    }

    @Test
    void aShortLivedTokenIsNotRenewedAtEveryCall() {
        // 30 s tokens: with the 60 s margin taken as it is, every call would first fetch a new token.
        try (BridgeUnderTest shortTokens = BridgeUnderTest.start(Map.of(), new ServiceTitanSandbox.Options(0,
                BridgeUnderTest.TENANT, BridgeUnderTest.APP_KEY, BridgeUnderTest.CLIENT_ID,
                BridgeUnderTest.CLIENT_SECRET, 30, 500))) {
            int before = shortTokens.sandbox.exportCalls("invoices");
            BridgeUnderTest.await("10 poll cycles", Duration.ofSeconds(20),
                    () -> shortTokens.sandbox.exportCalls("invoices") >= before + 10);
            int tokens = shortTokens.sandbox.issuedTokens().size();
            assertTrue(tokens <= 2, tokens + " tokens for 30+ calls within a token's lifetime");
        }
    }
}

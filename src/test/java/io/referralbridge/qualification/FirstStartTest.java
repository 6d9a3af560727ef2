package io.referralbridge.qualification;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import io.referralbridge.sandbox.servicetitan.ServiceTitanSandbox;
import io.referralbridge.support.BridgeUnderTest;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first start on a tenant with years of history: the export feeds start from a date (the first referral's join
 * time, or now), so the first cycles read what concerns referrals, not 200,000 past jobs.
 */
class FirstStartTest {

    private static final String JOBS_FEED = "GET /jpm/v2/tenant/{tenant}/export/jobs";

    @Test
    void aTenantWithYearsOfJobsIsNotReadFromItsBeginning() {
        ServiceTitanSandbox tenant = BridgeUnderTest.startServiceTitanSandbox();
        tenant.addPastJobs(200_000, Instant.now().minus(Duration.ofDays(700)));
        try (BridgeUnderTest bridge = BridgeUnderTest.start(Map.of(), tenant)) {
            bridge.awaitMore("bridge.poll.cycles", 3);
            Map<String, String> first = tenant.lastExportQuery("jobs");
            assertTrue(first.get("from") != null && !first.get("from").isEmpty(), "started from a date: " + first);
            // 500 jobs a page: from the beginning, 400 requests per feed before the first cycle ends
            int cycles = tenant.exportCalls("bookings");
            assertTrue(tenant.requestCount(JOBS_FEED) <= cycles + 1, tenant.requestCount(JOBS_FEED)
                    + " job feed requests in " + cycles + " cycles");

            // Referrals still go the whole way from there.
            assertEquals(202, bridge.sendWebhook("evt-fs-1", BridgeUnderTest.referralEvent("FS-1", "fs@example.com"))
                    .statusCode());
            bridge.awaitState("FS-1", "booked");
            long job = tenant.convertBooking(bridge.bookingId("FS-1")).path("id").asLong();
            tenant.setJobStatus(job, "Completed");
            bridge.awaitState("FS-1", "platform_notified");
        }
    }
}

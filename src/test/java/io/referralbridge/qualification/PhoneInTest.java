package io.referralbridge.qualification;

import java.util.Map;

import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Referred people who phone the office: a job with no booking is matched to the open referral of campaign 27 (match-by
 * booking, email, phone, code-field; window 30 days) by its customer's email or phone, or by the code typed into the
 * job's "Referral Code" field. Campaign 18 matches by booking only.
 */
class PhoneInTest {

    private static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(settings(), b -> bridge = b);

    private static Map<String, String> settings() {
        Map<String, String> p = new java.util.HashMap<>();
        p.put("bridge.campaigns", "17,18,19,20,21,27");
        return BridgeUnderTest.campaign(p, "27", "qualification", "job_status",
                "match-by", "booking, email, phone, code-field", "match-window-days", "30");
    }

    private static void join(String code, String email, String phone, int campaign) {
        String event = BridgeUnderTest.referralEvent(code, email, campaign).replace("+1 555 0100", phone);
        assertEquals(202, bridge.sendWebhook("evt-" + code, event).statusCode());
        bridge.awaitState(code, "booked");
    }

    private static long customer(String name, String email, String phone) {
        return bridge.sandbox.addCustomer(name, email, phone).path("id").asLong();
    }

    @Test
    void aPhoneInIsMatchedByTheCustomersEmailAndGoesOnToBeTold() {
        join("PI-EMAIL", "ana.phone@example.com", "+1 918 555 0201", 27);
        long job = bridge.sandbox.phoneInJob(customer("Ana", "Ana.Phone@Example.com", null), null).path("id").asLong();
        bridge.awaitState("PI-EMAIL", "job_created");
        assertEquals("email", bridge.referral("PI-EMAIL").get("matched_by"));
        assertEquals(job, ((Number) bridge.referral("PI-EMAIL").get("job_id")).longValue());

        bridge.sandbox.setJobStatus(job, "Completed");
        bridge.awaitState("PI-EMAIL", "platform_notified");
        String history = bridge.query("SELECT h.cause FROM referral_history h JOIN referral r ON r.id = h.referral_id"
                + " WHERE r.code = 'PI-EMAIL'").toString();
        assertTrue(history.contains("matched by email: ServiceTitan job " + job), history);
        var summary = bridge.json(bridge.get("/api/reports/summary?campaign=27", bridge.admin()));
        assertTrue(summary.path("campaigns").get(0).path("matched_by_email").asInt() >= 1, summary.toString());
    }

    @Test
    void byPhoneWrittenAnotherWayAndByTheCodeTheAgentTyped() {
        join("PI-PHONE", "ben.phone@example.com", "+1 (918) 555-0202", 27);
        bridge.sandbox.phoneInJob(customer("Ben", null, "918.555.0202 ext 4"), null);
        join("PI-CODE", "cy.code@example.com", "+1 918 555 0203", 27);
        bridge.sandbox.phoneInJob(customer("Cy", "another.address@example.com", "9185559999"), "PI-CODE");
        bridge.awaitState("PI-PHONE", "job_created");
        bridge.awaitState("PI-CODE", "job_created");
        assertEquals("phone", bridge.referral("PI-PHONE").get("matched_by"));
        assertEquals("code-field", bridge.referral("PI-CODE").get("matched_by"));
    }

    @Test
    void byTheCodeTheAgentTypedOnTheCustomerRatherThanTheJob() {
        join("PI-CUST-CODE", "dot.code@example.com", "+1 918 555 0207", 27);
        long customer = customer("Dot", "other.dot@example.com", "9185559998");
        bridge.sandbox.setCustomerField(customer, "Referral Code", "PI-CUST-CODE");
        long job = bridge.sandbox.phoneInJob(customer, null).path("id").asLong();
        bridge.awaitState("PI-CUST-CODE", "job_created");
        assertEquals("code-field", bridge.referral("PI-CUST-CODE").get("matched_by"));
        assertEquals(job, ((Number) bridge.referral("PI-CUST-CODE").get("job_id")).longValue());
    }

    @Test
    void aJobThatFitsTwoReferralsIsLinkedToNoneAndPutUpForReview() {
        join("PI-TWIN-1", "twin1@example.com", "+1 918 555 0204", 27);
        join("PI-TWIN-2", "twin2@example.com", "+1 918 555 0204", 27); // one household, one phone
        long job = bridge.sandbox.phoneInJob(customer("Household", null, "9185550204"), null).path("id").asLong();
        BridgeUnderTest.await("the review", java.time.Duration.ofSeconds(20), () -> !bridge.query(
                "SELECT 1 FROM match_review WHERE job_id = ?", job).isEmpty());
        var reviews = bridge.json(bridge.get("/api/match-reviews", bridge.admin())).path("matchReviews");
        String candidates = reviews.findValuesAsText("candidates").toString();
        assertTrue(candidates.contains("PI-TWIN-1 (phone)") && candidates.contains("PI-TWIN-2 (phone)"), candidates);
        assertNull(bridge.referral("PI-TWIN-1").get("job_id"));
        assertNull(bridge.referral("PI-TWIN-2").get("job_id"));
    }

    @Test
    void aCampaignThatMatchesByBookingOnlyAndAJoinOutsideTheWindowAreNotMatched() {
        join("PI-BOOKING-ONLY", "dee.booking@example.com", "+1 918 555 0205", 18);
        bridge.sandbox.phoneInJob(customer("Dee", "dee.booking@example.com", null), null);
        join("PI-LATE", "eve.late@example.com", "+1 918 555 0206", 27);
        bridge.execute("UPDATE referral SET joined_at = now() - interval '31 days' WHERE code = 'PI-LATE'");
        bridge.sandbox.phoneInJob(customer("Eve", "eve.late@example.com", null), null);
        bridge.awaitMore("bridge.poll.cycles", 3);
        assertEquals("booked", bridge.referral("PI-BOOKING-ONLY").get("state"));
        assertEquals("booked", bridge.referral("PI-LATE").get("state"));
    }

    @Test
    void theCodeTypedDecidesInAHouseholdAndAVanishedCustomerDoesNotStopTheFeed() {
        join("PI-HH-1", "hh1@example.com", "+1 918 555 0207", 27);
        join("PI-HH-2", "hh2@example.com", "+1 918 555 0207", 27);
        long household = customer("Household", null, "9185550207");
        long gone = customer("Merged away", "merged@example.com", null);
        bridge.sandbox.phoneInJob(gone, null);
        bridge.sandbox.forgetCustomer(gone); // its job is in the feed; reading the customer answers 404
        bridge.sandbox.phoneInJob(household, "PI-HH-2");
        bridge.awaitState("PI-HH-2", "job_created");
        assertEquals("code-field", bridge.referral("PI-HH-2").get("matched_by"));
        assertEquals("booked", bridge.referral("PI-HH-1").get("state"));

        join("PI-AFTER", "after.gone@example.com", "+1 918 555 0208", 27);
        bridge.sandbox.phoneInJob(customer("After", "after.gone@example.com", null), null);
        bridge.awaitState("PI-AFTER", "job_created"); // the feed went on past the vanished customer
    }
}

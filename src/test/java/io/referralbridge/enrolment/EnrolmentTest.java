package io.referralbridge.enrolment;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.referralbridge.sandbox.Fault;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Customers whose work was completed become referrers: the technician completes a job in ServiceTitan, the poll sees
 * it, the customer is added to the campaign on the platform once, and the new referral link and code are written to the
 * customer's custom fields. Through the sandboxes, over HTTP, as a contractor runs it.
 */
class EnrolmentTest {

    private static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(settings(), b -> bridge = b);

    static Map<String, String> settings() {
        Map<String, String> p = new HashMap<>();
        p.put("bridge.campaign.17.enrol", "true");
        p.put("bridge.campaign.17.enrol-return-fields",
                "referral-link=My Referral Link, referral-code=My Referral Code");
        // Campaign 19: only job type 7001, invoiced at least 300.00.
        p.put("bridge.campaign.19.enrol", "true");
        p.put("bridge.campaign.19.enrol-job-types", "7001");
        p.put("bridge.campaign.19.enrol-min-invoice-total", "300.00");
        p.put("bridge.campaign.19.enrol-invoice-wait-days", "0.0001"); // ~9 s (production default: 30 days)
        // Campaign 18: asks two days after the work (jobs of type 7006). Campaign 20: not a customer who was referred
        // (jobs of type 7005).
        p.put("bridge.campaign.18.enrol", "true");
        p.put("bridge.campaign.18.enrol-job-types", "7006");
        p.put("bridge.campaign.18.enrol-delay-days", "2");
        p.put("bridge.campaign.20.enrol", "true");
        p.put("bridge.campaign.20.enrol-job-types", "7005");
        p.put("bridge.campaign.20.enrol-referred-customers", "false");
        return p;
    }

    /** The poll follows the jobs feed from its first read on (not the tenant's past): the work done after it. */
    @org.junit.jupiter.api.BeforeEach
    void pollStarted() {
        BridgeUnderTest.await("the jobs feed followed", Duration.ofSeconds(30),
                () -> bridge.sandbox.exportCalls("jobs") > 0);
    }

    @AfterEach
    void clearFaults() {
        bridge.sandbox.clearFaults();
        bridge.platform.clearFaults();
    }

    private static Map<String, Object> awaitDone(long customerId, String campaign) {
        BridgeUnderTest.await("enrolment of customer " + customerId + " in " + campaign + " done", Duration.ofSeconds(30),
                () -> !bridge.query("SELECT 1 FROM enrolment WHERE customer_id = ? AND campaign_id = ? "
                        + "AND state <> 'pending'", customerId, campaign).isEmpty());
        return bridge.query("SELECT state, reason, referral_code, referral_link FROM enrolment WHERE customer_id = ? "
                + "AND campaign_id = ?", customerId, campaign).get(0);
    }

    private static Map<String, String> customFields(long customerId) {
        Map<String, String> out = new HashMap<>();
        for (JsonNode f : bridge.sandbox.customer(customerId, null).path("customFields")) {
            out.put(f.path("name").asText(), f.path("value").asText());
        }
        return out;
    }

    @Test
    void aCompletedJobEnrolsItsCustomerOnceAndTheLinkIsWrittenBack() {
        long customer = bridge.sandbox.addCustomer("María José García-López", "maria.garcia@example.com",
                "(555) 201-3344").path("id").asLong();
        long job = bridge.sandbox.completeJob(customer, 7002L, null).path("id").asLong();

        Map<String, Object> e = awaitDone(customer, "17");
        assertEquals("enrolled", e.get("state"), e.toString());
        JsonNode referrer = bridge.platform.referrer("17", "maria.garcia@example.com");
        assertNotNull(referrer, "the platform has the customer as a referrer of campaign 17");
        assertEquals("María", referrer.path("first_name").asText());
        assertEquals("José García-López", referrer.path("last_name").asText());
        assertEquals("5552013344", referrer.path("phone").asText());
        assertEquals(referrer.path("code").asText(), e.get("referral_code"));
        Map<String, String> fields = customFields(customer);
        assertEquals(referrer.path("url").asText(), fields.get("My Referral Link"), fields.toString());
        assertEquals(referrer.path("code").asText(), fields.get("My Referral Code"));
        assertNull(bridge.platform.referrer("19", "maria.garcia@example.com"), "campaign 19 enrols job type 7001 only");

        // Another completed job of the same customer, and the first one changed again: no second enrolment.
        bridge.sandbox.completeJob(customer, 7002L, null);
        bridge.sandbox.setJobStatus(job, "Completed");
        bridge.awaitMore("bridge.poll.cycles", 3);
        assertEquals(1, bridge.platform.enrolCalls("maria.garcia@example.com"));
        assertEquals(1L, bridge.query("SELECT count(*) AS n FROM enrolment WHERE customer_id = ?", customer).get(0)
                .get("n"));
    }

    @Test
    void aCustomerWhoAskedNotToBeMailedIsNotEnrolled() {
        long doNotMail = bridge.sandbox.addCustomer("Olu Adeyemi", "olu@example.com", null).path("id").asLong();
        bridge.sandbox.setCustomer(doNotMail, "doNotMail", true);
        long inactive = bridge.sandbox.addCustomer("Ines Moreau", "ines@example.com", null).path("id").asLong();
        bridge.sandbox.setCustomer(inactive, "active", false);
        long noEmail = bridge.sandbox.addCustomer("Kenji Watanabe", null, "555-777-1212").path("id").asLong();
        bridge.sandbox.completeJob(doNotMail, null, null);
        bridge.sandbox.completeJob(inactive, null, null);
        bridge.sandbox.completeJob(noEmail, null, null);

        Map<String, Object> e = awaitDone(doNotMail, "17");
        assertEquals("skipped", e.get("state"));
        assertEquals("customer doNotMail=true", e.get("reason"));
        assertEquals("customer active=false", awaitDone(inactive, "17").get("reason"));
        assertEquals("customer has no email", awaitDone(noEmail, "17").get("reason"));
        assertEquals(0, bridge.platform.enrolCalls("olu@example.com"));
        assertEquals(0, bridge.platform.enrolCalls("ines@example.com"));
        assertNull(customFields(doNotMail).get("My Referral Link"));
    }

    @Test
    void aCampaignsRuleReadsTheJobTypeAndTheInvoice() {
        long small = bridge.sandbox.addCustomer("Priya Natarajan", "priya@example.com", null).path("id").asLong();
        long large = bridge.sandbox.addCustomer("Tomasz Kowalski", "tomasz@example.com", null).path("id").asLong();
        long never = bridge.sandbox.addCustomer("Ines Duarte", "ines@example.com", null).path("id").asLong();
        // Invoiced before completion, as the office often does.
        long smallJob = bridge.sandbox.phoneInJob(small, null).path("id").asLong();
        long largeJob = bridge.sandbox.phoneInJob(large, null).path("id").asLong();
        long neverJob = bridge.sandbox.phoneInJob(never, null).path("id").asLong();
        bridge.sandbox.setInvoice(smallJob, "250.00", "0.00");
        bridge.sandbox.setInvoice(largeJob, "480.00", "0.00");
        bridge.sandbox.setInvoice(neverJob, "120.00", "0.00");
        for (long job : new long[] {smallJob, largeJob, neverJob}) {
            bridge.sandbox.setJobType(job, 7001L);
            bridge.sandbox.setJobStatus(job, "Completed");
        }
        assertEquals("enrolled", awaitDone(large, "19").get("state"));
        assertNotNull(bridge.platform.referrer("19", "tomasz@example.com"));
        assertNotNull(bridge.platform.referrer("17", "priya@example.com"), "campaign 17 has no invoice rule");

        // Short for now: looked at again, and enrolled once the further work is invoiced within the wait.
        BridgeUnderTest.await("Priya waiting for her invoices", Duration.ofSeconds(20), () -> !bridge.query(
                "SELECT 1 FROM enrolment WHERE customer_id = ? AND campaign_id = '19' AND state = 'pending' "
                        + "AND reason = 'waiting for invoices: invoice total 250.00 below 300.00'", small).isEmpty());
        bridge.sandbox.setInvoice(smallJob, "320.00", "0.00");
        assertEquals("enrolled", awaitDone(small, "19").get("state"));
        assertNotNull(bridge.platform.referrer("19", "priya@example.com"));

        // Never enough: skipped once the wait is over.
        Map<String, Object> skipped = awaitDone(never, "19");
        assertEquals("skipped", skipped.get("state"));
        assertEquals("invoice total 120.00 below 300.00", skipped.get("reason"));
        assertEquals(null, bridge.platform.referrer("19", "ines@example.com"));
    }

    @Test
    void aLostAnswerAndARestartMidCallEnrolTheCustomerOnce() {
        // The platform enrols, and its answer is lost; then an answer so slow that the bridge stops meanwhile.
        bridge.platform.injectFault(new Fault("POST", "/api/v2/users", 502, null, 1, 0, true));
        long customer = bridge.sandbox.addCustomer("Aroha Ngata", "aroha@example.com", null).path("id").asLong();
        bridge.platform.injectFault(new Fault("POST", "/api/v2/users", 0, null, 1, 8000, false));
        bridge.sandbox.completeJob(customer, null, null);
        BridgeUnderTest.await("the second attempt under way", Duration.ofSeconds(30), () -> !bridge.query(
                "SELECT 1 FROM outbox o JOIN enrolment e ON e.id = o.enrolment_id WHERE e.customer_id = ? "
                        + "AND o.attempts >= 2", customer).isEmpty());
        bridge.restart(); // the stop abandons the call after 5 s; the platform enrols meanwhile

        Map<String, Object> e = awaitDone(customer, "17");
        assertEquals("enrolled", e.get("state"), e.toString());
        // The abandoned call reaches the platform late: the lost answer's, the abandoned and the last, one referrer.
        BridgeUnderTest.await("the abandoned call landed", Duration.ofSeconds(15),
                () -> bridge.platform.enrolCalls("aroha@example.com") == 3);
        assertEquals(1, bridge.platform.referrerCount("aroha@example.com"));
        JsonNode referrer = bridge.platform.referrer("17", "aroha@example.com");
        assertEquals(referrer.path("code").asText(), e.get("referral_code"));
        assertEquals(referrer.path("code").asText(), customFields(customer).get("My Referral Code"));
    }

    @Test
    void aRefusalIsADeadLetterThatTheOperatorReplays() {
        bridge.platform.refuseEmail("not-an-address@example.com");
        long customer = bridge.sandbox.addCustomer("Lena Fischer", "not-an-address@example.com", null).path("id")
                .asLong();
        bridge.sandbox.completeJob(customer, null, null);
        Map<String, Object> e = awaitDone(customer, "17");
        assertEquals("failed", e.get("state"));
        assertEquals(1, bridge.platform.enrolCalls("not-an-address@example.com"), "a 422 is not retried");
        JsonNode letter = null;
        for (JsonNode d : bridge.json(bridge.get("/admin/dead-letters", bridge.admin())).path("deadLetters")) {
            if (d.path("route_id").asText().equals("enrol-customer")) {
                letter = d;
            }
        }
        assertNotNull(letter, "the refusal is in the dead letters");
        assertTrue(letter.path("cause").asText().contains("422"), letter.toString());

        bridge.platform.acceptEmail("not-an-address@example.com"); // the admin fixed it on the platform
        assertEquals(200, bridge.post("/admin/dead-letters/" + letter.path("id").asLong() + "/replay", new byte[0],
                bridge.admin()).statusCode());
        BridgeUnderTest.await("enrolled after the replay", Duration.ofSeconds(30), () -> "enrolled".equals(
                bridge.query("SELECT state FROM enrolment WHERE customer_id = ? AND campaign_id = '17'", customer)
                        .get(0).get("state")));
        assertNotNull(bridge.platform.referrer("17", "not-an-address@example.com"));
    }

    @Test
    void aCampaignWithADelayAsksTheCustomerDaysAfterTheWork() {
        long customer = bridge.sandbox.addCustomer("Amara Okafor", "amara@example.com", null).path("id").asLong();
        bridge.sandbox.completeJob(customer, 7006L, null);
        BridgeUnderTest.await("the enrolment owed", Duration.ofSeconds(30), () -> !bridge.query(
                "SELECT 1 FROM enrolment WHERE customer_id = ? AND campaign_id = '18'", customer).isEmpty());
        Map<String, Object> due = bridge.query("SELECT e.state, extract(epoch FROM o.next_attempt_at - e.completed_at) "
                + "AS delay FROM enrolment e JOIN outbox o ON o.enrolment_id = e.id WHERE e.customer_id = ? "
                + "AND e.campaign_id = '18'", customer).get(0);
        assertEquals("pending", due.get("state"));
        assertEquals(2 * 86_400, ((Number) due.get("delay")).doubleValue(), 1.0, "due two days after completion");
        bridge.awaitMore("bridge.poll.cycles", 3);
        assertNull(bridge.platform.referrer("18", "amara@example.com"), "not asked yet");

        // Two days later:
        bridge.execute("UPDATE outbox SET next_attempt_at = now() WHERE enrolment_id = (SELECT id FROM enrolment "
                + "WHERE customer_id = " + customer + " AND campaign_id = '18')");
        assertEquals("enrolled", awaitDone(customer, "18").get("state"));
    }

    @Test
    void aCampaignCanLeaveOutCustomersWhoWereReferred() {
        // A referred person, booked, whose job (type 7005) is completed: their own customer now.
        assertEquals(202, bridge.sendWebhook("evt-REF-ENROL", BridgeUnderTest.referralEvent("REF-ENROL",
                "referred.friend@example.com")).statusCode());
        bridge.awaitState("REF-ENROL", "booked");
        long bookingId = bridge.sandbox.bookingsWithExternalId("REF-ENROL").get(0).path("id").asLong();
        JsonNode job = bridge.sandbox.convertBooking(bookingId);
        bridge.sandbox.setJobType(job.path("id").asLong(), 7005L);
        bridge.sandbox.setJobStatus(job.path("id").asLong(), "Completed");
        long referred = job.path("customerId").asLong();
        long plain = bridge.sandbox.addCustomer("Wei Chen", "wei@example.com", null).path("id").asLong();
        bridge.sandbox.completeJob(plain, 7005L, null);

        assertEquals("enrolled", awaitDone(plain, "20").get("state"));
        assertEquals("enrolled", awaitDone(referred, "17").get("state"), "campaign 17 enrols referred customers too");
        assertTrue(bridge.query("SELECT 1 FROM enrolment WHERE customer_id = ? AND campaign_id = '20'", referred)
                .isEmpty(), "campaign 20 leaves out a customer who was referred");
    }

    @Test
    void theDashboardCountsEnrolmentsPerCampaign() {
        long customer = bridge.sandbox.addCustomer("Sipho Dlamini", "sipho@example.com", null).path("id").asLong();
        bridge.sandbox.completeJob(customer, null, null);
        assertEquals("enrolled", awaitDone(customer, "17").get("state"));
        JsonNode d = bridge.json(bridge.get("/api/reports/dashboard", bridge.admin()));
        Map<String, Object> counts = bridge.query("SELECT count(*) FILTER (WHERE state = 'enrolled') AS enrolled, "
                + "count(*) FILTER (WHERE state = 'skipped') AS skipped FROM enrolment WHERE campaign_id = '17'").get(0);
        JsonNode shown = null;
        for (JsonNode e : d.path("enrolments")) {
            if (e.path("campaign").asText().equals("17")) {
                shown = e;
            }
        }
        assertNotNull(shown, d.toString());
        assertEquals(((Number) counts.get("enrolled")).longValue(), shown.path("enrolled").asLong(), d.toString());
        assertEquals(((Number) counts.get("skipped")).longValue(), shown.path("skipped").asLong(), d.toString());
    }
}

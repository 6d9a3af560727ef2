package io.referralbridge.booking;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.sandbox.Fault;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A referred person ServiceTitan already has as a customer (found by email, or by phone however it is written), per
 * campaign: booked as a returning client (17, the default rule), booked but not eligible (22), or not booked (23).
 */
class ExistingCustomerTest {

    private static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(settings(), b -> bridge = b);

    private static Map<String, String> settings() {
        Map<String, String> p = new java.util.HashMap<>();
        p.put("bridge.campaigns", "17,18,19,20,21,22,23");
        BridgeUnderTest.campaign(p, "22", "qualification", "job_status", "existing-customer", "book-not-eligible");
        return BridgeUnderTest.campaign(p, "23", "qualification", "job_status", "existing-customer", "skip");
    }

    /** The platform's webhook for this person; each test's people have their own email and phone. */
    private static void send(String code, String email, String phone, int campaign) {
        String event = BridgeUnderTest.referralEvent(code, email, campaign).replace("+1 555 0100", phone);
        assertEquals(202, bridge.sendWebhook("evt-" + code, event).statusCode());
    }

    private static ObjectNode booking(String code) {
        List<ObjectNode> found = bridge.sandbox.bookingsWithExternalId(code);
        assertEquals(1, found.size(), "one booking for " + code);
        return found.get(0);
    }

    private static Object history(String code) {
        return bridge.query("SELECT h.cause FROM referral_history h JOIN referral r ON r.id = h.referral_id "
                + "WHERE r.code = ? ORDER BY h.id", code).stream().map(r -> r.get("cause")).toList();
    }

    @Test
    void aCustomerFoundByEmailIsBookedAsAReturningClientAndANewPersonAsAFirstTimeClient() {
        long customer = bridge.sandbox.addCustomer("Dana Whitfield", "Dana.Whitfield@Example.com", null)
                .path("id").asLong();
        send("EXIST-1", "dana.whitfield@example.com", "+1 918 555 0101", 17);
        send("NEW-1", "someone.new@example.com", "+1 918 555 0102", 17);
        bridge.awaitState("EXIST-1", "booked");
        bridge.awaitState("NEW-1", "booked");

        assertFalse(booking("EXIST-1").path("isFirstTimeClient").asBoolean(true));
        assertEquals(customer, ((Number) bridge.referral("EXIST-1").get("customer_id")).longValue());
        assertTrue(booking("NEW-1").path("isFirstTimeClient").asBoolean(false));
        assertNull(bridge.referral("NEW-1").get("customer_id"));
    }

    @Test
    void aCustomerFoundByPhoneWrittenAnotherWayWithAnExtension() {
        long customer = bridge.sandbox.addCustomer("Sam Ortiz", null, "918-555-0142").path("id").asLong();
        send("PHONE-1", "sam.ortiz@example.net", "+1 (918) 555-0142 ext. 7", 17);
        bridge.awaitState("PHONE-1", "booked");

        assertEquals(customer, ((Number) bridge.referral("PHONE-1").get("customer_id")).longValue());
        assertFalse(booking("PHONE-1").path("isFirstTimeClient").asBoolean(true));
    }

    @Test
    void bookedButNotEligibleNeverQualifiesAndThePlatformIsToldQualifiedFalse() {
        bridge.sandbox.addCustomer("Ana Lima", "ana.lima@example.org", null);
        send("NOTELIG-1", "ana.lima@example.org", "+1 918 555 0103", 22);
        BridgeUnderTest.await("the platform told qualified:false", Duration.ofSeconds(20),
                () -> bridge.platform.notQualifiedNotices("NOTELIG-1") == 1);
        assertEquals("not_qualified", bridge.referral("NOTELIG-1").get("state"));
        assertEquals("existing customer", bridge.referral("NOTELIG-1").get("not_qualified_reason"));
        assertFalse(booking("NOTELIG-1").path("isFirstTimeClient").asBoolean(true));
        assertTrue(history("NOTELIG-1").toString().contains("existing ServiceTitan customer"), history("NOTELIG-1")
                .toString());

        // The job is done: a milestone, but the campaign rewards new customers only.
        long job = bridge.sandbox.convertBooking(booking("NOTELIG-1").path("id").asLong()).path("id").asLong();
        bridge.sandbox.setJobStatus(job, "Completed");
        bridge.awaitMore("bridge.poll.cycles", 3);
        assertEquals("not_qualified", bridge.referral("NOTELIG-1").get("state"));
        assertFalse(bridge.platform.isQualified("NOTELIG-1"));
        assertEquals(0, bridge.platform.deliveries("NOTELIG-1"), "never told qualified");
        assertEquals(1, bridge.platform.notQualifiedNotices("NOTELIG-1"), "told not qualified once");
    }

    @Test
    void skipMakesNoBookingAndEndsNotQualified() {
        bridge.sandbox.addCustomer("Lee Park", "lee.park@example.org", null);
        send("SKIP-1", "lee.park@example.org", "+1 918 555 0104", 23);
        BridgeUnderTest.await("the platform told qualified:false", Duration.ofSeconds(20),
                () -> bridge.platform.notQualifiedNotices("SKIP-1") == 1);
        assertEquals("not_qualified", bridge.referral("SKIP-1").get("state"));
        assertEquals(0, bridge.sandbox.bookingsWithExternalId("SKIP-1").size(), "no booking");
        assertEquals(0L, bridge.query("SELECT count(*) AS n FROM outbox o JOIN referral r ON r.id = o.referral_id "
                + "WHERE r.code = 'SKIP-1' AND o.status = 'pending'").get(0).get("n"), "no task left open");

        // A new person on the same campaign is booked as usual.
        send("SKIP-NEW", "first.timer@example.org", "+1 918 555 0105", 23);
        bridge.awaitState("SKIP-NEW", "booked");
        assertTrue(booking("SKIP-NEW").path("isFirstTimeClient").asBoolean(false));

        // The operator's views: the referral list by state, and the campaign's existing customers.
        var list = bridge.json(bridge.get("/api/referrals?state=not_qualified&campaign=23", bridge.admin()));
        assertEquals(List.of("SKIP-1"), list.path("referrals").findValuesAsText("code"));
        assertEquals("existing customer", list.path("referrals").get(0).path("not_qualified_reason").asText());
        var summary = bridge.json(bridge.get("/api/reports/summary?campaign=23", bridge.admin()));
        assertEquals(1, summary.path("campaigns").get(0).path("existing_customers").asInt(), summary.toString());
        assertEquals(400, bridge.get("/api/referrals?state=lost", bridge.admin()).statusCode());
    }

    @Test
    void aFailingLookUpIsRetriedAndBooksOnce() {
        bridge.sandbox.injectFault(Fault.status("GET", "/contacts/contact-methods?type=Email&value=retry.me",
                503, 2));
        send("RETRY-1", "retry.me@example.com", "+1 918 555 0106", 17);
        bridge.awaitState("RETRY-1", "booked");
        booking("RETRY-1");
        assertEquals(0, bridge.count("dead_letter"));
        assertEquals(3, ((Number) bridge.query("SELECT o.attempts FROM outbox o JOIN referral r ON r.id = "
                + "o.referral_id WHERE r.code = 'RETRY-1' AND o.kind = 'create_booking'").get(0).get("attempts"))
                .intValue(), "two failed look-ups, then the booking");
    }

    @Test
    void aRetryAfterALostAnswerRecordsTheBookingEvenIfThePersonIsACustomerByThen() {
        // The create is carried out but its answer lost; by the retry, the booking is a job and its person a customer.
        bridge.sandbox.injectFault(new Fault("POST", "/booking-provider/", 502, null, 1, 0, true));
        send("LOST-1", "lost.answer@example.com", "+1 918 555 0107", 23);
        BridgeUnderTest.await("the booking made", Duration.ofSeconds(10),
                () -> bridge.sandbox.bookingsWithExternalId("LOST-1").size() == 1);
        bridge.sandbox.addCustomer("Lost Answer", "lost.answer@example.com", null);
        bridge.awaitState("LOST-1", "booked");
        assertEquals(1, bridge.sandbox.bookingsWithExternalId("LOST-1").size());
        assertNull(bridge.referral("LOST-1").get("customer_id"), "a new customer when it was booked");
        assertEquals(0, bridge.platform.notQualifiedNotices("LOST-1"));
    }
}

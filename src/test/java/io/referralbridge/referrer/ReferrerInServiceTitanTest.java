package io.referralbridge.referrer;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.sandbox.Fault;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static io.referralbridge.support.BridgeUnderTest.referralEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Who referred a customer, kept in ServiceTitan once the referral has a job: the customer's custom fields (by name,
 * per campaign) and the code as externalData on the customer and the job, under the application GUID. Once per
 * referral, retried, dead-lettered, replayable.
 */
class ReferrerInServiceTitanTest {

    static final String GUID = "5b0c8f9e-2a4d-4e6b-9c1a-7f3e2d1b0a99";
    private static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(settings(), b -> bridge = b);

    static Map<String, String> settings() {
        Map<String, String> p = new HashMap<>();
        p.put("bridge.campaign.17.customer-fields", "referrer-name=Referred By, referrer-email=Referrer Email, "
                + "campaign-name=Referral Campaign, referral-link=Referral Link, referral-code=Referral Code");
        p.put("servicetitan.application-guid", GUID);
        return p;
    }

    @AfterEach
    void clearFaults() {
        bridge.sandbox.clearFaults();
    }

    /** Booked, then the office books the booking into a job: the job's customer and the job. */
    private static long[] bookAndConvert(String code, String email) {
        assertEquals(202, bridge.sendWebhook("evt-" + code, referralEvent(code, email)).statusCode());
        bridge.awaitState(code, "booked");
        long bookingId = bridge.sandbox.bookingsWithExternalId(code).get(0).path("id").asLong();
        ObjectNode job = bridge.sandbox.convertBooking(bookingId);
        return new long[] {job.path("customerId").asLong(), job.path("id").asLong()};
    }

    private static void awaitWritten(String code) {
        BridgeUnderTest.await("referrer of " + code + " written", Duration.ofSeconds(30), () -> !bridge.query(
                "SELECT 1 FROM outbox o JOIN referral r ON r.id = o.referral_id WHERE r.code = ? "
                        + "AND o.kind = 'write_referrer' AND o.status = 'done'", code).isEmpty());
    }

    private static Map<String, String> customFields(long customerId) {
        Map<String, String> out = new HashMap<>();
        for (JsonNode f : bridge.sandbox.customer(customerId, null).path("customFields")) {
            out.put(f.path("name").asText(), f.path("value").asText());
        }
        return out;
    }

    private static String externalCode(JsonNode record) {
        for (JsonNode pair : record.path("externalData")) {
            if (pair.path("key").asText().equals("referralCode")) {
                return pair.path("value").asText();
            }
        }
        return null;
    }

    @Test
    void theCallCentreSeesWhoReferredTheCustomerAndTheCodeIsOnCustomerAndJob() {
        long[] ids = bookAndConvert("REF-WRITE-1", "write.one@example.com");
        awaitWritten("REF-WRITE-1");

        Map<String, String> fields = customFields(ids[0]);
        assertEquals("Sam Ortiz", fields.get("Referred By"), fields.toString());
        assertEquals("sam.ortiz@example.com", fields.get("Referrer Email"));
        assertEquals("Spring HVAC tune-up", fields.get("Referral Campaign"));
        assertEquals("https://refer.example.com/r/REF-WRITE-1", fields.get("Referral Link"));
        assertEquals("REF-WRITE-1", fields.get("Referral Code"));
        assertEquals("REF-WRITE-1", externalCode(bridge.sandbox.customer(ids[0], GUID)));
        assertEquals("REF-WRITE-1", externalCode(bridge.sandbox.job(ids[1], GUID)));
        assertEquals(null, externalCode(bridge.sandbox.customer(ids[0], "00000000-0000-0000-0000-000000000001")),
                "kept under the bridge's GUID only");
        assertTrue(bridge.history("REF-WRITE-1").toString().contains("referrer written to ServiceTitan customer "
                + ids[0]), bridge.history("REF-WRITE-1").toString());

        // The job's PATCH shows it in the jobs feed again; later cycles and job changes write nothing more.
        int patches = bridge.sandbox.requestCount("PATCH /crm/v2/tenant/{tenant}/customers/{id}");
        bridge.sandbox.setJobStatus(ids[1], "Dispatched");
        bridge.awaitMore("bridge.poll.cycles", 3);
        assertEquals(patches, bridge.sandbox.requestCount("PATCH /crm/v2/tenant/{tenant}/customers/{id}"));
        assertEquals(1L, bridge.query("SELECT count(*) AS n FROM outbox o JOIN referral r ON r.id = o.referral_id "
                + "WHERE r.code = 'REF-WRITE-1' AND o.kind = 'write_referrer'").get(0).get("n"));
    }

    @Test
    void aFailedWriteIsRetriedAndALostAnswerWritesTheSameValuesOnce() {
        bridge.sandbox.injectFault(Fault.status("PATCH", "/customers/", 503, 1));
        bridge.sandbox.injectFault(new Fault("PATCH", "/jobs/", 502, null, 1, 0, true)); // done, answer lost
        long[] ids = bookAndConvert("REF-WRITE-2", "write.two@example.com");
        awaitWritten("REF-WRITE-2");

        assertEquals("REF-WRITE-2", customFields(ids[0]).get("Referral Code"));
        JsonNode job = bridge.sandbox.job(ids[1], GUID);
        assertEquals(1, job.path("externalData").size(), "one pair, however often it was sent: " + job);
        assertEquals(0L, bridge.query("SELECT count(*) AS n FROM dead_letter d JOIN referral r ON r.id = d.referral_id "
                + "WHERE r.code = 'REF-WRITE-2'").get(0).get("n"));
        assertEquals("job_created", bridge.referral("REF-WRITE-2").get("state"));
    }

    @Test
    void aRefusedWriteIsADeadLetterThatTheOperatorReplays() {
        bridge.sandbox.injectFault(Fault.status("PATCH", "/customers/", 400, 1));
        long[] ids = bookAndConvert("REF-WRITE-3", "write.three@example.com");
        BridgeUnderTest.await("the refusal dead-lettered", Duration.ofSeconds(30),
                () -> bridge.count("dead_letter") == 1);
        JsonNode letter = bridge.json(bridge.get("/admin/dead-letters", bridge.admin())).path("deadLetters").get(0);
        assertEquals(1, letter.path("attempts").asInt(), "a 400 is not retried");
        assertEquals("write-referrer", letter.path("route_id").asText(), letter.toString());
        assertEquals("job_created", bridge.referral("REF-WRITE-3").get("state"),
                "a referral whose referrer could not be written still qualifies");

        assertEquals(200, bridge.post("/admin/dead-letters/" + letter.path("id").asLong() + "/replay", new byte[0],
                bridge.admin()).statusCode());
        awaitWritten("REF-WRITE-3");
        assertEquals("Sam Ortiz", customFields(ids[0]).get("Referred By"));
    }

    @Test
    void aPhoneInMatchedByEmailGetsItsReferrerToo() {
        assertEquals(202, bridge.sendWebhook("evt-REF-PHONE", referralEvent("REF-PHONE", "caller@example.com", 17))
                .statusCode());
        bridge.awaitState("REF-PHONE", "booked");
        long customer = bridge.sandbox.addCustomer("Dana Whitfield", "Caller@Example.com", null).path("id").asLong();
        long job = bridge.sandbox.phoneInJob(customer, null).path("id").asLong();
        awaitWritten("REF-PHONE");
        assertEquals("REF-PHONE", customFields(customer).get("Referral Code"));
        assertEquals("REF-PHONE", externalCode(bridge.sandbox.job(job, GUID)));
    }
}

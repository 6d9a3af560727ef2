package io.referralbridge.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** Which completed jobs enrol their customer, which customers are not asked, and which invoices fall short. */
class EnrolmentRuleTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static EnrolmentRule rule(Set<Long> types, Set<Long> units, BigDecimal min, boolean paid) {
        return new EnrolmentRule(true, List.of("Completed"), types, units, min, paid, 0,
                List.of(Map.entry("doNotMail", "true"), Map.entry("doNotService", "true"),
                        Map.entry("active", "false")), Map.of(), true, 30 * 86_400);
    }

    static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    @Test
    void aJobOfTheRightStatusTypeAndBusinessUnit() throws Exception {
        EnrolmentRule r = rule(Set.of(7001L), Set.of(5001L), null, false);
        assertTrue(r.matches(json("{\"customerId\": 1, \"jobStatus\": \"Completed\", \"jobTypeId\": 7001, "
                + "\"businessUnitId\": 5001}")));
        assertFalse(r.matches(json("{\"customerId\": 1, \"jobStatus\": \"Completed\", \"jobTypeId\": 7001, "
                + "\"businessUnitId\": 5002}")), "another business unit");
        assertFalse(r.matches(json("{\"customerId\": 1, \"jobStatus\": \"Completed\", \"jobTypeId\": 7002, "
                + "\"businessUnitId\": 5001}")), "another job type");
        assertFalse(r.matches(json("{\"customerId\": 1, \"jobStatus\": \"Canceled\", \"jobTypeId\": 7001, "
                + "\"businessUnitId\": 5001}")), "not completed");
        assertFalse(r.matches(json("{\"jobStatus\": \"Completed\", \"jobTypeId\": 7001, \"businessUnitId\": 5001}")),
                "no customer");
        assertFalse(EnrolmentRule.off().matches(json("{\"customerId\": 1, \"jobStatus\": \"Completed\"}")));
    }

    @Test
    void doNotMailDoNotServiceAndInactiveCustomersAreNotAsked() throws Exception {
        EnrolmentRule r = rule(Set.of(), Set.of(), null, false);
        assertNull(r.skipReason(json("{\"doNotMail\": false, \"doNotService\": false, \"active\": true}")));
        assertEquals("customer doNotMail=true", r.skipReason(json("{\"doNotMail\": true, \"active\": true}")));
        assertEquals("customer doNotService=true", r.skipReason(json("{\"doNotService\": true}")));
        assertEquals("customer active=false", r.skipReason(json("{\"active\": false}")));
    }

    @Test
    void invoicesBelowTheMinimumOrNotPaidFallShort() {
        EnrolmentRule r = rule(Set.of(), Set.of(), new BigDecimal("300.00"), true);
        assertEquals("job not invoiced", r.invoiceShortfall(BigDecimal.ZERO, BigDecimal.ZERO, 0));
        assertEquals("invoice total 250.00 below 300.00", r.invoiceShortfall(new BigDecimal("250.00"),
                BigDecimal.ZERO, 1));
        assertEquals("invoice not paid in full (balance 20.00)", r.invoiceShortfall(new BigDecimal("480.00"),
                new BigDecimal("20.00"), 1));
        assertNull(r.invoiceShortfall(new BigDecimal("480.00"), BigDecimal.ZERO, 1));
    }

    @Test
    void invoicesThatFallShortAreLookedAtAgainUntilTheWaitIsOver() {
        EnrolmentRule r = rule(Set.of(), Set.of(), null, true);
        assertEquals(86_400, r.invoiceRecheckSeconds(3600), "a day later, within a 30-day wait");
        assertEquals(3600, r.invoiceRecheckSeconds(30 * 86_400 - 3600), "never past the wait's end");
        assertEquals(0, r.invoiceRecheckSeconds(30 * 86_400), "then skipped");
    }
}

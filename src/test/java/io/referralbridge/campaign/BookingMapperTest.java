package io.referralbridge.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.campaign.PlatformFields;
import org.junit.jupiter.api.Test;

class BookingMapperTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final PlatformFields FIELDS = new PlatformFields(p("/type"), List.of(), p("/data/code"),
            p("/data/campaign/id"), p("/data/first_name"), p("/data/last_name"), p("/data/email"),
            p("/data/phone"), List.of(p("/data/id")), null, null, false, null);

    static com.fasterxml.jackson.core.JsonPointer p(String s) {
        return com.fasterxml.jackson.core.JsonPointer.compile(s);
    }

    static Campaign campaign(String summaryDefault) {
        return new Campaign("17", "c", 42, null, null, null, null, null, "Referral", null, summaryDefault,
                p("/data/fields/service_needed"), false, ExistingCustomer.BOOK, java.util.Set.of("booking"), 0,
                List.of(),
                Campaign.Qualification.manualOnly(), "default", java.util.Map.of(),
                EnrolmentRule.off());
    }

    private static BookingMapper mapper() {
        org.apache.camel.impl.DefaultCamelContext camel = new org.apache.camel.impl.DefaultCamelContext();
        camel.getPropertiesComponent().setLocation("file:application.properties"); // the defaults, written once
        return new BookingMapper(JSON, FIELDS, new io.referralbridge.config.Settings(camel));
    }

    private static ObjectNode payload(String json) throws Exception {
        return (ObjectNode) JSON.readTree(json);
    }

    @Test
    void longValuesAreCutAndJsonStaysValid() throws Exception {
        String longName = "\"Quote\" \\ <script>" + "a".repeat(500);
        ObjectNode data = JSON.createObjectNode();
        data.putObject("data").put("first_name", longName).put("email", "a@b.co");
        ObjectNode b = mapper().map("C-1", data, campaign("default"));
        assertEquals(BookingMapper.MAX_NAME, b.path("name").asText().length());
        assertEquals(longName.substring(0, BookingMapper.MAX_NAME), b.path("name").asText());
        // Round trip through JSON text: the characters are escaped by Jackson, not by hand.
        assertEquals(b, JSON.readTree(JSON.writeValueAsString(b)));
    }

    @Test
    void aPartialAddressIsLeftOut() throws Exception {
        ObjectNode b = mapper().map("C-2", payload("""
                {"data": {"first_name": "A", "email": "a@b.co", "fields": {"street": "1 Main", "city": "X"}}}"""),
                campaign("default"));
        assertFalse(b.has("address"));
        assertEquals("Email", b.path("contacts").get(0).path("type").asText());
    }

    @Test
    void noSummaryAnywhereIsAMappingError() throws Exception {
        assertThrows(MappingException.class, () -> mapper().map("C-3", payload("""
                {"data": {"first_name": "A", "email": "a@b.co"}}"""), campaign(null)));
    }

    @Test
    void cuttingNeverSplitsASurrogatePair() {
        String s = "a".repeat(9) + "\uD83D\uDE00";
        assertEquals("a".repeat(9), BookingMapper.limit(s, 10));
    }
}

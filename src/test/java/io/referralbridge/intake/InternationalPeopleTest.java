package io.referralbridge.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real people as referral platforms send them (src/test/resources/people/international.tsv: names, emails and phones
 * from more than 15 countries and scripts): each is accepted and booked into ServiceTitan with the same characters,
 * in Unicode NFC.
 */
class InternationalPeopleTest {

    static BridgeUnderTest bridge;
    static final ObjectMapper JSON = new ObjectMapper();

    record Person(String country, String first, String last, String email, String phone) {
        @Override
        public String toString() {
            return country + " " + first + " " + last;
        }
    }

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(Map.of(), started -> bridge = started);

    static List<Person> people() throws IOException {
        List<Person> out = new ArrayList<>();
        try (InputStream in = InternationalPeopleTest.class.getClassLoader()
                .getResourceAsStream("people/international.tsv")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t", -1);
                out.add(new Person(f[0], f[1], f[2], f[3], f[4]));
            }
        }
        return out;
    }

    @Test
    void theCorpusCoversFortyPeopleOfFifteenCountries() throws IOException {
        assertTrue(people().size() >= 40);
        assertTrue(people().stream().map(Person::country).distinct().count() >= 15);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("people")
    void acceptedAndBookedAsSent(Person p) throws Exception {
        String code = "INTL-" + Math.abs((p.first() + p.last()).hashCode());
        ObjectNode body = (ObjectNode) JSON.readTree(BridgeUnderTest.referralEvent(code, p.email()));
        ObjectNode data = (ObjectNode) body.get("data");
        data.put("first_name", p.first());
        data.put("last_name", p.last());
        data.put("phone", p.phone());
        HttpResponse<String> answer = bridge.sendWebhook("evt-" + code, JSON.writeValueAsString(body));
        assertEquals(202, answer.statusCode(), p + ": " + answer.body());

        bridge.awaitState(code, "booked");
        JsonNode booking = bridge.sandbox.bookingsWithExternalId(code).get(0);
        assertEquals(nfc(p.first() + " " + p.last()), booking.path("name").asText());
        Map<String, String> contacts = new java.util.HashMap<>();
        booking.path("contacts").forEach(c -> contacts.put(c.path("type").asText(), c.path("value").asText()));
        assertEquals(nfc(p.email()), contacts.get("Email"));
        assertEquals(nfc(p.phone()), contacts.get("Phone"));
        assertEquals(nfc(p.email()), bridge.referral(code).get("email"), "stored as sent");
    }

    @Test
    void aNameWrittenWithCombiningAccentsIsBookedInNfc() throws Exception {
        ObjectNode body = (ObjectNode) JSON.readTree(BridgeUnderTest.referralEvent("NFC-0001", "nfc@example.com"));
        ((ObjectNode) body.get("data")).put("first_name", "Jose\u0301"); // e + combining acute
        assertEquals(202, bridge.sendWebhook("evt-nfc-1", JSON.writeValueAsString(body)).statusCode());
        bridge.awaitState("NFC-0001", "booked");
        assertEquals("Jos\u00e9 Whitfield", bridge.sandbox.bookingsWithExternalId("NFC-0001").get(0).path("name")
                .asText());
    }

    private static String nfc(String s) {
        return Normalizer.normalize(s, Normalizer.Form.NFC);
    }
}

package io.referralbridge.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.referralbridge.campaign.MappingException;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

/** How a profile's call is sent: its auth kind, idempotency header, and what its answers mean. */
class ReferralPlatformClientTest {

    static final Set<String> VARS = PlatformConnection.NOTICE_VARIABLES;

    static PlatformConnection connection(String auth, String authHeader, String apiUser, PlatformCall qualify) {
        return new PlatformConnection("api", "custom", "https://api.example.com", "k3y", auth, authHeader, apiUser,
                null, qualify, null, null, null, null, null, JsonPointer.compile("/code"), JsonPointer.compile("/url"),
                null, null, 1000, 1000);
    }

    static PlatformCall call(JsonPointer okField, String alreadyWhen) {
        return new PlatformCall("platform.qualify", "POST", Template.url("u", "{baseUrl}/r/{participantId}", VARS),
                null, Set.of(409), Set.of(404), okField, alreadyWhen);
    }

    static Exchange notice(ReferralPlatformClient client) throws Exception {
        Exchange e = new DefaultExchange(new DefaultCamelContext());
        e.setProperty(ReferralPlatformClient.QUALIFIED, true);
        e.setProperty(ReferralPlatformClient.VALUES, client.noticeValues(Map.of("code", "C-1", "campaign_id", "17"),
                null));
        e.getMessage().setBody("C-1");
        client.qualifyRequest(e);
        return e;
    }

    @Test
    void basicAndNamedHeaderAuth() throws Exception {
        var basic = new ReferralPlatformClient(connection("basic", null, "acme", call(null, null)), new ObjectMapper(),
                null, null);
        assertEquals("Basic " + Base64.getEncoder().encodeToString("acme:k3y".getBytes(StandardCharsets.UTF_8)),
                notice(basic).getMessage().getHeader("Authorization"));
        var header = new ReferralPlatformClient(connection("header", "X-Api-Key", null, call(null, null)),
                new ObjectMapper(), null, null);
        Exchange e = notice(header);
        assertEquals("k3y", e.getMessage().getHeader("X-Api-Key"));
        assertEquals(null, e.getMessage().getHeader("Authorization"));
        assertEquals("POST", e.getMessage().getHeader(Exchange.HTTP_METHOD));
        assertEquals("https://api.example.com/r/C-1?throwExceptionOnFailure=true&connectTimeout=1000"
                + "&responseTimeout=1000", e.getProperty(ReferralPlatformClient.ENDPOINT));
    }

    @Test
    void anAnswerOf200CanStillSayAlreadyDoneOrRefused() throws Exception {
        var client = new ReferralPlatformClient(connection("bearer", null, null, call(JsonPointer.compile("/success"),
                "already been awarded")), new ObjectMapper(), null, null);
        Exchange done = notice(client);
        done.getMessage().setBody("{\"success\": true}");
        assertEquals(200, client.answered(done));
        Exchange already = notice(client);
        already.getMessage().setBody("{\"success\": false, \"message\": \"Referral credit has already been awarded\"}");
        assertEquals(200, client.answered(already));
        Exchange refused = notice(client);
        refused.getMessage().setBody("{\"success\": false, \"message\": \"Participant was not referred\"}");
        assertThrows(MappingException.class, () -> client.answered(refused));
    }
}

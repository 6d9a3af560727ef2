package io.referralbridge.platform;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Message;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.http.base.HttpOperationFailedException;

/**
 * Tells the referral platform that a referral qualified. 200/201 acknowledge; 409 means the platform already has it
 * (counted as acknowledged); other failures surface as {@link HttpOperationFailedException} for the route's error
 * handler (429/5xx retried, 404/422 dead-lettered).
 */
public final class ReferralPlatformClient {

    public static final String MILESTONE = "milestone";
    /** Set when this notification was attempted before (an earlier claim of its outbox task, or a redelivery). */
    public static final String RETRY = "platformRetry";

    private final PlatformConnection conn;
    private final ProducerTemplate template;
    private final ObjectMapper json;

    public ReferralPlatformClient(PlatformConnection conn, ProducerTemplate template, ObjectMapper json) {
        this.conn = conn;
        this.template = template;
        this.json = json;
    }

    /** Returns the platform's answer status (409 included). */
    public int qualify(@Body String code, @ExchangeProperty(MILESTONE) String milestone,
                       @ExchangeProperty(RETRY) Boolean retry) throws Exception {
        String options = "?throwExceptionOnFailure=true&connectTimeout=" + conn.connectTimeoutMs()
                + "&responseTimeout=" + conn.responseTimeoutMs();
        boolean api = conn.mode().equals("api");
        boolean again = Boolean.TRUE.equals(retry);
        // After a lost answer or a crash the platform may already have it: read the user first, as its docs advise.
        if (api && again && alreadyQualified(code, options)) {
            return 200;
        }
        String uri = (api ? conn.baseUrl() + conn.path() : conn.inboundWebhookUrl()) + options;
        ObjectNode body = json.createObjectNode().put("code", code).put("qualified", true);
        if (conn.includeMilestone() && milestone != null) {
            body.put("milestone", milestone);
        }
        Exchange result = template.send(uri, exchange -> {
            Message m = exchange.getMessage();
            m.setHeader(Exchange.HTTP_METHOD, conn.method());
            if (api) {
                m.setHeader("Authorization", "Bearer " + conn.apiKey());
                m.setHeader("Idempotency-Key", "qualify-" + code);
                m.setHeader(Exchange.CONTENT_TYPE, "application/json");
                m.setBody(json.writeValueAsBytes(body));
            } else {
                m.setHeader(Exchange.CONTENT_TYPE, "application/x-www-form-urlencoded");
                m.setBody("code=" + URLEncoder.encode(code, StandardCharsets.UTF_8));
            }
        });
        Exception e = result.getException();
        if (e instanceof HttpOperationFailedException http && http.getStatusCode() == 409) {
            return 409;
        }
        if (e != null) {
            throw e;
        }
        return result.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 200, Integer.class);
    }

    private boolean alreadyQualified(String code, String options) throws Exception {
        Exchange result = template.send(conn.baseUrl() + "/api/v2/users/"
                + URLEncoder.encode(code, StandardCharsets.UTF_8) + options, exchange -> {
                    Message m = exchange.getMessage();
                    m.setHeader(Exchange.HTTP_METHOD, "GET");
                    m.setHeader("Authorization", "Bearer " + conn.apiKey());
                    m.setHeader("Accept", "application/json");
                });
        if (result.getException() instanceof HttpOperationFailedException http && http.getStatusCode() == 404) {
            return false;
        }
        if (result.getException() != null) {
            throw result.getException();
        }
        JsonNode user = json.readTree(result.getMessage().getBody(String.class));
        return user.hasNonNull("qualified_at");
    }
}

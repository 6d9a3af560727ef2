package io.referralbridge.platform;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.referralbridge.campaign.MappingException;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.http.base.HttpOperationFailedException;

/**
 * How the referral platform is spoken to, as its profile says ({@link PlatformConnection}): the steps around the HTTP
 * calls of the notify-platform and enrol-customer routes. Each call is rendered from its templates with the stored
 * referral's values (code, participant id, email, campaign, milestone, revenue) or the customer's (enrolment), and
 * authenticated as the profile says. What an answer means is the call's: 2xx done (unless its ok-field says not),
 * {@code already} counted as done, {@code refused} a dead letter; other failures go to the route's error handling
 * (429/5xx retried, other 4xx dead-lettered).
 */
public final class ReferralPlatformClient {

    public static final String MILESTONE = "milestone";
    /** Set when this notification was attempted before (an earlier claim of its outbox task, or a redelivery). */
    public static final String RETRY = "platformRetry";
    /** The camel-http endpoint of the next call; the route's toD steps call it. */
    public static final String ENDPOINT = "platformEndpoint";
    /** Whether the platform had the qualification already (read back before a retry). */
    public static final String ALREADY_TOLD = "platformAlreadyTold";

    /** The referral code of the notice, set by the route's first step. */
    public static final String CODE = "platformCode";
    /** Whether the notice says qualified (true) or not qualified (false: put back to pending). */
    public static final String QUALIFIED = "platformQualified";
    /** The notice's round: 1, then one more each time it is armed again (each round its own Idempotency-Key). */
    public static final String ROUND = "platformRound";
    /** The notice's template values (code, participantId, email, campaignId, milestone, revenue). */
    public static final String VALUES = "platformValues";
    private static final String CALL = "platformCall";

    private final PlatformConnection conn;
    private final ObjectMapper json;
    private final String options;
    private final org.apache.camel.ProducerTemplate template;
    private final JsonPointer participantId;

    /** {@code participantId}: where the webhook has the platform's id of the person (null: the code is the id). */
    public ReferralPlatformClient(PlatformConnection conn, ObjectMapper json, org.apache.camel.ProducerTemplate template,
                                  JsonPointer participantId) {
        this.conn = conn;
        this.json = json;
        this.template = template;
        this.participantId = participantId;
        this.options = "?throwExceptionOnFailure=true&connectTimeout=" + conn.connectTimeoutMs()
                + "&responseTimeout=" + conn.responseTimeoutMs();
    }

    public PlatformConnection connection() {
        return conn;
    }

    /**
     * A notice's template values from the stored referral (code, campaign_id, email, milestone, revenue and the
     * webhook as payload).
     */
    public Map<String, Object> noticeValues(Map<String, Object> row, String payload) {
        Map<String, Object> v = new HashMap<>();
        v.put("baseUrl", conn.baseUrl());
        v.put("code", row.get("code"));
        v.put("email", row.get("email"));
        v.put("campaignId", row.get("campaign_id"));
        v.put("milestone", row.get("milestone"));
        v.put("revenue", row.get("revenue") instanceof BigDecimal d ? d : null);
        v.put("rewardDelayDays", conn.rewardDelayDays());
        Object participant = row.get("code");
        if (participantId != null && payload != null) {
            try {
                JsonNode found = json.readTree(payload).at(participantId);
                if (found.isValueNode() && !found.asText().isBlank()) {
                    participant = found.asText();
                }
            } catch (Exception e) {
                // the stored webhook was checked at intake; the code stands in
            }
        }
        v.put("participantId", participant);
        return v;
    }

    /**
     * Before a retry, in API mode: read the participant back (as the platforms' docs advise), since after a lost answer
     * or a crash it may already have the notice. Property platformReadUser: whether there is anything to read (not on a
     * first attempt, nor without a read call, nor in inbound-webhook mode).
     */
    public void readUserRequest(Exchange exchange) {
        boolean read = conn.mode().equals("api") && conn.read() != null
                && Boolean.TRUE.equals(exchange.getProperty(RETRY, Boolean.class))
                && exchange.getProperty(QUALIFIED, Boolean.class) != null
                && !Boolean.TRUE.equals(exchange.getProperty(ALREADY_TOLD, Boolean.class));
        exchange.setProperty("platformReadUser", read);
        if (read) {
            request(exchange, conn.read(), values(exchange, null));
        }
    }

    /** The participant as read: told already when it shows what this notice says. The body is the code again. */
    public void userRead(Exchange exchange) throws Exception {
        String text = exchange.getMessage().getBody(String.class);
        JsonNode user = text == null || text.isBlank() ? json.createObjectNode() : json.readTree(text);
        JsonNode field = user.at(conn.readDoneField());
        if (field.isMissingNode()) {
            // Not the participant's shape (an error envelope, an empty body): nothing is known, so the notice goes.
            exchange.setProperty(ALREADY_TOLD, false);
            exchange.getMessage().setBody(exchange.getProperty(CODE, String.class));
            return;
        }
        boolean done = conn.readDoneValue() == null
                ? field.isValueNode() && !field.isNull() && !field.asText().isBlank() && !"false".equals(field.asText())
                : field.isValueNode() && conn.readDoneValue().equalsIgnoreCase(field.asText());
        exchange.setProperty(ALREADY_TOLD, done == Boolean.TRUE.equals(exchange.getProperty(QUALIFIED, Boolean.class)));
        exchange.getMessage().setBody(exchange.getProperty(CODE, String.class));
    }

    /** The platform does not know the participant yet (404 on the read): not told; the body is the code again. */
    public void userUnknown(Exchange exchange) {
        exchange.getMessage().setBody(exchange.getProperty(CODE, String.class));
    }

    /** The notice: the profile's qualify call, or its unqualify call for qualified:false; the inbound webhook's form. */
    public void qualifyRequest(Exchange exchange) throws Exception {
        exchange.removeProperty(Exchange.EXCEPTION_CAUGHT); // a 404 of the read before is not this call's answer
        String code = exchange.getMessage().getBody(String.class);
        if (!conn.mode().equals("api")) {
            Message m = exchange.getMessage();
            m.removeHeaders("*");
            m.setHeader(Exchange.HTTP_METHOD, "POST");
            m.setHeader(Exchange.CONTENT_TYPE, "application/x-www-form-urlencoded");
            m.setBody("code=" + java.net.URLEncoder.encode(code, StandardCharsets.UTF_8));
            exchange.setProperty(ENDPOINT, conn.inboundWebhookUrl() + options);
            return;
        }
        boolean qualified = !Boolean.FALSE.equals(exchange.getProperty(QUALIFIED, Boolean.class));
        PlatformCall call = qualified ? conn.qualify() : conn.unqualify();
        if (call == null) {
            throw new MappingException("Platform profile " + conn.profile() + " has no unqualify call "
                    + "(platform.unqualify.url): the platform cannot be told qualified:false");
        }
        Integer round = exchange.getProperty(ROUND, Integer.class);
        request(exchange, call, values(exchange, qualified));
        if (conn.idempotencyHeader() != null) {
            exchange.getMessage().setHeader(conn.idempotencyHeader(), (qualified ? "qualify-" : "unqualify-") + code
                    + (round == null || round <= 1 ? "" : "-" + round));
        }
    }

    private Map<String, Object> values(Exchange exchange, Boolean qualified) {
        @SuppressWarnings("unchecked")
        Map<String, Object> v = new HashMap<>(exchange.getProperty(VALUES, Map.class));
        v.put("qualified", qualified);
        return v;
    }

    /** The request of a call: method, URL, JSON body (if the call has one) and the profile's auth. */
    private void request(Exchange exchange, PlatformCall call, Map<String, Object> values) {
        Message m = exchange.getMessage();
        m.removeHeaders("*");
        m.setHeader(Exchange.HTTP_METHOD, call.method());
        authorize(m);
        m.setHeader("Accept", "application/json");
        if (call.body() != null) {
            m.setHeader(Exchange.CONTENT_TYPE, "application/json");
            try {
                m.setBody(json.writeValueAsBytes(call.body().body(values)));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        } else {
            m.setBody(null);
        }
        exchange.setProperty(CALL, call);
        exchange.setProperty(ENDPOINT, endpoint(call, values));
    }

    /** The camel-http endpoint of a call: its URL and the connection's timeouts. */
    private String endpoint(PlatformCall call, Map<String, Object> values) {
        String url = call.url().url(values);
        return url + (url.contains("?") ? "&" : "?") + options.substring(1);
    }

    private void authorize(Message m) {
        switch (conn.auth()) {
            case "basic" -> m.setHeader("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    (conn.apiUser() + ":" + conn.apiKey()).getBytes(StandardCharsets.UTF_8)));
            case "header" -> m.setHeader(conn.authHeader(), conn.apiKey());
            default -> m.setHeader("Authorization", "Bearer " + conn.apiKey());
        }
    }

    /**
     * Enrolment of a customer as a referrer of the campaign: the profile's enrol call with the customer's values; the
     * platforms answer a repeat for the same email with the referrer they have, so a retry enrols no one twice.
     */
    public void enrolRequest(Exchange exchange, String campaignId, String firstName, String lastName, String email,
                             String phone, String idempotencyKey) {
        if (conn.enrol() == null) {
            throw new MappingException("Platform profile " + conn.profile() + " has no enrol call "
                    + "(platform.enrol.url, platform.mode=api)");
        }
        Map<String, Object> v = new HashMap<>();
        v.put("baseUrl", conn.baseUrl());
        v.put("campaignId", campaignId.matches("[0-9]{1,18}") ? (Object) Long.parseLong(campaignId) : campaignId);
        v.put("firstName", firstName);
        v.put("lastName", lastName);
        v.put("email", email);
        v.put("phone", phone);
        request(exchange, conn.enrol(), v);
        if (conn.idempotencyHeader() != null) {
            exchange.getMessage().setHeader(conn.idempotencyHeader(), idempotencyKey);
        }
    }

    /** Whether any campaign's enrolment can be carried out (an enrol call in API mode). */
    public boolean enrols() {
        return conn.mode().equals("api") && conn.enrol() != null;
    }

    /** Whether qualified:false can be told (an unqualify call in API mode). */
    public boolean unqualifies() {
        return conn.mode().equals("api") && conn.unqualify() != null;
    }

    /** The enrolled referrer's {code, link} from the platform's answer; the code is required, the link may be null. */
    public String[] enrolled(Exchange exchange) throws Exception {
        String text = exchange.getMessage().getBody(String.class);
        JsonNode answer = text == null || text.isBlank() ? json.createObjectNode() : json.readTree(text);
        JsonNode code = answer.at(conn.enrolCode());
        JsonNode link = answer.at(conn.enrolLink());
        if (!code.isValueNode() || code.asText().isBlank()) {
            throw new MappingException("The platform's enrolment answer has no referral code at "
                    + conn.enrolCode() + " (platform.enrol.code-field)");
        }
        return new String[] {code.asText(), link.isValueNode() && !link.asText().isBlank() ? link.asText() : null};
    }

    /**
     * A probe after a failed notice: does the platform answer a plain read of this referral's participant? Any answer
     * but 5xx, 429 and 408 shows it up (404 included). Without a read call (or in inbound-webhook mode) there is nothing
     * to read: true, so a failing notice waits its own back-off rather than holding every other one.
     */
    public boolean answers(Exchange failed) {
        if (!conn.mode().equals("api") || conn.read() == null || failed.getProperty(VALUES) == null) {
            return true;
        }
        Map<String, Object> values = values(failed, null);
        Exchange result = template.send(endpoint(conn.read(), values), exchange -> request(exchange, conn.read(),
                values));
        if (result.getException() instanceof HttpOperationFailedException http) {
            int s = http.getStatusCode();
            return s < 500 && s != 429 && s != 408 && s != 401; // 401: the API key is refused, for every notice
        }
        return result.getException() == null;
    }

    /**
     * The platform's answer to the notice: its status when done or already done. A refusal is a dead letter
     * (MappingException); any other failure goes back to the error handling as it came.
     */
    public int answered(Exchange exchange) throws Exception {
        PlatformCall call = exchange.getProperty(CALL, PlatformCall.class);
        Exception caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        if (caught instanceof HttpOperationFailedException http) {
            int status = http.getStatusCode();
            if (call != null && call.already().contains(status)) {
                return status;
            }
            if (call != null && call.refused().contains(status)) {
                throw new PlatformRefusal("The platform refused the notice: HTTP " + status + " from "
                        + http.getUri() + ": " + io.referralbridge.failure.DeadLetters.shorten(
                                http.getResponseBody(), 500));
            }
            throw http;
        }
        int status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 200, Integer.class);
        if (call != null && call.okField() != null) {
            String text = exchange.getMessage().getBody(String.class);
            JsonNode answer = text == null || text.isBlank() ? json.createObjectNode() : json.readTree(text);
            if (!answer.at(call.okField()).asBoolean(false)) {
                if (call.alreadyWhen() != null && text != null && text.contains(call.alreadyWhen())) {
                    return status;
                }
                throw new MappingException("The platform did not take the notice (" + call.okField() + " not true): "
                        + io.referralbridge.failure.DeadLetters.shorten(text, 500));
            }
        }
        return status;
    }
}

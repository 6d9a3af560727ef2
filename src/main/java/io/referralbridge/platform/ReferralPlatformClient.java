package io.referralbridge.platform;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.http.base.HttpOperationFailedException;

/**
 * How the referral platform is spoken to: the steps around the HTTP calls of the notify-platform route
 * (routes/platform-notification.camel.yaml). 200/201 acknowledge; 409 means the platform already has it (counted as
 * acknowledged); other failures surface as {@link HttpOperationFailedException} for the route's error handling (429/5xx
 * retried, 404/422 dead-lettered).
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

    private final PlatformConnection conn;
    private final ObjectMapper json;
    private final String options;
    private final org.apache.camel.ProducerTemplate template;

    public ReferralPlatformClient(PlatformConnection conn, ObjectMapper json, org.apache.camel.ProducerTemplate template) {
        this.conn = conn;
        this.json = json;
        this.template = template;
        this.options = "?throwExceptionOnFailure=true&connectTimeout=" + conn.connectTimeoutMs()
                + "&responseTimeout=" + conn.responseTimeoutMs();
    }

    /**
     * Before a retry, in API mode: read the user (as the platform's docs advise), since after a lost answer or a crash
     * it may already have the qualification. Property platformReadUser: whether there is anything to read (not on a
     * first attempt, nor in inbound-webhook mode).
     */
    public void readUserRequest(Exchange exchange) {
        // Not when there is nothing to tell (decided before the call).
        boolean read = conn.mode().equals("api") && Boolean.TRUE.equals(exchange.getProperty(RETRY, Boolean.class))
                && exchange.getProperty(QUALIFIED, Boolean.class) != null
                && !Boolean.TRUE.equals(exchange.getProperty(ALREADY_TOLD, Boolean.class));
        exchange.setProperty("platformReadUser", read);
        if (!read) {
            return;
        }
        String code = exchange.getMessage().getBody(String.class);
        Message m = exchange.getMessage();
        m.removeHeaders("*");
        m.setHeader(Exchange.HTTP_METHOD, "GET");
        m.setHeader("Authorization", "Bearer " + conn.apiKey());
        m.setHeader("Accept", "application/json");
        m.setBody(null);
        exchange.setProperty(ENDPOINT, conn.baseUrl() + "/api/v2/users/" + URLEncoder.encode(code,
                StandardCharsets.UTF_8) + options);
    }

    /** The user as read: told already when it has a qualification date. The body is the code again. */
    public void userRead(Exchange exchange) throws Exception {
        JsonNode user = json.readTree(exchange.getMessage().getBody(String.class));
        // Told already when the platform shows what this notice says: qualified (a date), or not (none).
        exchange.setProperty(ALREADY_TOLD, user.hasNonNull("qualified_at")
                == Boolean.TRUE.equals(exchange.getProperty(QUALIFIED, Boolean.class)));
        exchange.getMessage().setBody(exchange.getProperty(CODE, String.class));
    }

    /** The platform does not know the user yet (404 on the read): not told; the body is the code again. */
    public void userUnknown(Exchange exchange) {
        exchange.getMessage().setBody(exchange.getProperty(CODE, String.class));
    }

    /** The qualification request: PUT {code, qualified} with an Idempotency-Key, or the inbound webhook's form. */
    public void qualifyRequest(Exchange exchange) throws Exception {
        exchange.removeProperty(Exchange.EXCEPTION_CAUGHT); // a 404 of the read before is not this call's answer
        String code = exchange.getMessage().getBody(String.class);
        boolean api = conn.mode().equals("api");
        Message m = exchange.getMessage();
        m.removeHeaders("*");
        m.setHeader(Exchange.HTTP_METHOD, conn.method());
        if (api) {
            boolean qualified = !Boolean.FALSE.equals(exchange.getProperty(QUALIFIED, Boolean.class));
            ObjectNode body = json.createObjectNode().put("code", code).put("qualified", qualified);
            String milestone = exchange.getProperty(MILESTONE, String.class);
            if (conn.includeMilestone() && milestone != null) {
                body.put("milestone", milestone);
            }
            m.setHeader("Authorization", "Bearer " + conn.apiKey());
            Integer round = exchange.getProperty(ROUND, Integer.class);
            m.setHeader("Idempotency-Key", (qualified ? "qualify-" : "unqualify-") + code
                    + (round == null || round <= 1 ? "" : "-" + round));
            m.setHeader(Exchange.CONTENT_TYPE, "application/json");
            m.setBody(json.writeValueAsBytes(body));
        } else {
            m.setHeader(Exchange.CONTENT_TYPE, "application/x-www-form-urlencoded");
            m.setBody("code=" + URLEncoder.encode(code, StandardCharsets.UTF_8));
        }
        exchange.setProperty(ENDPOINT, (api ? conn.baseUrl() + conn.path() : conn.inboundWebhookUrl()) + options);
    }

    /**
     * Enrolment of a customer as a referrer of the campaign: POST {campaign_id, first_name, last_name, email, phone}
     * (Referral Factory's user fields) with an Idempotency-Key; the platform answers a repeat for the same email with
     * the referrer it has, so a retry after a lost answer enrols no one twice.
     */
    public void enrolRequest(Exchange exchange, String campaignId, String firstName, String lastName, String email,
                             String phone, String idempotencyKey) throws Exception {
        if (conn.enrol() == null) {
            throw new IllegalStateException("Enrolment needs platform.mode=api");
        }
        ObjectNode body = json.createObjectNode();
        if (campaignId.matches("[0-9]{1,18}")) {
            body.put("campaign_id", Long.parseLong(campaignId));
        } else {
            body.put("campaign_id", campaignId);
        }
        body.put("first_name", firstName);
        if (lastName != null) {
            body.put("last_name", lastName);
        }
        body.put("email", email);
        if (phone != null) {
            body.put("phone", phone);
        }
        Message m = exchange.getMessage();
        m.removeHeaders("*");
        m.setHeader(Exchange.HTTP_METHOD, "POST");
        m.setHeader("Authorization", "Bearer " + conn.apiKey());
        m.setHeader("Idempotency-Key", idempotencyKey);
        m.setHeader("Accept", "application/json");
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        m.setBody(json.writeValueAsBytes(body));
        exchange.setProperty(ENDPOINT, conn.baseUrl() + conn.enrol().path() + options);
    }

    /** The enrolled referrer's {code, link} from the platform's answer; the code is required, the link may be null. */
    public String[] enrolled(Exchange exchange) throws Exception {
        String text = exchange.getMessage().getBody(String.class);
        JsonNode answer = text == null || text.isBlank() ? json.createObjectNode() : json.readTree(text);
        JsonNode code = answer.at(conn.enrol().code());
        JsonNode link = answer.at(conn.enrol().link());
        if (!code.isValueNode() || code.asText().isBlank()) {
            throw new io.referralbridge.campaign.MappingException("The platform's enrolment answer has no referral code at "
                    + conn.enrol().code() + " (platform.enrol-code-field)");
        }
        return new String[] {code.asText(), link.isValueNode() && !link.asText().isBlank() ? link.asText() : null};
    }

    /**
     * A probe after a failed notice: does the platform answer a plain read of this referral's user? Any answer but
     * 5xx, 429 and 408 shows it up (404 included). In inbound-webhook mode there is nothing to read: true, so a failing
     * notice waits its own back-off rather than holding every other one.
     */
    public boolean answers(String code) {
        if (!conn.mode().equals("api") || code == null) {
            return true;
        }
        Exchange result = template.send(conn.baseUrl() + "/api/v2/users/" + URLEncoder.encode(code,
                StandardCharsets.UTF_8) + options, exchange -> {
                    exchange.getMessage().setHeader(Exchange.HTTP_METHOD, "GET");
                    exchange.getMessage().setHeader("Authorization", "Bearer " + conn.apiKey());
                    exchange.getMessage().setHeader("Accept", "application/json");
                });
        if (result.getException() instanceof HttpOperationFailedException http) {
            int s = http.getStatusCode();
            return s < 500 && s != 429 && s != 408;
        }
        return result.getException() == null;
    }

    /** The platform's answer status, 409 (already told) included. */
    public int answered(Exchange exchange) {
        Exception caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        if (caught instanceof HttpOperationFailedException http) {
            return http.getStatusCode();
        }
        return exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 200, Integer.class);
    }
}

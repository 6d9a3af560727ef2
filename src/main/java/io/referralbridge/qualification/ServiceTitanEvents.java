package io.referralbridge.qualification;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.referralbridge.db.Queries;
import io.referralbridge.db.Tx;
import io.referralbridge.schedule.PollWake;
import io.referralbridge.servicetitan.ServiceTitanConnection;
import io.referralbridge.web.HttpAnswer;
import io.referralbridge.web.HttpProblem;
import io.referralbridge.web.HttpRequests;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ServiceTitan's v2 webhooks (CloudEvents 1.0) as a fast trigger of the poll: the steps of the servicetitan-webhook
 * route. An event is verified (HMAC of the body), stored once per {@code userassignedid}, flags the referrals whose job
 * or booking it names, and wakes its connection's poll. Nothing in it is taken as a fact: the poll reads the export
 * feeds, which alone move a referral.
 */
public final class ServiceTitanEvents {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceTitanEvents.class);
    /** The event kinds that can concern a referral: jobs, bookings, invoices. */
    static final List<String> WAKING = List.of("tn.jpm.job-", "tn.crm.booking-", "tn.acc.invoice-");
    public static final String NEW_EVENT = "serviceTitanEventNew";

    private final DataSource ds;
    private final ObjectMapper json;
    private final Map<String, ServiceTitanConnection> connections = new LinkedHashMap<>();
    private final String signatureHeader;
    private final int maxBodyBytes;
    private final PollWake wake;
    private final io.referralbridge.ops.BridgeMetrics metrics;
    private final Queries sql = Queries.load("sql/qualification.sql");
    private final int retentionDays;
    private final java.util.concurrent.atomic.AtomicLong prunedAt = new java.util.concurrent.atomic.AtomicLong();

    public ServiceTitanEvents(DataSource ds, ObjectMapper json, List<ServiceTitanConnection> connections,
                              String signatureHeader, int maxBodyBytes, int retentionDays, PollWake wake,
                              io.referralbridge.ops.BridgeMetrics metrics) {
        this.retentionDays = retentionDays;
        this.ds = ds;
        this.json = json;
        connections.forEach(c -> this.connections.put(c.name(), c));
        this.signatureHeader = signatureHeader;
        this.maxBodyBytes = maxBodyBytes;
        this.wake = wake;
        this.metrics = metrics;
    }

    /** Size, signature (when the connection has keys; refused when it has none and no opt-out), JSON envelope. */
    public JsonNode verify(Exchange exchange, @Header("connection") String connection) {
        ServiceTitanConnection c = connections.get(connection);
        byte[] body = exchange.getMessage().getBody(byte[].class);
        if (body == null) {
            body = new byte[0];
        }
        if (body.length > maxBodyBytes) {
            throw new HttpProblem(413, "payload_too_large", "Body is " + body.length + " bytes; the limit is "
                    + maxBodyBytes);
        }
        if (c.webhookHmacKeys().isEmpty()) {
            if (!c.webhookAcceptUnsigned()) {
                throw HttpProblem.unauthorized("webhooks_not_configured", "This connection has no ServiceTitan "
                        + "webhook HMAC key (servicetitan.webhook.hmac-keys); unsigned events are refused unless "
                        + "servicetitan.webhook.accept-unsigned=true");
            }
        } else if (!signatureMatches(c.webhookHmacKeys(), body, HttpRequests.header(exchange, signatureHeader))) {
            metrics.count("bridge.servicetitan.events", "connection", connection, "result", "refused");
            throw HttpProblem.unauthorized("invalid_signature", "Header " + signatureHeader
                    + " is missing or does not match the body's HMAC-SHA256");
        }
        JsonNode event;
        try {
            event = json.readTree(body);
        } catch (Exception e) {
            throw HttpProblem.badRequest("invalid_json", "The body is not JSON");
        }
        if (event == null || !event.isObject()) {
            throw HttpProblem.badRequest("invalid_event", "A CloudEvents object is expected");
        }
        if (new String(body, java.nio.charset.StandardCharsets.UTF_8).contains("\\u0000")) {
            throw HttpProblem.badRequest("invalid_event", "The event contains a NUL character (\\u0000), which cannot "
                    + "be stored");
        }
        for (String field : List.of("specversion", "type")) {
            if (!event.path(field).isTextual() || event.path(field).asText().isBlank()) {
                throw HttpProblem.badRequest("invalid_event", "Field '" + field + "' is required");
            }
        }
        if (id(event) == null) {
            throw HttpProblem.badRequest("invalid_event", "Field 'userassignedid' (or 'id') is required");
        }
        JsonNode tenant = event.path("data").path("tenantId");
        if (!tenant.isMissingNode() && !tenant.isNull() && !tenant.asText().equals(c.tenantId())) {
            throw HttpProblem.badRequest("wrong_tenant", "The event is for tenant " + tenant.asText().replaceAll(
                    "\\p{Cntrl}", "?") + "; connection " + connection + " is tenant " + c.tenantId());
        }
        return event;
    }

    /**
     * Stored once per userassignedid, with the referrals it names flagged for evaluation, in one transaction: the
     * answer (2xx) comes after its commit. A repeat is answered 200 and changes nothing.
     */
    public HttpAnswer store(Exchange exchange, @Header("connection") String connection) throws Exception {
        JsonNode event = exchange.getMessage().getBody(JsonNode.class);
        String id = id(event);
        String type = event.path("type").asText();
        boolean waking = WAKING.stream().anyMatch(type::startsWith);
        List<Object> jobs = new ArrayList<>();
        List<Object> bookings = new ArrayList<>();
        if (waking) {
            JsonNode data = event.path("data");
            addId(jobs, data.path("job").path("id"));
            addId(bookings, data.path("job").path("bookingId"));
            addId(bookings, data.path("booking").path("id"));
            addId(jobs, data.path("booking").path("jobId"));
            addId(jobs, data.path("invoice").path("job").path("id"));
            addId(jobs, data.path("invoice").path("jobId"));
        }
        String payload = json.writeValueAsString(event);
        boolean stored = Tx.run(ds, tx -> {
            if (tx.one(sql.get("store-event"), connection, id, type, payload) == null) {
                return false;
            }
            if (!jobs.isEmpty() || !bookings.isEmpty()) {
                tx.update(sql.get("flag-by-event"), connection, tx.array("bigint", jobs.toArray()), connection,
                        tx.array("bigint", bookings.toArray()));
            }
            return true;
        });
        exchange.setProperty(NEW_EVENT, stored && waking);
        prune();
        metrics.count("bridge.servicetitan.events", "connection", connection, "result", stored ? "new" : "repeat");
        return new Received(stored ? "stored" : "already received", id);
    }

    /** Events older than the retention are forgotten (ServiceTitan's retries end minutes after the first delivery). */
    private void prune() {
        long now = System.currentTimeMillis();
        long last = prunedAt.get();
        if (now - last > 600_000 && prunedAt.compareAndSet(last, now)) {
            try {
                Tx.run(ds, tx -> tx.update(sql.get("prune-events"), retentionDays));
            } catch (RuntimeException e) {
                // The event is stored: its answer and its wake-up do not depend on housekeeping.
                LOG.warn("Could not forget old ServiceTitan events: {}", e.toString());
            }
        }
    }

    /** After the commit: the connection's poll runs now (or right after the cycle under way). */
    public void wakePoll(Exchange exchange, @Header("connection") String connection) {
        if (Boolean.TRUE.equals(exchange.getProperty(NEW_EVENT, Boolean.class)) && wake.wake(connection)) {
            LOG.debug("ServiceTitan event: poll of connection {} woken", connection);
        }
    }

    /** The answer: 200 whether new or a repeat (ServiceTitan retries anything else). */
    public record Received(String status, String userassignedid) implements HttpAnswer {
        @Override
        public int httpStatus() {
            return 200;
        }
    }

    private static String id(JsonNode event) {
        for (String field : List.of("userassignedid", "id")) {
            JsonNode v = event.path(field);
            if (v.isValueNode() && !v.isNull() && !v.asText().isBlank() && v.asText().length() <= 200) {
                return v.asText();
            }
        }
        return null;
    }

    private static void addId(List<Object> ids, JsonNode v) {
        if (v.canConvertToLong() && v.asLong() > 0) {
            ids.add(v.asLong());
        } else if (v.isTextual() && v.asText().matches("\\d{1,18}")) {
            ids.add(Long.parseLong(v.asText()));
        }
    }

    /**
     * HMAC-SHA256 of the raw body with any of the keys, offered hex- or Base64-encoded (with or without "sha256="):
     * ServiceTitan documents the key and the header, not the encoding, so both are taken. Constant-time comparison.
     */
    static boolean signatureMatches(List<String> keys, byte[] body, String offered) {
        if (offered == null || offered.isBlank()) {
            return false;
        }
        String value = offered.trim();
        if (value.regionMatches(true, 0, "sha256=", 0, 7)) {
            value = value.substring(7);
        }
        byte[] given;
        try {
            given = value.matches("[0-9a-fA-F]{64}") ? HexFormat.of().parseHex(value)
                    : Base64.getDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            return false;
        }
        for (String key : keys) {
            if (MessageDigest.isEqual(hmac(key, body), given)) {
                return true;
            }
        }
        return false;
    }

    /** The signature a sender computes (Base64), as the sandbox sends it. */
    public static String sign(String key, byte[] body) {
        return Base64.getEncoder().encodeToString(hmac(key, body));
    }

    private static byte[] hmac(String key, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(body);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}

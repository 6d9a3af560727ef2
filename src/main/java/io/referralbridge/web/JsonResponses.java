package io.referralbridge.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.db.Database;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes the bridge's HTTP answers: JSON bodies, and {error, detail} for every failure. */
public final class JsonResponses {

    private static final Logger LOG = LoggerFactory.getLogger(JsonResponses.class);

    private final ObjectMapper json;
    private final int retryAfterSeconds;

    private final io.referralbridge.ops.BridgeMetrics metrics;

    public JsonResponses(ObjectMapper json, int retryAfterSeconds, io.referralbridge.ops.BridgeMetrics metrics) {
        this.json = json;
        this.retryAfterSeconds = retryAfterSeconds;
        this.metrics = metrics;
    }

    /** Writes the body as a JSON answer: its own status if it is an {@link HttpAnswer}, else 200. */
    public void json(Exchange exchange) throws Exception {
        Object body = exchange.getMessage().getBody();
        int status = body instanceof HttpAnswer a ? a.httpStatus() : 200;
        Message m = exchange.getMessage();
        m.removeHeaders("*");
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        // A String is written in one go; platform-http (Vert.x) turns a byte[] into an InputStream and pumps it
        // through a worker thread.
        m.setBody(json.writeValueAsString(body));
    }

    /** Writes the body (rows read by a route's camel-sql step) as {@code {"<field>": body}}. */
    public void jsonAs(Exchange exchange, String field) throws Exception {
        exchange.getMessage().setBody(java.util.Collections.singletonMap(field, exchange.getMessage().getBody()));
        json(exchange);
    }

    /** Turns the exception that stopped the route into an {error, detail} answer. */
    public void failure(Exchange exchange) throws Exception {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        Message m = exchange.getMessage();
        // Only the answer goes back: request headers (signatures, credentials) must not be echoed.
        m.removeHeaders("*", Exchange.HTTP_RESPONSE_CODE);
        HttpProblem problem = asProblem(cause);
        if ("referral-intake".equals(exchange.getFromRouteId())) {
            metrics.count("bridge.webhooks.rejected", "reason", problem.error());
        }
        if (problem.status() == 503 || problem.status() == 429) {
            m.setHeader("Retry-After", String.valueOf(retryAfterSeconds));
        }
        ObjectNode body = json.createObjectNode();
        body.put("error", problem.error());
        body.put("detail", problem.detail());
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, problem.status());
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        m.setBody(json.writeValueAsString(body));
    }

    private HttpProblem asProblem(Throwable cause) {
        if (cause instanceof HttpProblem p) {
            return p;
        }
        if (Database.isUnavailable(cause)) {
            LOG.warn("Request refused with 503, database unavailable: {}", cause.toString());
            return new HttpProblem(503, "unavailable", "The bridge's database is unavailable right now; nothing was "
                    + "stored, retry later");
        }
        if (cause instanceof HttpOperationFailedException h) {
            // e.g. an operator's poll now while ServiceTitan fails: say who failed, not "internal error".
            LOG.warn("Request failed: {}", upstreamAnswer(h));
            return new HttpProblem(502, "upstream_failed", "An external service " + upstreamAnswer(h));
        }
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof io.referralbridge.servicetitan.CredentialsRefused refused) {
                LOG.warn("Request failed: {}", refused.getMessage());
                return new HttpProblem(502, "upstream_failed", refused.getMessage());
            }
            if (t instanceof java.net.http.HttpTimeoutException || t instanceof java.net.SocketTimeoutException
                    || t instanceof org.apache.hc.core5.http.ConnectionRequestTimeoutException) {
                LOG.warn("Request failed: an external service did not answer in time ({})", t.toString());
                return new HttpProblem(504, "upstream_timeout", "An external service did not answer in time");
            }
        }
                LOG.error("Unexpected failure while answering a request", cause);
        return new HttpProblem(500, "internal_error", "Unexpected error; the request was not stored");
    }

    /** "answered 503 (https://host/path)": an external service's failure, without its query string. */
    public static String upstreamAnswer(HttpOperationFailedException h) {
        String uri = h.getUri() == null ? "" : h.getUri().replaceAll("\\?.*$", "");
        return "answered " + h.getStatusCode() + " (" + uri + ")";
    }
}

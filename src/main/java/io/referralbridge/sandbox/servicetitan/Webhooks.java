package io.referralbridge.sandbox.servicetitan;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.qualification.ServiceTitanEvents;

/**
 * ServiceTitan's v2 webhooks as the tenant sends them: a CloudEvents 1.0 envelope per change of a job, booking or
 * invoice, POSTed to the subscribed URL with the HMAC-SHA256 of the body (Base64) in {@code X-ServiceTitan-Signature};
 * a non-2xx answer or no answer is retried after 10, 30, 60 and 300 s with the same {@code userassignedid} and a new
 * {@code id}. Faults on command: the next events lost, sent twice, swapped with the one after, or late.
 */
final class Webhooks implements AutoCloseable {

    static final String SIGNATURE_HEADER = "X-ServiceTitan-Signature";

    private record Subscription(String url, String hmacKey) {
    }

    private record Event(String type, String userAssignedId, ObjectNode data) {
    }

    private final ObjectMapper json;
    private final String tenantId;
    private final ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "servicetitan-sandbox-webhooks");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private volatile Subscription subscription;
    private volatile long[] retryDelaysMs = {10_000, 30_000, 60_000, 300_000};
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    // Faults, taken by the next events (under the sandbox's lock, like every change).
    private int lose;
    private int duplicate;
    private int reorder;
    private int late;
    private long lateMs;
    private Event heldBack;

    Webhooks(ObjectMapper json, String tenantId) {
        this.json = json;
        this.tenantId = tenantId;
    }

    void subscribe(String url, String hmacKey) {
        subscription = url == null ? null : new Subscription(url, hmacKey);
    }

    void retryDelays(long... delaysMs) {
        retryDelaysMs = delaysMs.clone();
    }

    /** kind: lose, duplicate, reorder or late (with delayMs). */
    void fault(String kind, int count, long delayMs) {
        switch (kind) {
            case "lose" -> lose += count;
            case "duplicate" -> duplicate += count;
            case "reorder" -> reorder += count;
            case "late" -> {
                late += count;
                lateMs = delayMs;
            }
            default -> throw new IllegalArgumentException("Unknown webhook fault " + kind
                    + " (lose, duplicate, reorder, late)");
        }
    }

    void clearFaults() {
        lose = duplicate = reorder = late = 0;
        if (heldBack != null) {
            send(heldBack, 0);
            heldBack = null;
        }
    }

    int count(String what) {
        AtomicInteger n = counts.get(what);
        return n == null ? 0 : n.get();
    }

    /** A record of an export feed changed: its event, if anyone subscribed. */
    void changed(String feed, ObjectNode record) {
        if (subscription == null || feed == null) {
            return;
        }
        String type = switch (feed) {
            case "jobs" -> "Completed".equals(record.path("jobStatus").asText()) ? "tn.jpm.job-completed"
                    : "tn.jpm.job-updated";
            case "bookings" -> "tn.crm.booking-updated";
            case "invoices" -> "tn.acc.invoice-updated";
            default -> null;
        };
        if (type == null) {
            return;
        }
        ObjectNode data = json.createObjectNode();
        data.set(feed.substring(0, feed.length() - 1), ExternalData.answer(record, null));
        data.put("tenantId", Long.parseLong(tenantId));
        Event e = new Event(type, UUID.randomUUID().toString(), data);
        counts.computeIfAbsent("events", k -> new AtomicInteger()).incrementAndGet();
        if (lose > 0) {
            lose--;
            counts.computeIfAbsent("lost", k -> new AtomicInteger()).incrementAndGet();
            return;
        }
        if (reorder > 0 && heldBack == null) {
            reorder--;
            heldBack = e; // sent right after the next one
            return;
        }
        long delay = 0;
        if (late > 0) {
            late--;
            delay = lateMs;
        }
        send(e, delay);
        if (duplicate > 0) {
            duplicate--;
            send(e, delay);
        }
        if (heldBack != null) {
            send(heldBack, delay);
            heldBack = null;
        }
    }

    private void send(Event e, long delayMs) {
        sender.schedule(() -> attempt(e, 0), delayMs, TimeUnit.MILLISECONDS);
    }

    private void attempt(Event e, int retry) {
        Subscription s = subscription;
        if (s == null) {
            return;
        }
        ObjectNode envelope = json.createObjectNode();
        envelope.put("specversion", "1.0");
        envelope.put("id", UUID.randomUUID().toString()); // a new delivery id each attempt
        envelope.put("type", e.type());
        envelope.put("source", "https://api.servicetitan.io/tenant/" + tenantId);
        envelope.put("time", java.time.Instant.now().toString());
        envelope.put("userassignedid", e.userAssignedId());
        envelope.put("datacontenttype", "application/json");
        envelope.set("data", e.data());
        boolean ok;
        try {
            byte[] body = json.writeValueAsBytes(envelope);
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(s.url())).timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if (s.hmacKey() != null) {
                request.header(SIGNATURE_HEADER, ServiceTitanEvents.sign(s.hmacKey(), body));
            }
            int status = http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            ok = status / 100 == 2;
            counts.computeIfAbsent("answered " + status, k -> new AtomicInteger()).incrementAndGet();
        } catch (Exception ex) {
            ok = false;
            counts.computeIfAbsent("no answer", k -> new AtomicInteger()).incrementAndGet();
        }
        if (ok) {
            counts.computeIfAbsent("delivered", k -> new AtomicInteger()).incrementAndGet();
        } else if (retry < retryDelaysMs.length) {
            sender.schedule(() -> attempt(e, retry + 1), retryDelaysMs[retry], TimeUnit.MILLISECONDS);
        } else {
            counts.computeIfAbsent("given up", k -> new AtomicInteger()).incrementAndGet();
        }
    }

    List<String> countNames() {
        return new ArrayList<>(counts.keySet());
    }

    @Override
    public void close() {
        sender.shutdownNow();
    }
}

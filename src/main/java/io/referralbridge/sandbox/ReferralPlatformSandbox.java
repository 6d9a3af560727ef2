package io.referralbridge.sandbox;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.referralbridge.sandbox.ServiceTitanSandbox.Fault;

/**
 * A stateful stand-in for the referral platform's qualification API (Referral Factory's shape), over real HTTP. It
 * records every qualification it receives, answers 409 to a second one for the same code and counts it as a duplicate,
 * so tests can prove a referrer was rewarded exactly once; it can fail on command like the ServiceTitan sandbox.
 */
public final class ReferralPlatformSandbox implements AutoCloseable {

    private final String apiKey;
    private final LocalHttpServer server;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Instant> qualifiedAt = new LinkedHashMap<>();
    private final Map<String, Integer> deliveries = new LinkedHashMap<>();
    private final Map<String, JsonNode> lastBody = new LinkedHashMap<>();
    private final List<String> unknownCodes = new ArrayList<>();
    private final List<Fault> faults = new ArrayList<>();
    private final List<Integer> faultCounts = new ArrayList<>();
    private int duplicates;

    private ReferralPlatformSandbox(int port, String apiKey) throws IOException {
        this.apiKey = apiKey;
        this.server = new LocalHttpServer("platform-sandbox", port, 4, 64, this::handle);
    }

    public static ReferralPlatformSandbox start(int port, String apiKey) {
        try {
            ReferralPlatformSandbox s = new ReferralPlatformSandbox(port, apiKey);
            s.server.start();
            return s;
        } catch (IOException e) {
            throw new IllegalStateException("Referral platform sandbox could not listen on port " + port, e);
        }
    }

    public String baseUrl() {
        return server.baseUrl();
    }

    @Override
    public void close() {
        server.close();
    }

    // ---- control (Java) ----

    public synchronized void injectFault(Fault fault) {
        faults.add(fault);
        faultCounts.add(fault.count());
    }

    public synchronized void clearFaults() {
        faults.clear();
        faultCounts.clear();
    }

    public synchronized void refuseCode(String code) {
        unknownCodes.add(code);
    }

    public synchronized boolean isQualified(String code) {
        return qualifiedAt.containsKey(code);
    }

    /** Qualification calls received for this code, accepted or not. */
    public synchronized int deliveries(String code) {
        return deliveries.getOrDefault(code, 0);
    }

    /** The last JSON body received for this code through the API. */
    public synchronized JsonNode lastBody(String code) {
        return lastBody.get(code);
    }

    public synchronized int qualifiedCount() {
        return qualifiedAt.size();
    }

    /** Qualifications received for a code that was already qualified: each one a reward paid twice in real life. */
    public synchronized int duplicates() {
        return duplicates;
    }

    // ---- HTTP ----

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getPath();
            int status;
            JsonNode answer;
            Fault fault = takeFault(method, path);
            if (fault != null && fault.delayMs() > 0) {
                sleep(fault.delayMs());
            }
            if (fault != null && fault.status() > 0 && !fault.answerLost()) {
                status = fault.status();
                answer = error("Injected fault");
                if (fault.retryAfterSeconds() != null) {
                    ex.getResponseHeaders().set("Retry-After", String.valueOf(fault.retryAfterSeconds()));
                }
            } else {
                Object[] r = serve(method, path, body, ex);
                status = (Integer) r[0];
                answer = (JsonNode) r[1];
                if (fault != null && fault.status() > 0) {
                    status = fault.status();
                    answer = error("Injected fault after the work was done");
                }
            }
            byte[] bytes = json.writeValueAsBytes(answer);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private synchronized Object[] serve(String method, String path, byte[] body, HttpExchange ex) {
        if (path.equals("/api/v2/users/qualification") && (method.equals("PUT") || method.equals("POST"))) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth == null) {
                return new Object[] {401, error("Missing API key")};
            }
            if (!auth.equals("Bearer " + apiKey)) {
                return new Object[] {403, error("Invalid API key")};
            }
            JsonNode req;
            try {
                req = json.readTree(body);
            } catch (IOException e) {
                return new Object[] {422, error("Invalid JSON")};
            }
            lastBody.put(req.path("code").asText(""), req);
            return qualify(req.path("code").asText(""));
        }
        if (path.startsWith("/webhook/") && path.endsWith("/qualify") && method.equals("POST")) {
            String form = new String(body, StandardCharsets.UTF_8);
            String code = form.startsWith("code=") ? java.net.URLDecoder.decode(form.substring(5),
                    StandardCharsets.UTF_8) : "";
            return qualify(code);
        }
        if (path.startsWith("/api/v2/users/") && method.equals("GET")) {
            String code = path.substring("/api/v2/users/".length());
            ObjectNode user = json.createObjectNode().put("code", code);
            Instant at = qualifiedAt.get(code);
            if (at == null) {
                user.putNull("qualified_at");
            } else {
                user.put("qualified_at", at.toString());
            }
            return new Object[] {200, user};
        }
        return new Object[] {404, error("Not found")};
    }

    private Object[] qualify(String code) {
        if (code.isBlank() || unknownCodes.contains(code)) {
            return new Object[] {404, error("Unknown code")};
        }
        deliveries.merge(code, 1, Integer::sum);
        if (qualifiedAt.containsKey(code)) {
            duplicates++;
            return new Object[] {409, error("Already qualified")};
        }
        qualifiedAt.put(code, Instant.now());
        return new Object[] {200, json.createObjectNode().put("code", code).put("qualified", true)};
    }

    private synchronized Fault takeFault(String method, String path) {
        Iterator<Fault> it = faults.iterator();
        int i = 0;
        while (it.hasNext()) {
            Fault f = it.next();
            if ((f.method() == null || f.method().equalsIgnoreCase(method)) && path.contains(f.pathContains())) {
                int left = faultCounts.get(i) - 1;
                if (left <= 0) {
                    it.remove();
                    faultCounts.remove(i);
                } else {
                    faultCounts.set(i, left);
                }
                return f;
            }
            i++;
        }
        return null;
    }

    private ObjectNode error(String message) {
        return json.createObjectNode().put("error", message);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

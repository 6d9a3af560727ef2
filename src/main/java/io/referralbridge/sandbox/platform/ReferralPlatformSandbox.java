package io.referralbridge.sandbox.platform;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.referralbridge.sandbox.Fault;
import io.referralbridge.sandbox.Faults;
import io.referralbridge.sandbox.LocalHttpServer;
import io.referralbridge.sandbox.SandboxHttp;
import io.referralbridge.sandbox.SandboxHttp.Reply;
import io.referralbridge.sandbox.SandboxStore;

/**
 * A stateful stand-in for the referral platform's qualification API (Referral Factory's shape), over real HTTP. It
 * records every qualification it receives, answers 409 to a second one for the same code and counts it as a duplicate,
 * so tests can prove a referrer was rewarded exactly once; it can fail on command like the ServiceTitan sandbox.
 */
public final class ReferralPlatformSandbox implements AutoCloseable {

    private static final String USER = "platform.user";
    private static final String REFERRER = "platform.referrer";

    private final String apiKey;
    private final LocalHttpServer server;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, Instant> qualifiedAt = new LinkedHashMap<>();
    private final Map<String, Integer> deliveries = new LinkedHashMap<>();
    private final Map<String, Integer> notQualified = new LinkedHashMap<>();
    private final Map<String, JsonNode> lastBody = new LinkedHashMap<>();
    private final List<String> unknownCodes = new ArrayList<>();
    private final Faults faults = new Faults();
    private final SandboxStore store;
    private int duplicates;
    // Referrers by campaign and lower-cased email, as Referral Factory keeps its users: one per email and campaign.
    private final Map<String, ObjectNode> referrers = new LinkedHashMap<>();
    private final Map<String, Integer> enrolCalls = new LinkedHashMap<>();
    private final List<String> refusedEmails = new ArrayList<>();
    // Which platform's API this sandbox speaks: standard / referral-factory (the same API), growsurf or referralhero.
    private volatile String mode = "standard";
    private final Map<String, String> lastPath = new LinkedHashMap<>();

    private ReferralPlatformSandbox(int port, String apiKey, SandboxStore store) throws IOException {
        this.apiKey = apiKey;
        this.store = store;
        for (ObjectNode user : store.records(USER)) {
            if (user.hasNonNull("qualified_at")) {
                qualifiedAt.put(user.path("code").asText(), Instant.parse(user.path("qualified_at").asText()));
            }
        }
        for (ObjectNode referrer : store.records(REFERRER)) {
            referrers.put(referrerKey(referrer.path("campaign_id").asText(), referrer.path("email").asText()), referrer);
        }
        this.server = new LocalHttpServer("platform-sandbox", port, 4, 64, this::handle);
    }

    public static ReferralPlatformSandbox start(int port, String apiKey) {
        return start(port, apiKey, SandboxStore.NONE);
    }

    /** A sandbox whose qualified referrals outlive a restart. */
    public static ReferralPlatformSandbox start(int port, String apiKey, SandboxStore store) {
        try {
            ReferralPlatformSandbox s = new ReferralPlatformSandbox(port, apiKey, store);
            s.server.start();
            return s;
        } catch (IOException e) {
            throw new IllegalStateException("Referral platform sandbox could not listen on port " + port, e);
        }
    }

    public String baseUrl() {
        return server.baseUrl();
    }

    /**
     * Speaks this platform profile's API, and refuses (404) every other call: standard and referral-factory (Referral
     * Factory's), growsurf (base URL {@link #baseUrl()}/v2), referralhero (base URL {@link #baseUrl()}/api/v2).
     */
    public ReferralPlatformSandbox mode(String profile) {
        this.mode = profile;
        return this;
    }

    /** The path of the last notice for this code or participant (what the bridge called). */
    public synchronized String lastPath(String code) {
        return lastPath.get(code);
    }

    @Override
    public void close() {
        server.close();
    }

    // ---- control (Java) ----

    public void injectFault(Fault fault) {
        faults.add(fault);
    }

    public void clearFaults() {
        faults.clear();
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

    /** {@code qualified:false} notices received for this code. */
    public synchronized int notQualifiedNotices(String code) {
        return notQualified.getOrDefault(code, 0);
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

    /** The referrer enrolled with this email in this campaign, or null. */
    public synchronized JsonNode referrer(String campaignId, String email) {
        ObjectNode r = referrers.get(referrerKey(campaignId, email));
        return r == null ? null : r.deepCopy();
    }

    /** Referrers enrolled, all campaigns. */
    public synchronized int referrerCount() {
        return referrers.size();
    }

    /** Referrers with this email, all campaigns. */
    public synchronized int referrerCount(String email) {
        return (int) referrers.keySet().stream().filter(k -> k.endsWith("|" + email.toLowerCase(java.util.Locale.ROOT)))
                .count();
    }

    /** The platform accepts this email again. */
    public synchronized void acceptEmail(String email) {
        refusedEmails.remove(email.toLowerCase(java.util.Locale.ROOT));
    }

    /** Enrolment calls received for this email, new or repeated. */
    public synchronized int enrolCalls(String email) {
        return enrolCalls.getOrDefault(email.toLowerCase(java.util.Locale.ROOT), 0);
    }

    /** Enrolment calls received, all emails. */
    public synchronized int enrolCalls() {
        return enrolCalls.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** The platform refuses to enrol this email (422), as it does an address it finds invalid. */
    public synchronized void refuseEmail(String email) {
        refusedEmails.add(email.toLowerCase(java.util.Locale.ROOT));
    }

    private static String referrerKey(String campaignId, String email) {
        return campaignId + "|" + email.toLowerCase(java.util.Locale.ROOT);
    }

    // ---- HTTP ----

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getPath();
            Fault fault = faults.take(method, path);
            Faults.delay(fault);
            Reply reply;
            if (fault != null && fault.status() > 0 && !fault.answerLost()) {
                reply = new Reply(fault.status(), error("Injected fault"));
                if (fault.retryAfterSeconds() != null) {
                    reply.header("Retry-After", String.valueOf(fault.retryAfterSeconds()));
                }
            } else {
                reply = serve(method, path, body, ex);
                if (fault != null && fault.status() > 0) {
                    reply = new Reply(fault.status(), error("Injected fault after the work was done"));
                }
            }
            SandboxHttp.send(ex, reply, json);
        }
    }

    private synchronized Reply serve(String method, String path, byte[] body, HttpExchange ex) {
        if (mode.equals("growsurf") || mode.equals("referralhero")) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth == null || !auth.equals("Bearer " + apiKey)) {
                return new Reply(401, error("Missing or invalid API key"));
            }
            JsonNode req;
            try {
                req = body.length == 0 ? json.createObjectNode() : json.readTree(body);
            } catch (IOException e) {
                return new Reply(400, error("Invalid JSON"));
            }
            return mode.equals("growsurf") ? growSurf(method, path, req) : referralHero(method, path, req);
        }
        if (path.equals("/api/v2/users/qualification") && (method.equals("PUT") || method.equals("POST"))) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth == null) {
                return new Reply(401, error("Missing API key"));
            }
            if (!auth.equals("Bearer " + apiKey)) {
                return new Reply(403, error("Invalid API key"));
            }
            JsonNode req;
            try {
                req = json.readTree(body);
            } catch (IOException e) {
                return new Reply(422, error("Invalid JSON"));
            }
            lastBody.put(req.path("code").asText(""), req);
            lastPath.put(req.path("code").asText(""), method + " " + path);
            if (req.path("qualified").isBoolean() && !req.path("qualified").asBoolean()) {
                return unqualify(req.path("code").asText(""));
            }
            return qualify(req.path("code").asText(""));
        }
        if (path.equals("/api/v2/users") && method.equals("POST")) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth == null) {
                return new Reply(401, error("Missing API key"));
            }
            if (!auth.equals("Bearer " + apiKey)) {
                return new Reply(403, error("Invalid API key"));
            }
            JsonNode req;
            try {
                req = json.readTree(body);
            } catch (IOException e) {
                return new Reply(422, error("Invalid JSON"));
            }
            return enrol(req);
        }
        if (path.equals("/sandbox/referrers") && method.equals("GET")) {
            // The sandbox's own view, for the walk-through: the referrers enrolled, with their codes and links.
            com.fasterxml.jackson.databind.node.ArrayNode all = json.createArrayNode();
            referrers.values().forEach(r -> all.add(r.deepCopy()));
            return new Reply(200, json.createObjectNode().set("referrers", all));
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
            return new Reply(200, user);
        }
        return new Reply(404, error("Not found"));
    }

    /**
     * Adds a referrer to a campaign (Referral Factory's user, type person_referring): 201 with its code and referral
     * link; a repeat for the same email and campaign answers 200 with the referrer it has. 422 without a campaign, a
     * first name or a valid email.
     */
    private Reply enrol(JsonNode req) {
        String campaign = req.path("campaign_id").asText("");
        String email = req.path("email").asText("").strip();
        String firstName = req.path("first_name").asText("").strip();
        if (campaign.isEmpty() || firstName.isEmpty() || !email.matches("[^@\\s]+@[^@\\s]+")) {
            return new Reply(422, error("campaign_id, first_name and a valid email are required"));
        }
        String lower = email.toLowerCase(java.util.Locale.ROOT);
        enrolCalls.merge(lower, 1, Integer::sum);
        if (refusedEmails.contains(lower)) {
            return new Reply(422, error("The email address is not valid"));
        }
        ObjectNode existing = referrers.get(referrerKey(campaign, email));
        if (existing != null) {
            return new Reply(200, existing.deepCopy());
        }
        int n = referrers.size() + 1;
        String code = (firstName.replaceAll("[^A-Za-z]", "").toUpperCase(java.util.Locale.ROOT) + "XXXX")
                .substring(0, 4) + "-" + Integer.toString(1000 + n, 36).toUpperCase(java.util.Locale.ROOT);
        ObjectNode user = json.createObjectNode();
        user.put("id", 90_000 + n);
        user.set("campaign_id", req.path("campaign_id"));
        user.put("type", "person_referring");
        user.put("first_name", firstName);
        user.put("last_name", req.path("last_name").asText(null));
        user.put("email", email);
        user.put("phone", req.path("phone").asText(null));
        user.put("code", code);
        user.put("url", "https://refer.example.com/r/" + code);
        user.put("signed_up_at", Instant.now().toString());
        user.putNull("qualified_at");
        referrers.put(referrerKey(campaign, email), user);
        store.save(REFERRER, referrerKey(campaign, email), user);
        return new Reply(201, user.deepCopy());
    }

    // ---- GrowSurf (REST API v2): participants by id, "trigger referral" answering 200 with {success, message} ----

    private Reply growSurf(String method, String path, JsonNode req) {
        java.util.regex.Matcher m;
        if ((m = java.util.regex.Pattern.compile("^/v2/campaign/([^/]+)/participant/([^/]+)/ref$").matcher(path))
                .matches()) {
            String id = m.group(2);
            if (unknownCodes.contains(id)) {
                return new Reply(404, json.createObjectNode().put("code", "PARTICIPANT_NOT_FOUND_ERROR")
                        .put("message", "Participant not found"));
            }
            lastBody.put(id, req);
            lastPath.put(id, method + " " + path);
            if (method.equals("POST")) {
                deliveries.merge(id, 1, Integer::sum);
                if (qualifiedAt.containsKey(id)) {
                    duplicates++;
                    return new Reply(200, json.createObjectNode().put("success", false)
                            .put("message", "Referral credit has already been awarded"));
                }
                record(id, Instant.now());
                return new Reply(200, json.createObjectNode().put("success", true)
                        .put("message", "Successfully awarded referral credit."));
            }
            if (method.equals("DELETE")) {
                notQualified.merge(id, 1, Integer::sum);
                record(id, null);
                return new Reply(200, json.createObjectNode().put("success", true)
                        .put("message", "Delayed referral canceled."));
            }
        }
        if ((m = java.util.regex.Pattern.compile("^/v2/campaign/([^/]+)/participant/([^/]+)$").matcher(path))
                .matches() && method.equals("GET")) {
            String id = m.group(2);
            if (unknownCodes.contains(id)) {
                return new Reply(404, error("Participant not found"));
            }
            return new Reply(200, json.createObjectNode().put("id", id).put("referralStatus",
                    qualifiedAt.containsKey(id) ? "CREDIT_AWARDED" : "CREDIT_PENDING"));
        }
        if ((m = java.util.regex.Pattern.compile("^/v2/campaign/([^/]+)/participant$").matcher(path)).matches()
                && method.equals("POST")) {
            return enrolled(m.group(1), req.path("email").asText(""), req.path("firstName").asText(""),
                    req.path("lastName").asText(null), req.path("metadata").path("phone").asText(null),
                    u -> u.put("shareUrl", "https://refer.example.com?grsf=" + u.path("id").asText()), false);
        }
        return new Reply(404, error("Not found: " + method + " " + path));
    }

    // ---- ReferralHero (REST API v2): subscribers of a list (campaign) by id, answers in {status, data} ----

    private Reply referralHero(String method, String path, JsonNode req) {
        java.util.regex.Matcher m;
        if ((m = java.util.regex.Pattern.compile("^/api/v2/lists/([^/]+)/subscribers/([^/]+)/(qualify|unqualify)$")
                .matcher(path)).matches() && method.equals("POST")) {
            String id = m.group(2);
            if (unknownCodes.contains(id)) {
                return new Reply(404, json.createObjectNode().put("status", "error").put("message",
                        "Subscriber not found"));
            }
            lastBody.put(id, req);
            lastPath.put(id, method + " " + path);
            if (m.group(3).equals("qualify")) {
                deliveries.merge(id, 1, Integer::sum);
                if (qualifiedAt.containsKey(id)) {
                    duplicates++;
                } else {
                    record(id, Instant.now());
                }
            } else {
                notQualified.merge(id, 1, Integer::sum);
                record(id, null);
            }
            return new Reply(200, json.createObjectNode().put("status", "ok").set("data", subscriber(id)));
        }
        if ((m = java.util.regex.Pattern.compile("^/api/v2/lists/([^/]+)/subscribers/([^/]+)$").matcher(path))
                .matches() && method.equals("GET")) {
            String id = m.group(2);
            if (unknownCodes.contains(id)) {
                return new Reply(404, json.createObjectNode().put("status", "error").put("message",
                        "Subscriber not found"));
            }
            return new Reply(200, json.createObjectNode().put("status", "ok").set("data", subscriber(id)));
        }
        if ((m = java.util.regex.Pattern.compile("^/api/v2/lists/([^/]+)/subscribers$").matcher(path)).matches()
                && method.equals("POST")) {
            String name = req.path("name").asText("").strip();
            int space = name.indexOf(' ');
            return enrolled(m.group(1), req.path("email").asText(""), space < 0 ? name : name.substring(0, space),
                    space < 0 ? null : name.substring(space + 1), req.path("phone_number").asText(null),
                    u -> u.put("referral_link", "https://refer.example.com/r/" + u.path("code").asText()), true);
        }
        return new Reply(404, json.createObjectNode().put("status", "error").put("message",
                "Not found: " + method + " " + path));
    }

    private ObjectNode subscriber(String id) {
        return json.createObjectNode().put("id", id).put("referral_status",
                qualifiedAt.containsKey(id) ? "qualified" : "pending");
    }

    private void record(String id, Instant at) {
        ObjectNode user = json.createObjectNode().put("code", id);
        if (at == null) {
            qualifiedAt.remove(id);
            user.putNull("qualified_at");
        } else {
            qualifiedAt.put(id, at);
            user.put("qualified_at", at.toString());
        }
        store.save(USER, id, user);
    }

    /** A referrer added (or the one with this email returned), in the mode's shape; wrapped in {status, data} or not. */
    private Reply enrolled(String campaign, String email, String firstName, String lastName, String phone,
                           java.util.function.Consumer<ObjectNode> shape, boolean wrapped) {
        ObjectNode req = json.createObjectNode().put("campaign_id", campaign).put("email", email)
                .put("first_name", firstName).put("last_name", lastName).put("phone", phone);
        Reply reply = enrol(req);
        if (reply.status >= 300) {
            return reply;
        }
        ObjectNode user = referrers.get(referrerKey(campaign, email));
        shape.accept(user);
        ObjectNode answer = user.deepCopy();
        return new Reply(200, wrapped ? json.createObjectNode().put("status", "ok").set("data", answer) : answer);
    }

    private Reply qualify(String code) {
        if (code.isBlank() || unknownCodes.contains(code)) {
            return new Reply(404, error("Unknown code"));
        }
        deliveries.merge(code, 1, Integer::sum);
        if (qualifiedAt.containsKey(code)) {
            duplicates++;
            return new Reply(409, error("Already qualified"));
        }
        Instant now = Instant.now();
        qualifiedAt.put(code, now);
        store.save(USER, code, json.createObjectNode().put("code", code).put("qualified_at", now.toString()));
        return new Reply(200, json.createObjectNode().put("code", code).put("qualified", true));
    }

    /** {@code qualified:false}: the user goes back to pending (Referral Factory's answer to a refund). */
    private Reply unqualify(String code) {
        if (code.isBlank() || unknownCodes.contains(code)) {
            return new Reply(404, error("Unknown code"));
        }
        notQualified.merge(code, 1, Integer::sum);
        if (qualifiedAt.remove(code) != null) {
            store.save(USER, code, json.createObjectNode().put("code", code).putNull("qualified_at"));
        }
        return new Reply(200, json.createObjectNode().put("code", code).put("qualified", false));
    }

    private ObjectNode error(String message) {
        return json.createObjectNode().put("error", message);
    }
}

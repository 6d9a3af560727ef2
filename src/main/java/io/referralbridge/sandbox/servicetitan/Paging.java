package io.referralbridge.sandbox.servicetitan;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.sandbox.SandboxHttp.BadRequest;

/** ServiceTitan's list envelope ({@code page, pageSize, hasMore, totalCount, data}) and its common filters. */
final class Paging {

    private Paging() {
    }

    static ObjectNode page(ObjectMapper json, Iterable<ObjectNode> all, Map<String, String> q,
                           Predicate<ObjectNode> filter) {
        int pageSize = intParam(q, "pageSize", 50, 1, 5000);
        int pageNo = intParam(q, "page", 1, 1, Integer.MAX_VALUE);
        List<ObjectNode> hits = new ArrayList<>();
        for (ObjectNode n : all) {
            if (filter.test(n)) {
                hits.add(n);
            }
        }
        int from = Math.min(hits.size(), (pageNo - 1) * pageSize);
        int to = Math.min(hits.size(), from + pageSize);
        ObjectNode env = json.createObjectNode();
        env.put("page", pageNo);
        env.put("pageSize", pageSize);
        env.put("hasMore", to < hits.size());
        if ("true".equalsIgnoreCase(q.get("includeTotal"))) {
            env.put("totalCount", hits.size());
        } else {
            env.putNull("totalCount");
        }
        ArrayNode data = env.putArray("data");
        hits.subList(from, to).forEach(n -> data.add(ExternalData.answer(n, q.get("externalDataApplicationGuid"))));
        return env;
    }

    static boolean matches(Map<String, String> q, String param, String value) {
        String want = q.get(param);
        return want == null || want.equals(value);
    }

    static boolean inIds(Map<String, String> q, JsonNode n) {
        String ids = q.get("ids");
        if (ids == null || ids.isBlank()) {
            return true;
        }
        for (String id : ids.split(",")) {
            if (id.trim().equals(n.path("id").asText())) {
                return true;
            }
        }
        return false;
    }

    static boolean modifiedAfter(Map<String, String> q, JsonNode n) {
        String since = q.get("modifiedOnOrAfter");
        return since == null || !Instant.parse(n.path("modifiedOn").asText()).isBefore(Instant.parse(since));
    }

    /** completedOnOrAfter / completedBefore (a job with no completedOn matches neither). */
    static boolean completedIn(Map<String, String> q, JsonNode n) {
        String after = q.get("completedOnOrAfter");
        String before = q.get("completedBefore");
        if (after == null && before == null) {
            return true;
        }
        if (!n.hasNonNull("completedOn")) {
            return false;
        }
        Instant at = Instant.parse(n.path("completedOn").asText());
        return (after == null || !at.isBefore(Instant.parse(after))) && (before == null || at.isBefore(
                Instant.parse(before)));
    }

    static int intParam(Map<String, String> q, String name, int def, int min, int max) {
        String v = q.get(name);
        if (v == null) {
            return def;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new BadRequest("'" + name + "' must be between " + min + " and " + max, null);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new BadRequest("'" + name + "' must be a number", null);
        }
    }
}

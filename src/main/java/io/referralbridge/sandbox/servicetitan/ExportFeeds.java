package io.referralbridge.sandbox.servicetitan;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.sandbox.SandboxHttp.BadRequest;
import io.referralbridge.sandbox.SandboxStore;
import io.referralbridge.sandbox.SandboxStore.Change;

/**
 * The export feeds ({@code /export/bookings}, {@code /export/jobs}, {@code /export/invoices}): every change, in order,
 * read from a continuation token a page at a time. Feeds can be held back to lag one another, as ServiceTitan's do.
 */
final class ExportFeeds {

    private final ObjectMapper json;
    private final SandboxStore store;
    private final int pageSize;
    private final List<Change> changes = new ArrayList<>();
    private final Set<String> heldFeeds = new HashSet<>();
    private final List<Change> held = new ArrayList<>();
    private final Map<String, Map<String, String>> lastQuery = new HashMap<>();
    private final Map<String, Integer> calls = new HashMap<>();
    private long seq;

    ExportFeeds(ObjectMapper json, SandboxStore store, int pageSize) {
        this.json = json;
        this.store = store;
        this.pageSize = pageSize;
        changes.addAll(store.changes());
        seq = changes.isEmpty() ? 0 : changes.get(changes.size() - 1).seq();
    }

    /** A record changed: it appears in its feed (or waits, while that feed is held). */
    void record(String feed, ObjectNode entity) {
        if (heldFeeds.contains(feed)) {
            held.add(new Change(0, feed, ExternalData.answer(entity, null)));
        } else {
            append(feed, ExternalData.answer(entity, null));
        }
    }

    private void append(String feed, ObjectNode snapshot) {
        Change c = new Change(++seq, feed, snapshot);
        changes.add(c);
        store.appendChange(c.seq(), feed, snapshot);
    }

    /**
     * A record of the tenant's past (changed before anything the feed holds): it sits before every existing change, so a
     * continuation token taken earlier never brings it, while a read from the beginning or from an earlier date does.
     */
    void recordPast(String feed, ObjectNode entity) {
        long first = changes.isEmpty() ? 0 : Math.min(0, changes.get(0).seq());
        Change c = new Change(first - 1, feed, ExternalData.answer(entity, null));
        changes.add(0, c);
        store.appendChange(c.seq(), feed, c.snapshot());
    }

    void hold(String... feeds) {
        heldFeeds.addAll(List.of(feeds));
    }

    void release() {
        heldFeeds.clear();
        held.forEach(c -> append(c.feed(), c.snapshot()));
        held.clear();
    }

    int calls(String feed) {
        return calls.getOrDefault(feed, 0);
    }

    Map<String, String> lastQuery(String feed) {
        return lastQuery.getOrDefault(feed, Map.of());
    }

    /** Every change after the continuation token, oldest first, a page at a time. */
    ObjectNode export(String feed, Map<String, String> q) {
        lastQuery.put(feed, Map.copyOf(q));
        calls.merge(feed, 1, Integer::sum);
        long after = decodeFrom(q.get("from"));
        ObjectNode env = json.createObjectNode();
        ArrayNode data = env.putArray("data");
        long last = after;
        boolean more = false;
        for (Change c : changes) {
            if (c.seq() <= after || !c.feed().equals(feed)) {
                continue;
            }
            if (data.size() >= pageSize) {
                more = true;
                break;
            }
            data.add(c.snapshot());
            last = c.seq();
        }
        if (!more) {
            last = Math.max(last, seq);
        }
        env.put("hasMore", more);
        env.put("continueFrom", Base64.getUrlEncoder().withoutPadding()
                .encodeToString(("seq:" + last).getBytes(StandardCharsets.UTF_8)));
        return env;
    }

    private long decodeFrom(String from) {
        if (from == null || from.isBlank()) {
            return Long.MIN_VALUE; // from the beginning, the tenant's past included
        }
        try {
            String s = new String(Base64.getUrlDecoder().decode(from), StandardCharsets.UTF_8);
            if (s.startsWith("seq:")) {
                return Long.parseLong(s.substring(4));
            }
        } catch (IllegalArgumentException ignored) {
            // maybe a date
        }
        try {
            Instant since = Instant.parse(from);
            for (Change c : changes) {
                if (!Instant.parse(c.snapshot().path("modifiedOn").asText()).isBefore(since)) {
                    return c.seq() - 1;
                }
            }
            return Math.max(seq, 0);
        } catch (RuntimeException e) {
            throw new BadRequest("'from' is neither a continuation token nor a date", null);
        }
    }
}

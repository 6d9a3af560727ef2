package io.referralbridge.sandbox.servicetitan;

import java.time.Clock;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.sandbox.SandboxStore;

/**
 * What every resource of the tenant shares: the clock, the id sequence, the export feeds and the store. A change to a
 * record goes through {@link #changed}, which keeps it and shows it in its export feed.
 */
final class Records {

    final ObjectMapper json;
    private final Clock clock;
    private final SandboxStore store;
    private final ExportFeeds feeds;
    private final Ids ids = new Ids();
    private final Webhooks webhooks;

    Records(ObjectMapper json, Clock clock, SandboxStore store, ExportFeeds feeds, Webhooks webhooks) {
        this.webhooks = webhooks;
        this.json = json;
        this.clock = clock;
        this.store = store;
        this.feeds = feeds;
    }

    /** The stored records of a kind; ids continue above theirs. */
    List<ObjectNode> load(String kind) {
        List<ObjectNode> all = store.records("servicetitan." + kind);
        for (ObjectNode r : all) {
            ids.above(r.path("id").asLong());
            ids.above(r.path("customerId").asLong());
            ids.above(r.path("locationId").asLong());
        }
        return all;
    }

    void changed(String kind, String feed, ObjectNode record) {
        store.save("servicetitan." + kind, record.path("id").asText(), record);
        if (feed != null) {
            feeds.record(feed, record);
            webhooks.changed(feed, record);
        }
    }

    /** A record of the tenant's past: kept, before every change in its feed, and no webhook. */
    void past(String kind, String feed, ObjectNode record) {
        store.save("servicetitan." + kind, record.path("id").asText(), record);
        feeds.recordPast(feed, record);
    }

    long nextId() {
        return ids.next();
    }

    String now() {
        return clock.instant().toString();
    }

    ObjectNode newObject() {
        return json.createObjectNode();
    }
}

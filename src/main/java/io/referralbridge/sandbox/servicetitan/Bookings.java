package io.referralbridge.sandbox.servicetitan;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.sandbox.SandboxHttp.BadRequest;

/** CRM bookings made through a booking provider: validated as ServiceTitan validates them, listed, dismissed. */
final class Bookings {

    private final Records records;
    private final Map<Long, ObjectNode> byId = new LinkedHashMap<>();
    // ServiceTitan looks bookings up by externalId without scanning; so does the sandbox (tests poll it in loops).
    private final Map<String, List<Long>> byExternalId = new HashMap<>();

    Bookings(Records records) {
        this.records = records;
        records.load("booking").forEach(this::index);
    }

    private void index(ObjectNode b) {
        long id = b.path("id").asLong();
        byId.put(id, b);
        byExternalId.computeIfAbsent(b.path("externalId").asText(), k -> new ArrayList<>()).add(id);
    }

    ObjectNode create(long provider, JsonNode req) {
        Map<String, List<String>> errors = new LinkedHashMap<>();
        for (String f : List.of("source", "name", "summary", "externalId")) {
            if (!req.hasNonNull(f) || !req.get(f).isTextual() || req.get(f).asText().isBlank()) {
                errors.put(f, List.of("The " + f + " field is required."));
            }
        }
        if (!req.hasNonNull("isFirstTimeClient") || !req.get("isFirstTimeClient").isBoolean()) {
            errors.put("isFirstTimeClient", List.of("The isFirstTimeClient field is required."));
        }
        boolean hasAddress = req.hasNonNull("address");
        boolean hasContact = req.path("contacts").isArray() && req.path("contacts").size() > 0;
        if (!hasAddress && !hasContact) {
            errors.put("contacts", List.of("A booking needs an address or a contact."));
        }
        if (hasAddress) {
            for (String part : List.of("street", "city", "state", "zip", "country")) {
                if (req.path("address").path(part).asText("").isBlank()) {
                    errors.put("address." + part, List.of("The " + part + " field is required."));
                }
            }
        }
        for (JsonNode c : req.path("contacts")) {
            if (!List.of("Phone", "Email", "Fax", "MobilePhone").contains(c.path("type").asText())) {
                errors.put("contacts.type", List.of("Unknown contact type " + c.path("type").asText()));
            }
        }
        if (!errors.isEmpty()) {
            throw new BadRequest("One or more validation errors occurred.", errors);
        }
        String now = records.now();
        ObjectNode b = ((ObjectNode) req).deepCopy();
        b.put("id", records.nextId());
        b.put("bookingProviderId", provider);
        b.put("status", "New");
        b.putNull("dismissingReasonId");
        b.putNull("jobId");
        b.put("createdOn", now);
        b.put("modifiedOn", now);
        index(b);
        records.changed("booking", "bookings", b);
        return b;
    }

    ObjectNode get(long id) {
        ObjectNode b = byId.get(id);
        if (b == null) {
            throw new IllegalArgumentException("No booking " + id);
        }
        return b;
    }

    ObjectNode find(long id) {
        return byId.get(id);
    }

    Iterable<ObjectNode> all() {
        return byId.values();
    }

    List<ObjectNode> withExternalId(String externalId) {
        return byExternalId.getOrDefault(externalId, List.of()).stream().map(byId::get).toList();
    }

    /** The call centre turned the booking into this job. */
    void converted(ObjectNode b, long jobId) {
        b.put("jobId", jobId);
        b.put("status", "Converted");
        b.put("modifiedOn", records.now());
        records.changed("booking", "bookings", b);
    }

    ObjectNode setStatus(long id, String status) {
        ObjectNode b = get(id);
        b.put("status", status);
        if (status.equals("Dismissed")) {
            b.put("dismissingReasonId", 1);
        } else {
            b.putNull("dismissingReasonId");
        }
        b.put("modifiedOn", records.now());
        records.changed("booking", "bookings", b);
        return b;
    }
}

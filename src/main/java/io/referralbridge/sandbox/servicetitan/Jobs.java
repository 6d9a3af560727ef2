package io.referralbridge.sandbox.servicetitan;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** JPM jobs: made from a booking by the call centre, moved through their statuses, totalled by their invoice. */
final class Jobs {

    private final Records records;
    private final Map<Long, ObjectNode> byId = new LinkedHashMap<>();

    Jobs(Records records) {
        this.records = records;
        records.load("job").forEach(j -> byId.put(j.path("id").asLong(), j));
    }

    ObjectNode fromBooking(ObjectNode b, long customerId) {
        long jobId = records.nextId();
        String now = records.now();
        ObjectNode j = records.newObject();
        j.put("id", jobId);
        j.put("jobNumber", String.valueOf(jobId));
        j.put("customerId", customerId);
        j.put("locationId", records.nextId());
        j.put("jobStatus", "Scheduled");
        j.putNull("completedOn");
        copyId(b, j, "businessUnitId");
        copyId(b, j, "jobTypeId");
        copyId(b, j, "campaignId");
        j.put("priority", b.path("priority").asText("Normal"));
        j.put("summary", b.path("summary").asText(""));
        j.putArray("customFields");
        j.put("createdOn", now);
        j.put("modifiedOn", now);
        j.put("bookingId", b.path("id").asLong());
        j.putNull("invoiceId");
        j.putNull("total");
        byId.put(jobId, j);
        records.changed("job", "jobs", j);
        return j;
    }

    /**
     * A job booked by the office for a customer who phoned, with no booking; the agent may have typed a referral code
     * into the job's custom field {@code fieldName}.
     */
    ObjectNode phoneIn(long customerId, String fieldName, String code) {
        long id = records.nextId();
        String now = records.now();
        ObjectNode j = records.newObject();
        j.put("id", id);
        j.put("jobNumber", String.valueOf(id));
        j.put("customerId", customerId);
        j.put("locationId", records.nextId());
        j.put("jobStatus", "Scheduled");
        j.putNull("completedOn");
        j.putNull("bookingId");
        j.put("summary", "Phoned in");
        var fields = j.putArray("customFields");
        if (code != null) {
            fields.addObject().put("typeId", 9001).put("name", fieldName).put("value", code);
        }
        j.put("createdOn", now);
        j.put("modifiedOn", now);
        j.putNull("invoiceId");
        j.putNull("total");
        byId.put(id, j);
        records.changed("job", "jobs", j);
        return j;
    }

    /**
     * A job of this customer, completed at {@code completedOn} (null: now) and last changed then, of a job type and
     * business unit (null: none).
     */
    ObjectNode completed(long customerId, String completedOn, Long jobTypeId, Long businessUnitId) {
        long id = records.nextId();
        String at = completedOn == null ? records.now() : completedOn;
        ObjectNode j = records.newObject();
        j.put("id", id);
        j.put("jobNumber", String.valueOf(id));
        j.put("customerId", customerId);
        j.put("locationId", records.nextId());
        j.put("jobStatus", "Completed");
        j.put("completedOn", at);
        j.putNull("bookingId");
        if (jobTypeId == null) {
            j.putNull("jobTypeId");
        } else {
            j.put("jobTypeId", jobTypeId);
        }
        if (businessUnitId == null) {
            j.putNull("businessUnitId");
        } else {
            j.put("businessUnitId", businessUnitId);
        }
        j.put("summary", "Maintenance visit");
        j.putArray("customFields");
        j.put("createdOn", at);
        j.put("modifiedOn", at);
        j.putNull("invoiceId");
        j.putNull("total");
        byId.put(id, j);
        if (completedOn == null) {
            records.changed("job", "jobs", j);
        } else {
            records.past("job", "jobs", j); // the tenant's history: before everything the feed holds
        }
        return j;
    }

    /** A job that belongs to no referral (load for poll tests), last changed at {@code modifiedOn} (null: now). */
    void addUnrelated(String modifiedOn) {
        long id = records.nextId();
        ObjectNode j = records.newObject();
        String at = modifiedOn == null ? records.now() : modifiedOn;
        j.put("id", id);
        j.put("jobNumber", String.valueOf(id));
        j.put("jobStatus", "Scheduled");
        j.putNull("bookingId");
        j.put("createdOn", at);
        j.put("modifiedOn", at);
        byId.put(id, j);
        records.changed("job", "jobs", j);
    }

    ObjectNode get(long id) {
        ObjectNode j = byId.get(id);
        if (j == null) {
            throw new IllegalArgumentException("No job " + id);
        }
        return j;
    }

    ObjectNode find(long id) {
        return byId.get(id);
    }

    /** {@code PATCH /jobs/{id}}: here, its externalData (and summary). Null for an unknown job. */
    ObjectNode patch(long id, com.fasterxml.jackson.databind.JsonNode request) {
        ObjectNode j = byId.get(id);
        if (j == null) {
            return null;
        }
        if (request.has("externalData")) {
            ExternalData.patch(j, request.path("externalData"));
        }
        if (request.hasNonNull("summary")) {
            j.put("summary", request.path("summary").asText());
        }
        j.put("modifiedOn", records.now());
        records.changed("job", "jobs", j); // a changed job shows in the export feed again, as in ServiceTitan
        return j;
    }

    Iterable<ObjectNode> all() {
        return byId.values();
    }

    ObjectNode setType(long id, Long jobTypeId) {
        ObjectNode j = get(id);
        if (jobTypeId == null) {
            j.putNull("jobTypeId");
        } else {
            j.put("jobTypeId", jobTypeId);
        }
        j.put("modifiedOn", records.now());
        records.changed("job", "jobs", j);
        return j;
    }

    ObjectNode setStatus(long id, String status) {
        ObjectNode j = get(id);
        String now = records.now();
        j.put("jobStatus", status);
        if ("Completed".equals(status)) {
            j.put("completedOn", now);
        }
        j.put("modifiedOn", now);
        records.changed("job", "jobs", j);
        return j;
    }

    void invoiced(ObjectNode j, long invoiceId, String total) {
        j.put("invoiceId", invoiceId);
        j.put("total", new BigDecimal(total));
        j.put("modifiedOn", records.now());
        records.changed("job", "jobs", j);
    }

    private static void copyId(ObjectNode from, ObjectNode to, String field) {
        if (from.hasNonNull(field)) {
            to.put(field, from.get(field).asLong());
        } else {
            to.putNull(field);
        }
    }
}

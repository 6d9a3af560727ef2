package io.referralbridge.sandbox.servicetitan;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Accounting invoices, one per job here; money as strings, as ServiceTitan sends it. */
final class Invoices {

    private final Records records;
    private final Map<Long, ObjectNode> byId = new LinkedHashMap<>();

    Invoices(Records records) {
        this.records = records;
        records.load("invoice").forEach(i -> byId.put(i.path("id").asLong(), i));
    }

    Iterable<ObjectNode> all() {
        return byId.values();
    }

    /** A credit (refund) against the job: an invoice of its own with a negative total, as ServiceTitan books one. */
    ObjectNode credit(ObjectNode job, String amount) {
        String now = records.now();
        ObjectNode inv = records.newObject();
        long id = records.nextId();
        inv.put("id", id);
        inv.put("referenceNumber", id + "-CR");
        ObjectNode jobRef = inv.putObject("job");
        jobRef.put("id", job.path("id").asLong());
        jobRef.put("number", job.path("jobNumber").asText());
        jobRef.put("type", "Service");
        inv.putObject("customer").put("id", job.path("customerId").asLong()).put("name", "Customer");
        String total = new java.math.BigDecimal(amount).abs().negate().toPlainString();
        inv.put("invoiceDate", now);
        inv.put("active", true);
        inv.put("total", total);
        inv.put("subTotal", total);
        inv.put("salesTax", "0.00");
        inv.put("balance", "0.00");
        inv.put("paidOn", now);
        inv.put("modifiedOn", now);
        byId.put(id, inv);
        records.changed("invoice", "invoices", inv);
        return inv;
    }

    /** Creates or updates the job's invoice. */
    ObjectNode set(ObjectNode job, String total, String balance) {
        String now = records.now();
        ObjectNode inv = job.path("invoiceId").isNull() ? null : byId.get(job.path("invoiceId").asLong());
        if (inv == null) {
            inv = records.newObject();
            long id = records.nextId();
            inv.put("id", id);
            inv.put("referenceNumber", String.valueOf(id));
            ObjectNode jobRef = inv.putObject("job");
            jobRef.put("id", job.path("id").asLong());
            jobRef.put("number", job.path("jobNumber").asText());
            jobRef.put("type", "Service");
            inv.putObject("customer").put("id", job.path("customerId").asLong()).put("name", "Customer");
            inv.put("invoiceDate", now);
            inv.put("active", true);
            byId.put(id, inv);
        }
        inv.put("total", total);
        inv.put("subTotal", total);
        inv.put("salesTax", "0.00");
        inv.put("balance", balance);
        if ("0.00".equals(balance)) {
            inv.put("paidOn", now);
        } else {
            inv.putNull("paidOn");
        }
        inv.put("modifiedOn", now);
        records.changed("invoice", "invoices", inv);
        return inv;
    }
}

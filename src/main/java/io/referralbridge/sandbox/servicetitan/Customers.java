package io.referralbridge.sandbox.servicetitan;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * CRM customers with their contacts: each customer has one contact whose contact methods (Email, Phone, MobilePhone)
 * are searchable ({@code GET /contacts/contact-methods?type=&value=}), and whose relationships name the customer
 * ({@code GET /contacts/{id}/relationships}). Phones are kept as ServiceTitan keeps North American numbers: their ten
 * digits; a search by value matches that stored form exactly, an email case-insensitively.
 */
final class Customers {

    private final Records records;
    private final Map<Long, ObjectNode> byId = new LinkedHashMap<>();
    private final List<ObjectNode> methods = new ArrayList<>();
    private final Map<Long, Long> customerOfContact = new HashMap<>();

    Customers(Records records) {
        this.records = records;
        records.load("customer").forEach(c -> byId.put(c.path("id").asLong(), c));
        records.load("contact-method").forEach(this::index);
    }

    private void index(ObjectNode method) {
        methods.add(method);
        customerOfContact.put(method.path("contactId").asLong(), method.path("customerId").asLong());
    }

    /** A customer with this name and contact methods (null ones left out). */
    ObjectNode add(String name, String email, String phone) {
        String now = records.now();
        ObjectNode c = records.newObject();
        c.put("id", records.nextId());
        c.put("active", true);
        c.put("name", name);
        c.put("type", "Residential");
        c.put("doNotMail", false);
        c.put("doNotService", false);
        c.putArray("customFields");
        c.put("createdOn", now);
        c.put("modifiedOn", now);
        byId.put(c.path("id").asLong(), c);
        records.changed("customer", null, c);
        long contactId = records.nextId();
        if (email != null && !email.isBlank()) {
            addMethod(c, contactId, "Email", email.trim());
        }
        if (phone != null && !phone.isBlank()) {
            addMethod(c, contactId, "Phone", tenDigits(phone));
        }
        return c;
    }

    /** The call centre books a booking into a job: its person becomes a customer (reused if the booking names one). */
    ObjectNode fromBooking(ObjectNode booking) {
        String email = null;
        String phone = null;
        for (JsonNode contact : booking.path("contacts")) {
            String type = contact.path("type").asText();
            if (type.equals("Email") && email == null) {
                email = contact.path("value").asText();
            } else if ((type.equals("Phone") || type.equals("MobilePhone")) && phone == null) {
                phone = contact.path("value").asText();
            }
        }
        return add(booking.path("name").asText("Customer"), email, phone);
    }

    private void addMethod(ObjectNode customer, long contactId, String type, String value) {
        ObjectNode m = records.newObject();
        m.put("id", records.nextId());
        m.put("contactId", contactId);
        m.put("customerId", customer.path("id").asLong()); // the sandbox's own link; not in the answers
        m.put("type", type);
        m.put("value", value);
        m.put("memo", (String) null);
        m.put("createdOn", records.now());
        m.put("modifiedOn", records.now());
        index(m);
        records.changed("contact-method", null, m);
    }

    ObjectNode find(long id) {
        return byId.get(id);
    }

    /** The tenant's customer custom-field definitions (what an office sets up for its referral program). */
    static final List<String[]> CUSTOM_FIELDS = List.of(
            new String[] {"9101", "Referred By", "Text"},
            new String[] {"9102", "Referrer Email", "Text"},
            new String[] {"9103", "Referral Campaign", "Text"},
            new String[] {"9104", "Referral Link", "Text"},
            new String[] {"9105", "Referral Code", "Text"},
            new String[] {"9106", "Preferred Technician", "Text"},
            new String[] {"9107", "My Referral Link", "Text"},
            new String[] {"9108", "My Referral Code", "Text"});

    List<ObjectNode> customFieldTypes() {
        List<ObjectNode> out = new ArrayList<>();
        for (String[] f : CUSTOM_FIELDS) {
            ObjectNode t = records.newObject();
            t.put("id", Long.parseLong(f[0]));
            t.put("name", f[1]);
            t.put("dataType", f[2]);
            t.putArray("dataTypeOptions");
            t.put("createdOn", "2024-01-15T00:00:00Z");
            t.put("modifiedOn", "2024-01-15T00:00:00Z");
            out.add(t);
        }
        return out;
    }

    /**
     * {@code PATCH /customers/{id}}: custom field values by {@code typeId} (an unknown type is a 400), externalData by
     * application GUID; other fields as given. Null for an unknown customer.
     */
    ObjectNode patch(long id, JsonNode request) {
        ObjectNode c = byId.get(id);
        if (c == null) {
            return null;
        }
        if (request.has("customFields")) {
            if (!request.path("customFields").isArray()) {
                throw ExternalData.invalid("customFields", "The customFields field must be an array.");
            }
            for (JsonNode f : request.path("customFields")) {
                String[] type = CUSTOM_FIELDS.stream().filter(t -> t[0].equals(f.path("typeId").asText()))
                        .findFirst().orElseThrow(() -> ExternalData.invalid("customFields.typeId",
                                "Custom field type " + f.path("typeId").asText() + " does not exist."));
                com.fasterxml.jackson.databind.node.ArrayNode values = c.withArray("customFields");
                for (int i = values.size() - 1; i >= 0; i--) {
                    if (values.get(i).path("typeId").asText().equals(type[0])) {
                        values.remove(i);
                    }
                }
                values.addObject().put("typeId", Long.parseLong(type[0])).put("name", type[1])
                        .put("value", f.path("value").asText(""));
            }
        }
        if (request.has("externalData")) {
            ExternalData.patch(c, request.path("externalData"));
        }
        for (String field : List.of("name", "doNotMail", "doNotService", "active")) {
            if (request.has(field)) {
                c.set(field, request.get(field));
            }
        }
        c.put("modifiedOn", records.now());
        records.changed("customer", null, c);
        return c;
    }

    /** The customer is merged into another or deleted: reading it answers 404 from now on. */
    void forget(long id) {
        byId.remove(id);
    }

    Iterable<ObjectNode> all() {
        return byId.values();
    }

    /** Contact methods matching the query's {@code type}, {@code value} and {@code contactId} (each optional). */
    List<ObjectNode> methods(Map<String, String> q) {
        List<ObjectNode> out = new ArrayList<>();
        for (ObjectNode m : methods) {
            String type = q.get("type");
            String value = q.get("value");
            String contact = q.get("contactId");
            if ((type == null || type.equalsIgnoreCase(m.path("type").asText()))
                    && (value == null || sameValue(m, value))
                    && (contact == null || contact.equals(m.path("contactId").asText()))) {
                ObjectNode answer = m.deepCopy();
                answer.remove("customerId");
                out.add(answer);
            }
        }
        return out;
    }

    /** A customer's contacts ({@code GET /customers/{id}/contacts}): its contact methods. Null for an unknown one. */
    List<ObjectNode> contactsOf(long customerId) {
        if (!byId.containsKey(customerId)) {
            return null;
        }
        List<ObjectNode> out = new ArrayList<>();
        for (ObjectNode m : methods) {
            if (m.path("customerId").asLong() == customerId) {
                ObjectNode answer = m.deepCopy();
                answer.remove("customerId");
                out.add(answer);
            }
        }
        return out;
    }

    /** The contact's relationships: here, the one customer it belongs to. Null for an unknown contact. */
    List<ObjectNode> relationships(long contactId) {
        Long customer = customerOfContact.get(contactId);
        if (customer == null) {
            return null;
        }
        ObjectNode r = records.newObject();
        r.put("relatedEntityId", customer);
        r.put("typeSlug", "customer");
        r.put("typeName", "Customer");
        return List.of(r);
    }

    /** Customers having a phone method with this number (ServiceTitan's {@code phone} filter). */
    boolean hasPhone(ObjectNode customer, String phone) {
        String digits = tenDigits(phone);
        return methods.stream().anyMatch(m -> m.path("customerId").asLong() == customer.path("id").asLong()
                && !m.path("type").asText().equals("Email") && m.path("value").asText().equals(digits));
    }

    private static boolean sameValue(ObjectNode method, String value) {
        return method.path("type").asText().equals("Email")
                ? method.path("value").asText().toLowerCase(Locale.ROOT).equals(value.toLowerCase(Locale.ROOT))
                : method.path("value").asText().equals(value);
    }

    /**
     * "+1 (555) 010-0100" -> "5550100100": digits only, without a leading country code 1; an extension ("ext 4",
     * "x4") is kept apart by ServiceTitan, not in the number.
     */
    static String tenDigits(String phone) {
        String digits = phone.replaceFirst("^([-+0-9 ().\\/]*).*$", "$1").replaceAll("[^0-9]", "");
        return digits.length() == 11 && digits.startsWith("1") ? digits.substring(1) : digits;
    }
}

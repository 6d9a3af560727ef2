package io.referralbridge.campaign;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.config.Settings;
import io.referralbridge.campaign.PlatformFields;

/**
 * Maps a referral's webhook payload to a ServiceTitan booking (CRM {@code BookingRequest}) for its campaign. Values are
 * trimmed and cut to ServiceTitan-friendly lengths; the JSON is built by Jackson, never by string concatenation.
 */
public final class BookingMapper {

    static final int MAX_NAME = 200;
    static final int MAX_SUMMARY = 2000;
    static final int MAX_SOURCE = 100;
    static final int MAX_LINE = 255;

    private final ObjectMapper json;
    private final PlatformFields fields;
    private final JsonPointer street;
    private final JsonPointer unit;
    private final JsonPointer city;
    private final JsonPointer state;
    private final JsonPointer zip;
    private final String country;
    private final ReferrerData referrer;

    public BookingMapper(ObjectMapper json, PlatformFields fields, Settings s) {
        this.json = json;
        this.fields = fields;
        this.street = pointer(s, "street", "/data/fields/street");
        this.unit = pointer(s, "unit", "/data/fields/unit");
        this.city = pointer(s, "city", "/data/fields/city");
        this.state = pointer(s, "state", "/data/fields/state");
        this.zip = pointer(s, "zip", "/data/fields/zip");
        this.country = s.required("bridge.booking.country");
        this.referrer = new ReferrerData(s);
    }

    private static JsonPointer pointer(Settings s, String name, String defaultValue) {
        return PlatformFields.parse("bridge.fields." + name, s.get("bridge.fields." + name, defaultValue));
    }

    public ObjectNode map(String code, JsonNode payload, Campaign campaign) {
        ObjectNode b = json.createObjectNode();
        String name = join(text(payload, fields.firstName()), text(payload, fields.lastName()));
        if (name == null) {
            throw new MappingException("Referral " + code + " has no first name");
        }
        b.put("name", limit(name, MAX_NAME));
        b.put("source", limit(firstOf(payload, campaign.sourceField(), campaign.sourceDefault(), "source", code),
                MAX_SOURCE));
        b.put("summary", limit(summary(payload, campaign, code), MAX_SUMMARY));
        b.put("isFirstTimeClient", campaign.firstTimeClient());
        b.put("externalId", code);
        ArrayNode contacts = b.putArray("contacts");
        String email = text(payload, fields.email());
        if (email != null) {
            contacts.addObject().put("type", "Email").put("value", limit(email, MAX_LINE)).put("memo", "Referral");
        }
        String phone = text(payload, fields.phone());
        if (phone != null) {
            contacts.addObject().put("type", "Phone").put("value", limit(phone, 40)).put("memo", "Referral");
        }
        ObjectNode address = address(payload);
        if (address != null) {
            b.set("address", address);
        }
        if (campaign.customerType() != null) {
            b.put("customerType", campaign.customerType());
        }
        if (campaign.marketingCampaignId() != null) {
            b.put("campaignId", campaign.marketingCampaignId());
        }
        if (campaign.businessUnitId() != null) {
            b.put("businessUnitId", campaign.businessUnitId());
        }
        if (campaign.jobTypeId() != null) {
            b.put("jobTypeId", campaign.jobTypeId());
        }
        if (campaign.priority() != null) {
            b.put("priority", campaign.priority());
        }
        b.put("isSendConfirmationEmail", false);
        return b;
    }

    private String summary(JsonNode payload, Campaign campaign, String code) {
        List<String> lines = new ArrayList<>();
        lines.add(firstOf(payload, campaign.summaryField(), campaign.summaryDefault(), "summary", code));
        for (SummaryExtra extra : campaign.summaryExtras()) {
            String value = referrer.value(extra.key(), code, payload);
            if (value != null) {
                lines.add(extra.label() + ": " + limit(value, MAX_LINE));
            }
        }
        return String.join("\n", lines);
    }

    /** All of street, city, state and zip, or no address at all (ServiceTitan refuses a partial one). */
    private ObjectNode address(JsonNode payload) {
        String st = text(payload, street);
        String c = text(payload, city);
        String s = text(payload, state);
        String z = text(payload, zip);
        if (st == null || c == null || s == null || z == null) {
            return null;
        }
        ObjectNode a = json.createObjectNode();
        a.put("street", limit(st, MAX_LINE));
        String u = text(payload, unit);
        if (u != null) {
            a.put("unit", limit(u, MAX_LINE));
        }
        a.put("city", limit(c, MAX_LINE));
        a.put("state", limit(s, MAX_LINE));
        a.put("zip", limit(z, 20));
        a.put("country", country);
        return a;
    }

    private static String firstOf(JsonNode payload, JsonPointer field, String defaultValue, String what,
                                  String code) {
        String value = field == null ? null : text(payload, field);
        if (value == null) {
            value = defaultValue;
        }
        if (value == null) {
            throw new MappingException("Referral " + code + " has no " + what + ": field " + field
                    + " is empty and the campaign has no default");
        }
        return value;
    }

    static String text(JsonNode payload, JsonPointer pointer) {
        JsonNode n = payload.at(pointer);
        if (!n.isValueNode() || n.isNull()) {
            return null;
        }
        String v = io.referralbridge.intake.ReferralParser.nfc(n.asText().strip());
        return v.isEmpty() ? null : v;
    }

    static String join(String first, String last) {
        if (first == null) {
            return last;
        }
        return last == null ? first : first + " " + last;
    }

    static String limit(String value, int max) {
        String v = value.strip();
        if (v.length() <= max) {
            return v;
        }
        // Do not split a surrogate pair when cutting.
        int end = Character.isHighSurrogate(v.charAt(max - 1)) ? max - 1 : max;
        return v.substring(0, end);
    }
}

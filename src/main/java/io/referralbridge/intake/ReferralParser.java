package io.referralbridge.intake;

import java.io.IOException;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.referralbridge.booking.Campaign;
import io.referralbridge.booking.Campaigns;
import io.referralbridge.web.HttpProblem;
import org.apache.camel.Exchange;

/**
 * Reads a verified webhook body into a {@link Referral}: strict JSON, the fields the booking needs, a campaign the
 * bridge knows. Every refusal names the field; nothing has been written yet.
 */
public final class ReferralParser {

    static final int MAX_NAME = 100;
    static final int MAX_EMAIL = 254;
    static final int MAX_CODE = 100;
    static final int MAX_PHONE = 40;
    // Deliberately plain: what ServiceTitan and call-centre agents can use, nothing that could carry markup or SQL.
    private static final Pattern EMAIL = Pattern.compile("^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}$");
    private static final Pattern NAME = Pattern.compile("^[\\p{L}\\p{M}][\\p{L}\\p{M} '\u2019.,-]*$");
    private static final Pattern PHONE = Pattern.compile("^\\+?[0-9 ().-]{4,40}$");
    private static final Pattern CODE = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._~-]*$");
    private static final Pattern CONTROL = Pattern.compile("\\p{Cntrl}");

    private final ObjectMapper json;
    private final PlatformFields fields;
    private final Campaigns campaigns;

    public ReferralParser(ObjectMapper strictJson, PlatformFields fields, Campaigns campaigns) {
        this.json = strictJson;
        this.fields = fields;
        this.campaigns = campaigns;
    }

    public Referral parse(Exchange exchange) {
        byte[] body = exchange.getMessage().getBody(byte[].class);
        JsonNode root = readJson(body);
        if (!root.isObject()) {
            throw HttpProblem.badRequest("malformed_json", "The body must be a JSON object");
        }
        String withNul = pathWithNul(root, "");
        if (withNul != null) {
            // PostgreSQL cannot store U+0000 in text or JSONB: refuse it here, clearly, rather than fail to commit.
            throw HttpProblem.unprocessable("invalid_field", "The field " + withNul + " contains a NUL character "
                    + "(\\u0000), which cannot be stored");
        }
        if (!fields.acceptedEventTypes().isEmpty()) {
            String type = text(root, fields.eventType(), "event type", 100, false);
            if (type == null || !fields.acceptedEventTypes().contains(type)) {
                throw HttpProblem.unprocessable("unsupported_event_type", "Event type " + (type == null ? "is missing"
                        : "'" + type + "' is not handled") + "; accepted: " + fields.acceptedEventTypes());
            }
        }
        String code = text(root, fields.code(), "code", MAX_CODE, true);
        if (!CODE.matcher(code).matches()) {
            throw invalid("code", "letters, digits and . _ ~ - only");
        }
        String campaignId = text(root, fields.campaignId(), "campaign id", 50, true);
        Campaign campaign = campaigns.find(campaignId).orElseThrow(() -> HttpProblem.unprocessable(
                "unknown_campaign", "Campaign '" + campaignId + "' is not configured on this bridge"));
        // A campaign that takes its source or summary only from the webhook needs that field now, not at booking time.
        if (campaign.sourceDefault() == null) {
            text(root, campaign.sourceField(), "source", 1000, true);
        }
        if (campaign.summaryDefault() == null) {
            text(root, campaign.summaryField(), "summary", 10000, true);
        }
        String firstName = text(root, fields.firstName(), "first name", MAX_NAME, true);
        String lastName = text(root, fields.lastName(), "last name", MAX_NAME, false);
        if (!NAME.matcher(firstName).matches()) {
            throw invalid("first name", "letters, spaces and ' . , - only");
        }
        if (lastName != null && !NAME.matcher(lastName).matches()) {
            throw invalid("last name", "letters, spaces and ' . , - only");
        }
        String email = text(root, fields.email(), "email", MAX_EMAIL, true);
        if (!EMAIL.matcher(email).matches()) {
            throw invalid("email", "an email address");
        }
        String phone = text(root, fields.phone(), "phone", MAX_PHONE, false);
        if (phone != null && !PHONE.matcher(phone).matches()) {
            throw invalid("phone", "digits, spaces and + ( ) . - only");
        }
        String eventId = exchange.getMessage().getHeader(WebhookVerifier.EVENT_ID_HEADER, String.class);
        if (eventId == null) {
            eventId = eventIdFromBody(root);
        }
        return new Referral(eventId, code, campaignId, firstName, lastName, email.toLowerCase(java.util.Locale.ROOT),
                phone, storedText(body), campaign.connection());
    }

    private JsonNode readJson(byte[] body) {
        if (body == null || body.length == 0) {
            throw HttpProblem.badRequest("malformed_json", "The body is empty");
        }
        try {
            JsonNode node = json.readTree(body);
            if (node == null || node.isMissingNode()) {
                throw HttpProblem.badRequest("malformed_json", "The body is empty");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw HttpProblem.badRequest("malformed_json", "Not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw HttpProblem.badRequest("malformed_json", "Not valid JSON: " + e.getMessage());
        }
    }

    private String eventIdFromBody(JsonNode root) {
        StringBuilder id = new StringBuilder();
        for (JsonPointer p : fields.eventIdFields()) {
            JsonNode n = root.at(p);
            if (!n.isValueNode() || n.asText().isBlank()) {
                throw HttpProblem.unprocessable("missing_field", "Field " + p + " (part of the event id) is required");
            }
            if (id.length() > 0) {
                id.append(':');
            }
            id.append(n.asText().trim());
        }
        if (id.length() > 200) {
            throw invalid("event id", "at most 200 characters");
        }
        return id.toString();
    }

    /** A trimmed scalar (string or number) at the pointer; objects and arrays are refused, not stringified. */
    private String text(JsonNode root, JsonPointer pointer, String name, int maxLength, boolean required) {
        JsonNode n = root.at(pointer);
        if (n.isMissingNode() || n.isNull()) {
            if (required) {
                throw HttpProblem.unprocessable("missing_field", "Field " + pointer + " (" + name + ") is required");
            }
            return null;
        }
        if (!(n.isTextual() || n.isIntegralNumber())) {
            throw HttpProblem.unprocessable("invalid_field",
                    "Field " + pointer + " (" + name + ") must be a string, got " + n.getNodeType().name().toLowerCase());
        }
        String value = n.asText().strip();
        if (value.isEmpty()) {
            if (required) {
                throw HttpProblem.unprocessable("missing_field", "Field " + pointer + " (" + name + ") is empty");
            }
            return null;
        }
        if (value.length() > maxLength) {
            throw HttpProblem.unprocessable("invalid_field",
                    "Field " + pointer + " (" + name + ") is longer than " + maxLength + " characters");
        }
        if (CONTROL.matcher(value).find() || hasLoneSurrogate(value)) {
            throw HttpProblem.unprocessable("invalid_field",
                    "Field " + pointer + " (" + name + ") contains control or invalid characters");
        }
        return value;
    }

    private static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return true;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /** The body as stored: the text as received, without a UTF-8 byte order mark (JSON parsers skip it; JSONB does not). */
    static String storedText(byte[] body) {
        String text = new String(body, java.nio.charset.StandardCharsets.UTF_8);
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    /** The JSON pointer of the first field name or text value holding U+0000, or null. */
    static String pathWithNul(JsonNode node, String path) {
        if (node.isTextual()) {
            return node.asText().indexOf('\0') >= 0 ? (path.isEmpty() ? "/" : path) : null;
        }
        if (node.isObject()) {
            for (var it = node.fields(); it.hasNext(); ) {
                var field = it.next();
                String here = path + "/" + field.getKey();
                if (field.getKey().indexOf('\0') >= 0) {
                    return here;
                }
                String found = pathWithNul(field.getValue(), here);
                if (found != null) {
                    return found;
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String found = pathWithNul(node.get(i), path + "/" + i);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    private static HttpProblem invalid(String name, String expected) {
        return HttpProblem.unprocessable("invalid_field", "Field " + name + " must be " + expected);
    }
}

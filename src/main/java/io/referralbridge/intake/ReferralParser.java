package io.referralbridge.intake;

import io.referralbridge.campaign.PlatformFields;
import java.io.IOException;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.referralbridge.campaign.Campaign;
import io.referralbridge.campaign.Campaigns;
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
    // Accept people as they are (any script), refuse what is structurally broken. A name: letters of any script with
    // their marks, digits (Smith 3rd), space separators (a full-width space too), the joiners some scripts need
    // (Persian ZWNJ), and the punctuation names use: apostrophes, hyphens, periods, commas, middle dots (Catalan l·l,
    // Japanese ・), & and parentheses. Not: < > ; = " \ and the like, which no name needs.
    private static final Pattern NAME = Pattern.compile(
            "^[\\p{L}\\p{M}\\p{Nd}\\p{Zs}\u200C\u200D'\u2019\u02BC.,\\-\u2010\u2011\u00B7\u30FB&()]+$");
    private static final Pattern HAS_LETTER = Pattern.compile("\\p{L}");
    // RFC 5322 atext and RFC 6531 UTF-8 in the local part (dot-separated); a domain of letters, marks and digits of any
    // script with hyphens (IDN, or its xn-- form), ending in a top-level label of letters.
    // ZWNJ and ZWJ are part of words in Persian, Sinhala and other scripts (IDNA allows them there).
    private static final String ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\-\\p{L}\\p{M}\\p{Nd}\u200C\u200D]+";
    private static final String LABEL = "[\\p{L}\\p{M}\\p{Nd}](?:[\\p{L}\\p{M}\\p{Nd}\\-\u200C\u200D]*[\\p{L}\\p{M}\\p{Nd}])?";
    private static final Pattern EMAIL = Pattern.compile("^" + ATEXT + "(?:\\." + ATEXT + ")*@(?:" + LABEL + "\\.)+"
            + "(?:\\p{L}[\\p{L}\\p{M}]+|xn--[A-Za-z0-9\\-]+)$");
    // Digits of any script (full-width too), spaces, + ( ) . - / and their full-width forms, and an extension
    // (ext. 12, x12, #12, ;ext=12).
    private static final Pattern PHONE = Pattern.compile("^[+\uFF0B]?[\\p{Nd}\\p{Zs}()\uFF08\uFF09.\uFF0E\\-\u2010\u2011\uFF0D/\uFF0F]+"
            + "(?:\\p{Zs}*(?:ext\\.?|extension|x|#|;ext=)\\p{Zs}*\\p{Nd}{1,8})?$", Pattern.CASE_INSENSITIVE);
    private static final Pattern PHONE_DIGIT = Pattern.compile("\\p{Nd}");
    private static final Pattern CODE = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._~-]*$");
    private static final Pattern CONTROL = Pattern.compile("\\p{Cntrl}");

    private final ObjectMapper json;
    private final PlatformFields fields;
    private final Campaigns campaigns;

    private final String platform;
    private final java.util.Set<String> platformCampaigns;

    /** The default platform's, taking every campaign (a deployment with one platform). */
    public ReferralParser(ObjectMapper strictJson, PlatformFields fields, Campaigns campaigns) {
        this(strictJson, fields, campaigns, io.referralbridge.platform.Platforms.DEFAULT, null);
    }

    /** A platform's: its fields, and only its campaigns ({@code platformCampaigns}, null: all). */
    public ReferralParser(ObjectMapper strictJson, PlatformFields fields, Campaigns campaigns, String platform,
                          java.util.Set<String> platformCampaigns) {
        this.json = strictJson;
        this.fields = fields;
        this.campaigns = campaigns;
        this.platform = platform;
        this.platformCampaigns = platformCampaigns;
    }

    /** An event the platform sends that is not a referral (another type, or a person nobody referred): 200. */
    public record Ignored(String ignored) implements io.referralbridge.web.HttpAnswer {
        @Override
        public int httpStatus() {
            return 200;
        }
    }

    /** The referral, or {@link Ignored} for an event that is none (with bridge.fields.ignore-other-events). */
    public Object parse(Exchange exchange) {
        String text = storedText(exchange.getMessage().getBody(byte[].class));
        JsonNode root = readJson(text);
        if (!root.isObject()) {
            throw HttpProblem.badRequest("malformed_json", "The body must be a JSON object");
        }
        // Whatever is accepted must be stored and read back by the later steps: refuse here, naming the field, what
        // PostgreSQL's JSONB would refuse (a 500 the platform retries forever) or return in a form the reader refuses.
        String unstorable = unstorable(root, "");
        if (unstorable != null) {
            throw HttpProblem.unprocessable("invalid_field", unstorable);
        }
        if (!fields.acceptedEventTypes().isEmpty()) {
            String type = text(root, fields.eventType(), "event type", 100, false);
            if (type != null && !fields.acceptedEventTypes().contains(type) && fields.ignoreOtherEvents()) {
                return new Ignored("event type '" + type + "' is not a referral");
            }
            if (type == null || !fields.acceptedEventTypes().contains(type)) {
                throw HttpProblem.unprocessable("unsupported_event_type", "Event type " + (type == null ? "is missing"
                        : "'" + type + "' is not handled") + "; accepted: " + fields.acceptedEventTypes());
            }
        }
        if (fields.referredBy() != null) {
            JsonNode by = root.at(fields.referredBy());
            if (by.isMissingNode() || by.isNull() || (by.isValueNode() && by.asText().isBlank())
                    || (by.isContainerNode() && by.isEmpty())) {
                return new Ignored("nobody referred this person (" + fields.referredBy() + ")");
            }
        }
        String code = text(root, fields.code(), "code", MAX_CODE, true);
        if (!CODE.matcher(code).matches()) {
            throw invalid("code", "letters, digits and . _ ~ - only");
        }
        String named = text(root, fields.campaignId(), "campaign id", 50, fields.campaignDefault() == null);
        String campaignId = named != null ? named : fields.campaignDefault();
        Campaign campaign = campaigns.find(campaignId).filter(c -> platformCampaigns == null
                || platformCampaigns.contains(c.id())).orElseThrow(() -> HttpProblem.unprocessable("unknown_campaign",
                "Campaign '" + campaignId + "' is not configured on this bridge"
                        + (platformCampaigns == null ? "" : " for platform " + platform)));
        // A campaign that takes its source or summary only from the webhook needs that field now, not at booking time.
        if (campaign.sourceDefault() == null) {
            text(root, campaign.sourceField(), "source", 1000, true);
        }
        if (campaign.summaryDefault() == null) {
            text(root, campaign.summaryField(), "summary", 10000, true);
        }
        String firstName = text(root, fields.firstName(), "first name", MAX_NAME, true);
        String lastName = text(root, fields.lastName(), "last name", MAX_NAME, false);
        checkName("first name", firstName);
        if (lastName != null) {
            checkName("last name", lastName);
        }
        String email = text(root, fields.email(), "email", MAX_EMAIL, true);
        if (!EMAIL.matcher(email).matches() || email.indexOf('@') > 64) {
            throw invalid("email", "an email address (local part of at most 64 characters, a domain with a dot)");
        }
        String phone = text(root, fields.phone(), "phone", MAX_PHONE, false);
        if (phone != null && (!PHONE.matcher(phone).matches() || PHONE_DIGIT.matcher(phone).results().count() < 4)) {
            throw invalid("phone", "a phone number: digits, spaces, + ( ) . - / and an extension (ext. 12)");
        }
        String eventId = exchange.getMessage().getHeader(WebhookVerifier.EVENT_ID_HEADER, String.class);
        if (eventId == null) {
            eventId = eventIdFromBody(root);
        }
        if (!platform.equals(io.referralbridge.platform.Platforms.DEFAULT)) {
            eventId = platform + ":" + eventId; // event ids are the platform's own: two platforms may share one
        }
        return new Referral(eventId, code, campaignId, firstName, lastName, email, phone, text,
                campaign.connection(), platform);
    }

    private JsonNode readJson(String body) {
        if (body.isEmpty()) {
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
        String value = nfc(n.asText().strip());
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

    /** Unicode NFC, as booked: a name typed with combining accents and the same name precomposed are one name. */
    public static String nfc(String s) {
        return java.text.Normalizer.isNormalized(s, java.text.Normalizer.Form.NFC) ? s
                : java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFC);
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

    /**
     * The body as stored: the text as received, decoded as strict UTF-8 (JSON's encoding, RFC 8259: invalid and overlong
     * sequences are refused, and UTF-16/32 bodies with them), without a byte order mark (JSONB does not skip it).
     */
    static String storedText(byte[] body) {
        if (body == null) {
            return "";
        }
        String text;
        try {
            text = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(body)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw HttpProblem.badRequest("malformed_json", "The body is not valid UTF-8 (JSON is sent as UTF-8)");
        }
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    static final int MAX_NUMBER_DIGITS = 100;

    /** Why the first field name or value that PostgreSQL cannot store, or the bridge read back, cannot be; or null. */
    static String unstorable(JsonNode node, String path) {
        String here = path.isEmpty() ? "/" : path;
        if (node.isTextual()) {
            return badText(node.asText(), "The field " + here);
        }
        if (node.isNumber() && !node.isIntegralNumber()) {
            java.math.BigDecimal d = node.decimalValue();
            if (d.precision() - d.scale() > MAX_NUMBER_DIGITS || d.scale() > MAX_NUMBER_DIGITS) {
                return "The field " + here + " is a number with more than " + MAX_NUMBER_DIGITS
                        + " digits before or after the point";
            }
        }
        if (node.isObject()) {
            for (var it = node.fields(); it.hasNext(); ) {
                var field = it.next();
                String at = path + "/" + field.getKey();
                String bad = badText(field.getKey(), "A field name under " + here);
                if (bad == null) {
                    bad = unstorable(field.getValue(), at);
                }
                if (bad != null) {
                    return bad;
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String bad = unstorable(node.get(i), path + "/" + i);
                if (bad != null) {
                    return bad;
                }
            }
        }
        return null;
    }

    private static String badText(String s, String what) {
        if (s.indexOf('\0') >= 0) {
            return what + " contains a NUL character (\\u0000), which cannot be stored";
        }
        if (hasLoneSurrogate(s)) {
            return what + " contains an unpaired surrogate (\\ud800-\\udfff), which is not a character";
        }
        return null;
    }

    private static void checkName(String name, String value) {
        if (!NAME.matcher(value).matches() || !HAS_LETTER.matcher(value).find()) {
            throw invalid(name, "a name: letters of any script, digits, spaces and ' - . , · & ( ) only");
        }
    }

    private static HttpProblem invalid(String name, String expected) {
        return HttpProblem.unprocessable("invalid_field", "Field " + name + " must be " + expected);
    }
}

package io.referralbridge.campaign;

import java.util.List;

import com.fasterxml.jackson.core.JsonPointer;
import io.referralbridge.config.ConfigurationException;
import io.referralbridge.config.Settings;

/**
 * Where the referral platform puts each field in its webhook, as JSON pointers (platforms name fields differently,
 * and Referral Factory lets the admin rename them). Defaults come from the platform profile. Optional:
 * {@code participantId} (the platform's id of the person, for its URLs; else the code), {@code referredBy} (a field only
 * a referred person's event has: others are acknowledged and ignored, as are other event types with
 * {@code ignoreOtherEvents}), {@code campaignDefault} (the campaign of a platform whose events do not name it).
 */
public record PlatformFields(JsonPointer eventType, List<String> acceptedEventTypes, JsonPointer code,
                             JsonPointer campaignId, JsonPointer firstName, JsonPointer lastName, JsonPointer email,
                             JsonPointer phone, List<JsonPointer> eventIdFields, JsonPointer participantId,
                             JsonPointer referredBy, boolean ignoreOtherEvents, String campaignDefault) {

    public static PlatformFields from(Settings s) {
        return new PlatformFields(
                pointer(s, "bridge.fields.event-type", "/type"),
                s.getList("bridge.fields.accepted-event-types"),
                pointer(s, "bridge.fields.code", "/data/code"),
                pointer(s, "bridge.fields.campaign-id", "/data/campaign/id"),
                pointer(s, "bridge.fields.first-name", "/data/first_name"),
                pointer(s, "bridge.fields.last-name", "/data/last_name"),
                pointer(s, "bridge.fields.email", "/data/email"),
                pointer(s, "bridge.fields.phone", "/data/phone"),
                pointers(s, "bridge.fields.event-id", "/data/id,/type"),
                parseOptional(s.name("bridge.fields.participant-id"), s.optional("bridge.fields.participant-id").orElse(null)),
                parseOptional(s.name("bridge.fields.referred-by"), s.optional("bridge.fields.referred-by").orElse(null)),
                s.getBoolean("bridge.fields.ignore-other-events", false),
                s.optional("bridge.fields.campaign-default").orElse(null));
    }

    static JsonPointer pointer(Settings s, String key, String defaultValue) {
        return parse(s.name(key), s.get(key, defaultValue));
    }

    static List<JsonPointer> pointers(Settings s, String key, String defaultValue) {
        return s.getList(key).isEmpty()
                ? List.of(defaultValue.split(",")).stream().map(p -> parse(s.name(key), p)).toList()
                : s.getList(key).stream().map(p -> parse(s.name(key), p)).toList();
    }

    public static JsonPointer parse(String key, String value) {
        try {
            return JsonPointer.compile(value.trim());
        } catch (IllegalArgumentException e) {
            throw Settings.invalid(key, value, "a JSON pointer such as /data/email");
        }
    }

    public static JsonPointer parseOptional(String key, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        if (!value.trim().startsWith("/")) {
            throw new ConfigurationException("Invalid setting '" + key + "' = '" + value
                    + "': expected a JSON pointer such as /data/source");
        }
        return parse(key, value);
    }
}

package io.referralbridge.campaign;

import java.util.List;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import io.referralbridge.config.Settings;

/**
 * Who referred this person, as the platform's webhook says (field pointers {@code bridge.fields.referrer-*},
 * {@code campaign-name}, {@code referral-link}). One reader for the booking summary's extra lines and for the
 * ServiceTitan customer's custom fields.
 */
public final class ReferrerData {

    /** The values a campaign can write to ServiceTitan customer custom fields ({@code customer-fields}). */
    public static final List<String> KEYS = List.of("referrer-name", "referrer-email", "campaign-name",
            "referral-link", "referral-code");

    private final JsonPointer referrerFirstName;
    private final JsonPointer referrerLastName;
    private final JsonPointer referrerEmail;
    private final JsonPointer campaignName;
    private final JsonPointer referralLink;

    public ReferrerData(Settings s) {
        this.referrerFirstName = pointer(s, "referrer-first-name", "/data/referred_by/first_name");
        this.referrerLastName = pointer(s, "referrer-last-name", "/data/referred_by/last_name");
        this.referrerEmail = pointer(s, "referrer-email", "/data/referred_by/email");
        this.campaignName = pointer(s, "campaign-name", "/data/campaign/name");
        this.referralLink = pointer(s, "referral-link", "/data/referral_link");
    }

    private static JsonPointer pointer(Settings s, String name, String defaultValue) {
        return PlatformFields.parse("bridge.fields." + name, s.get("bridge.fields." + name, defaultValue));
    }

    /** The value named {@code key} (one of {@link #KEYS}) for this referral, or null when the webhook has none. */
    public String value(String key, String code, JsonNode payload) {
        return switch (key) {
            case "referrer-name" -> BookingMapper.join(BookingMapper.text(payload, referrerFirstName),
                    BookingMapper.text(payload, referrerLastName));
            case "referrer-email" -> BookingMapper.text(payload, referrerEmail);
            case "campaign-name" -> BookingMapper.text(payload, campaignName);
            case "referral-link" -> BookingMapper.text(payload, referralLink);
            case "referral-code" -> code;
            default -> throw new IllegalArgumentException("Unknown referrer value " + key);
        };
    }
}

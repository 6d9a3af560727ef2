package io.referralbridge.intake;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A referred person as the platform announced them; {@code payload} is the whole event, unknown fields included;
 * {@code connection} the ServiceTitan connection of their campaign.
 */
public record Referral(String eventId, String code, String campaignId, String firstName, String lastName,
                       String email, String phone, JsonNode payload, String connection) {
}

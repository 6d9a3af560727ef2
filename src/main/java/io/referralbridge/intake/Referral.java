package io.referralbridge.intake;

/**
 * A referred person as the platform announced them; {@code payloadJson} is the whole event as received (validated
 * JSON, unknown fields included), stored as it came rather than serialized again;
 * {@code connection} the ServiceTitan connection of their campaign.
 */
public record Referral(String eventId, String code, String campaignId, String firstName, String lastName,
                       String email, String phone, String payloadJson, String connection) {
}

package io.referralbridge.intake;

/**
 * A referred person as the platform announced them; {@code payloadJson} is the whole event as received (validated
 * JSON, unknown fields included), stored as it came rather than serialized again;
 * {@code connection} the ServiceTitan connection of their campaign; {@code platform} the referral platform it came from.
 */
public record Referral(String eventId, String code, String campaignId, String firstName, String lastName,
                       String email, String phone, String payloadJson, String connection, String platform) {

    /** A referral of the default platform. */
    public Referral(String eventId, String code, String campaignId, String firstName, String lastName, String email,
                    String phone, String payloadJson, String connection) {
        this(eventId, code, campaignId, firstName, lastName, email, phone, payloadJson, connection,
                io.referralbridge.platform.Platforms.DEFAULT);
    }
}

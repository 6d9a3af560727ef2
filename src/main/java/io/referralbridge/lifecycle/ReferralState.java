package io.referralbridge.lifecycle;

/** Where a referral is in its life, as stored in {@code referral.state}. */
public enum ReferralState {
    RECEIVED, BOOKING_REQUESTED, BOOKED, JOB_CREATED, PENDING_REVIEW, QUALIFIED, PLATFORM_NOTIFIED, NOT_QUALIFIED,
    /** Told, then its job was canceled or refunded within the claw-back window: the platform is told qualified:false. */
    UNQUALIFIED,
    FAILED;

    /** As stored. */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static ReferralState of(String id) {
        return valueOf(id.toUpperCase(java.util.Locale.ROOT));
    }

    @Override
    public String toString() {
        return id();
    }
}

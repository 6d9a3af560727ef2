package io.referralbridge.campaign;

/**
 * Referrer details a campaign can carry to the call-centre agent. ServiceTitan bookings have no custom fields, so they
 * go into the booking summary, one labelled line each.
 */
public enum SummaryExtra {
    REFERRER_NAME("referrer-name", "Referred by"),
    REFERRER_EMAIL("referrer-email", "Referrer email"),
    CAMPAIGN_NAME("campaign-name", "Referral campaign"),
    REFERRAL_LINK("referral-link", "Referral link");

    private final String key;
    private final String label;

    SummaryExtra(String key, String label) {
        this.key = key;
        this.label = label;
    }

    public String key() {
        return key;
    }

    public String label() {
        return label;
    }

    public static SummaryExtra of(String key) {
        for (SummaryExtra e : values()) {
            if (e.key.equals(key)) {
                return e;
            }
        }
        return null;
    }
}

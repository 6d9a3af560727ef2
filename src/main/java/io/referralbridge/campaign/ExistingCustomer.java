package io.referralbridge.campaign;

import java.util.Arrays;
import java.util.List;

/**
 * What a campaign does with a referred person ServiceTitan already knows as a customer (found by email or phone before
 * the booking): programs usually reward new customers only.
 */
public enum ExistingCustomer {

    /** Book anyway, as a returning client ({@code isFirstTimeClient=false}); the referral may still qualify. */
    BOOK("book"),
    /** Book anyway, as a returning client; the referral ends not_qualified and the platform is told qualified:false. */
    BOOK_NOT_ELIGIBLE("book-not-eligible"),
    /** No booking: the referral ends not_qualified and the platform is told qualified:false. */
    SKIP("skip");

    private final String id;

    ExistingCustomer(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public boolean books() {
        return this != SKIP;
    }

    public static ExistingCustomer of(String id) {
        return Arrays.stream(values()).filter(v -> v.id.equals(id)).findFirst().orElse(null);
    }

    public static List<String> ids() {
        return Arrays.stream(values()).map(ExistingCustomer::id).toList();
    }
}

package io.referralbridge.campaign;

import java.util.List;

import com.fasterxml.jackson.core.JsonPointer;

/**
 * How one referral campaign becomes ServiceTitan bookings. Required: a booking provider, a source and a summary (each
 * from a field of the webhook or a default), and whether a referral is a first-time client; {@code existingCustomer} is
 * what becomes of a person ServiceTitan already has as a customer. {@code connection} names the
 * ServiceTitan tenant connection its referrals are booked in and polled from. {@code customerFields} names, per
 * referrer value ({@link ReferrerData#KEYS}), the ServiceTitan customer custom field that receives it;
 * {@code enrolment} which customers with completed work become the campaign's referrers.
 */
public record Campaign(
        String id,
        String name,
        long bookingProvider,
        Long jobTypeId,
        Long marketingCampaignId,
        Long businessUnitId,
        String priority,
        String customerType,
        String sourceDefault,
        JsonPointer sourceField,
        String summaryDefault,
        JsonPointer summaryField,
        boolean firstTimeClient,
        ExistingCustomer existingCustomer,
        java.util.Set<String> matchBy,
        long matchWindowSeconds,
        List<SummaryExtra> summaryExtras,
        Qualification qualification,
        String connection,
        java.util.Map<String, String> customerFields,
        EnrolmentRule enrolment) {

    /** How a job finds this campaign's referrals: its booking, and for phone-ins email, phone or code-field. */
    public static final java.util.Set<String> MATCH_BY = java.util.Set.of("booking", "email", "phone", "code-field");

    /** Whether jobs with no booking (phone-ins) are matched to this campaign's referrals. */
    public boolean matchesPhoneIns() {
        return matchBy.size() > 1 || !matchBy.contains("booking");
    }

    /**
     * When a referral of this campaign qualifies: {@code option} is none, booking_becomes_job, job_status or revenue;
     * {@code statuses} the job statuses that count (job_status); {@code minTotal} and/or {@code paidInFull} the revenue
     * milestone; {@code review} holds qualified referrals for an operator's approval; {@code holdSeconds} is how long a
     * qualified referral waits, without a cancellation or refund, before the platform is told; within
     * {@code clawbackSeconds} after it was told, a cancellation or refund tells it qualified:false.
     */
    public record Qualification(String option, List<String> statuses, java.math.BigDecimal minTotal,
                                boolean paidInFull, boolean review, long holdSeconds, long clawbackSeconds) {

        public static final List<String> OPTIONS = List.of("none", "booking_becomes_job", "job_status", "revenue");

        public static Qualification manualOnly() {
            return new Qualification("none", List.of(), null, false, false, 0, 0);
        }
    }
}

package io.referralbridge.booking;

import java.util.List;

import com.fasterxml.jackson.core.JsonPointer;

/**
 * How one referral campaign becomes ServiceTitan bookings. Required: a booking provider, a source and a summary (each
 * from a field of the webhook or a default), and whether a referral is a first-time client.
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
        List<SummaryExtra> summaryExtras) {
}

package io.referralbridge.qualification;

import java.math.BigDecimal;

import io.referralbridge.campaign.Campaign;

/**
 * What ServiceTitan has shown of one referral so far, with its campaign's qualification option: the facts the
 * qualification router decides on. The predicates are what the router's {@code when} clauses read. {@code factsVersion}
 * is the version of these facts; the evaluation clears its flag only if they are still current.
 */
public record ReferralProgress(long id, String code, String campaignId, String state, Long jobId, String jobStatus,
                               String bookingStatus, String notQualifiedReason, BigDecimal invoiceTotal, BigDecimal invoiceBalance, int invoiceCount,
                               Campaign.Qualification rule, long factsVersion) {

    public String option() {
        return rule.option();
    }

    public boolean hasJob() {
        return jobId != null;
    }

    public boolean jobReachedStatus() {
        return hasJob() && jobStatus != null && rule.statuses().contains(jobStatus);
    }

    /** The call centre dismissed the booking, and no job came of it: there is nothing to wait for. */
    public boolean bookingDismissed() {
        return !hasJob() && "Dismissed".equals(bookingStatus) && !"not_qualified".equals(state);
    }

    public boolean jobCanceled() {
        return hasJob() && "Canceled".equals(jobStatus);
    }

    /** The revenue milestone: invoices totalling at least the minimum, and/or paid in full, as configured. */
    public boolean revenueReached() {
        if (!hasJob() || invoiceCount == 0) {
            return false;
        }
        boolean totalOk = rule.minTotal() == null || invoiceTotal.compareTo(rule.minTotal()) >= 0;
        boolean paidOk = !rule.paidInFull() || invoiceBalance.signum() == 0;
        return totalOk && paidOk;
    }

    /** Already qualified (or waiting for review), or rejected by an operator: the router leaves it alone. */
    public boolean settled() {
        return state.equals("qualified") || state.equals("platform_notified") || state.equals("pending_review")
                || (state.equals("not_qualified") && Qualification.REJECTED.equals(notQualifiedReason));
    }
}

package io.referralbridge.qualification;

import java.math.BigDecimal;

import io.referralbridge.campaign.Campaign;

/**
 * What ServiceTitan has shown of one referral so far, with its campaign's qualification option: the facts the
 * qualification router decides on. The predicates are what the router's {@code when} clauses read. {@code factsVersion}
 * is the version of these facts; the evaluation clears its flag only if they are still current.
 */
public record ReferralProgress(long id, String code, String campaignId, String state, Long jobId, String jobStatus,
                               String bookingStatus, String notQualifiedReason, BigDecimal invoiceTotal,
                               BigDecimal invoiceBalance, int invoiceCount, Campaign.Qualification rule,
                               long factsVersion, String milestone, Double secondsSinceTold, int creditCount) {

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

    /**
     * What undid the milestone, or null: the job canceled, or its invoices refunded by credits to nothing, or credited
     * below the revenue milestone. An operator's qualification stands whatever the facts ($0 invoices are no refund).
     */
    public String undone() {
        if ("manual".equals(milestone)) {
            return null;
        }
        if (jobCanceled()) {
            return "job canceled";
        }
        if (invoiceCount == 0) {
            return null;
        }
        if (creditCount > 0 && invoiceTotal.signum() <= 0) {
            return "invoices refunded";
        }
        if (option().equals("revenue") && rule.minTotal() != null && invoiceTotal.compareTo(rule.minTotal()) < 0) {
            return "invoices credited below the milestone";
        }
        return null;
    }

    /** Nothing undoes the milestone: a canceled or refunded job qualifies no one. */
    public boolean milestoneStands() {
        return undone() == null;
    }

    /** Told, then undone within the campaign's claw-back window: the platform is to be told qualified:false. */
    public boolean clawBack() {
        return state.equals("platform_notified") && secondsSinceTold != null
                && secondsSinceTold <= rule.clawbackSeconds() && undone() != null;
    }

    /** Qualified and waiting out the campaign's hold (or about to be told), and undone meanwhile. */
    public boolean holdBroken() {
        return state.equals("qualified") && undone() != null;
    }

    /**
     * Already qualified (or waiting for review), rejected by an operator, or not eligible (a customer already): the
     * router leaves it alone.
     */
    public boolean settled() {
        return state.equals("qualified") || state.equals("platform_notified") || state.equals("pending_review")
                || (state.equals("not_qualified") && (Qualification.REJECTED.equals(notQualifiedReason)
                        || Qualification.EXISTING_CUSTOMER.equals(notQualifiedReason)));
    }
}

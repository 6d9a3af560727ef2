package io.referralbridge.campaign;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Which customers a campaign enrols as referrers once their work is done: a job of theirs reached one of
 * {@code statuses}, of one of {@code jobTypes} and {@code businessUnits} (empty: any); when the campaign asks, its
 * invoices total at least {@code minInvoiceTotal} and/or are paid in full; {@code delaySeconds} after completion. A
 * customer with any of {@code skipWhen} (a ServiceTitan customer field and the value that means "do not ask": doNotMail
 * true, active false) is skipped. {@code returnFields}: which ServiceTitan customer custom field (by name) receives the
 * new referrer's referral-link and referral-code. {@code enrolReferred}: whether a customer who was referred is
 * enrolled too, once their own job completes. {@code invoiceWaitSeconds}: how long after completion invoices that fall
 * short are looked at again (a customer often pays days after the work), before the customer is skipped.
 */
public record EnrolmentRule(boolean enabled, List<String> statuses, Set<Long> jobTypes, Set<Long> businessUnits,
                            BigDecimal minInvoiceTotal, boolean paidInFull, long delaySeconds,
                            List<Map.Entry<String, String>> skipWhen, Map<String, String> returnFields,
                            boolean enrolReferred, long invoiceWaitSeconds) {

    /** The values a return field can receive. */
    public static final Set<String> RETURN_VALUES = Set.of("referral-link", "referral-code");

    public static EnrolmentRule off() {
        return new EnrolmentRule(false, List.of(), Set.of(), Set.of(), null, false, 0, List.of(), Map.of(), true, 0);
    }

    /** Whether this job (a row of ServiceTitan's jobs) earns its customer an enrolment, invoices aside. */
    public boolean matches(JsonNode job) {
        return enabled && job.path("customerId").asLong(0) > 0
                && statuses.contains(job.path("jobStatus").asText(""))
                && (jobTypes.isEmpty() || jobTypes.contains(job.path("jobTypeId").asLong(-1)))
                && (businessUnits.isEmpty() || businessUnits.contains(job.path("businessUnitId").asLong(-1)));
    }

    /** Whether the invoices must be read before enrolling. */
    public boolean checksInvoices() {
        return minInvoiceTotal != null || paidInFull;
    }

    /** The reason this ServiceTitan customer is not asked, or null. */
    public String skipReason(JsonNode customer) {
        for (Map.Entry<String, String> rule : skipWhen) {
            JsonNode v = customer.path(rule.getKey());
            if (!v.isMissingNode() && !v.isNull() && v.asText().equalsIgnoreCase(rule.getValue())) {
                return "customer " + rule.getKey() + "=" + v.asText();
            }
        }
        return null;
    }

    /** The reason the job's invoices do not meet the rule (total of active invoices, balance), or null. */
    public String invoiceShortfall(BigDecimal total, BigDecimal balance, int invoices) {
        if (invoices == 0) {
            return "job not invoiced";
        }
        if (minInvoiceTotal != null && total.compareTo(minInvoiceTotal) < 0) {
            return "invoice total " + total.toPlainString() + " below " + minInvoiceTotal.toPlainString();
        }
        if (paidInFull && balance.signum() > 0) {
            return "invoice not paid in full (balance " + balance.toPlainString() + ")";
        }
        return null;
    }

    /**
     * The invoices fall short {@code secondsSinceCompleted} after the job completed: seconds until they are read again
     * (a tenth of the wait, between 1 s and a day, never past its end), or 0 when the wait is over (skipped).
     */
    public long invoiceRecheckSeconds(long secondsSinceCompleted) {
        long left = invoiceWaitSeconds - secondsSinceCompleted;
        if (left <= 0) {
            return 0;
        }
        return Math.max(1, Math.min(left, Math.min(86_400, invoiceWaitSeconds / 10)));
    }
}

package io.referralbridge.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.util.List;

import io.referralbridge.campaign.Campaign;
import io.referralbridge.qualification.ReferralProgress;
import org.apache.camel.main.MainConfigurationProperties;
import org.apache.camel.spi.Registry;
import org.apache.camel.test.main.junit5.CamelMainTestSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The qualification router's table, on the YAML route as camel-main loads it, with the decisions recorded instead of
 * written: each campaign option against the facts ServiceTitan has shown.
 */
class QualificationRouterTest extends CamelMainTestSupport {

    /** Stands in for the qualification bean: records which decision the router took. */
    public static final class Decisions {
        volatile String last;

        public void qualify(ReferralProgress p, String milestone) {
            last = "qualify " + milestone;
        }

        public void notQualified(ReferralProgress p, String reason) {
            last = "not qualified: " + reason;
        }

        public void clawBack(ReferralProgress p) {
            last = "claw back: " + p.undone();
        }

        public void holdBroken(ReferralProgress p) {
            last = "hold broken: " + p.undone();
        }

        public void unchanged(ReferralProgress p) {
            last = "unchanged";
        }
    }

    final Decisions decisions = new Decisions();

    @Override
    protected void configure(MainConfigurationProperties configuration) {
        configuration.withRoutesIncludePattern("file:routes/qualification-router.camel.yaml");
    }

    @Override
    protected void bindToRegistry(Registry registry) {
        registry.bind("qualification", decisions);
    }

    @ParameterizedTest(name = "{0}, {1}, job {2}, booking {3}, invoices {4}/{5} -> {6}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            none                | booked            | -         | Scheduled | 0   | 0   | unchanged
            none                | job_created       | Completed | Converted | 500 | 0   | unchanged
            booking_becomes_job | booked            | -         | Scheduled | 0   | 0   | unchanged
            booking_becomes_job | job_created       | Scheduled | Converted | 0   | 0   | qualify booking_becomes_job
            job_status          | job_created       | Scheduled | Converted | 0   | 0   | unchanged
            job_status          | job_created       | Completed | Converted | 0   | 0   | qualify job_status:Completed
            job_status          | job_created       | Canceled  | Converted | 0   | 0   | not qualified: job canceled
            revenue             | job_created       | Completed | Converted | 0   | 0   | unchanged
            revenue             | job_created       | Completed | Converted | 150 | 0   | unchanged
            revenue             | job_created       | Completed | Converted | 250 | 50  | unchanged
            revenue             | job_created       | Completed | Converted | 250 | 0   | qualify revenue
            job_status          | booked            | -         | Dismissed | 0   | 0   | not qualified: booking dismissed
            none                | booked            | -         | Dismissed | 0   | 0   | not qualified: booking dismissed
            job_status          | not_qualified     | -         | Dismissed | 0   | 0   | unchanged
            none                | job_created       | Canceled  | Converted | 0   | 0   | unchanged
            job_status          | platform_notified | Canceled  | Converted | 0   | 0   | claw back: job canceled
            revenue             | platform_notified | Completed | Converted | 150 | 0   | claw back: invoices credited below the milestone
            job_status          | platform_notified | Completed | Converted | -10 | 0   | claw back: invoices refunded
            job_status          | platform_notified | Completed | Converted | 250 | 0   | unchanged
            job_status          | platform_notified | Completed | Converted | 0   | 0   | unchanged
            booking_becomes_job | job_created       | Canceled  | Converted | 0   | 0   | not qualified: job canceled
            job_status          | unqualified       | Canceled  | Converted | 0   | 0   | not qualified: job canceled
            job_status          | qualified         | Canceled  | Converted | 0   | 0   | hold broken: job canceled
            job_status          | unqualified       | Completed | Converted | 0   | 0   | qualify job_status:Completed
            job_status          | qualified         | Completed | Converted | 0   | 0   | unchanged
            job_status          | pending_review    | Completed | Converted | 0   | 0   | unchanged
            """)
    void eachOptionAgainstTheFacts(String option, String state, String jobStatus, String bookingStatus, int total,
                                   int balance, String decision) {
        // revenue: at least 200 in invoices, paid in full; job_status: Completed
        // told 60 s ago, within a claw-back window of a day
        Campaign.Qualification rule = new Campaign.Qualification(option, List.of("Completed"), new BigDecimal(200),
                true, false, 0, 86_400);
        ReferralProgress progress = new ReferralProgress(1, "R-1", "17", state, jobStatus == null ? null : 99L,
                jobStatus, bookingStatus, null, new BigDecimal(total), new BigDecimal(balance), total != 0 ? 1 : 0,
                rule, 1, option, state.equals("platform_notified") ? 60.0 : null, total < 0 ? 1 : 0);
        template.sendBody("direct:qualification-router", progress);
        assertEquals(decision, decisions.last);
    }
}

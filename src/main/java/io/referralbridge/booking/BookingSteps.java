package io.referralbridge.booking;

import io.referralbridge.campaign.BookingMapper;
import io.referralbridge.campaign.Campaign;
import io.referralbridge.campaign.Campaigns;
import io.referralbridge.campaign.MappingException;
import java.util.Set;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.db.Tx;
import io.referralbridge.intake.ReferralStore;
import io.referralbridge.lifecycle.ReferralLifecycle;
import io.referralbridge.lifecycle.Transition;
import io.referralbridge.intake.ReferralStore.StoredReferral;
import io.referralbridge.outbox.Outbox;
import io.referralbridge.outbox.OutboxTask;
import io.referralbridge.failure.DeadLetters;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;

/** The steps of the create-booking route around the ServiceTitan call: before it, map; after it, record. */
public final class BookingSteps {

    public static final String BOOKING_PROVIDER = io.referralbridge.servicetitan.ServiceTitanClients.BOOKING_PROVIDER;
    public static final String REFERRAL_ID = "referralId";
    public static final String CAMPAIGN = "campaign";
    /** The ServiceTitan customer the referred person already is (null: a new customer). */
    public static final String EXISTING_CUSTOMER = "existingCustomerId";
    /** True when the campaign's rule for an existing customer is not to book. */
    public static final String SKIPPED = "bookingSkipped";
    private static final io.referralbridge.db.Queries QUALIFICATION_SQL =
            io.referralbridge.db.Queries.load("sql/qualification.sql");
    private static final io.referralbridge.db.Queries REFERRAL_SQL =
            io.referralbridge.db.Queries.load("sql/referrals.sql");

    private final DataSource ds;
    private final ReferralStore referrals;
    private final ReferralLifecycle lifecycle;
    private final Outbox outbox;
    private final Campaigns campaigns;
    private final java.util.function.Function<String, BookingMapper> mappers;
    private final boolean platformTakesNotQualified;
    private final io.referralbridge.referrer.ReferrerInServiceTitan referrer;

    /**
     * {@code platformTakesNotQualified}: the platform can be told {@code qualified:false} (its API can; an inbound
     * webhook, which carries only a code, cannot).
     */
    public BookingSteps(DataSource ds, ReferralStore referrals, ReferralLifecycle lifecycle, Outbox outbox,
                        Campaigns campaigns, java.util.function.Function<String, BookingMapper> mappers,
                        boolean platformTakesNotQualified,
                        io.referralbridge.referrer.ReferrerInServiceTitan referrer) {
        this.referrer = referrer;
        this.platformTakesNotQualified = platformTakesNotQualified;
        this.lifecycle = lifecycle;
        this.ds = ds;
        this.referrals = referrals;
        this.outbox = outbox;
        this.campaigns = campaigns;
        this.mappers = mappers;
    }

    /** Loads the referral of a claimed task, marks it booking_requested and returns the booking request. */
    public ObjectNode prepare(OutboxTask task, Exchange exchange) {
        exchange.setProperty(DeadLetters.OUTBOX_TASK, task);
        outbox.renew(task); // this attempt's lease: no other worker looks up or creates this booking meanwhile
        StoredReferral r = referrals.load(task.referralId());
        Campaign campaign = campaigns.find(r.campaignId()).orElseThrow(() -> new MappingException(
                "Campaign " + r.campaignId() + " of referral " + r.id() + " is no longer configured"));
        ObjectNode request = mappers.apply(r.platform()).map(r.code(), r.payload(), campaign); // its platform's fields
        lifecycle.move(r.id(), Transition.BOOKING_REQUESTED, "booking task " + task.id() + " attempt "
                + task.attempts());
        exchange.setProperty(BOOKING_PROVIDER, campaign.bookingProvider());
        exchange.setProperty(io.referralbridge.servicetitan.ServiceTitanClients.CONNECTION, r.connection());
        exchange.setProperty(REFERRAL_ID, r.id());
        exchange.setProperty(CAMPAIGN, campaign);
        exchange.setProperty(io.referralbridge.servicetitan.ServiceTitanClients.BOOKING_REQUEST, request);
        return request;
    }

    /**
     * After the customer look-up: a person ServiceTitan already knows is booked as a returning client
     * ({@code isFirstTimeClient=false}), or not booked at all, as the campaign's {@code existing-customer} rule says.
     */
    public void existingCustomer(Exchange exchange, @Body Long customerId) {
        exchange.setProperty(SKIPPED, false);
        if (customerId == null) {
            return;
        }
        exchange.setProperty(EXISTING_CUSTOMER, customerId);
        // Kept before the create: a retry that finds the booking (a lost answer) records it with this decision, even
        // if ServiceTitan knows the person as a customer by then (the booking itself was made into a job meanwhile).
        Tx.run(ds, tx -> tx.update(REFERRAL_SQL.get("set-customer"), customerId,
                exchange.getProperty(REFERRAL_ID, Long.class)));
        Campaign campaign = exchange.getProperty(CAMPAIGN, Campaign.class);
        if (campaign.existingCustomer().books()) {
            exchange.getProperty(io.referralbridge.servicetitan.ServiceTitanClients.BOOKING_REQUEST, ObjectNode.class)
                    .put("isFirstTimeClient", false);
        } else {
            exchange.setProperty(SKIPPED, true);
        }
    }

    /** An existing customer whose campaign books new customers only: not qualified, no booking, the task done. */
    public void skip(@ExchangeProperty(DeadLetters.OUTBOX_TASK) OutboxTask task,
                     @ExchangeProperty(EXISTING_CUSTOMER) Long customerId) {
        Tx.run(ds, tx -> {
            notEligible(tx, task.referralId(), customerId, "not booked");
            outbox.completeWithoutWrite(tx, task);
            return null;
        });
    }

    /** Not qualified as an existing customer, whatever milestone comes; the platform told qualified:false. */
    private void notEligible(Tx tx, long referralId, long customerId, String what) throws java.sql.SQLException {
        if (lifecycle.move(tx, referralId, Transition.EXISTING_CUSTOMER, "existing ServiceTitan customer "
                + customerId + ": " + what)) {
            tx.update(QUALIFICATION_SQL.get("set-not-qualified"),
                    io.referralbridge.qualification.Qualification.EXISTING_CUSTOMER, referralId);
            if (platformTakesNotQualified) {
                outbox.armNotice(tx, referralId, 0);
            }
        }
    }

    /**
     * Right before the create: the lease renewed if the look-up took a quarter of it, or ClaimLostException if another
     * worker holds the task now.
     */
    public void renew(@ExchangeProperty(DeadLetters.OUTBOX_TASK) OutboxTask task) {
        outbox.renewIfAged(task);
    }

    /**
     * Stores the ServiceTitan booking id on the referral (and the customer it already was) and closes the task, in one
     * transaction.
     */
    public void record(@ExchangeProperty(DeadLetters.OUTBOX_TASK) OutboxTask task, @Body JsonNode booking,
                       @ExchangeProperty(CAMPAIGN) Campaign campaign) {
        long bookingId = booking.path("id").asLong(0);
        if (bookingId <= 0) {
            throw new IllegalStateException("ServiceTitan answered without a booking id");
        }
        Tx.run(ds, tx -> {
            lifecycle.move(tx, task.referralId(), Transition.BOOKED, bookingId, "ServiceTitan booking " + bookingId);
            // A booking found again after a lost answer may already be a job, a change the poll saw before the bridge
            // knew the booking id: take the link from the booking itself.
            if (booking.hasNonNull("jobId")) {
                long jobId = booking.path("jobId").asLong();
                tx.update(QUALIFICATION_SQL.get("set-job"), jobId, null, task.referralId(), jobId);
                lifecycle.move(tx, task.referralId(), Transition.JOB_CREATED,
                        "ServiceTitan job " + jobId);
                referrer.owe(tx, task.queue(), task.referralId());
            }
            // The decision kept before the create (by this attempt, or by the one whose answer was lost).
            Long customerId = (Long) tx.one(REFERRAL_SQL.get("customer-of"), task.referralId()).get("customer_id");
            if (customerId != null) {
                if (campaign.existingCustomer() == io.referralbridge.campaign.ExistingCustomer.BOOK_NOT_ELIGIBLE) {
                    notEligible(tx, task.referralId(), customerId, "booked as a returning client");
                }
            }
            outbox.complete(tx, task);
            return null;
        });
    }
}

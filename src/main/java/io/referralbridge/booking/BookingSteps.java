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
    private static final io.referralbridge.db.Queries QUALIFICATION_SQL =
            io.referralbridge.db.Queries.load("sql/qualification.sql");

    private final DataSource ds;
    private final ReferralStore referrals;
    private final ReferralLifecycle lifecycle;
    private final Outbox outbox;
    private final Campaigns campaigns;
    private final BookingMapper mapper;

    public BookingSteps(DataSource ds, ReferralStore referrals, ReferralLifecycle lifecycle, Outbox outbox,
                        Campaigns campaigns, BookingMapper mapper) {
        this.lifecycle = lifecycle;
        this.ds = ds;
        this.referrals = referrals;
        this.outbox = outbox;
        this.campaigns = campaigns;
        this.mapper = mapper;
    }

    /** Loads the referral of a claimed task, marks it booking_requested and returns the booking request. */
    public ObjectNode prepare(OutboxTask task, Exchange exchange) {
        exchange.setProperty(DeadLetters.OUTBOX_TASK, task);
        outbox.renew(task); // this attempt's lease: no other worker looks up or creates this booking meanwhile
        StoredReferral r = referrals.load(task.referralId());
        Campaign campaign = campaigns.find(r.campaignId()).orElseThrow(() -> new MappingException(
                "Campaign " + r.campaignId() + " of referral " + r.id() + " is no longer configured"));
        ObjectNode request = mapper.map(r.code(), r.payload(), campaign);
        lifecycle.move(r.id(), Transition.BOOKING_REQUESTED, "booking task " + task.id() + " attempt "
                + task.attempts());
        exchange.setProperty(BOOKING_PROVIDER, campaign.bookingProvider());
        exchange.setProperty(io.referralbridge.servicetitan.ServiceTitanClients.CONNECTION, r.connection());
        exchange.setProperty(REFERRAL_ID, r.id());
        exchange.setProperty(io.referralbridge.servicetitan.ServiceTitanClients.BOOKING_REQUEST, request);
        return request;
    }

    /**
     * Right before the create: the lease renewed if the look-up took a quarter of it, or ClaimLostException if another
     * worker holds the task now.
     */
    public void renew(@ExchangeProperty(DeadLetters.OUTBOX_TASK) OutboxTask task) {
        outbox.renewIfAged(task);
    }

    /** Stores the ServiceTitan booking id on the referral and closes the task, in one transaction. */
    public void record(@ExchangeProperty(DeadLetters.OUTBOX_TASK) OutboxTask task, @Body JsonNode booking) {
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
                tx.update(QUALIFICATION_SQL.get("set-job"), jobId, null, task.referralId());
                lifecycle.move(tx, task.referralId(), Transition.JOB_CREATED,
                        "ServiceTitan job " + jobId);
            }
            outbox.complete(tx, task);
            return null;
        });
    }
}

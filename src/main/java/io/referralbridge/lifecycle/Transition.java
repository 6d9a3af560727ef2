package io.referralbridge.lifecycle;

import java.util.EnumSet;
import java.util.Set;

/**
 * Every move a referral can make, and from where: the one table of the lifecycle. A move from any other state does
 * nothing (it already happened, or no longer applies), so each is safe to repeat.
 */
public enum Transition {

    /** A booking attempt starts (again after a replay). */
    BOOKING_REQUESTED(ReferralState.BOOKING_REQUESTED, ReferralState.RECEIVED, ReferralState.FAILED),
    /** ServiceTitan has the booking. */
    BOOKED(ReferralState.BOOKED, ReferralState.RECEIVED, ReferralState.BOOKING_REQUESTED, ReferralState.FAILED),
    /** A dismissed booking was reopened or converted: the referral goes on. */
    BOOKING_REOPENED(ReferralState.BOOKED, ReferralState.NOT_QUALIFIED),
    /** The booking became a job. */
    JOB_CREATED(ReferralState.JOB_CREATED, ReferralState.BOOKED),
    /** A job with no booking (the person phoned in) was matched to the referral by contact or code. */
    JOB_MATCHED(ReferralState.JOB_CREATED, ReferralState.RECEIVED, ReferralState.BOOKING_REQUESTED,
            ReferralState.BOOKED, ReferralState.FAILED),
    /** The campaign's milestone, on a campaign that wants an operator's review. */
    MILESTONE_FOR_REVIEW(ReferralState.PENDING_REVIEW, qualifiable()),
    /** The campaign's milestone. */
    MILESTONE_REACHED(ReferralState.QUALIFIED, qualifiable()),
    /** An operator qualifies it, whatever the campaign's option. */
    QUALIFIED_MANUALLY(ReferralState.QUALIFIED, with(qualifiable(), ReferralState.PENDING_REVIEW)),
    /** An operator approves a reviewed referral. */
    APPROVED(ReferralState.QUALIFIED, ReferralState.PENDING_REVIEW),
    /** The job was canceled, or the booking dismissed. */
    NOT_QUALIFIED(ReferralState.NOT_QUALIFIED, ReferralState.BOOKED, ReferralState.JOB_CREATED),
    /** The person is a ServiceTitan customer already, and the campaign rewards new customers only. */
    EXISTING_CUSTOMER(ReferralState.NOT_QUALIFIED, ReferralState.RECEIVED, ReferralState.BOOKING_REQUESTED,
            ReferralState.FAILED, ReferralState.BOOKED, ReferralState.JOB_CREATED),
    /** An operator rejects a reviewed referral. */
    REJECTED(ReferralState.NOT_QUALIFIED, ReferralState.PENDING_REVIEW),
    /** The job was canceled or refunded while the notice waited out the campaign's hold: never told. */
    HOLD_BROKEN(ReferralState.NOT_QUALIFIED, ReferralState.QUALIFIED),
    /** The job was canceled or refunded within the claw-back window after the platform was told. */
    CLAWED_BACK(ReferralState.UNQUALIFIED, ReferralState.PLATFORM_NOTIFIED),
    /** The referral platform was told it no longer qualifies. */
    PLATFORM_TOLD_UNQUALIFIED(ReferralState.UNQUALIFIED, ReferralState.UNQUALIFIED),
    /** The referral platform was told. */
    PLATFORM_NOTIFIED(ReferralState.PLATFORM_NOTIFIED, ReferralState.QUALIFIED),
    /** The referral platform was told it does not qualify (qualified:false); it stays not qualified. */
    PLATFORM_TOLD_NOT_QUALIFIED(ReferralState.NOT_QUALIFIED, ReferralState.NOT_QUALIFIED),
    /** Its booking is a dead letter. */
    BOOKING_FAILED(ReferralState.FAILED, ReferralState.RECEIVED, ReferralState.BOOKING_REQUESTED),
    /** An operator replayed the dead letter: booked again from the start. */
    BOOKING_REPLAYED(ReferralState.RECEIVED, ReferralState.FAILED);

    private final ReferralState to;
    private final Set<ReferralState> from;

    Transition(ReferralState to, ReferralState... from) {
        this(to, EnumSet.of(from[0], from));
    }

    Transition(ReferralState to, Set<ReferralState> from) {
        this.to = to;
        this.from = Set.copyOf(from);
    }

    public ReferralState to() {
        return to;
    }

    public boolean allowedFrom(ReferralState state) {
        return from.contains(state);
    }

    /** Not yet qualified (or no longer) and not waiting for review: a milestone may still qualify it. */
    private static Set<ReferralState> qualifiable() {
        return EnumSet.of(ReferralState.RECEIVED, ReferralState.BOOKING_REQUESTED, ReferralState.BOOKED,
                ReferralState.JOB_CREATED, ReferralState.NOT_QUALIFIED, ReferralState.UNQUALIFIED, ReferralState.FAILED);
    }

    private static Set<ReferralState> with(Set<ReferralState> states, ReferralState more) {
        EnumSet<ReferralState> all = EnumSet.copyOf(states);
        all.add(more);
        return all;
    }
}

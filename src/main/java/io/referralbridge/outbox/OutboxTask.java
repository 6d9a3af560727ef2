package io.referralbridge.outbox;

/** A claimed unit of outbox work: call an external system for one referral. */
public record OutboxTask(long id, String kind, long referralId, int attempts) {
}

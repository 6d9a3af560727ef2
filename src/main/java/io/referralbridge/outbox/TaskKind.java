package io.referralbridge.outbox;

/** Every kind of task the bridge owes an external system: one outbox row per kind and subject, at most. */
public enum TaskKind {

    /** Book the referral in ServiceTitan (queue: its ServiceTitan connection). */
    CREATE_BOOKING("create_booking"),
    /** Tell the referral platform the referral qualified (queue: the platform). */
    NOTIFY_PLATFORM("notify_platform"),
    /** Write who referred the customer to its ServiceTitan customer and job (queue: its ServiceTitan connection). */
    WRITE_REFERRER("write_referrer"),
    /** Enrol a customer whose work was completed as a referrer, and write the link back (queue: its connection). */
    ENROL_CUSTOMER("enrol_customer");

    private final String id;

    TaskKind(String id) {
        this.id = id;
    }

    /** As stored in {@code outbox.kind} and sent on the wake-up channel. */
    public String id() {
        return id;
    }

    /** Whether the task's subject is an enrolment (else a referral). */
    public boolean forEnrolment() {
        return this == ENROL_CUSTOMER;
    }

    public static TaskKind of(String id) {
        for (TaskKind k : values()) {
            if (k.id.equals(id)) {
                return k;
            }
        }
        throw new IllegalArgumentException("Unknown task kind " + id);
    }

    @Override
    public String toString() {
        return id;
    }
}

package io.referralbridge.sandbox.servicetitan;

/** One id sequence for every record of the tenant, as ServiceTitan's ids are unique across resources. */
final class Ids {

    private long next = 1000;

    long next() {
        return next++;
    }

    /** After a restart: continue above every id already handed out. */
    void above(long id) {
        next = Math.max(next, id + 1);
    }
}

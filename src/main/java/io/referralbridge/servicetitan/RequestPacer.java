package io.referralbridge.servicetitan;

import java.util.concurrent.locks.LockSupport;

/**
 * Keeps calls to one ServiceTitan tenant under a requests-per-second ceiling by spacing them evenly, so steady load
 * never meets a 429. Shared by every caller of the tenant's client (booking route, poller, health check).
 */
public final class RequestPacer {

    private final long intervalNanos;
    private long next = System.nanoTime();

    public RequestPacer(double requestsPerSecond) {
        if (requestsPerSecond <= 0) {
            throw new IllegalArgumentException("requests per second must be positive");
        }
        this.intervalNanos = (long) (1_000_000_000L / requestsPerSecond);
    }

    /** Blocks until this caller's slot has come. */
    public void acquire() {
        long wait;
        synchronized (this) {
            long now = System.nanoTime();
            long slot = Math.max(next, now);
            next = slot + intervalNanos;
            wait = slot - now;
        }
        if (wait > 0) {
            LockSupport.parkNanos(wait);
        }
    }
}

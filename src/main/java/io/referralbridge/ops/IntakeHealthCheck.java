package io.referralbridge.ops;

import java.util.Map;
import java.util.function.IntSupplier;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Liveness and readiness: webhooks are written by the intake's writer threads. If every one of them has died (an Error
 * such as OutOfMemoryError), no webhook can be stored again until the process restarts, so the process is not alive.
 */
public final class IntakeHealthCheck extends AbstractHealthCheck {

    private final IntSupplier writersAlive;
    private final int writers;

    public IntakeHealthCheck(IntSupplier writersAlive, int writers) {
        super("bridge", "intake");
        this.writersAlive = writersAlive;
        this.writers = writers;
    }

    @Override
    public boolean isLiveness() {
        return true; // Camel's checks are readiness-only unless they say otherwise
    }

    @Override
    public boolean isReadiness() {
        return true;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        int alive = writersAlive.getAsInt();
        builder.detail("writers.alive", alive).detail("writers", writers);
        if (alive == 0) {
            builder.down().message("No intake writer is running (see the log): webhooks cannot be stored; restart "
                    + "the bridge");
        } else {
            builder.up();
        }
    }
}

package io.referralbridge.failure;

import io.referralbridge.outbox.ClaimLostException;
import io.referralbridge.outbox.Outbox;
import io.referralbridge.outbox.OutboxTask;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a failed attempt of an outbox task goes (the external-calls route configuration sends it here): back to the
 * table with its next attempt time, or, when retrying cannot help or the attempts are spent, to the dead-letter table.
 * A worker that lost its claim to another records nothing.
 */
public final class TaskFailures {

    private static final Logger LOG = LoggerFactory.getLogger(TaskFailures.class);

    private final Outbox outbox;
    private final DeadLetters deadLetters;
    private final RetryPolicy policy;

    public TaskFailures(Outbox outbox, DeadLetters deadLetters, RetryPolicy policy) {
        this.outbox = outbox;
        this.deadLetters = deadLetters;
        this.policy = policy;
    }

    public void handle(Exchange exchange) throws Exception {
        OutboxTask task = exchange.getProperty(DeadLetters.OUTBOX_TASK, OutboxTask.class);
        if (task == null) {
            task = exchange.getMessage().getBody(OutboxTask.class);
        }
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        try {
            if (cause instanceof ClaimLostException) {
                LOG.info("{}", cause.getMessage());
            } else if (policy.another(task.attempts(), cause)) {
                long delay = policy.delayMs(task.attempts(), cause);
                outbox.reschedule(task, delay, DeadLetters.describe(cause));
                LOG.warn("Referral {} task {} attempt {} failed, next attempt in {} ms: {}", task.referralId(),
                        task.kind(), task.attempts(), delay, DeadLetters.shorten(DeadLetters.describe(cause), 300));
            } else {
                deadLetters.record(exchange, task, cause);
            }
        } catch (ClaimLostException lost) {
            LOG.info("{}", lost.getMessage());
        }
    }
}

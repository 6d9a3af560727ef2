package io.referralbridge.failure;

import io.referralbridge.outbox.ClaimLostException;
import io.referralbridge.outbox.Outbox;
import io.referralbridge.outbox.OutboxTask;
import io.referralbridge.outbox.QueueHeldException;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a failed attempt of an outbox task goes (the external-calls route configuration sends it here):
 * <ul>
 * <li>a failure of the service (5xx, 429, timeout, I/O) while no task of the queue succeeds, and the service does not
 * answer a plain read either ({@link ServiceProbe}): the queue is held, growing with consecutive failures, and the task
 * is due again when the hold ends: nothing else calls the failing service meanwhile, the backlog resumes in order of
 * arrival, and only the task at its head spends attempts;</li>
 * <li>another retryable failure, or one while the service answers others: this task alone waits its own back-off in the
 * table, so it never holds back another task's first attempt;</li>
 * <li>a failure retrying cannot change, or the last attempt: the dead-letter table; unless other tasks of the queue fail
 * the same way and none completes (the service's writes are down while its reads work): then the task goes on.</li>
 * </ul>
 * A worker that lost its claim to another records nothing.
 */
public final class TaskFailures {

    private static final Logger LOG = LoggerFactory.getLogger(TaskFailures.class);

    private final Outbox outbox;
    private final DeadLetters deadLetters;
    private final RetryPolicy policy;
    private final ServiceProbe probe;
    private final int writeOutageHours;

    public TaskFailures(Outbox outbox, DeadLetters deadLetters, RetryPolicy policy, ServiceProbe probe,
                        int writeOutageHours) {
        this.writeOutageHours = writeOutageHours;
        this.outbox = outbox;
        this.deadLetters = deadLetters;
        this.policy = policy;
        this.probe = probe;
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
            } else if (cause instanceof QueueHeldException) {
                LOG.debug("{}", cause.getMessage());
            } else if (policy.another(task.attempts(), cause) && policy.serviceFailure(cause)
                    && (policy.throttled(cause) || !outbox.succeededLately(task) && !serviceAnswers(task, exchange))
                    && outbox.holdAndReschedule(task, policy.serverDelayMs(cause), policy.initialDelayMs(),
                            policy.maxDelayMs(), DeadLetters.describe(cause))) {
                LOG.warn("Task {} of {} attempt {} failed; queue {} waits for the service: {}", task.kind(), task.subject(),
                        task.attempts(), task.queue(), DeadLetters.shorten(DeadLetters.describe(cause),
                                300));
            } else {
                boolean writesDown = writePathDown(task, cause);
                if (policy.another(task.attempts(), cause) || writesDown) {
                    long delay = policy.delayMs(task.attempts(), cause);
                    outbox.reschedule(task, delay, DeadLetters.describe(cause));
                    LOG.warn("Task {} of {} attempt {} failed, next attempt in {} ms: {}", task.kind(), task.subject(),
                            task.attempts(), delay, DeadLetters.shorten(DeadLetters.describe(cause), 300));
                } else {
                    deadLetters.record(exchange, task, cause, policy.refusedByService(cause));
                }
            }
        } catch (ClaimLostException lost) {
            LOG.info("{}", lost.getMessage());
        }
    }

    /**
     * A failure of the service the queue was not held for (it answers reads), recorded. True at the task's last attempt
     * when another task of the queue failed so too since the queue last completed one: the service's writes are down,
     * so the task goes on at the longest back-off instead of becoming a dead letter, for up to
     * {@code bridge.retry.write-outage-hours} after its first failure. A task failing alone (while others complete, or with
     * nothing else to do) is still a dead letter after its last attempt.
     */
    private boolean writePathDown(OutboxTask task, Throwable cause) {
        if (!policy.retryable(cause) || !policy.serviceFailure(cause) || policy.throttled(cause)) {
            return false;
        }
        boolean withOthers = outbox.failingWithOthers(task); // recorded at every such failure
        if (withOthers && task.attempts() >= policy.maxAttempts() && outbox.youngerThan(task, writeOutageHours)) {
            LOG.warn("Task {} of {} failed its last attempt while other tasks of queue {} fail the same way: the "
                    + "service's writes look down; it goes on", task.kind(), task.subject(), task.queue());
            return true;
        }
        return false;
    }

    /** The service answers a plain read: this task's failure is its own, and the queue goes on. */
    private boolean serviceAnswers(OutboxTask task, Exchange exchange) {
        if (!probe.answers(task, exchange)) {
            return false;
        }
        outbox.serviceAnswered(task);
        return true;
    }
}

package io.referralbridge.outbox;

/** The task's queue is held after a failure of its service: the task was left, unattempted, for when the hold ends. */
public final class QueueHeldException extends RuntimeException {

    public QueueHeldException(OutboxTask task) {
        super("Queue " + task.queue() + " of " + task.kind() + " is held after a failure; task " + task.id()
                + " waits for it");
    }
}

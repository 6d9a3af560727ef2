package io.referralbridge.failure;

import io.referralbridge.outbox.OutboxTask;
import org.apache.camel.Exchange;

/**
 * After a task's call failed as if its service were down, and no other task of the queue succeeded lately: does the
 * service answer a plain read on the same resource? If it does, the failure is this task's alone (it waits its own
 * back-off and the others go on); if not, the queue waits for the service.
 */
@FunctionalInterface
public interface ServiceProbe {

    boolean answers(OutboxTask task, Exchange exchange);
}

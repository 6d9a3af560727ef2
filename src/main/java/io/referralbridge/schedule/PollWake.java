package io.referralbridge.schedule;

import org.apache.camel.CamelContext;
import org.apache.camel.component.quartz.QuartzComponent;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a connection's poll cycle now instead of at its next tick: a one-shot trigger of the same Quartz job, so the
 * clustered store still runs it on one node and never alongside another cycle (the job is stateful: a trigger that
 * comes during a cycle fires after it). One wake-up waits at a time per connection: a burst of ServiceTitan events
 * becomes one cycle, which reads all their changes. Woken cycles start at least {@code minGapMs} apart (per node): a
 * busy tenant's steady stream of events costs one cycle per gap, not one after another.
 */
public final class PollWake {

    private static final Logger LOG = LoggerFactory.getLogger(PollWake.class);
    /** Not the schedule's group: QuartzCluster removes unknown triggers of that one at startup. */
    static final String GROUP = "bridge-wake";

    private final CamelContext context;
    private final long minGapMs;
    private final java.util.Map<String, Long> lastStart = new java.util.HashMap<>();

    public PollWake(CamelContext context, long minGapMs) {
        this.context = context;
        this.minGapMs = minGapMs;
    }

    /** True when a new wake-up was scheduled, false when one is waiting already. */
    public synchronized boolean wake(String connection) {
        try {
            Scheduler scheduler = context.getComponent("quartz", QuartzComponent.class).getScheduler();
            JobKey job = JobKey.jobKey(ConnectionRoutes.pollTrigger(connection), QuartzCluster.GROUP);
            for (Trigger t : scheduler.getTriggersOfJob(job)) {
                if (t.getKey().getGroup().equals(GROUP) && t.getNextFireTime() != null) {
                    return false; // not fired yet: it will read this change too
                }
            }
            long start = Math.max(System.currentTimeMillis(), lastStart.getOrDefault(connection, 0L) + minGapMs);
            lastStart.put(connection, start);
            scheduler.scheduleJob(TriggerBuilder.newTrigger()
                    .withIdentity("wake-" + connection + "-" + java.util.UUID.randomUUID(), GROUP)
                    .forJob(job).startAt(new java.util.Date(start))
                    .withSchedule(SimpleScheduleBuilder.simpleSchedule().withMisfireHandlingInstructionFireNow())
                    .build());
            return true;
        } catch (SchedulerException e) {
            // The scheduled cycle still comes: a missed wake-up only costs time.
            LOG.warn("Could not wake the poll of connection {} ({}); its next scheduled cycle reads the change",
                    connection, e.toString());
            return false;
        }
    }
}

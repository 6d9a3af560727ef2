package io.referralbridge.ops;

import java.lang.management.ManagementFactory;

import javax.management.ObjectName;
import javax.management.StandardMBean;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.referralbridge.failure.DeadLetters;
import io.referralbridge.qualification.ServiceTitanPoller;
import io.referralbridge.servicetitan.ServiceTitanClients;
import org.apache.camel.ProducerTemplate;

/**
 * {@link OperatorMBean} on the platform MBean server (so Jolokia and Hawtio see it): a poll now goes through the
 * poll-cycle route like the scheduled one; pauses and replays are the same beans the admin endpoints call.
 */
public final class Operator implements OperatorMBean, AutoCloseable {

    private final ProducerTemplate template;
    private final ServiceTitanPoller poller;
    private final DeadLetters deadLetters;
    private final ObjectMapper json;
    private final ObjectName name;
    private final io.referralbridge.enrolment.EnrolmentBackfills backfills;

    public Operator(ProducerTemplate template, ServiceTitanPoller poller, DeadLetters deadLetters, ObjectMapper json,
                    io.referralbridge.enrolment.EnrolmentBackfills backfills, String instance) throws Exception {
        this.backfills = backfills;
        this.template = template;
        this.poller = poller;
        this.deadLetters = deadLetters;
        this.json = json;
        this.name = new ObjectName("referral-bridge:type=operations,name="
                + instance.replaceAll("[^A-Za-z0-9_.-]", "_"));
    }

    public static Operator register(Operator operator) throws Exception {
        ManagementFactory.getPlatformMBeanServer().registerMBean(new Described(operator), operator.name);
        return operator;
    }

    /** What Hawtio shows beside each operation. */
    private static final class Described extends StandardMBean {
        private static final java.util.Map<String, String> TEXT = java.util.Map.of(
                "pollNow", "Run a ServiceTitan poll cycle now (connection name, blank for all); answers its figures",
                "pausePolling", "Pause the scheduled poll of a connection (blank: all), on every node, across restarts",
                "resumePolling", "Resume the scheduled poll of a connection (blank: all)",
                "listDeadLetters", "The open dead letters: failed tasks with their cause, for replay",
                "replayDeadLetter", "Queue a dead letter's task again (its id from listDeadLetters)",
                "startEnrolmentBackfill", "Enrol the customers of the jobs completed in a date range: campaign id, "
                        + "from and to (2026-01-01, to exclusive); answers its progress",
                "enrolmentBackfills", "Enrolment backfills with their progress: done / total, rate, seconds left");

        Described(Operator operator) {
            super(operator, OperatorMBean.class, false);
        }

        @Override
        protected String getDescription(javax.management.MBeanOperationInfo op) {
            return TEXT.getOrDefault(op.getName(), super.getDescription(op));
        }

        @Override
        protected String getParameterName(javax.management.MBeanOperationInfo op,
                                          javax.management.MBeanParameterInfo param, int sequence) {
            if (op.getName().equals("startEnrolmentBackfill")) {
                return new String[] {"campaign", "from", "to"}[sequence];
            }
            return op.getName().equals("replayDeadLetter") ? "id" : "connection";
        }

        @Override
        protected String getDescription(javax.management.MBeanInfo info) {
            return "The operator's tasks of the referral bridge (the same as the admin HTTP endpoints)";
        }
    }

    @Override
    public String pollNow(String connection) throws Exception {
        return json.writeValueAsString(template.requestBodyAndHeader("direct:poll-cycle", null,
                ServiceTitanClients.CONNECTION, blankToNull(connection)));
    }

    @Override
    public String pausePolling(String connection) throws Exception {
        return json.writeValueAsString(poller.pause(blankToNull(connection)));
    }

    @Override
    public String resumePolling(String connection) throws Exception {
        return json.writeValueAsString(poller.resume(blankToNull(connection)));
    }

    @Override
    public String listDeadLetters() throws Exception {
        return json.writeValueAsString(java.util.Map.of("deadLetters",
                template.requestBody("direct:dead-letters-open", (Object) null)));
    }

    @Override
    public String replayDeadLetter(long id) throws Exception {
        return json.writeValueAsString(deadLetters.replay(String.valueOf(id)));
    }

    @Override
    public String startEnrolmentBackfill(String campaign, String from, String to) throws Exception {
        try {
            return json.writeValueAsString(backfills.start(campaign == null ? "" : campaign.trim(),
                    from == null ? "" : from.trim(), to == null ? "" : to.trim()));
        } catch (io.referralbridge.web.HttpProblem p) {
            // JMX has no status: the reason, as the API says it
            throw new IllegalArgumentException(p.getMessage());
        }
    }

    @Override
    public String enrolmentBackfills() throws Exception {
        return json.writeValueAsString(backfills.list());
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    @Override
    public void close() throws Exception {
        if (ManagementFactory.getPlatformMBeanServer().isRegistered(name)) {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(name);
        }
    }
}

package io.referralbridge.schedule;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;

import javax.sql.DataSource;

import io.referralbridge.config.Settings;
import org.apache.camel.CamelContext;
import org.apache.camel.component.quartz.QuartzComponent;
import org.quartz.utils.ConnectionProvider;
import org.quartz.utils.DBConnectionManager;

/**
 * Quartz with its clustered JDBC job store on the bridge's own PostgreSQL (tables from the V3 migration), so that with
 * several nodes each trigger fires on exactly one node, and a dead node's schedule is taken over by another within the
 * check-in interval. One node alone is a cluster of one: the same code path everywhere.
 */
public final class QuartzCluster {

    /** The Quartz group of the bridge's triggers (quartz:bridge/...). */
    public static final String GROUP = "bridge";
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(QuartzCluster.class);

    private QuartzCluster() {
    }

    /** Configures the camel-quartz component to use the clustered store through the bridge's connection pool. */
    public static void configure(CamelContext context, Properties quartz, DataSource dataSource) {
        // Quartz looks data sources up by name in a JVM-wide registry; the name is unique per bridge instance.
        String dataSourceName = "bridge-" + Integer.toHexString(System.identityHashCode(dataSource));
        DBConnectionManager.getInstance().addConnectionProvider(dataSourceName, new PooledConnections(dataSource));
        Properties p = new Properties();
        p.putAll(quartz);
        p.setProperty("org.quartz.jobStore.dataSource", dataSourceName);
        QuartzComponent component = context.getComponent("quartz", QuartzComponent.class);
        component.setPrefixInstanceName(false);
        component.setProperties(p);
    }

    /**
     * The job store outlives the configuration: a connection taken out of {@code servicetitan.connections} leaves its
     * trigger behind, and in cluster mode camel-quartz never removes triggers. Once started, drop those of the
     * bridge's group that no configured connection owns, so no node keeps firing a poll it has no route for.
     */
    public static void removeStaleTriggers(CamelContext context, java.util.Collection<String> triggerNames) {
        try {
            org.quartz.Scheduler scheduler = context.getComponent("quartz", QuartzComponent.class).getScheduler();
            for (org.quartz.TriggerKey key : scheduler.getTriggerKeys(
                    org.quartz.impl.matchers.GroupMatcher.triggerGroupEquals(GROUP))) {
                if (!triggerNames.contains(key.getName())) {
                    scheduler.unscheduleJob(key);
                    LOG.info("Removed Quartz trigger {}: no ServiceTitan connection of that name is configured", key);
                }
            }
        } catch (org.quartz.SchedulerException e) {
            // Not worth refusing to start for: the next start tries again.
            LOG.warn("Could not remove Quartz triggers of connections no longer configured: {}", e.toString());
        }
    }

    /** The scheduler's settings, checked at startup before any I/O (the data source is added by configure). */
    public static Properties properties(Settings s, int triggers) {
        Properties p = new Properties();
        // Nodes of one cluster share the scheduler name (and camel.main.name); each gets its own instance id.
        p.setProperty("org.quartz.scheduler.instanceName", s.get("bridge.cluster.name",
                s.required("camel.main.name")));
        p.setProperty("org.quartz.scheduler.instanceId", "AUTO");
        p.setProperty("org.quartz.threadPool.threadCount", String.valueOf(Math.max(2, triggers + 1)));
        p.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
        p.setProperty("org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate");
        p.setProperty("org.quartz.jobStore.isClustered", "true");
        long checkin = s.getLong("bridge.cluster.checkin-interval-ms");
        if (checkin < 1000) {
            throw Settings.invalid("bridge.cluster.checkin-interval-ms", String.valueOf(checkin), "at least 1000");
        }
        p.setProperty("org.quartz.jobStore.clusterCheckinInterval", String.valueOf(checkin));
        p.setProperty("org.quartz.jobStore.misfireThreshold",
                String.valueOf(s.getLong("bridge.cluster.misfire-threshold-ms")));
        return p;
    }

    /** Hands Quartz connections from the bridge's HikariCP pool; the pool is closed by the bridge, not by Quartz. */
    static final class PooledConnections implements ConnectionProvider {
        private final DataSource dataSource;

        PooledConnections(DataSource dataSource) {
            this.dataSource = dataSource;
        }

        @Override
        public Connection getConnection() throws SQLException {
            return dataSource.getConnection();
        }

        @Override
        public void shutdown() {
            // the bridge closes its pool when the CamelContext stops
        }

        @Override
        public void initialize() {
            // nothing to do: the pool is already open
        }
    }
}

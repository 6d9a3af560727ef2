package io.referralbridge.ops;

import java.sql.Connection;
import java.util.Map;

import javax.sql.DataSource;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/** Readiness: the bridge can only accept webhooks while PostgreSQL answers. */
public final class DatabaseHealthCheck extends AbstractHealthCheck {

    private final DataSource ds;

    public DatabaseHealthCheck(DataSource ds) {
        super("bridge", "database");
        this.ds = ds;
    }

    @Override
    public boolean isLiveness() {
        return false; // a database outage is not a reason to restart the process: it recovers by itself
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        try (Connection c = ds.getConnection()) {
            if (c.isValid(2)) {
                builder.up();
            } else {
                builder.down().message("PostgreSQL connection is not valid");
            }
        } catch (Exception e) {
            builder.down().message("PostgreSQL unreachable: " + e.getMessage());
        }
    }
}

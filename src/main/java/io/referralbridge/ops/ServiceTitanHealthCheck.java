package io.referralbridge.ops;

import java.util.Collection;
import java.util.Map;

import io.referralbridge.servicetitan.ServiceTitanClient;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness: a ServiceTitan access token can be obtained (cached tokens make this cheap). With several connections the
 * check is down only when none can get one: a single failing tenant must not take every node out of the load balancer
 * and stop intake for the others. Each connection's state is in the details.
 */
public final class ServiceTitanHealthCheck extends AbstractHealthCheck {

    private final Collection<ServiceTitanClient> clients;

    public ServiceTitanHealthCheck(Collection<ServiceTitanClient> clients) {
        super("bridge", "servicetitan-token");
        this.clients = clients;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    private static final long HEALTH_WAIT_MS = 2_000;

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        int up = 0;
        StringBuilder failures = new StringBuilder();
        for (ServiceTitanClient client : clients) {
            String name = client.connection().name();
            try {
                client.accessToken(HEALTH_WAIT_MS); // a slow token endpoint is down, not a hung probe
                builder.detail("connection." + name, "up");
                up++;
            } catch (Exception e) {
                builder.detail("connection." + name, "down: " + e.getMessage());
                failures.append(failures.isEmpty() ? "" : "; ").append(name).append(": ").append(e.getMessage());
            }
        }
        if (up == 0) {
            builder.down().message("No ServiceTitan access token: " + failures);
        } else {
            builder.up();
        }
    }
}

package io.referralbridge.ops;

import java.util.Map;

import io.referralbridge.servicetitan.ServiceTitanClient;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/** Readiness: a ServiceTitan access token can be obtained (cached tokens make this cheap). */
public final class ServiceTitanHealthCheck extends AbstractHealthCheck {

    private final ServiceTitanClient client;

    public ServiceTitanHealthCheck(ServiceTitanClient client) {
        super("bridge", "servicetitan-token-" + client.connection().name());
        this.client = client;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        try {
            client.accessToken();
            builder.up();
        } catch (Exception e) {
            builder.down().message("No ServiceTitan access token: " + e.getMessage());
        }
    }
}

package io.referralbridge.schedule;

import java.util.List;

import io.referralbridge.servicetitan.ServiceTitanConnection;
import org.apache.camel.Ordered;
import org.apache.camel.builder.RouteBuilder;

/**
 * Makes each configured ServiceTitan connection's routes from the route templates in
 * {@code routes/servicetitan-connection.camel.yaml}: its poll and its booking queue. In Java only because their number
 * follows the configuration; the routes themselves are in the YAML.
 */
public final class ConnectionRoutes extends RouteBuilder implements Ordered {

    private final List<ServiceTitanConnection> connections;

    public ConnectionRoutes(List<ServiceTitanConnection> connections) {
        this.connections = connections;
    }

    /** The route id of a connection's poll, also its Quartz trigger name (group {@link QuartzCluster#GROUP}). */
    public static String pollTrigger(String connection) {
        return "servicetitan-poll-" + connection;
    }

    @Override
    public void configure() {
        for (ServiceTitanConnection c : connections) {
            templatedRoute("servicetitan-poll").routeId(pollTrigger(c.name()))
                    .parameter("connection", c.name()).parameter("trigger", c.pollTrigger());
            templatedRoute("booking-outbox").routeId("booking-outbox-" + c.name())
                    .parameter("connection", c.name());
        }
    }

    /** After the YAML routes, which hold the templates. */
    @Override
    public int getOrder() {
        return Ordered.LOWEST;
    }
}

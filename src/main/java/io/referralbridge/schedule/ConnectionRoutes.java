package io.referralbridge.schedule;

import java.util.List;

import io.referralbridge.servicetitan.ServiceTitanConnection;
import org.apache.camel.Ordered;
import org.apache.camel.builder.RouteBuilder;

/**
 * Makes each configured ServiceTitan connection's routes from the route templates in
 * {@code routes/servicetitan-connection.camel.yaml}: its poll, its ServiceTitan webhook, its booking queue, (when
 * a campaign writes referrer data) its referrer-write queue and (when a campaign enrols customers) its enrolment queue. In Java only because their number
 * follows the configuration; the routes themselves are in the YAML.
 */
public final class ConnectionRoutes extends RouteBuilder implements Ordered {

    private final List<ServiceTitanConnection> connections;

    private final boolean referrerWrites;
    private final boolean enrolments;

    /**
     * {@code referrerWrites}: some campaign writes referrer data to ServiceTitan; {@code enrolments}: some campaign
     * enrols customers (each a queue worker per connection).
     */
    public ConnectionRoutes(List<ServiceTitanConnection> connections, boolean referrerWrites, boolean enrolments) {
        this.connections = connections;
        this.referrerWrites = referrerWrites;
        this.enrolments = enrolments;
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
            templatedRoute("connection-queue").routeId("booking-outbox-" + c.name())
                    .parameter("connection", c.name()).parameter("kind", "create_booking")
                    .parameter("task", "direct:create-booking");
            templatedRoute("servicetitan-webhook").routeId("servicetitan-webhook-" + c.name())
                    .parameter("connection", c.name());
            if (referrerWrites) {
                templatedRoute("connection-queue").routeId("referrer-outbox-" + c.name())
                        .parameter("connection", c.name()).parameter("kind", "write_referrer")
                        .parameter("task", "direct:write-referrer");
            }
            if (enrolments) {
                templatedRoute("connection-queue").routeId("enrolment-outbox-" + c.name())
                        .parameter("connection", c.name()).parameter("kind", "enrol_customer")
                        .parameter("task", "direct:enrol-customer");
            }
        }
    }

    /** After the YAML routes, which hold the templates. */
    @Override
    public int getOrder() {
        return Ordered.LOWEST;
    }
}

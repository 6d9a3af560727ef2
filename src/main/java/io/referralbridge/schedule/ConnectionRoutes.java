package io.referralbridge.schedule;

import java.util.List;

import io.referralbridge.servicetitan.ServiceTitanClients;
import io.referralbridge.servicetitan.ServiceTitanConnection;
import org.apache.camel.builder.RouteBuilder;

/**
 * The two schedules each ServiceTitan connection owns: its poll (Quartz, clustered: one node runs a cycle, never two
 * at once) and its booking queue (claimed with SKIP LOCKED, so every node shares it). In Java because their number
 * follows the configuration; the work they start is in the YAML routes poll-cycle and create-booking. A slow or failing
 * tenant holds up only its own routes.
 */
public final class ConnectionRoutes extends RouteBuilder {

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
            String name = c.name();
            from("quartz:" + QuartzCluster.GROUP + "/" + pollTrigger(name) + "?stateful=true&" + c.pollTrigger())
                    .routeId(pollTrigger(name))
                    .routeDescription("Quartz trigger of the poll cycle of ServiceTitan connection " + name)
                    .routeConfigurationId("poll-errors")
                    .setProperty("scheduled", constant(true)) // paused polling skips scheduled cycles only
                    .setHeader(ServiceTitanClients.CONNECTION, constant(name))
                    .to("direct:poll-cycle");

            // One worker per queue and node: it waits for new work (or the sweep interval), claims, books, and again.
            from("timer:booking-outbox-" + name + "?period=1&synchronous=true&delay={{bridge.outbox.initial-delay-ms}}")
                    .routeId("booking-outbox-" + name)
                    .routeDescription("Claims pending booking tasks of ServiceTitan connection " + name)
                    .bean("wakeUp", "await('create_booking', '" + name + "')")
                    .bean("outbox", "claim('create_booking', '" + name + "')")
                    .split(body())
                        .to("direct:create-booking");
        }
    }
}

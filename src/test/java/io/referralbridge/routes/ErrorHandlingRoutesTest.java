package io.referralbridge.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.Exchange;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.apache.camel.main.MainConfigurationProperties;
import org.junit.jupiter.api.Test;

/**
 * The route configurations of routes/error-handling.camel.yaml, as camel-main loads them: what a failure becomes on a
 * route that calls an external system, and on the poll.
 */
class ErrorHandlingRoutesTest extends org.apache.camel.test.main.junit5.CamelMainTestSupport {

    final AtomicInteger attempts = new AtomicInteger();

    @Override
    protected void configure(MainConfigurationProperties configuration) {
        configuration.withRoutesIncludePattern("file:routes/error-handling.camel.yaml");
    }

    @Override
    protected RoutesBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:task-failed").routeId("task-failed").to("mock:task-failed");
                from("direct:call").routeId("call").routeConfigurationId("external-calls")
                        .setBody(constant("the request, as sent"))
                        .process(e -> {
                            attempts.incrementAndGet();
                            throw new HttpOperationFailedException("http://servicetitan/bookings", 503,
                                    "Service Unavailable", null, Map.of("Retry-After", "7"), "");
                        });
                from("direct:poll").routeId("poll").routeConfigurationId("poll-errors")
                        .throwException(new IllegalStateException("ServiceTitan did not answer"));
            }
        };
    }

    @Test
    void aFailedCallIsTriedOnceAndItsTaskGoesToTaskFailedAsClaimed() throws Exception {
        MockEndpoint failed = getMockEndpoint("mock:task-failed");
        failed.expectedMessageCount(1);
        failed.expectedBodiesReceived("task 42"); // the claimed task (original message), not the request
        NotifyBuilder done = new NotifyBuilder(context).fromRoute("call").whenDone(1).create();
        template.sendBody("direct:call", "task 42");
        done.matches(5, java.util.concurrent.TimeUnit.SECONDS);
        failed.assertIsSatisfied();
        assertEquals(1, attempts.get(), "no automatic retry: the back-off waits in the outbox table");
        Exchange at = failed.getReceivedExchanges().get(0);
        HttpOperationFailedException cause = assertInstanceOf(HttpOperationFailedException.class,
                at.getProperty(Exchange.EXCEPTION_CAUGHT));
        assertEquals("7", cause.getResponseHeaders().get("Retry-After"), "Retry-After reaches the back-off");
    }

    @Test
    void aFailedPollCycleIsLoggedAndLeftToTheNextTrigger() {
        Exchange result = template.send("direct:poll", e -> e.getMessage().setHeader("connection", "default"));
        assertNull(result.getException(), "handled: the trigger is not failed, the next one retries");
    }
}

package io.referralbridge.servicetitan;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;

/** One {@link ServiceTitanClient} per configured connection (tenant), each with its own token and pace. */
public final class ServiceTitanClients {

    public static final String CONNECTION = "connection";
    /** The booking request of the create-booking route (set by its first step). */
    public static final String BOOKING_REQUEST = "bookingRequest";
    public static final String BOOKING_PROVIDER = "bookingProvider";

    private final Map<String, ServiceTitanClient> byName = new LinkedHashMap<>();

    public ServiceTitanClients(Collection<ServiceTitanClient> clients) {
        clients.forEach(c -> byName.put(c.connection().name(), c));
    }

    public ServiceTitanClient get(String connection) {
        ServiceTitanClient c = byName.get(connection);
        if (c == null) {
            throw new IllegalArgumentException("No ServiceTitan connection named '" + connection + "'");
        }
        return c;
    }

    public Collection<ServiceTitanClient> all() {
        return byName.values();
    }

    /** The configured connection names, in configuration order. */
    public java.util.Set<String> names() {
        return byName.keySet();
    }

    // ---- the steps of the routes (bean "serviceTitan"), each for the exchange's connection ----

    /** Before the look-up: GET the provider's bookings with the referral's code as externalId. */
    public void findBooking(Exchange exchange) {
        ObjectNode booking = exchange.getProperty(BOOKING_REQUEST, ObjectNode.class);
        of(exchange).findBookingRequest(exchange, exchange.getProperty(BOOKING_PROVIDER, Long.class),
                booking.path("externalId").asText());
    }

    /** After the look-up: the booking this referral already has, or null. */
    public JsonNode bookingFound(Exchange exchange) {
        ObjectNode booking = exchange.getProperty(BOOKING_REQUEST, ObjectNode.class);
        return of(exchange).bookingFound(exchange.getMessage().getBody(JsonNode.class),
                booking.path("externalId").asText());
    }

    /** The customer ServiceTitan already has with the booking request's email or phone: its id, or null. */
    public Long findCustomer(Exchange exchange) throws Exception {
        String email = null;
        String phone = null;
        for (JsonNode c : exchange.getProperty(BOOKING_REQUEST, ObjectNode.class).path("contacts")) {
            String type = c.path("type").asText();
            if (email == null && type.equals("Email")) {
                email = c.path("value").asText(null);
            } else if (phone == null && (type.equals("Phone") || type.equals("MobilePhone"))) {
                phone = c.path("value").asText(null);
            }
        }
        return of(exchange).findCustomer(email, phone);
    }

    /** Before the create: POST the booking request. */
    public void createBooking(Exchange exchange) {
        of(exchange).createBookingRequest(exchange, exchange.getProperty(BOOKING_PROVIDER, Long.class),
                exchange.getProperty(BOOKING_REQUEST, ObjectNode.class));
    }

    public void authorize(Exchange exchange) throws Exception {
        of(exchange).authorize(exchange);
    }

    public void tokenRefused(Exchange exchange) throws Exception {
        of(exchange).tokenRefused(exchange);
    }

    public void answer(Exchange exchange) {
        of(exchange).answer(exchange);
    }

    public void failed(Exchange exchange) throws Exception {
        of(exchange).failed(exchange);
    }

    private ServiceTitanClient of(Exchange exchange) {
        return get(exchange.getProperty(CONNECTION, String.class));
    }
}

package io.referralbridge.servicetitan;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Body;
import org.apache.camel.ExchangeProperty;

/** One {@link ServiceTitanClient} per configured connection (tenant), each with its own token and pace. */
public final class ServiceTitanClients {

    public static final String CONNECTION = "connection";

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

    /** The create-booking route's call: the booking, found or made, in the referral's own tenant. */
    public JsonNode ensureBooking(@ExchangeProperty(CONNECTION) String connection,
                                  @ExchangeProperty("bookingProvider") long bookingProvider,
                                  @Body ObjectNode booking) throws Exception {
        return get(connection).ensureBooking(bookingProvider, booking);
    }
}

package io.referralbridge.servicetitan;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import io.referralbridge.config.ConfigurationException;
import io.referralbridge.config.Settings;

/**
 * One ServiceTitan tenant as the bridge reaches it. Production and the sandbox differ only in these values. Each
 * connection has its own token, request pace, poll schedule and continuation tokens, and serves its own campaigns.
 * {@code applicationGuid} scopes the externalData the bridge writes on the tenant's jobs and customers.
 */
public record ServiceTitanConnection(String name, String authUrl, String apiUrl, String tenantId, String appKey,
                                     String clientId, String clientSecret, int refreshMarginSeconds,
                                     int connectTimeoutMs, int responseTimeoutMs, double maxRequestsPerSecond,
                                     String pollTrigger, List<String> campaigns, String bookingProvider,
                                     boolean includeRecentChanges, String applicationGuid,
                                     List<String> webhookHmacKeys, boolean webhookAcceptUnsigned) {

    /** The name of the single connection configured with plain {@code servicetitan.*} settings. */
    public static final String DEFAULT = "default";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");

    /**
     * {@code servicetitan.connections = north, south} with {@code servicetitan.connection.<name>.*} for each; without
     * it, one connection named "default" from {@code servicetitan.*} that serves every campaign. A connection's setting
     * falls back to the shared {@code servicetitan.*} one where that makes sense (URLs, timeouts, pace).
     */
    public static List<ServiceTitanConnection> listFrom(Settings s) {
        List<String> names = s.getList("servicetitan.connections");
        if (names.isEmpty()) {
            return List.of(read(s, DEFAULT, "servicetitan."));
        }
        List<ServiceTitanConnection> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String name : names) {
            if (!NAME.matcher(name).matches()) {
                throw Settings.invalid("servicetitan.connections", name,
                        "names of lower-case letters, digits and '-' (they become route ids and environment variables)");
            }
            if (!seen.add(name)) {
                throw Settings.invalid("servicetitan.connections", String.join(",", names), "each name once");
            }
            ServiceTitanConnection c = read(s, name, "servicetitan.connection." + name + ".");
            if (c.campaigns().isEmpty()) {
                throw new ConfigurationException("ServiceTitan connection '" + name + "' serves no campaign: set "
                        + "servicetitan.connection." + name + ".campaigns");
            }
            out.add(c);
        }
        return List.copyOf(out);
    }

    private static ServiceTitanConnection read(Settings s, String name, String p) {
        return new ServiceTitanConnection(
                name,
                trimSlash(shared(s, p, "auth-url")),
                trimSlash(shared(s, p, "api-url")),
                s.required(p + "tenant-id"),
                s.required(p + "app-key"),
                s.required(p + "client-id"),
                s.required(p + "client-secret"),
                Settings.parseInt(p + "token-refresh-margin-seconds", shared(s, p, "token-refresh-margin-seconds")),
                Settings.parseInt(p + "connect-timeout-ms", shared(s, p, "connect-timeout-ms")),
                Settings.parseInt(p + "response-timeout-ms", shared(s, p, "response-timeout-ms")),
                maxRate(p + "max-requests-per-second", shared(s, p, "max-requests-per-second")),
                s.optional(p + "poll-trigger").orElseGet(() -> s.required("bridge.poll.trigger")),
                // The single default connection serves every campaign.
                name.equals(DEFAULT) ? s.getList("bridge.campaigns") : s.getList(p + "campaigns"),
                s.optional(p + "booking-provider").orElse(null),
                Settings.parseBoolean(p + "include-recent-changes", shared(s, p, "include-recent-changes")),
                guid(p + "application-guid", s.optional(p + "application-guid")
                        .or(() -> s.optional("servicetitan.application-guid")).orElse(null)),
                hmacKeys(s, p),
                Settings.parseBoolean(p + "webhook-accept-unsigned", s.optional(p + "webhook-accept-unsigned")
                        .orElseGet(() -> s.required("servicetitan.webhook.accept-unsigned"))));
    }

    /**
     * The HMAC keys of ServiceTitan's webhooks to this connection (several during a rotation): 32 to 64 characters, as
     * ServiceTitan's developer portal makes them.
     */
    private static List<String> hmacKeys(Settings s, String p) {
        String key = s.optional(p + "webhook-hmac-keys").isPresent() ? p + "webhook-hmac-keys"
                : "servicetitan.webhook.hmac-keys";
        List<String> keys = s.getList(key);
        for (String k : keys) {
            if (k.length() < 32 || k.length() > 64) {
                throw new ConfigurationException("Invalid setting '" + key + "': each HMAC key has 32 to 64 "
                        + "characters, as ServiceTitan's developer portal makes them (one has " + k.length() + ")");
            }
        }
        return List.copyOf(keys);
    }

    /** The GUID under which the bridge's externalData is kept on jobs and customers (null: none written). */
    private static String guid(String key, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return java.util.UUID.fromString(value.trim()).toString();
        } catch (IllegalArgumentException e) {
            throw Settings.invalid(key, value, "a GUID such as 0f8fad5b-d9cb-469f-a165-70867728950e");
        }
    }

    /**
     * The connection's own value, else the shared servicetitan.* one (application.properties holds the shared
     * defaults); missing: named as the connection's key.
     */
    private static String shared(Settings s, String p, String key) {
        return s.optional(p + key).or(() -> s.optional("servicetitan." + key))
                .orElseThrow(() -> Settings.missing(p + key));
    }

    private static double maxRate(String key, String value) {
        try {
            double rate = Double.parseDouble(value);
            if (rate > 0) {
                return rate;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw Settings.invalid(key, value, "a positive number");
    }

    private static String trimSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    @Override
    public String toString() {
        // Never print credentials.
        return "ServiceTitanConnection[" + name + ", tenant=" + tenantId + ", api=" + apiUrl + "]";
    }
}

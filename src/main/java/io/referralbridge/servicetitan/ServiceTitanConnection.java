package io.referralbridge.servicetitan;

import io.referralbridge.config.Settings;

/** One ServiceTitan tenant as the bridge reaches it. Production and the sandbox differ only in these values. */
public record ServiceTitanConnection(String authUrl, String apiUrl, String tenantId, String appKey, String clientId,
                                     String clientSecret, int refreshMarginSeconds, int connectTimeoutMs,
                                     int responseTimeoutMs, double maxRequestsPerSecond) {

    public static ServiceTitanConnection from(Settings s) {
        return new ServiceTitanConnection(
                trimSlash(s.required("servicetitan.auth-url")),
                trimSlash(s.required("servicetitan.api-url")),
                s.required("servicetitan.tenant-id"),
                s.required("servicetitan.app-key"),
                s.required("servicetitan.client-id"),
                s.required("servicetitan.client-secret"),
                s.getInt("servicetitan.token-refresh-margin-seconds", 60),
                s.getInt("servicetitan.connect-timeout-ms", 5000),
                s.getInt("servicetitan.response-timeout-ms", 30000),
                maxRate(s));
    }

    private static double maxRate(Settings s) {
        String key = "servicetitan.max-requests-per-second";
        String value = s.get(key, "50");
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
        return "ServiceTitanConnection[tenant=" + tenantId + ", api=" + apiUrl + "]";
    }
}

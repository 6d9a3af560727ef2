package io.referralbridge.platform;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.camel.Exchange;

/**
 * The notify-platform route's steps (bean referralPlatform), each carried out by the client of the notice's platform
 * (property {@link #PLATFORM}, set by the route's first step from the task's queue): one route for every platform, each
 * call in its platform's shape.
 */
public final class ReferralPlatforms {

    /** The exchange property naming the notice's platform. */
    public static final String PLATFORM = "platformName";

    private final Map<String, ReferralPlatformClient> clients = new LinkedHashMap<>();

    public ReferralPlatforms(Map<String, ReferralPlatformClient> clients) {
        this.clients.putAll(clients);
    }

    public ReferralPlatformClient client(String platform) {
        ReferralPlatformClient c = clients.get(platform);
        if (c == null) {
            throw new io.referralbridge.campaign.MappingException("No referral platform named '" + platform
                    + "' is configured (bridge.platforms)");
        }
        return c;
    }

    private ReferralPlatformClient of(Exchange exchange) {
        return client(exchange.getProperty(PLATFORM, Platforms.DEFAULT, String.class));
    }

    public void readUserRequest(Exchange exchange) {
        of(exchange).readUserRequest(exchange);
    }

    public void userRead(Exchange exchange) throws Exception {
        of(exchange).userRead(exchange);
    }

    public void userUnknown(Exchange exchange) {
        of(exchange).userUnknown(exchange);
    }

    public void qualifyRequest(Exchange exchange) throws Exception {
        of(exchange).qualifyRequest(exchange);
    }

    public int answered(Exchange exchange) throws Exception {
        return of(exchange).answered(exchange);
    }

    /** The probe after a failed notice, on the notice's own platform. */
    public boolean answers(Exchange failed) {
        return of(failed).answers(failed);
    }

    /** Whether any platform can be told qualified:false. */
    public boolean anyUnqualifies() {
        return clients.values().stream().anyMatch(ReferralPlatformClient::unqualifies);
    }
}

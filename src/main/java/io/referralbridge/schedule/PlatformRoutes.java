package io.referralbridge.schedule;

import java.util.Map;

import org.apache.camel.Ordered;
import org.apache.camel.builder.RouteBuilder;

/**
 * Makes each referral platform's routes from the route templates in {@code routes/referral-intake.camel.yaml} and
 * {@code routes/platform-notification.camel.yaml}: its webhook intake and its notice queue (route ids
 * {@code referral-intake} and {@code platform-outbox} for the default platform, {@code referral-intake-<name>} and
 * {@code platform-outbox-<name>} for the others). In Java only because their number follows the configuration.
 */
public final class PlatformRoutes extends RouteBuilder implements Ordered {

    private final Map<String, String> pathByPlatform;

    /** Each platform's name and intake path, the default platform first. */
    public PlatformRoutes(Map<String, String> pathByPlatform) {
        this.pathByPlatform = pathByPlatform;
    }

    @Override
    public void configure() {
        pathByPlatform.forEach((platform, path) -> {
            boolean first = platform.equals(io.referralbridge.platform.Platforms.DEFAULT);
            templatedRoute("referral-intake").routeId(first ? "referral-intake" : "referral-intake-" + platform)
                    .parameter("platform", platform).parameter("path", path);
            templatedRoute("platform-queue").routeId(first ? "platform-outbox" : "platform-outbox-" + platform)
                    .parameter("platform", platform);
        });
    }

    /** After the YAML routes, which hold the templates. */
    @Override
    public int getOrder() {
        return Ordered.LOWEST;
    }
}

package io.referralbridge.intake;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.referralbridge.campaign.Campaigns;
import io.referralbridge.platform.Platforms;
import org.apache.camel.Exchange;

/**
 * The intake's first two steps for each referral platform (route template referral-intake): its own verifier (scheme
 * and secrets) and parser (field pointers, and only its own campaigns).
 */
public final class PlatformIntakes {

    private final Map<String, WebhookVerifier> verifiers = new LinkedHashMap<>();
    private final Map<String, ReferralParser> parsers = new LinkedHashMap<>();

    public PlatformIntakes(Platforms platforms, ObjectMapper strictJson, Campaigns campaigns) {
        for (Platforms.Platform p : platforms.all()) {
            verifiers.put(p.name(), p.verifier());
            parsers.put(p.name(), new ReferralParser(strictJson, p.fields(), campaigns, p.name(), p.campaigns()));
        }
    }

    /** Size, content type and the platform's signature (or secret header). */
    public void verify(Exchange exchange, String platform) {
        verifiers.get(platform).verify(exchange);
    }

    /** The referral (of the platform, one of its campaigns), or {@link ReferralParser.Ignored}. */
    public Object parse(Exchange exchange, String platform) {
        return parsers.get(platform).parse(exchange);
    }
}

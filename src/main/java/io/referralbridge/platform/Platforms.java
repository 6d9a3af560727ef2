package io.referralbridge.platform;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.referralbridge.campaign.Campaign;
import io.referralbridge.campaign.Campaigns;
import io.referralbridge.campaign.PlatformFields;
import io.referralbridge.config.ConfigurationException;
import io.referralbridge.config.Settings;
import io.referralbridge.intake.WebhookVerifier;

/**
 * The referral platforms of this deployment: the default one ({@code platform.*}, {@code bridge.webhook.*},
 * {@code bridge.fields.*}; intake {@code POST /webhooks/referrals}) and each named in {@code bridge.platforms} (the same
 * settings under {@code platform.<name>.}, its own profile, secrets and campaigns; intake
 * {@code POST /webhooks/referrals/<name>}). A campaign belongs to one platform: the one whose
 * {@code platform.<name>.campaigns} lists it, else the default. Read and checked at startup, before any I/O.
 */
public final class Platforms {

    public static final String DEFAULT = "default";

    /** One platform: how its webhooks are verified and read, how it is called, which campaigns are its. */
    public record Platform(String name, String path, Settings settings, PlatformConnection connection,
                           PlatformFields fields, WebhookVerifier verifier, Set<String> campaigns) {
    }

    private final Map<String, Platform> byName;
    private final Map<String, String> platformOfCampaign;

    private Platforms(Map<String, Platform> byName, Map<String, String> platformOfCampaign) {
        this.byName = byName;
        this.platformOfCampaign = platformOfCampaign;
    }

    /** {@code shared}: the settings over the default platform's profile. */
    public static Platforms from(Settings shared, Settings plain, Campaigns campaigns, Clock clock) {
        List<String> names = plain.getList("bridge.platforms");
        Map<String, Set<String>> claimed = new LinkedHashMap<>();
        Map<String, String> owner = new LinkedHashMap<>();
        for (String name : names) {
            if (!name.matches("[a-z0-9][a-z0-9-]{0,30}") || name.equals(DEFAULT)) {
                throw Settings.invalid("bridge.platforms", String.join(",", names), "names of lower-case letters, "
                        + "digits and hyphens, other than 'default'");
            }
            Set<String> ids = new LinkedHashSet<>(plain.getList("platform." + name + ".campaigns"));
            if (ids.isEmpty()) {
                throw Settings.missing("platform." + name + ".campaigns");
            }
            for (String id : ids) {
                if (campaigns.find(id).isEmpty()) {
                    throw new ConfigurationException("Invalid setting 'platform." + name + ".campaigns': campaign "
                            + id + " is not in bridge.campaigns");
                }
                String before = owner.put(id, name);
                if (before != null) {
                    throw new ConfigurationException("Campaign " + id + " is in two platforms (" + before + ", "
                            + name + "): keep it in one platform.<name>.campaigns");
                }
            }
            claimed.put(name, ids);
        }
        Set<String> rest = new LinkedHashSet<>();
        for (Campaign c : campaigns.all()) {
            if (!owner.containsKey(c.id())) {
                rest.add(c.id());
                owner.put(c.id(), DEFAULT);
            }
        }
        Map<String, Platform> byName = new LinkedHashMap<>();
        byName.put(DEFAULT, platform(DEFAULT, "/webhooks/referrals", shared, rest, clock));
        for (String name : names) {
            Settings own = plain.forPlatform(name, PlatformProfiles.load(plain.forPlatform(name,
                    new java.util.Properties())));
            byName.put(name, platform(name, "/webhooks/referrals/" + name, own, claimed.get(name), clock));
        }
        return new Platforms(byName, owner);
    }

    private static Platform platform(String name, String path, Settings s, Set<String> campaigns, Clock clock) {
        PlatformFields fields = PlatformFields.from(s);
        if (fields.campaignDefault() != null && !campaigns.contains(fields.campaignDefault())) {
            throw Settings.invalid(s.name("bridge.fields.campaign-default"), fields.campaignDefault(),
                    "one of this platform's campaigns " + campaigns);
        }
        return new Platform(name, path, s, PlatformConnection.from(s), fields, WebhookVerifier.from(s, clock),
                Set.copyOf(campaigns));
    }

    public Collection<Platform> all() {
        return byName.values();
    }

    public Platform get(String name) {
        Platform p = byName.get(name);
        if (p == null) {
            throw new IllegalArgumentException("No referral platform named '" + name + "'");
        }
        return p;
    }

    /** The platform a campaign belongs to. */
    public Platform of(String campaignId) {
        return get(platformOfCampaign.getOrDefault(campaignId, DEFAULT));
    }

    public List<String> names() {
        return new ArrayList<>(byName.keySet());
    }
}

package io.referralbridge.platform;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;

import io.referralbridge.config.Settings;

/**
 * The shipped platform profiles: for each platform, the defaults of its settings (the intake's scheme, event types
 * and field pointers; the outbound calls, auth and answers), in {@code platform-profiles/<name>.properties}. The
 * configuration chooses one with {@code platform.profile} and overrides any of its settings; {@code custom} has no
 * defaults, so every setting is given in the configuration.
 */
public final class PlatformProfiles {

    /** standard: the bridge's own contract (shared/referral-platform.md); the others, each platform's public API. */
    public static final List<String> NAMES = List.of("standard", "referral-factory", "growsurf", "referralhero",
            "custom");

    private PlatformProfiles() {
    }

    /** The defaults of the profile the configuration names. */
    public static Properties load(Settings s) {
        String name = s.required("platform.profile");
        if (!NAMES.contains(name)) {
            throw Settings.invalid(s.name("platform.profile"), name, "one of " + String.join(", ", NAMES));
        }
        return load(name);
    }

    public static Properties load(String name) {
        Properties p = new Properties();
        if (name.equals("custom")) {
            return p;
        }
        try (InputStream in = PlatformProfiles.class.getClassLoader().getResourceAsStream(
                "platform-profiles/" + name + ".properties")) {
            p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
            return p;
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("Platform profile " + name + " is missing from the jar", e);
        }
    }
}

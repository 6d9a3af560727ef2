package io.referralbridge.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;

/**
 * Typed, validated reads of the bridge's configuration. Every property can be given as an environment variable in upper
 * snake case (servicetitan.client-secret -> SERVICETITAN_CLIENT_SECRET); error messages name both.
 */
public final class Settings {

    private final PropertiesComponent properties;
    private final java.util.Properties profile;
    private final java.util.function.UnaryOperator<String> rename;

    public Settings(CamelContext context) {
        this(context.getPropertiesComponent(), new java.util.Properties(), java.util.function.UnaryOperator.identity());
    }

    private Settings(PropertiesComponent properties, java.util.Properties profile,
                     java.util.function.UnaryOperator<String> rename) {
        this.properties = properties;
        this.profile = profile;
        this.rename = rename;
    }

    /**
     * These settings over a platform profile's defaults: a key the configuration does not set (not even to empty) is
     * read from the profile.
     */
    public Settings withProfile(java.util.Properties defaults) {
        return new Settings(properties, defaults, rename);
    }

    /**
     * The settings of a named platform (bridge.platforms): {@code platform.X} is read as {@code platform.<name>.X},
     * {@code bridge.webhook.X} as {@code platform.<name>.webhook.X}, {@code bridge.fields.X} as
     * {@code platform.<name>.fields.X}, over that platform's profile; other settings are shared.
     */
    public Settings forPlatform(String name, java.util.Properties defaults) {
        String p = "platform." + name + ".";
        return new Settings(properties, defaults, key -> key.startsWith("bridge.webhook.")
                ? p + "webhook." + key.substring("bridge.webhook.".length())
                : key.startsWith("bridge.fields.") ? p + "fields." + key.substring("bridge.fields.".length())
                : key.startsWith("platform.") ? p + key.substring("platform.".length()) : key);
    }

    /** Settings a named platform takes from the deployment's unless it sets its own (never secrets or URLs). */
    private static final java.util.Set<String> SHARED_BY_PLATFORMS = java.util.Set.of("platform.mode",
            "platform.connect-timeout-ms", "platform.response-timeout-ms", "bridge.webhook.tolerance-seconds",
            "bridge.webhook.max-body-bytes");

    /** The name a setting has here (a named platform's own), for messages. */
    public String name(String key) {
        return rename.apply(key);
    }

    public static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public Optional<String> optional(String key) {
        String own = rename.apply(key);
        String env = System.getenv(envName(own));
        if (env != null && !env.isBlank()) {
            return Optional.of(env.trim());
        }
        Optional<String> set = properties.resolveProperty(own);
        if (set.isEmpty() && profile.containsKey(key)) {
            set = Optional.of(profile.getProperty(key));
        }
        if (set.isEmpty() && !own.equals(key) && SHARED_BY_PLATFORMS.contains(key)) {
            set = properties.resolveProperty(key); // a named platform without its own: the deployment's
        }
        return set.map(String::trim).filter(v -> !v.isEmpty());
    }

    public String required(String key) {
        return optional(key).orElseThrow(() -> missing(rename.apply(key)));
    }

    // Defaults are written once, in application.properties: these (like required) read a setting it must hold (or
    // the environment), and name the property when it is missing. The overloads with a default are for settings it
    // leaves out on purpose (profile-only and optional ones).

    public int getInt(String key) {
        return parseInt(name(key), required(key));
    }

    /** {@link #getInt(String)}, refusing values below {@code min} with the property's name. */
    public int getIntAtLeast(String key, int min) {
        int value = getInt(key);
        if (value < min) {
            throw invalid(name(key), String.valueOf(value), "at least " + min);
        }
        return value;
    }

    public long getLong(String key) {
        return parseLong(name(key), required(key));
    }

    public boolean getBoolean(String key) {
        return parseBoolean(name(key), required(key));
    }

    public String get(String key, String defaultValue) {
        return optional(key).orElse(defaultValue);
    }

    public int getInt(String key, int defaultValue) {
        return optional(key).map(v -> parseInt(name(key), v)).orElse(defaultValue);
    }

    /** {@link #getInt(String, int)}, refusing values below {@code min} with the property's name. */
    public int getInt(String key, int defaultValue, int min) {
        int value = getInt(key, defaultValue);
        if (value < min) {
            throw invalid(name(key), String.valueOf(value), "at least " + min);
        }
        return value;
    }

    public long getLong(String key, long defaultValue) {
        return optional(key).map(v -> parseLong(name(key), v)).orElse(defaultValue);
    }

    public boolean getBoolean(String key, boolean defaultValue) {
        return optional(key).map(v -> parseBoolean(name(key), v)).orElse(defaultValue);
    }

    public List<String> getList(String key) {
        List<String> out = new ArrayList<>();
        optional(key).ifPresent(v -> {
            for (String part : v.split(",")) {
                if (!part.isBlank()) {
                    out.add(part.trim());
                }
            }
        });
        return out;
    }

    public static ConfigurationException missing(String key) {
        return new ConfigurationException("Missing required setting '" + key + "' (environment variable "
                + envName(key) + ")");
    }

    public static ConfigurationException invalid(String key, String value, String expected) {
        return new ConfigurationException("Invalid setting '" + key + "' = '" + value + "': expected " + expected);
    }

    public static int parseInt(String key, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw invalid(key, value, "a whole number");
        }
    }

    public static long parseLong(String key, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw invalid(key, value, "a whole number");
        }
    }

    public static boolean parseBoolean(String key, String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("true") || v.equals("false")) {
            return Boolean.parseBoolean(v);
        }
        throw invalid(key, value, "true or false");
    }
}

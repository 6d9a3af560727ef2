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

    public Settings(CamelContext context) {
        this.properties = context.getPropertiesComponent();
    }

    public static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public Optional<String> optional(String key) {
        String env = System.getenv(envName(key));
        if (env != null && !env.isBlank()) {
            return Optional.of(env.trim());
        }
        return properties.resolveProperty(key).map(String::trim).filter(v -> !v.isEmpty());
    }

    public String required(String key) {
        return optional(key).orElseThrow(() -> missing(key));
    }

    // Defaults are written once, in application.properties: these (like required) read a setting it must hold (or
    // the environment), and name the property when it is missing. The overloads with a default are for settings it
    // leaves out on purpose (profile-only and optional ones).

    public int getInt(String key) {
        return parseInt(key, required(key));
    }

    /** {@link #getInt(String)}, refusing values below {@code min} with the property's name. */
    public int getIntAtLeast(String key, int min) {
        int value = getInt(key);
        if (value < min) {
            throw invalid(key, String.valueOf(value), "at least " + min);
        }
        return value;
    }

    public long getLong(String key) {
        return parseLong(key, required(key));
    }

    public boolean getBoolean(String key) {
        return parseBoolean(key, required(key));
    }

    public String get(String key, String defaultValue) {
        return optional(key).orElse(defaultValue);
    }

    public int getInt(String key, int defaultValue) {
        return optional(key).map(v -> parseInt(key, v)).orElse(defaultValue);
    }

    /** {@link #getInt(String, int)}, refusing values below {@code min} with the property's name. */
    public int getInt(String key, int defaultValue, int min) {
        int value = getInt(key, defaultValue);
        if (value < min) {
            throw invalid(key, String.valueOf(value), "at least " + min);
        }
        return value;
    }

    public long getLong(String key, long defaultValue) {
        return optional(key).map(v -> parseLong(key, v)).orElse(defaultValue);
    }

    public boolean getBoolean(String key, boolean defaultValue) {
        return optional(key).map(v -> parseBoolean(key, v)).orElse(defaultValue);
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

package io.referralbridge;

import java.nio.file.Files;
import java.nio.file.Path;

import io.referralbridge.config.ConfigurationException;
import org.apache.camel.main.Main;

/**
 * Starts the bridge with camel-main. Configuration comes from {@code application.properties} and
 * {@code application-<profile>.properties} in the working directory, and from environment variables; routes from
 * {@code routes/*.camel.yaml}. The profile is {@code BRIDGE_PROFILE} (default {@code dev}).
 */
public final class Application {

    private Application() {
    }

    public static void main(String[] args) {
        int exit;
        try {
            Main main = create(System.getenv("BRIDGE_PROFILE"), Path.of("."));
            main.run(args);
            exit = main.getExitCode();
        } catch (Exception e) {
            System.err.println("referral-bridge did not start: " + rootMessage(e));
            exit = 1;
        }
        System.exit(exit);
    }

    /**
     * Camel's properties component takes a key from the first location that has it: the profile's file first, so that
     * its values win over application.properties.
     */
    static String propertyLocations(Path base, Path profileFile) {
        return "file:" + profileFile + ",file:" + base;
    }

    static String rootMessage(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConfigurationException) {
                return t.getMessage();
            }
        }
        return e.toString();
    }

    /** A configured, not yet started bridge. */
    public static Main create(String profile, Path workingDirectory) {
        String p = profile == null || profile.isBlank() ? "dev" : profile.trim();
        Path base = workingDirectory.resolve("application.properties");
        Path profileFile = workingDirectory.resolve("application-" + p + ".properties");
        if (!Files.isRegularFile(base)) {
            throw new ConfigurationException("application.properties not found in " + workingDirectory.toAbsolutePath()
                    + ": start the bridge from its directory");
        }
        if (!Files.isRegularFile(profileFile)) {
            throw new ConfigurationException("Unknown profile '" + p + "' (BRIDGE_PROFILE): " + profileFile
                    + " not found");
        }
        Main main = new Main();
        main.setDefaultPropertyPlaceholderLocation(propertyLocations(base, profileFile));
        main.addInitialProperty("bridge.profile", p);
        main.addInitialProperty("bridge.home", workingDirectory.toAbsolutePath().normalize().toString());
        main.configure().addConfiguration(new BridgeConfiguration());
        // Found by camel-main in the registry before its own factory: both HTTP servers with the bridge's guards.
        main.bind("httpServers", new io.referralbridge.web.HttpServers());
        return main;
    }
}

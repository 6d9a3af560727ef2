package io.referralbridge.config;

/** Startup refuses to go on: the message names the property (and its environment variable) to fix. */
public class ConfigurationException extends RuntimeException {
    public ConfigurationException(String message) {
        super(message);
    }
}

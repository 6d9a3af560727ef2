package io.referralbridge.platform;

/** The platform answered with one of its call's {@code refused} statuses: the value did not arrive. */
public final class PlatformRefusal extends io.referralbridge.campaign.MappingException {

    public PlatformRefusal(String message) {
        super(message);
    }
}

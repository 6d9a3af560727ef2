package io.referralbridge.campaign;

/** A stored referral cannot be turned into a booking; retrying will not help, so it goes to the dead-letter channel. */
public class MappingException extends RuntimeException {
    public MappingException(String message) {
        super(message);
    }
}

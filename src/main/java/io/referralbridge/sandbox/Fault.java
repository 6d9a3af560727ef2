package io.referralbridge.sandbox;

/**
 * A fault for a sandbox to inject: the next {@code count} requests whose method and path match answer {@code status}
 * (after {@code delayMs}). With {@code answerLost} the request is carried out first and only its answer is replaced, as
 * when a connection drops after the service did the work.
 */
public record Fault(String method, String pathContains, int status, Integer retryAfterSeconds, int count,
                    long delayMs, boolean answerLost) {

    public static Fault status(String method, String pathContains, int status, int count) {
        return new Fault(method, pathContains, status, null, count, 0, false);
    }

    public static Fault retryAfter(String method, String pathContains, int status, int seconds, int count) {
        return new Fault(method, pathContains, status, seconds, count, 0, false);
    }
}

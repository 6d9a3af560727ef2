package io.referralbridge.failure;

import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.http.base.HttpOperationFailedException;

/**
 * Runs on every failed attempt of an external call (the error handler's onExceptionOccurred): counts attempts, and when
 * the server said how long to wait (429 or 503 with Retry-After, in seconds or as an HTTP date) makes the next
 * redelivery wait that long instead of the exponential back-off.
 */
public final class RetryPolicy implements Processor {

    private final long maxDelayMs;
    private final Clock clock;

    public RetryPolicy(long maxDelayMs, Clock clock) {
        this.maxDelayMs = maxDelayMs;
        this.clock = clock;
    }

    @Override
    public void process(Exchange exchange) {
        exchange.setProperty(DeadLetters.ATTEMPTS, exchange.getProperty(DeadLetters.ATTEMPTS, 0, Integer.class) + 1);
        Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (e == null) {
            e = exchange.getException();
        }
        Long delay = e instanceof HttpOperationFailedException http ? retryAfterMs(http) : null;
        if (delay != null) {
            exchange.getMessage().setHeader(Exchange.REDELIVERY_DELAY, Math.min(delay, maxDelayMs));
        } else {
            exchange.getMessage().removeHeader(Exchange.REDELIVERY_DELAY);
        }
    }

    Long retryAfterMs(HttpOperationFailedException http) {
        if (http.getStatusCode() != 429 && http.getStatusCode() != 503) {
            return null;
        }
        Map<String, String> headers = http.getResponseHeaders();
        if (headers == null) {
            return null;
        }
        String value = null;
        for (Map.Entry<String, String> h : headers.entrySet()) {
            if ("retry-after".equalsIgnoreCase(h.getKey())) {
                value = h.getValue();
            }
        }
        return parseRetryAfter(value, clock);
    }

    static Long parseRetryAfter(String value, Clock clock) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.trim();
        try {
            return Math.max(0, Long.parseLong(v)) * 1000;
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
                return Math.max(0, Duration.between(clock.instant(), at.toInstant()).toMillis());
            } catch (RuntimeException notDate) {
                return null;
            }
        }
    }
}

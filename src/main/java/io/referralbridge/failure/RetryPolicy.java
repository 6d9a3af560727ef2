package io.referralbridge.failure;

import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;

import io.referralbridge.campaign.MappingException;
import org.apache.camel.http.base.HttpOperationFailedException;

/**
 * Whether a failed attempt of an external call is worth another, and when: exponential back-off (initial delay doubled
 * per attempt, capped), or as long as the server said (429 or 503 with Retry-After, in seconds or as an HTTP date).
 * A failure that retrying cannot change is not retried: a 4xx other than 401, 408 and 429 (ServiceTitan's 400/404/422,
 * the platform's refusal), a mapping error, a stored referral that cannot be read.
 */
public final class RetryPolicy {

    private final int maxAttempts;
    private final long initialDelayMs;
    private final long maxDelayMs;
    private final Clock clock;

    public RetryPolicy(int maxRedeliveries, long initialDelayMs, long maxDelayMs, Clock clock) {
        this.maxAttempts = maxRedeliveries + 1;
        this.initialDelayMs = initialDelayMs;
        this.maxDelayMs = maxDelayMs;
        this.clock = clock;
    }

    public boolean retryable(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof io.referralbridge.servicetitan.CredentialsRefused) {
                return true; // the token endpoint's 400: the credentials, not the task
            }
            if (t instanceof HttpOperationFailedException http) {
                int s = http.getStatusCode();
                return !(s >= 400 && s < 500 && s != 401 && s != 408 && s != 429);
            }
            if (t instanceof MappingException || t instanceof com.fasterxml.jackson.core.JacksonException) {
                return false;
            }
        }
        return true;
    }

    /**
     * The service answered that it did not take the request: a 4xx that is not retried, or a platform's refusal. Not a
     * malformed answer to a request that may have arrived.
     */
    public boolean refusedByService(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof io.referralbridge.platform.PlatformRefusal) {
                return true;
            }
            if (t instanceof HttpOperationFailedException http) {
                return !retryable(http);
            }
        }
        return false;
    }

    /** 429: the service's pace applies to every task of the queue, so the queue waits, whatever a probe would say. */
    public boolean throttled(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof io.referralbridge.servicetitan.RequestBudget.Busy) {
                return true; // the budget is taken for longer than a call may wait: as good as a 429
            }
            if (t instanceof HttpOperationFailedException http) {
                return http.getStatusCode() == 429;
            }
        }
        return false;
    }

    /**
     * A failure of the service rather than of this task's request (5xx, 429, 408, timeouts, I/O, refused credentials):
     * the whole queue waits for the service (if a probe read fails too), not just this task.
     */
    public boolean serviceFailure(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof io.referralbridge.servicetitan.CredentialsRefused) {
                return true;
            }
            if (t instanceof HttpOperationFailedException http) {
                int s = http.getStatusCode();
                return s >= 500 || s == 429 || s == 408 || s == 401; // 401 even after a new token: credentials
            }
            if (t instanceof com.fasterxml.jackson.core.JacksonException) {
                return false; // an IOException by type, but about the data, not the service
            }
            if (t instanceof java.io.IOException) {
                return true;
            }
        }
        return false;
    }

    /** How long the server asked to wait (Retry-After on a 429 or 503), capped; null when it did not say. */
    public Long serverDelayMs(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof HttpOperationFailedException http) {
                Long ms = retryAfterMs(http);
                return ms == null ? null : Math.min(ms, maxDelayMs);
            }
        }
        return null;
    }

    public long initialDelayMs() {
        return initialDelayMs;
    }

    public long maxDelayMs() {
        return maxDelayMs;
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    /** Whether the task gets another attempt after this one (its attempt number, counted from 1). */
    public boolean another(int attempt, Throwable cause) {
        return attempt < maxAttempts && retryable(cause);
    }

    /** How long to wait before the attempt after this one. */
    public long delayMs(int attempt, Throwable cause) {
        Long server = null;
        for (Throwable t = cause; t != null && server == null; t = t.getCause()) {
            if (t instanceof HttpOperationFailedException http) {
                server = retryAfterMs(http);
            }
        }
        if (server != null) {
            return Math.min(server, maxDelayMs);
        }
        long delay = initialDelayMs << Math.min(Math.max(attempt - 1, 0), 30);
        return Math.min(delay <= 0 ? maxDelayMs : delay, maxDelayMs);
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

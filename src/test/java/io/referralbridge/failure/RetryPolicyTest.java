package io.referralbridge.failure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-23T10:00:00Z"), ZoneOffset.UTC);

    @Test
    void retryAfterInSeconds() {
        assertEquals(3000L, RetryPolicy.parseRetryAfter("3", CLOCK));
        assertEquals(0L, RetryPolicy.parseRetryAfter("-5", CLOCK));
    }

    @Test
    void retryAfterAsAnHttpDate() {
        assertEquals(90_000L, RetryPolicy.parseRetryAfter("Mon, 23 Nov 2026 10:01:30 GMT", CLOCK));
        assertEquals(0L, RetryPolicy.parseRetryAfter("Mon, 23 Nov 2026 09:00:00 GMT", CLOCK));
    }

    @Test
    void noOrUnreadableRetryAfterLeavesTheBackOffInCharge() {
        assertNull(RetryPolicy.parseRetryAfter(null, CLOCK));
        assertNull(RetryPolicy.parseRetryAfter("soon", CLOCK));
    }

    @Test
    void whatTheQueueWaitsForAndWhatIsADeadLetterAtOnce() {
        RetryPolicy p = new RetryPolicy(15, 1000, 60_000, CLOCK);
        var refused = new io.referralbridge.servicetitan.CredentialsRefused("default", "token endpoint: HTTP 400",
                http(400));
        org.junit.jupiter.api.Assertions.assertTrue(p.retryable(refused) && p.serviceFailure(refused),
                "refused credentials: the queue waits, the task is not at fault");
        org.junit.jupiter.api.Assertions.assertTrue(p.retryable(http(401)) && p.serviceFailure(http(401)));
        org.junit.jupiter.api.Assertions.assertTrue(p.retryable(http(503)) && p.serviceFailure(http(503)));
        org.junit.jupiter.api.Assertions.assertFalse(p.retryable(http(400)) || p.retryable(http(404)),
                "a refused request is a dead letter at once");
    }

    private static org.apache.camel.http.base.HttpOperationFailedException http(int status) {
        return new org.apache.camel.http.base.HttpOperationFailedException("http://st/x", status, "", null,
                java.util.Map.of(), "");
    }
}

package io.referralbridge.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.sandbox.ReferralPlatformSandbox;
import io.referralbridge.sandbox.ServiceTitanSandbox;
import io.referralbridge.support.BridgeProcess;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.TestDatabase;
import org.apache.camel.test.AvailablePortFinder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * "Nothing lost, nothing twice", with the packaged jar as a real process killed hard (SIGKILL) in the middle of a burst
 * of webhooks and again in the middle of telling the referral platform. The sandboxes and PostgreSQL live in this JVM
 * and survive the kills. Prints the figures at the end; asserts lost, duplicates and told twice are 0.
 */
class CrashRecoveryIT {

    static final int REFERRALS = Integer.getInteger("crash.referrals", 10_000);
    static final int SENDERS = 16;

    ServiceTitanSandbox sandbox;
    ReferralPlatformSandbox platform;
    BridgeProcess bridge;
    String jdbcUrl;
    int port;

    @AfterEach
    void tearDown() {
        if (bridge != null) {
            bridge.close();
        }
        if (sandbox != null) {
            sandbox.close();
        }
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void killedDuringABurstAndDuringQualificationLosesNothingAndRepeatsNothing() throws Exception {
        sandbox = BridgeUnderTest.startServiceTitanSandbox();
        platform = ReferralPlatformSandbox.start(0, BridgeUnderTest.PLATFORM_KEY);
        jdbcUrl = TestDatabase.newDatabase();
        port = AvailablePortFinder.getNextAvailable();
        startBridge();

        // --- a burst of webhooks, killed in the middle -----------------------------------------------------
        Map<String, Integer> firstAnswer = new ConcurrentHashMap<>();
        AtomicInteger acknowledged = new AtomicInteger();
        ExecutorService senders = Executors.newFixedThreadPool(SENDERS);
        for (int i = 0; i < REFERRALS; i++) {
            String code = "CRASH-%05d".formatted(i);
            senders.submit(() -> {
                int status = send(code);
                firstAnswer.put(code, status);
                if (status / 100 == 2) {
                    acknowledged.incrementAndGet();
                }
            });
        }
        await("a third of the burst acknowledged", Duration.ofMinutes(5), () -> acknowledged.get() >= REFERRALS / 3);
        bridge.kill();
        senders.shutdown();
        assertTrue(senders.awaitTermination(5, TimeUnit.MINUTES));
        int ackedBeforeRestart = acknowledged.get();
        startBridge();
        // The platform retries whatever got no 2xx (no answer, or refused while the process was down).
        List<String> retry = new ArrayList<>();
        firstAnswer.forEach((code, status) -> {
            if (status / 100 != 2) {
                retry.add(code);
            }
        });
        ExecutorService resenders = Executors.newFixedThreadPool(SENDERS);
        for (String code : retry) {
            resenders.submit(() -> {
                while (send(code) / 100 != 2) {
                    sleep(200);
                }
            });
        }
        resenders.shutdown();
        assertTrue(resenders.awaitTermination(5, TimeUnit.MINUTES));
        await("every referral booked", Duration.ofMinutes(10), () -> count(
                "SELECT count(*) FROM referral WHERE state = 'booked'") == REFERRALS);

        int booked = 0;
        int duplicates = 0;
        int lost = 0;
        for (int i = 0; i < REFERRALS; i++) {
            int n = sandbox.bookingsWithExternalId("CRASH-%05d".formatted(i)).size();
            booked += n > 0 ? 1 : 0;
            duplicates += Math.max(0, n - 1);
            lost += n == 0 ? 1 : 0;
        }

        // --- every booking becomes a completed job; killed while the platform is being told ---------------
        for (ObjectNode b : sandbox.bookings()) {
            long job = sandbox.convertBooking(b.path("id").asLong()).path("id").asLong();
            sandbox.setJobStatus(job, "Completed");
        }
        await("a third told", Duration.ofMinutes(10), () -> platform.qualifiedCount() >= REFERRALS / 3);
        bridge.kill();
        int toldBeforeRestart = platform.qualifiedCount();
        startBridge();
        await("every referral told", Duration.ofMinutes(10), () -> count(
                "SELECT count(*) FROM referral WHERE state = 'platform_notified'") == REFERRALS);
        int qualified = (int) count("SELECT count(*) FROM referral WHERE qualified_at IS NOT NULL");
        int told = platform.qualifiedCount();
        int toldTwice = platform.duplicates();

        System.out.printf("%nReliability figures (kill -9 during intake after %d acks, during qualification after %d "
                        + "told)%n  referrals sent %d%n  acknowledged on first try %d%n  booked %d%n"
                        + "  duplicate bookings %d%n  qualified %d%n  told %d%n  told twice %d%n  lost %d%n%n",
                ackedBeforeRestart, toldBeforeRestart, REFERRALS,
                firstAnswer.values().stream().filter(s -> s / 100 == 2).count(), booked, duplicates, qualified,
                told, toldTwice, lost + (REFERRALS - told));
        assertEquals(0, lost, "lost");
        assertEquals(0, duplicates, "duplicates");
        assertEquals(REFERRALS, told, "told");
        assertEquals(0, toldTwice, "told twice");
    }

    private void startBridge() throws Exception {
        Map<String, String> p = BridgeUnderTest.testProperties(sandbox.baseUrl(), jdbcUrl, port);
        p.put("platform.base-url", platform.baseUrl());
        p.put("servicetitan.max-requests-per-second", "5000");
        p.put("bridge.poll.trigger", "trigger.repeatInterval=500");
        p.put("bridge.outbox.batch-size", "100");
        p.put("bridge.outbox.lease-seconds", "10");
        p.put("bridge.retry.max-redeliveries", "10");
        bridge = BridgeProcess.start(p, "crash-recovery-bridge.log");
    }

    /** One delivery attempt; 0 when no answer came (refused connection, reset, timeout). */
    private int send(String code) {
        return bridge.sendReferral(code);
    }

    private long count(String sql) {
        return TestDatabase.count(jdbcUrl, sql);
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) {
        BridgeUnderTest.await(what, timeout, condition);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

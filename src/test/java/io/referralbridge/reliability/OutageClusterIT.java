package io.referralbridge.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.sandbox.Fault;
import io.referralbridge.sandbox.platform.ReferralPlatformSandbox;
import io.referralbridge.sandbox.servicetitan.ServiceTitanSandbox;
import io.referralbridge.support.BridgeProcess;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.TestDatabase;
import org.apache.camel.test.AvailablePortFinder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Faults combined, at the settings a user runs (production lease and retry window): two, then three nodes, a ServiceTitan outage
 * longer than the lease, and one node killed and restarted in the middle of it. Counted by the sandboxes: every
 * referral booked once and told once.
 */
class OutageClusterIT {

    private static final int REFERRALS = 40;
    private ServiceTitanSandbox sandbox;
    private ReferralPlatformSandbox platform;
    private String jdbcUrl;
    private final List<BridgeProcess> nodes = new ArrayList<>();
    private final List<Map<String, String>> settings = new ArrayList<>();

    @AfterEach
    void stop() {
        nodes.forEach(BridgeProcess::close);
        nodes.clear();
        settings.clear();
        if (sandbox != null) {
            sandbox.close();
        }
        if (platform != null) {
            platform.close();
        }
    }

    @ParameterizedTest(name = "{0} nodes")
    @ValueSource(ints = {2, 3})
    void nodesThroughAnOutageLongerThanTheLeaseWithACrashBookAndTellEachReferralOnce(int nodeCount) throws Exception {
        sandbox = BridgeUnderTest.startServiceTitanSandbox();
        platform = ReferralPlatformSandbox.start(0, BridgeUnderTest.PLATFORM_KEY);
        jdbcUrl = TestDatabase.newDatabase();
        for (int i = 0; i < nodeCount; i++) {
            int port = AvailablePortFinder.getNextAvailable();
            Map<String, String> p = BridgeUnderTest.testProperties(sandbox.baseUrl(), jdbcUrl, port);
            p.put("platform.base-url", platform.baseUrl());
            p.put("bridge.cluster.name", "referral-bridge");
            // production lease (120 s) and retry window (16 attempts, 1 s doubling to 60 s)
            p.keySet().removeIf(k -> k.startsWith("bridge.retry.") || k.startsWith("bridge.outbox."));
            settings.add(p);
            nodes.add(BridgeProcess.start(p, "outage-node-" + i + ".log"));
        }
        long leaseSeconds = 120;

        sandbox.injectFault(Fault.status(null, "/booking-provider/", 503, 1_000_000));
        long outageStart = System.nanoTime();
        for (int i = 0; i < REFERRALS; i++) {
            String code = "OUT-%03d".formatted(i);
            BridgeProcess node = nodes.get(i % nodeCount);
            BridgeUnderTest.await("webhook " + code + " acknowledged", Duration.ofSeconds(30),
                    () -> node.sendReferral(code) / 100 == 2);
        }
        sleepUntil(outageStart, 60);
        nodes.get(0).kill(); // crash in the middle of the outage, holding whatever it had claimed
        sleepUntil(outageStart, 70);
        nodes.set(0, BridgeProcess.start(settings.get(0), "outage-node-0.log"));
        sleepUntil(outageStart, leaseSeconds + 20);
        sandbox.clearFaults();
        long recovered = System.nanoTime();
        System.out.println(nodeCount + " nodes: ServiceTitan outage of " + (recovered - outageStart) / 1_000_000_000 + " s (lease "
                + leaseSeconds + " s), node 0 killed at 60 s and restarted at 70 s");

        BridgeUnderTest.await("every referral booked", Duration.ofMinutes(4),
                () -> count("SELECT count(*) FROM referral WHERE state = 'booked'") == REFERRALS);
        System.out.println(nodeCount + " nodes: all booked " + (System.nanoTime() - recovered) / 1_000_000 + " ms after the outage");
        int duplicates = 0;
        for (int i = 0; i < REFERRALS; i++) {
            duplicates += Math.max(0, sandbox.bookingsWithExternalId("OUT-%03d".formatted(i)).size() - 1);
        }
        assertEquals(0, duplicates, "duplicate bookings");
        assertEquals(REFERRALS, sandbox.bookings().size());
        assertEquals(0, count("SELECT count(*) FROM dead_letter"), "an outage within the retry window loses nothing");

        for (ObjectNode b : sandbox.bookings()) {
            long job = sandbox.convertBooking(b.path("id").asLong()).path("id").asLong();
            sandbox.setJobStatus(job, "Completed");
        }
        BridgeUnderTest.await("every referral told", Duration.ofMinutes(3),
                () -> count("SELECT count(*) FROM referral WHERE state = 'platform_notified'") == REFERRALS);
        assertEquals(REFERRALS, platform.qualifiedCount(), "told");
        assertEquals(0, platform.duplicates(), "told twice");
        assertTrue(nodes.stream().allMatch(BridgeProcess::isAlive));
    }

    private long count(String sql) {
        return TestDatabase.count(jdbcUrl, sql);
    }

    private static void sleepUntil(long start, long seconds) throws InterruptedException {
        long left = start + seconds * 1_000_000_000L - System.nanoTime();
        if (left > 0) {
            Thread.sleep(left / 1_000_000);
        }
    }
}

package io.referralbridge.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.sandbox.platform.ReferralPlatformSandbox;
import io.referralbridge.sandbox.servicetitan.ServiceTitanSandbox;
import io.referralbridge.support.BridgeProcess;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.TestDatabase;
import org.apache.camel.test.AvailablePortFinder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three bridge nodes (the packaged jar, three processes on loopback ports) on one PostgreSQL, as behind a load
 * balancer: referrals arrive at all three, bookings and platform notices are shared without double work, Quartz runs
 * each poll cycle on one node, and when the node running the poll is killed another takes it over.
 */
class ClusterIT {

    static final int REFERRALS = Integer.getInteger("cluster.referrals", 600);
    static final int POLL_MS = 500;
    static final String BOOKINGS_FEED = "GET /crm/v2/tenant/{tenant}/export/bookings";
    static final String CYCLES = "bridge_poll_cycles_total{connection=\"default\"";
    static final String BOOKED = "bridge_referral_transitions_total{to=\"booked\"";

    ServiceTitanSandbox sandbox;
    ReferralPlatformSandbox platform;
    final List<BridgeProcess> nodes = new ArrayList<>();
    String jdbcUrl;

    @AfterEach
    void tearDown() {
        nodes.forEach(BridgeProcess::close);
        if (sandbox != null) {
            sandbox.close();
        }
        if (platform != null) {
            platform.close();
        }
    }

    @Test
    void threeNodesShareTheWorkAndThePollSurvivesItsNode() throws Exception {
        sandbox = BridgeUnderTest.startServiceTitanSandbox();
        platform = ReferralPlatformSandbox.start(0, BridgeUnderTest.PLATFORM_KEY);
        jdbcUrl = TestDatabase.newDatabase();
        for (int i = 1; i <= 3; i++) {
            nodes.add(startNode(i));
        }

        // --- referrals through all three nodes -------------------------------------------------------------
        ExecutorService senders = Executors.newFixedThreadPool(12);
        for (int i = 0; i < REFERRALS; i++) {
            String code = "NODE-%05d".formatted(i);
            BridgeProcess node = nodes.get(i % 3);
            senders.submit(() -> {
                while (node.sendReferral(code) / 100 != 2) {
                    sleep(100);
                }
            });
        }
        senders.shutdown();
        assertTrue(senders.awaitTermination(5, TimeUnit.MINUTES));
        BridgeUnderTest.await("every referral booked", Duration.ofMinutes(5),
                () -> count("SELECT count(*) FROM referral WHERE state = 'booked'") == REFERRALS);
        int duplicates = 0;
        for (int i = 0; i < REFERRALS; i++) {
            duplicates += Math.max(0, sandbox.bookingsWithExternalId("NODE-%05d".formatted(i)).size() - 1);
        }
        String bookedPerNode = nodes.stream().map(n -> String.valueOf((long) n.metric(BOOKED)))
                .reduce((a, b) -> a + " / " + b).orElse("");
        assertEquals(0, duplicates, "duplicate bookings");
        assertEquals(REFERRALS, sandbox.bookings().size());

        // --- one poll cycle per trigger, cluster-wide ---------------------------------------------------------
        int before = sandbox.requestCount(BOOKINGS_FEED);
        sleep(10_000);
        int cyclesIn10s = sandbox.requestCount(BOOKINGS_FEED) - before;
        assertTrue(cyclesIn10s <= 1.5 * 10_000 / POLL_MS, cyclesIn10s + " cycles in 10 s at one per " + POLL_MS
                + " ms: more than one node is polling");
        assertTrue(cyclesIn10s >= 5, cyclesIn10s + " cycles in 10 s: the poll is not running");

        // --- half the jobs complete; the node running the poll dies while the platform is being told ---------
        BridgeProcess poller = busiestPoller();
        List<ObjectNode> bookings = sandbox.bookings();
        for (ObjectNode b : bookings.subList(0, REFERRALS / 2)) {
            complete(b);
        }
        BridgeUnderTest.await("a first referral told", Duration.ofMinutes(2), () -> platform.qualifiedCount() > 0);
        int pollerIndex = nodes.indexOf(poller) + 1;
        poller.kill();
        int toldAtKill = platform.qualifiedCount();
        List<BridgeProcess> survivors = nodes.stream().filter(BridgeProcess::isAlive).toList();
        double survivorCyclesAtKill = survivors.stream().mapToDouble(n -> n.metric(CYCLES)).sum();

        for (ObjectNode b : bookings.subList(REFERRALS / 2, REFERRALS)) {
            complete(b);
        }
        long killedAt = System.nanoTime();
        BridgeUnderTest.await("the poll to resume on another node", Duration.ofMinutes(1),
                () -> survivors.stream().mapToDouble(n -> n.metric(CYCLES)).sum() > survivorCyclesAtKill + 2);
        double takeoverSeconds = (System.nanoTime() - killedAt) / 1e9;
        BridgeUnderTest.await("every referral told", Duration.ofMinutes(5),
                () -> count("SELECT count(*) FROM referral WHERE state = 'platform_notified'") == REFERRALS);

        System.out.printf("%nCluster figures: 3 nodes, %d referrals sent round-robin%n  booked %d, duplicate bookings"
                        + " %d, bookings made per node %s%n  poll requests (bookings feed) in 10 s: %d (one per %d"
                        + " ms)%n  killed node %d (the one polling) after %d told; poll resumed on a survivor in"
                        + " %.1f s%n  told %d, told twice %d%n%n",
                REFERRALS, sandbox.bookings().size(), duplicates, bookedPerNode, cyclesIn10s, POLL_MS, pollerIndex,
                toldAtKill, takeoverSeconds, platform.qualifiedCount(), platform.duplicates());
        assertEquals(REFERRALS, platform.qualifiedCount(), "told");
        assertEquals(0, platform.duplicates(), "told twice");
        for (BridgeProcess n : survivors) {
            assertTrue(n.metric(BOOKED) > 0, "every node did booking work (port " + n.port + ")");
        }
    }

    private BridgeProcess startNode(int i) throws Exception {
        int port = AvailablePortFinder.getNextAvailable();
        Map<String, String> p = BridgeUnderTest.testProperties(sandbox.baseUrl(), jdbcUrl, port);
        p.put("platform.base-url", platform.baseUrl());
        p.put("bridge.cluster.name", "referral-bridge");
        p.put("bridge.cluster.checkin-interval-ms", "2000");
        p.put("servicetitan.max-requests-per-second", "5000");
        p.put("bridge.poll.trigger", "trigger.repeatInterval=" + POLL_MS);
        // The defaults' ratio (a 60 s threshold for a 30 s poll). At 60 s for a 500 ms poll, a cycle slowed by the
        // booking load is followed by up to 120 catch-up firings, which the 10 s count below would take for two pollers.
        p.put("bridge.cluster.misfire-threshold-ms", String.valueOf(2 * POLL_MS));
        p.put("bridge.outbox.batch-size", "20");
        return BridgeProcess.start(p, "cluster-node-" + i + ".log");
    }

    /** The node whose poll cycle count grows fastest over two seconds. */
    private BridgeProcess busiestPoller() {
        double[] start = nodes.stream().mapToDouble(n -> n.metric(CYCLES)).toArray();
        sleep(2000);
        BridgeProcess best = null;
        double most = 0;
        for (int i = 0; i < nodes.size(); i++) {
            double grew = nodes.get(i).metric(CYCLES) - start[i];
            if (grew > most) {
                most = grew;
                best = nodes.get(i);
            }
        }
        if (best == null) {
            throw new AssertionError("no node ran a poll cycle in 2 s");
        }
        return best;
    }

    private void complete(ObjectNode booking) {
        long job = sandbox.convertBooking(booking.path("id").asLong()).path("id").asLong();
        sandbox.setJobStatus(job, "Completed");
    }

    private long count(String sql) {
        return TestDatabase.count(jdbcUrl, sql);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

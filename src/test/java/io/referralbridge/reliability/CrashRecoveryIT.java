package io.referralbridge.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.db.Database;
import io.referralbridge.sandbox.platform.ReferralPlatformSandbox;
import io.referralbridge.sandbox.servicetitan.ServiceTitanSandbox;
import io.referralbridge.support.BridgeProcess;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.TestDatabase;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.camel.test.AvailablePortFinder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * "Nothing lost, nothing twice", with the packaged jar as a real process killed hard (SIGKILL) in the middle of a burst
 * of webhooks and again in the middle of telling the referral platform. The sandboxes and PostgreSQL live in this JVM
 * and survive the kills. Then PostgreSQL itself is killed hard during a burst: every webhook answered 2xx must be there
 * after its crash recovery. Prints the figures; asserts lost, duplicates and told twice are 0.
 */
class CrashRecoveryIT {

    static final int REFERRALS = Integer.getInteger("crash.referrals", 10_000);
    static final int SENDERS = 16;

    ServiceTitanSandbox sandbox;
    ReferralPlatformSandbox platform;
    BridgeProcess bridge;
    String jdbcUrl;
    int port;

    EmbeddedPostgres postgres;

    @AfterEach
    void tearDown() throws Exception {
        if (bridge != null) {
            bridge.close();
        }
        if (sandbox != null) {
            sandbox.close();
        }
        if (platform != null) {
            platform.close();
        }
        if (postgres != null) {
            postgres.close();
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
        Set<String> ackedCodes = ConcurrentHashMap.newKeySet();
        AtomicInteger acknowledged = new AtomicInteger();
        ExecutorService senders = Executors.newFixedThreadPool(SENDERS);
        for (int i = 0; i < REFERRALS; i++) {
            String code = "CRASH-%05d".formatted(i);
            senders.submit(() -> {
                int status = send(code);
                firstAnswer.put(code, status);
                if (status / 100 == 2) {
                    ackedCodes.add(code);
                    acknowledged.incrementAndGet();
                }
            });
        }
        await("a third of the burst acknowledged", Duration.ofMinutes(5), () -> acknowledged.get() >= REFERRALS / 3);
        bridge.kill();
        List<String> ackedBeforeKill = List.copyOf(ackedCodes); // answered 2xx, so before the kill
        senders.shutdown();
        assertTrue(senders.awaitTermination(5, TimeUnit.MINUTES));
        int ackedBeforeRestart = acknowledged.get();
        long restarted = System.nanoTime(); // counted from the restart command, time to ready included
        startBridge();
        // The tasks the killed process had claimed are taken up at its restart, not when their lease (120 s) ends.
        await("every referral acknowledged before the kill booked", Duration.ofMinutes(5), () -> ackedBeforeKill
                .stream().allMatch(code -> !sandbox.bookingsWithExternalId(code).isEmpty()));
        long bookedAfterRestartMs = (System.nanoTime() - restarted) / 1_000_000;
        // The platform retries whatever got no 2xx (no answer, or refused while the process was down).
        List<String> retry = new ArrayList<>();
        firstAnswer.forEach((code, status) -> {
            if (status / 100 != 2) {
                retry.add(code);
            }
        });
        resendUntilAccepted(retry);
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
                        + "told)%n  the %d acknowledged before the kill all booked %d ms after the restart%n"
                        + "  referrals sent %d%n  acknowledged on first try %d%n  booked %d%n"
                        + "  duplicate bookings %d%n  qualified %d%n  told %d%n  told twice %d%n  lost %d%n%n",
                ackedBeforeRestart, toldBeforeRestart, ackedBeforeKill.size(), bookedAfterRestartMs, REFERRALS,
                firstAnswer.values().stream().filter(s -> s / 100 == 2).count(), booked, duplicates, qualified,
                told, toldTwice, lost + (REFERRALS - told));
        assertEquals(0, lost, "lost");
        assertEquals(0, duplicates, "duplicates");
        assertTrue(bookedAfterRestartMs < 30_000, "acknowledged before the kill, booked within 30 s of the restart: "
                + bookedAfterRestartMs + " ms");
        assertEquals(REFERRALS, told, "told");
        assertEquals(0, toldTwice, "told twice");
    }

    /**
     * A claw-back and a second milestone, each notice round killed in its middle: qualified once, unqualified once,
     * qualified again once, per referral, whatever the kills cut short (a notice sent whose answer was not recorded is
     * read back at the restart, not sent again).
     */
    @Test
    void qualifyUnqualifyQualifyWithAKillInTheMiddleOfEachRound() throws Exception {
        int n = Integer.getInteger("crash.rounds.referrals", 300);
        sandbox = BridgeUnderTest.startServiceTitanSandbox();
        platform = ReferralPlatformSandbox.start(0, BridgeUnderTest.PLATFORM_KEY);
        // Each notice takes 15 ms at the platform, so that a kill lands while a round is under way.
        platform.injectFault(new io.referralbridge.sandbox.Fault("PUT", "/api/v2/users/qualification", 0, null,
                1_000_000, 15, false));
        jdbcUrl = TestDatabase.newDatabase();
        port = AvailablePortFinder.getNextAvailable();
        Map<String, String> clawBack = Map.of("bridge.campaigns.clawback-days", "30");
        startBridge(clawBack);
        List<String> codes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            codes.add("ROUND-%04d".formatted(i));
        }
        resendUntilAccepted(codes);
        await("every referral booked", Duration.ofMinutes(5), () -> count(
                "SELECT count(*) FROM referral WHERE state = 'booked'") == n);
        List<Long> jobs = new ArrayList<>();
        for (ObjectNode b : sandbox.bookings()) {
            jobs.add(sandbox.convertBooking(b.path("id").asLong()).path("id").asLong());
        }

        // Round 1: completed -> qualified, told; killed in the middle.
        jobs.forEach(job -> sandbox.setJobStatus(job, "Completed"));
        await("a third told qualified", Duration.ofMinutes(5), () -> platform.qualifiedCount() >= n / 3);
        bridge.kill();
        int round1AtKill = platform.qualifiedCount();
        startBridge(clawBack);
        await("every referral told qualified", Duration.ofMinutes(5), () -> count(
                "SELECT count(*) FROM referral WHERE state = 'platform_notified'") == n);

        // Round 2: canceled within the claw-back window -> unqualified, told qualified:false; killed in the middle.
        jobs.forEach(job -> sandbox.setJobStatus(job, "Canceled"));
        await("a third told qualified:false", Duration.ofMinutes(5), () -> codes.stream()
                .filter(c -> platform.notQualifiedNotices(c) > 0).count() >= n / 3);
        bridge.kill();
        long round2AtKill = codes.stream().filter(c -> platform.notQualifiedNotices(c) > 0).count();
        startBridge(clawBack);
        await("every referral unqualified and told", Duration.ofMinutes(5), () -> count(
                "SELECT count(*) FROM referral WHERE state = 'unqualified' AND platform_told = false") == n);

        // Round 3: the work is done after all -> qualified again, told again; killed in the middle.
        jobs.forEach(job -> sandbox.setJobStatus(job, "Completed"));
        await("a third told qualified again", Duration.ofMinutes(5), () -> platform.qualifiedCount() >= n / 3);
        bridge.kill();
        int round3AtKill = platform.qualifiedCount();
        startBridge(clawBack);
        await("every referral told qualified again", Duration.ofMinutes(5), () -> count(
                "SELECT count(*) FROM referral WHERE state = 'platform_notified' AND platform_told = true") == n);

        long qualifyNotTwice = codes.stream().filter(c -> platform.deliveries(c) != 2).count();
        long unqualifyNotOnce = codes.stream().filter(c -> platform.notQualifiedNotices(c) != 1).count();
        System.out.printf("%nReliability figures (qualify -> unqualify -> qualify, %d referrals, kill -9 in each round "
                        + "after %d, %d and %d notices)%n  referrals not told qualified exactly twice %d%n"
                        + "  not told qualified:false exactly once %d%n  told qualified while qualified %d%n%n",
                n, round1AtKill, round2AtKill, round3AtKill, qualifyNotTwice, unqualifyNotOnce, platform.duplicates());
        assertTrue(round1AtKill < n && round2AtKill < n && round3AtKill < n, "each kill during its round");
        assertEquals(0, qualifyNotTwice, "qualify notices per referral: one per transition");
        assertEquals(0, unqualifyNotOnce, "qualified:false notices per referral: one");
        assertEquals(0, platform.duplicates(), "told qualified while qualified");
        assertEquals(n, platform.qualifiedCount());
    }

    @Test
    void enrolmentKilledMidwayEnrolsEachCustomerOnce() throws Exception {
        int n = Integer.getInteger("crash.enrolments", 300);
        sandbox = BridgeUnderTest.startServiceTitanSandbox();
        platform = ReferralPlatformSandbox.start(0, BridgeUnderTest.PLATFORM_KEY);
        // Each enrolment takes 200 ms at the platform, so that the kill lands while calls are under way.
        platform.injectFault(new io.referralbridge.sandbox.Fault("POST", "/api/v2/users", 0, null, 1_000_000, 200,
                false));
        jdbcUrl = TestDatabase.newDatabase();
        port = AvailablePortFinder.getNextAvailable();
        Map<String, String> enrol = Map.of("bridge.campaign.17.enrol", "true", "bridge.campaign.17.enrol-return-fields",
                "referral-link=My Referral Link, referral-code=My Referral Code");
        startBridge(enrol);
        await("the jobs feed followed", Duration.ofMinutes(1), () -> sandbox.exportCalls("jobs") > 0);
        List<Long> customers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long customer = sandbox.addCustomer("Crash Customer " + i, "crash" + i + "@example.com", null).path("id")
                    .asLong();
            sandbox.completeJob(customer, null, null);
            customers.add(customer);
        }
        await("a third enrolled", Duration.ofMinutes(5), () -> platform.referrerCount() >= n / 3);
        bridge.kill();
        int atKill = platform.referrerCount();
        startBridge(enrol);
        await("every customer enrolled", Duration.ofMinutes(5), () -> count(
                "SELECT count(*) FROM enrolment WHERE state = 'enrolled'") == n);

        int wrongField = 0;
        for (int i = 0; i < n; i++) {
            String code = platform.referrer("17", "crash" + i + "@example.com").path("code").asText();
            String written = null;
            for (com.fasterxml.jackson.databind.JsonNode f : sandbox.customer(customers.get(i), null)
                    .path("customFields")) {
                if (f.path("name").asText().equals("My Referral Code")) {
                    written = f.path("value").asText();
                }
            }
            wrongField += code.equals(written) ? 0 : 1;
        }
        System.out.printf("%nReliability figures (enrolment, %d customers, kill -9 after %d enrolled)%n"
                        + "  referrers on the platform %d%n  enrolment calls %d (repeats answered with the referrer "
                        + "the platform had)%n  return fields not the platform's code %d%n%n",
                n, atKill, platform.referrerCount(), platform.enrolCalls(), wrongField);
        assertTrue(atKill < n, "the kill during the enrolments");
        assertEquals(n, platform.referrerCount(), "one referrer per customer");
        assertEquals(n, count("SELECT count(*) FROM enrolment"));
        assertEquals(0, wrongField, "each customer's field holds its own code");
    }

    @Test
    void databaseKilledDuringABurstKeepsEveryAcknowledgedWebhook() throws Exception {
        sandbox = BridgeUnderTest.startServiceTitanSandbox();
        platform = ReferralPlatformSandbox.start(0, BridgeUnderTest.PLATFORM_KEY);
        int pgPort = AvailablePortFinder.getNextAvailable();
        Path dir = Files.createTempDirectory("crash-pg");
        postgres = startPostgres(pgPort, dir);
        jdbcUrl = postgres.getJdbcUrl("postgres", "postgres");
        port = AvailablePortFinder.getNextAvailable();
        startBridge(Map.of("bridge.db.connection-timeout-ms", "1000"));

        int referrals = REFERRALS / 4;
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        ExecutorService senders = Executors.newFixedThreadPool(SENDERS);
        for (int i = 0; i < referrals; i++) {
            String code = "PGKILL-%05d".formatted(i);
            senders.submit(() -> {
                if (send(code) / 100 == 2) {
                    acknowledged.add(code);
                }
            });
        }
        await("a third of the burst acknowledged", Duration.ofMinutes(5), () -> acknowledged.size() >= referrals / 3);
        killPostgres(dir);
        Set<String> ackedBeforeKill = Set.copyOf(acknowledged);
        postgres.close(); // releases the data directory; the server is already gone
        postgres = startPostgres(pgPort, dir); // crash recovery from the write-ahead log
        senders.shutdown(); // the rest of the burst meets the bridge reconnecting: 503s, then 2xx again
        assertTrue(senders.awaitTermination(5, TimeUnit.MINUTES));

        Set<String> stored = new HashSet<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl); ResultSet rs = c.createStatement()
                .executeQuery("SELECT code FROM referral WHERE code LIKE 'PGKILL-%'")) {
            while (rs.next()) {
                stored.add(rs.getString(1));
            }
        }
        Set<String> lostAfterAck = new HashSet<>(acknowledged);
        lostAfterAck.removeAll(stored);
        System.out.printf("%nReliability figures (kill -9 of PostgreSQL during intake after %d acks)%n"
                + "  referrals sent %d%n  acknowledged %d%n  acknowledged and gone after the database's recovery %d%n",
                ackedBeforeKill.size(), referrals, acknowledged.size(), lostAfterAck.size());
        assertTrue(ackedBeforeKill.size() >= referrals / 3, "acknowledged before the kill: " + ackedBeforeKill.size());
        assertEquals(Set.of(), lostAfterAck, "acknowledged webhooks the database lost");

        // The platform retries whatever got no 2xx; the bridge has reconnected by itself.
        List<String> retry = new ArrayList<>();
        for (int i = 0; i < referrals; i++) {
            if (!acknowledged.contains("PGKILL-%05d".formatted(i))) {
                retry.add("PGKILL-%05d".formatted(i));
            }
        }
        resendUntilAccepted(retry);
        await("every referral booked", Duration.ofMinutes(10), () -> count(
                "SELECT count(*) FROM referral WHERE state = 'booked'") == referrals);
        int duplicates = 0;
        for (int i = 0; i < referrals; i++) {
            duplicates += Math.max(0, sandbox.bookingsWithExternalId("PGKILL-%05d".formatted(i)).size() - 1);
        }
        System.out.printf("  booked %d%n  duplicate bookings %d%n%n",
                count("SELECT count(*) FROM referral WHERE state = 'booked'"), duplicates);
        assertEquals(0, duplicates, "duplicate bookings");
    }

    /** As the platform does: each webhook that got no 2xx is delivered again until one comes. */
    private void resendUntilAccepted(List<String> codes) throws InterruptedException {
        ExecutorService resenders = Executors.newFixedThreadPool(SENDERS);
        for (String code : codes) {
            resenders.submit(() -> {
                while (send(code) / 100 != 2) {
                    sleep(200);
                }
            });
        }
        resenders.shutdown();
        assertTrue(resenders.awaitTermination(5, TimeUnit.MINUTES));
    }

    private static EmbeddedPostgres startPostgres(int port, Path dir) throws Exception {
        return Database.embeddedPostgres().setPort(port).setDataDirectory(dir).setCleanDataDirectory(false).start();
    }

    /** SIGKILL to the server and every process of it at once: what was only in its memory is gone, as in a crash. */
    private static void killPostgres(Path dir) throws Exception {
        long pid = Long.parseLong(Files.readAllLines(dir.resolve("postmaster.pid")).get(0).trim());
        ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow();
        List<ProcessHandle> all = new ArrayList<>(postmaster.descendants().toList());
        all.add(0, postmaster);
        all.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle h : all) {
            h.onExit().get(30, TimeUnit.SECONDS);
        }
    }

    private void startBridge() throws Exception {
        startBridge(Map.of());
    }

    private void startBridge(Map<String, String> settings) throws Exception {
        Map<String, String> p = BridgeUnderTest.testProperties(sandbox.baseUrl(), jdbcUrl, port);
        p.putAll(settings);
        p.put("platform.base-url", platform.baseUrl());
        p.put("servicetitan.max-requests-per-second", "5000");
        p.put("bridge.poll.trigger", "trigger.repeatInterval=500");
        p.put("bridge.outbox.batch-size", "100");
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

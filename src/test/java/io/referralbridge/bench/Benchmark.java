package io.referralbridge.bench;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import io.referralbridge.support.BridgeUnderTest;
import org.apache.camel.test.AvailablePortFinder;

/**
 * Prints the bridge's figures (bench/run.sh): intake rate and latency beside the database's own single-row insert rate,
 * webhook -> booking and milestone -> platform-told latencies, ServiceTitan requests per poll cycle against open
 * referrals and changes, time to ready and peak RSS of the packaged jar. Loopback only, bounded in count and time.
 */
public final class Benchmark {

    static final int WEBHOOKS = Integer.getInteger("bench.webhooks", 2000);
    static final int CLIENTS = Integer.getInteger("bench.clients", 16);

    public static void main(String[] args) throws Exception {
        List<String[]> rows = new ArrayList<>();
        // The task queue at its production settings (sweep 1 s, back-off 1 s doubling to 60 s, 16 attempts), so that
        // the latency rows show the wake-up and the back-off a user runs.
        Map<String, String> settings = new java.util.HashMap<>(Map.of("servicetitan.max-requests-per-second", "5000",
                "bridge.outbox.batch-size", "100", "bridge.outbox.poll-interval-ms", "1000",
                "bridge.retry.initial-delay-ms", "1000", "bridge.retry.max-delay-ms", "60000",
                "bridge.retry.max-redeliveries", "15",
                // campaign 20 (qualification none) also matches phone-ins, for the poll-cost rows with matching on
                "bridge.campaign.20.match-by", "booking, email, phone, code-field"));
        // -Dbench.set.<property>=<value> tries a setting (e.g. -Dbench.set.bridge.db.pool-size=20)
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("bench.set."))
                .forEach(k -> settings.put(k.substring("bench.set.".length()), System.getProperty(k)));
        try (BridgeUnderTest bridge = BridgeUnderTest.start(settings)) {
            var routes = bridge.main.getCamelContext().getRouteController();
            String bookingRoute = "booking-outbox-default";

            // Warm-up (JIT, connection pools), not counted. Bookings wait, so intake has the machine to itself.
            // Three rounds of each measure, the median reported (a shared 2-core machine is noisy).
            routes.suspendRoute(bookingRoute);
            burst(bridge, "WARM", 3000);
            List<double[]> rounds = new ArrayList<>();
            List<Double> inserts = new ArrayList<>();
            List<Double> statements = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                rounds.add(burst(bridge, "ALONE" + r, WEBHOOKS));
                inserts.add(insertRate(bridge.jdbcUrl, 3000));
                statements.add(intakeStatementRate(bridge.jdbcUrl, "SQL" + r, 3000));
            }
            rounds.sort(java.util.Comparator.comparingDouble(x -> x[0]));
            double[] alone = rounds.get(1);
            double insertRate = median(inserts);
            rows.add(row("intake: committed referrals/s (" + CLIENTS + " clients), bookings held",
                    "%.0f (rounds: %.0f, %.0f, %.0f)".formatted(alone[0], rounds.get(0)[0], rounds.get(1)[0],
                            rounds.get(2)[0])));
            rows.add(row("intake: latency p50 / p99 (ms), bookings held", "%.1f / %.1f".formatted(alone[1], alone[2])));
            rows.add(row("PostgreSQL single-row inserts/s (JDBC loop, same run)", "%.0f".formatted(insertRate)));
            rows.add(row("intake / insert rate", "%.2f".formatted(alone[0] / insertRate)));
            rows.add(row("PostgreSQL single-row insert latency p50 / p99 / max (ms)", pct(INSERT_MICROS, 50) + " / "
                    + pct(INSERT_MICROS, 99) + " / " + pct(INSERT_MICROS, 100)));
            rows.add(row("intake statement alone, one referral per transaction, JDBC loop (4 rows)/s",
                    "%.0f".formatted(median(statements))));
            if (hasWrk()) {
                // The same webhooks to a route that only answers: what the HTTP stack costs on this machine.
                bridge.main.getCamelContext().addRoutes(new org.apache.camel.builder.RouteBuilder() {
                    @Override
                    public void configure() {
                        from("platform-http:/bench/answer?httpMethodRestrict=POST").routeId("bench-answer")
                                .setHeader(org.apache.camel.Exchange.HTTP_RESPONSE_CODE, constant(202))
                                .setBody(constant("{}"));
                    }
                });
                Path answerOnly = wrkRequests("ANS", 400_000); // more than wrk sends in 10 s
                wrk(bridge, answerOnly, "/bench/answer", 10, null); // warm-up
                rows.add(row("a route that only answers, wrk (" + CLIENTS + " connections): the HTTP stack alone",
                        wrk(bridge, answerOnly, "/bench/answer", 10, null).describe()));
                // warm-up: 10 s left the JIT compiling through the first measured round (a tenth of the CPU)
                wrk(bridge, wrkRequests("WRKW", 150_000), "/webhooks/referrals", 20, "WRKW-%");
                List<WrkRound> wrkRounds = new ArrayList<>();
                for (int r = 0; r < 3; r++) {
                    wrkRounds.add(wrk(bridge, wrkRequests("WRK" + r, 80_000), "/webhooks/referrals", 10,
                            "WRK" + r + "-%"));
                }
                wrkRounds.sort(java.util.Comparator.comparingDouble(WrkRound::perSecond));
                WrkRound median = wrkRounds.get(1);
                rows.add(row("intake with wrk as the client (C, 2 threads, " + CLIENTS + " connections), bookings "
                        + "held: committed referrals", median.describe() + " (rounds: %.0f, %.0f, %.0f)".formatted(
                        wrkRounds.get(0).perSecond(), wrkRounds.get(1).perSecond(), wrkRounds.get(2).perSecond())));
                rows.add(row("intake (wrk) / insert rate", "%.2f".formatted(median.perSecond() / insertRate)));
            }
            // The statement loop's and wrk's referrals are not to be booked.
            bridge.execute("UPDATE outbox SET status = 'done' WHERE referral_id IN (SELECT id FROM referral WHERE code "
                    + "LIKE 'SQL%' OR code LIKE 'WRK%')");

            if (Boolean.getBoolean("bench.intake-only")) {
                print(rows);
                return;
            }

            // The same burst while the backlog is being booked (the booking route competes for both cores).
            routes.resumeRoute(bookingRoute);
            double[] busy = burst(bridge, "BUSY", WEBHOOKS);
            rows.add(row("intake: committed referrals/s, while booking the backlog", "%.0f".formatted(busy[0])));
            rows.add(row("intake: latency p50 / p99 (ms), while booking", "%.1f / %.1f".formatted(busy[1], busy[2])));

            int total = 3000 + 4 * WEBHOOKS;
            BridgeUnderTest.await("all booked", Duration.ofMinutes(15), () -> ((Number) bridge.query(
                    "SELECT count(*) AS n FROM referral WHERE state = 'booked'").get(0).get("n")).intValue() == total);
            // webhook -> booking visible: measured one at a time, so queueing behind the burst is not counted
            List<Long> bookMs = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String code = "LAT-%04d".formatted(i);
                long t0 = System.nanoTime();
                bridge.sendWebhook("evt-" + code, BridgeUnderTest.referralEvent(code, "l" + i + "@example.com"));
                while (bridge.sandbox.bookingsWithExternalId(code).isEmpty()) {
                    Thread.sleep(1); // a spinning check would compete with the sandbox it reads
                }
                bookMs.add((System.nanoTime() - t0) / 1000);
            }
            rows.add(row("webhook -> booking in ServiceTitan p50 / p99 (ms), idle, woken by LISTEN/NOTIFY (sweep 1 s)",
                    pct(bookMs, 50) + " / " + pct(bookMs, 99)));
            List<Long> direct = directBookingCalls(bridge, 100);
            rows.add(row("baseline: the same four calls sent straight to the sandbox, JDK client, p50 / p99 (ms)",
                    pct(direct, 50) + " / " + pct(direct, 99)));

            // Normal referrals, one every 50 ms for 30 s, while 5 others fail on every call and wait their back-off
            for (int i = 0; i < 5; i++) {
                String code = "STUCK-" + i;
                bridge.sandbox.injectFault(io.referralbridge.sandbox.Fault.status(null,
                        "externalId=" + code, 500, 1_000_000));
                bridge.sendWebhook("evt-" + code, BridgeUnderTest.referralEvent(code, "s" + i + "@example.com"));
            }
            BridgeUnderTest.await("the 5 in back-off", Duration.ofSeconds(30), () -> ((Number) bridge.query(
                    "SELECT count(*) AS n FROM outbox o JOIN referral r ON r.id = o.referral_id WHERE r.code LIKE "
                            + "'STUCK-%' AND o.last_error IS NOT NULL").get(0).get("n")).intValue() == 5);
            List<Long> besideMs = new ArrayList<>();
            long until = System.nanoTime() + 30_000_000_000L;
            for (int i = 0; System.nanoTime() < until; i++) {
                String code = "BESIDE-%04d".formatted(i);
                long t0 = System.nanoTime();
                bridge.sendWebhook("evt-" + code, BridgeUnderTest.referralEvent(code, "b" + i + "@example.com"));
                while (bridge.sandbox.bookingsWithExternalId(code).isEmpty()) {
                    Thread.sleep(1);
                }
                besideMs.add((System.nanoTime() - t0) / 1000);
                Thread.sleep(Math.max(0, 50 - (System.nanoTime() - t0) / 1_000_000));
            }
            int stuckAttempts = ((Number) bridge.query("SELECT sum(o.attempts) AS n FROM outbox o JOIN referral r "
                    + "ON r.id = o.referral_id WHERE r.code LIKE 'STUCK-%'").get(0).get("n")).intValue();
            rows.add(row("webhook -> booking p50 / p99 (ms), one every 50 ms for 30 s, while 5 referrals fail (500) and "
                    + "back off", pct(besideMs, 50) + " / " + pct(besideMs, 99) + " (" + besideMs.size()
                    + " referrals; the 5 made " + stuckAttempts + " attempts meanwhile)"));
            bridge.sandbox.clearFaults();

            // job milestone -> platform told, at a 200 ms poll interval
            List<Long> toldMs = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                String code = "LAT-%04d".formatted(i);
                bridge.awaitState(code, "booked");
                long job = bridge.sandbox.convertBooking(bridge.bookingId(code)).path("id").asLong();
                long t0 = System.nanoTime();
                bridge.sandbox.setJobStatus(job, "Completed");
                while (!bridge.platform.isQualified(code)) {
                    Thread.sleep(2);
                }
                toldMs.add((System.nanoTime() - t0) / 1000);
            }
            rows.add(row("job Completed -> platform told p50 / p99 (ms), poll every 200 ms", pct(toldMs, 50) + " / "
                    + pct(toldMs, 99)));

            // ServiceTitan requests per poll cycle: open referrals x changes
            bridge.post("/admin/poll/pause", new byte[0], bridge.admin());
            long bookingIds = 10_000_000;
            for (int open : new int[] {1_000, 10_000, 100_000}) {
                // The last size's open referrals are settled, not deleted: a delete checks every table that refers to
                // a referral, some by a scan (nothing in the bridge deletes referrals), and took minutes.
                bridge.execute("UPDATE referral SET state = 'platform_notified' WHERE code LIKE 'OPEN-%' AND state = "
                        + "'booked'");
                bridge.execute("INSERT INTO referral (code, campaign_id, first_name, email, payload, state, booking_id) "
                        + "SELECT 'OPEN-" + open + "-' || g, '17', 'A', 'a@example.com', '{}'::jsonb, 'booked', "
                        + bookingIds + " + g FROM generate_series(1, " + open + ") g");
                bookingIds += open;
                for (int changes : new int[] {0, 100}) {
                    bridge.post("/admin/poll", new byte[0], bridge.admin()); // catch up first
                    bridge.sandbox.addUnrelatedJobs(changes);
                    var stats = bridge.json(bridge.post("/admin/poll", new byte[0], bridge.admin()));
                    rows.add(row("poll cycle: ServiceTitan requests, " + open + " open referrals, " + changes
                            + " changes", stats.path("requests").asText()));
                }
            }
            // Phone-in matching on: 100,000 open referrals of a campaign matching by email and phone, and 100 jobs
            // booked by the office with no booking (customers who are not among them): each job's customer's contacts
            // are read once, and the referrals are found by index.
            bridge.execute("UPDATE referral SET state = 'platform_notified' WHERE code LIKE 'OPEN-%' AND state = "
                    + "'booked'");
            bridge.execute("INSERT INTO referral (code, campaign_id, first_name, email, phone, payload, state, booking_id) "
                    + "SELECT 'MATCH-' || g, '20', 'A', 'm' || g || '@example.com', '+1 918 ' || lpad(g::text, 7, '0'), "
                    + "'{}'::jsonb, 'booked', " + bookingIds + " + g FROM generate_series(1, 100000) g");
            bridge.post("/admin/poll", new byte[0], bridge.admin()); // catch up first
            for (int i = 0; i < 100; i++) {
                long customer = bridge.sandbox.addCustomer("Caller " + i, "caller" + i + "@example.net",
                        "+1 539 555 " + (1000 + i)).path("id").asLong();
                bridge.sandbox.phoneInJob(customer, null);
            }
            long t0 = System.nanoTime();
            var matching = bridge.json(bridge.post("/admin/poll", new byte[0], bridge.admin()));
            long cycleMs = (System.nanoTime() - t0) / 1_000_000;
            rows.add(row("poll cycle with phone-in matching on: requests / ms, 100000 open referrals, 100 phone-in jobs",
                    matching.path("requests").asText() + " requests (3 feeds + 100 customers' contacts) / "
                            + cycleMs + " ms"));
        }
        rows.addAll(requestBudgetCost());
        rows.addAll(webhookTriggered(settings));
        rows.addAll(processFigures());
        print(rows);
    }

    /**
     * What the cluster-wide request budget costs a call: one UPDATE per call (slots-per-claim 1, the default) against
     * slices of 10 slots per statement, at a rate high enough that nobody waits for a slot; beside it, the per-JVM
     * pacer it replaced (no statement at all).
     */
    static List<String[]> requestBudgetCost() throws Exception {
        List<String[]> rows = new ArrayList<>();
        try (BridgeUnderTest bridge = BridgeUnderTest.start()) {
            javax.sql.DataSource ds = bridge.main.getCamelContext().getRegistry().lookupByNameAndType("dataSource",
                    javax.sql.DataSource.class);
            // Unlimited rate: what a call pays for its statement.
            var unlimited = new io.referralbridge.servicetitan.RequestBudget(ds, "bench-cost", 1e9, 1, 30_000);
            for (int i = 0; i < 2000; i++) {
                unlimited.acquire(); // warm-up
            }
            int n = 20_000;
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                unlimited.acquire();
            }
            double perCallMicros = (System.nanoTime() - t0) / 1e3 / n;
            // At a real pace (1,000/s), one caller: statements per call, one per call against a slice of 10.
            StringBuilder statements = new StringBuilder();
            for (int k : new int[] {1, 10}) {
                var paced = new io.referralbridge.servicetitan.RequestBudget(ds, "bench-paced-" + k, 1000, k, 30_000);
                for (int i = 0; i < 2000; i++) {
                    paced.acquire();
                }
                statements.append(k == 1 ? "" : " / ").append("%.2f".formatted(paced.claims() / 2000.0));
            }
            rows.add(row("request budget (PostgreSQL, cluster-wide): time per call for its slot at an unlimited rate",
                    "%.0f µs (one UPDATE)".formatted(perCallMicros)));
            rows.add(row("request budget at 1,000 calls/s: statements per call, one slot per claim / a slice of 10",
                    statements.toString()));
        }
        return rows;
    }

    /**
     * ServiceTitan's webhooks as the trigger, the poll at ServiceTitan's advice (every 5 minutes): job Completed in the
     * sandbox (which sends the signed event) -> platform told. Each referral booked and made a job first.
     */
    static List<String[]> webhookTriggered(Map<String, String> base) throws Exception {
        String key = "bench-servicetitan-webhook-hmac-key-0123456789";
        Map<String, String> settings = new java.util.HashMap<>(base);
        settings.put("bridge.poll.trigger", "trigger.repeatInterval=300000");
        settings.put("servicetitan.webhook.hmac-keys", key);
        int n = Integer.getInteger("bench.webhook-referrals", 100);
        List<Long> toldMs = new ArrayList<>();
        try (BridgeUnderTest bridge = BridgeUnderTest.start(settings)) {
            bridge.sandbox.subscribeWebhooks("http://127.0.0.1:" + bridge.port + "/webhooks/servicetitan/default", key);
            for (int i = 0; i < n; i++) {
                String code = "HOOK-%04d".formatted(i);
                bridge.sendWebhook("evt-" + code, BridgeUnderTest.referralEvent(code, "hook" + i + "@example.com"));
                bridge.awaitState(code, "booked");
                long job = bridge.sandbox.convertBooking(bridge.bookingId(code)).path("id").asLong();
                bridge.awaitState(code, "job_created"); // through the booking's and job's events too
                long t0 = System.nanoTime();
                bridge.sandbox.setJobStatus(job, "Completed");
                while (!bridge.platform.isQualified(code)) {
                    Thread.sleep(2);
                }
                toldMs.add((System.nanoTime() - t0) / 1000);
            }
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(row("job Completed -> platform told p50 / p99 (ms), ServiceTitan webhook, poll every 5 min, " + n
                + " jobs", pct(toldMs, 50) + " / " + pct(toldMs, 99)));
        return rows;
    }

    /** One wrk run: requests or committed referrals per second, latency, and CPU spent per request by each side. */
    record WrkRound(double perSecond, double p50, double p99, double jvmCpuMs, double postgresCpuMs) {
        String describe() {
            return "%.0f/s; p50 / p99 %.1f / %.1f ms; CPU per request: bridge JVM %.2f ms, PostgreSQL %.2f ms"
                    .formatted(perSecond, p50, p99, jvmCpuMs, postgresCpuMs);
        }
    }

    static boolean hasWrk() {
        return Files.isExecutable(Path.of("/usr/bin/wrk"));
    }

    /** Pre-signed webhooks for wrk (bench/intake.lua), one per line, codes {prefix}-000000 on. */
    static Path wrkRequests(String prefix, int n) throws Exception {
        Path file = Path.of("target/bench-" + prefix + ".tsv");
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        long ts = Instant.now().getEpochSecond();
        try (var out = Files.newBufferedWriter(file)) {
            for (int i = 0; i < n; i++) {
                String code = "%s-%06d".formatted(prefix, i);
                byte[] body = json.writeValueAsBytes(json.readTree(BridgeUnderTest.referralEvent(code,
                        code.toLowerCase() + "@example.com")));
                String id = "evt-" + code;
                out.write(id + "\t" + ts + "\t" + BridgeUnderTest.signature(id, ts, body) + "\t"
                        + new String(body, StandardCharsets.UTF_8) + "\n");
            }
        }
        return file;
    }

    /**
     * wrk (a client in C, lighter on the shared cores than the JDK's) replays the file's webhooks to {@code path} for
     * {@code seconds}. With {@code committedLike} the rate counts referrals committed with that code prefix, else wrk's
     * answered requests.
     */
    static WrkRound wrk(BridgeUnderTest bridge, Path requests, String path, int seconds, String committedLike)
            throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean();
        long postmaster = postmasterPid(bridge);
        long jvm0 = os.getProcessCpuTime();
        long pg0 = cpuTicks(postmaster);
        Process p = new ProcessBuilder("/usr/bin/wrk", "-t2", "-c" + CLIENTS, "-d" + seconds + "s", "--latency",
                "-s", "bench/intake.lua", "http://127.0.0.1:" + bridge.port, "--", requests.toString(), "2", path)
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        double jvmMs = (os.getProcessCpuTime() - jvm0) / 1e6;
        double pgMs = (cpuTicks(postmaster) - pg0) * 1000.0 / CLOCK_TICKS;
        var total = java.util.regex.Pattern.compile("([0-9]+) requests in ([0-9.]+)(m?s)").matcher(output);
        var p50 = java.util.regex.Pattern.compile("\\s50%\\s+([0-9.]+)(us|ms|s)").matcher(output);
        var p99 = java.util.regex.Pattern.compile("\\s99%\\s+([0-9.]+)(us|ms|s)").matcher(output);
        if (!total.find() || !p50.find() || !p99.find()) {
            throw new IllegalStateException("wrk said: " + output);
        }
        double secs = Double.parseDouble(total.group(2)) / (total.group(3).equals("ms") ? 1000 : 1);
        long answered = Long.parseLong(total.group(1));
        long count = committedLike == null ? answered : ((Number) bridge.query(
                "SELECT count(*) AS n FROM referral WHERE code LIKE ?", committedLike).get(0).get("n")).longValue();
        return new WrkRound(count / secs, millis(p50), millis(p99), jvmMs / answered, pgMs / answered);
    }

    static final int CLOCK_TICKS = 100; // USER_HZ on Linux

    /** The PostgreSQL server process, found as the parent of one of its backends. */
    static long postmasterPid(BridgeUnderTest bridge) throws Exception {
        try (Connection c = DriverManager.getConnection(bridge.jdbcUrl, "postgres", "postgres");
             var rs = c.createStatement().executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return Long.parseLong(stat(rs.getLong(1))[1]); // read while the backend lives
        }
    }

    /** CPU ticks of a process, its reaped children and its live children (PostgreSQL forks a process per connection). */
    static long cpuTicks(long parent) throws Exception {
        String[] own = stat(parent);
        long ticks = Long.parseLong(own[11]) + Long.parseLong(own[12]) + Long.parseLong(own[13])
                + Long.parseLong(own[14]);
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path d : (Iterable<Path>) procs::iterator) {
                String name = d.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String[] f = stat(Long.parseLong(name));
                    if (Long.parseLong(f[1]) == parent) {
                        ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    }
                } catch (Exception gone) {
                    // exited meanwhile: its time is in the parent's children figures
                }
            }
        }
        return ticks;
    }

    /** /proc/pid/stat after the command name: [0] state, [1] ppid, ... [11] utime, [12] stime, [13] cutime, [14] cstime. */
    private static String[] stat(long pid) throws Exception {
        String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return s.substring(s.lastIndexOf(')') + 2).split(" ");
    }

    private static double millis(java.util.regex.Matcher m) {
        double v = Double.parseDouble(m.group(1));
        return switch (m.group(2)) {
            case "us" -> v / 1000;
            case "s" -> v * 1000;
            default -> v;
        };
    }

    /** n webhooks from CLIENTS concurrent senders: {committed per second, p50 ms, p99 ms}. */
    static double[] burst(BridgeUnderTest bridge, String prefix, int n) throws InterruptedException {
        List<Long> micros = Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        for (int i = 0; i < n; i++) {
            String code = "%s-%06d".formatted(prefix, i);
            pool.submit(() -> {
                long t0 = System.nanoTime();
                int status = bridge.sendWebhook("evt-" + code, BridgeUnderTest.referralEvent(code,
                        code.toLowerCase() + "@example.com")).statusCode();
                if (status == 202) {
                    micros.add((System.nanoTime() - t0) / 1000);
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(10, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - start) / 1e9;
        return new double[] {micros.size() / seconds, Double.parseDouble(pct(micros, 50)),
                Double.parseDouble(pct(micros, 99))};
    }

    /** Time to ready and peak RSS of the packaged jar (dev profile: embedded PostgreSQL and sandboxes included). */
    static List<String[]> processFigures() throws Exception {
        List<String[]> rows = new ArrayList<>();
        Path jar = Path.of("target/referral-bridge.jar");
        if (!Files.exists(jar)) {
            rows.add(row("time to ready / peak RSS", "skipped: build the jar first"));
            return rows;
        }
        int port = AvailablePortFinder.getNextAvailable();
        Path data = Files.createTempDirectory("bench-pg");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dcamel.server.port=" + port, "-Dbridge.db.embedded.data-dir=" + data,
                "-Dbridge.sandbox.servicetitan.port=0", "-Dbridge.sandbox.platform.port=0",
                "-Dcamel.management.port=" + AvailablePortFinder.getNextAvailable(), "-jar", jar.toString())
                .redirectErrorStream(true).redirectOutput(new File("target/bench-bridge.log"));
        long t0 = System.nanoTime();
        Process p = pb.start();
        HttpClient http = HttpClient.newHttpClient();
        long readyMs = -1;
        while (System.nanoTime() - t0 < 120_000_000_000L) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/report")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    readyMs = (System.nanoTime() - t0) / 1_000_000;
                    break;
                }
            } catch (Exception notYet) {
                Thread.sleep(50);
            }
        }
        String hwm = Files.readAllLines(Path.of("/proc/" + p.pid() + "/status")).stream()
                .filter(l -> l.startsWith("VmHWM")).findFirst().orElse("VmHWM: ?").replaceAll("\\s+", " ");
        p.destroy();
        p.waitFor(30, TimeUnit.SECONDS);
        rows.add(row("time to ready, java -jar (dev: embedded PostgreSQL + sandboxes) (ms)", String.valueOf(readyMs)));
        rows.add(row("peak RSS of the bridge JVM after start (" + hwm.split(" ")[0] + ")", hwm.substring(
                hwm.indexOf(' ') + 1) + " (embedded PostgreSQL runs in its own processes)"));
        return rows;
    }

    /** The intake's statement (sql/referrals.sql "accept") for one referral in a single-connection loop. */
    static double intakeStatementRate(String jdbcUrl, String prefix, int n) throws Exception {
        var sql = io.referralbridge.db.Queries.load("sql/referrals.sql");
        String payload = BridgeUnderTest.referralEvent("X", "x@example.com");
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "postgres");
             PreparedStatement ps = c.prepareStatement(sql.get("accept"))) {
            c.setAutoCommit(false);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                String code = prefix + "-" + i;
                String[] values = {"evt-" + code, code, "17", "default", "Dana", "W", "d@example.com", null, payload};
                for (int p = 0; p < values.length; p++) {
                    ps.setArray(p + 1, c.createArrayOf("text", new String[] {values[p]}));
                }
                ps.setString(10, "create_booking");
                ps.execute(); // SET LOCAL, then the statement
                c.commit(); // one transaction per referral, as a webhook arriving alone
            }
            return n / ((System.nanoTime() - t0) / 1e9);
        }
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    /** Single-row inserts, one transaction each, one connection; the commit latencies go to INSERT_MICROS. */
    static double insertRate(String jdbcUrl, int n) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "postgres")) {
            c.createStatement().execute("CREATE TABLE IF NOT EXISTS bench_insert (id BIGSERIAL PRIMARY KEY, v TEXT)");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO bench_insert (v) VALUES (?)")) {
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    long t = System.nanoTime();
                    ps.setString(1, "row " + i);
                    ps.executeUpdate(); // autocommit: one transaction per row, like one webhook
                    INSERT_MICROS.add((System.nanoTime() - t) / 1000);
                }
                return n / ((System.nanoTime() - t0) / 1e9);
            }
        }
    }

    /**
     * What ServiceTitan's own answers cost the booking: the bridge's four calls (the booking looked up by externalId,
     * the person among the customers by email and by phone, the create), made straight to the sandbox.
     */
    static List<Long> directBookingCalls(BridgeUnderTest bridge, int n) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String base = bridge.sandbox.baseUrl();
        String form = "grant_type=client_credentials&client_id=" + BridgeUnderTest.CLIENT_ID + "&client_secret="
                + BridgeUnderTest.CLIENT_SECRET;
        String token = new com.fasterxml.jackson.databind.ObjectMapper().readTree(http.send(HttpRequest.newBuilder(
                URI.create(base + "/connect/token")).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString()).body())
                .path("access_token").asText();
        String bookings = base + "/crm/v2/tenant/" + BridgeUnderTest.TENANT + "/booking-provider/42/bookings";
        List<Long> micros = new ArrayList<>();
        for (int i = 0; i < n + 20; i++) { // the first 20 warm the client up
            String code = "DIRECT-%04d".formatted(i);
            String body = "{\"source\":\"Referral\",\"name\":\"D\",\"summary\":\"s\",\"externalId\":\"" + code
                    + "\",\"isFirstTimeClient\":true,\"contacts\":[{\"type\":\"Email\",\"value\":\"d@example.com\"}]}";
            long t0 = System.nanoTime();
            HttpResponse<String> found = http.send(HttpRequest.newBuilder(URI.create(bookings + "?externalId=" + code
                    + "&pageSize=50")).header("Authorization", "Bearer " + token)
                    .header("ST-App-Key", BridgeUnderTest.APP_KEY).GET().build(), HttpResponse.BodyHandlers.ofString());
            String contacts = base + "/crm/v2/tenant/" + BridgeUnderTest.TENANT + "/contacts/contact-methods";
            for (String query : List.of("?type=Email&value=d%40example.com&pageSize=50", "?value=5550100&pageSize=50")) {
                HttpResponse<String> none = http.send(HttpRequest.newBuilder(URI.create(contacts + query))
                        .header("Authorization", "Bearer " + token).header("ST-App-Key", BridgeUnderTest.APP_KEY)
                        .GET().build(), HttpResponse.BodyHandlers.ofString());
                if (none.statusCode() != 200) {
                    throw new IllegalStateException("direct look-up: " + none.statusCode());
                }
            }
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(bookings))
                    .header("Authorization", "Bearer " + token).header("ST-App-Key", BridgeUnderTest.APP_KEY)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (found.statusCode() != 200 || created.statusCode() / 100 != 2) {
                throw new IllegalStateException("direct calls: " + found.statusCode() + " " + created.body());
            }
            if (i >= 20) {
                micros.add((System.nanoTime() - t0) / 1000);
            }
        }
        return micros;
    }

    static final List<Long> INSERT_MICROS = Collections.synchronizedList(new ArrayList<>());

    static String pct(List<Long> micros, int p) {
        List<Long> sorted = new ArrayList<>(micros);
        Collections.sort(sorted);
        if (sorted.isEmpty()) {
            return "-";
        }
        long v = sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
        return "%.1f".formatted(v / 1000.0);
    }

    static String[] row(String what, String value) {
        return new String[] {what, value};
    }

    static void print(List<String[]> rows) {
        int w = rows.stream().mapToInt(r -> r[0].length()).max().orElse(10);
        System.out.println();
        System.out.printf("| %-" + w + "s | %s%n", "measure", "value");
        System.out.printf("|-%s-|-------%n", "-".repeat(w));
        for (String[] r : rows) {
            System.out.printf("| %-" + w + "s | %s%n", r[0], r[1]);
        }
        System.out.printf("%nmachine: %d cores, %s, Java %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.arch"), System.getProperty("java.version"));
    }

    private Benchmark() {
    }
}

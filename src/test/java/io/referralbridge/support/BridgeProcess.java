package io.referralbridge.support;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;


/**
 * The packaged jar (target/referral-bridge.jar) as a real process, configured with -D properties, its output appended
 * to a log file under target/. For tests that kill a node hard or run several nodes.
 */
public final class BridgeProcess implements AutoCloseable {

    public final int port;
    public final int managementPort;
    private final Process process;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private BridgeProcess(int port, int managementPort, Process process) {
        this.port = port;
        this.managementPort = managementPort;
        this.process = process;
    }

    /** Starts the jar with these properties (camel.server.port and camel.management.port among them); waits for it. */
    public static BridgeProcess start(Map<String, String> properties, String logName) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m"));
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-jar", "target/referral-bridge.jar"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(new File("target/" + logName)));
        pb.environment().put("BRIDGE_PROFILE", "dev");
        BridgeProcess node = new BridgeProcess(Integer.parseInt(properties.get("camel.server.port")),
                Integer.parseInt(properties.get("camel.management.port")), pb.start());
        BridgeUnderTest.await("bridge on port " + node.port + " ready", Duration.ofMinutes(2), node::isReady);
        return node;
    }

    private boolean isReady() {
        if (!process.isAlive()) {
            throw new AssertionError("The bridge process exited with " + process.exitValue() + "; see its log");
        }
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/admin/dead-letters"))
                    .header("Authorization", "Bearer " + BridgeUnderTest.ADMIN_TOKEN).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }

    /** SIGTERM, as a supervisor stops a service; how long the process took to exit (at most a minute is waited). */
    public Duration terminate() throws InterruptedException {
        long start = System.nanoTime();
        process.destroy();
        if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** SIGKILL: no shutdown hook, no cleanup, as when a machine dies. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** One signed delivery of a referral.joined event; 0 when no answer came (refused, reset, timeout). */
    public int sendReferral(String code) {
        byte[] body = BridgeUnderTest.referralEvent(code, code.toLowerCase() + "@example.com")
                .getBytes(StandardCharsets.UTF_8);
        String id = "evt-" + code;
        long ts = Instant.now().getEpochSecond();
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/referrals"))
                    .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                    .header("webhook-id", id).header("webhook-timestamp", String.valueOf(ts))
                    .header("webhook-signature", BridgeUnderTest.signature(id, ts, body))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return 0;
        }
    }

    /** A counter or gauge from /observe/metrics (Prometheus text), e.g. bridge_poll_cycles_total; -1 if absent. */
    public double metric(String nameAndLabels) {
        try {
            String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort
                    + "/observe/metrics")).timeout(Duration.ofSeconds(5)).header("Authorization",
                    BridgeUnderTest.managementAuth().get("Authorization")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return text.lines().filter(l -> l.startsWith(nameAndLabels))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        } catch (Exception e) {
            return -1;
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}

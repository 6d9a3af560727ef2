package io.referralbridge.ops;

import static io.referralbridge.support.BridgeUnderTest.referralEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.referralbridge.sandbox.ServiceTitanSandbox.Fault;
import io.referralbridge.support.BridgeUnderTest;
import org.junit.jupiter.api.Test;

/** The reporting page, rendered by a real headless Chromium (installed by .ci/run) against a running bridge. */
class ReportPageTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @Test
    void thePageShowsTheFunnelAndTheDeadLettersWithAReplayButton() throws Exception {
        try (BridgeUnderTest bridge = BridgeUnderTest.start()) {
            var page = bridge.get("/report", Map.of());
            assertEquals(200, page.statusCode());
            assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));

            assertEquals(202, bridge.sendWebhook("evt-pg-1", referralEvent("PG-0001", "a@example.com")).statusCode());
            bridge.awaitState("PG-0001", "booked");
            assertEquals(200, bridge.post("/api/referrals/PG-0001/qualify", new byte[0], bridge.admin()).statusCode());
            bridge.sandbox.injectFault(Fault.status("POST", "/booking-provider/", 400, 1));
            assertEquals(202, bridge.sendWebhook("evt-pg-2", referralEvent("PG-0002", "b@example.com")).statusCode());
            bridge.awaitState("PG-0002", "failed");

            assumeTrue(Files.isExecutable(CHROMIUM), "Chromium is not installed (.ci/run installs it)");
            String dom = renderedDom("http://127.0.0.1:" + bridge.port + "/report#token="
                    + BridgeUnderTest.ADMIN_TOKEN);
            assertTrue(dom.contains("updated "), "the page loaded its data:\n" + dom);
            assertTrue(dom.contains("<td>17</td><td>2</td><td>1</td><td>0</td><td>1</td>"),
                    "campaign 17: 2 joined, 1 booked, 0 jobs, 1 qualified\n" + dom);
            assertTrue(dom.contains("50.0 %"), "qualification rate 1 of 2");
            assertTrue(dom.contains("<td>PG-0002</td><td>create-booking</td>"), "the dead letter is listed");
            assertTrue(dom.contains(">Replay</button>"), "with its replay button");
        }
    }

    private static String renderedDom(String url) throws Exception {
        Path profile = Files.createTempDirectory("chromium-profile");
        Process p = new ProcessBuilder(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--virtual-time-budget=10000", "--dump-dom", url))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), "chromium finished");
        return dom;
    }
}

package io.referralbridge.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The program's dashboard on a seeded data set (six weeks of referrals, three referrers, invoices): the API's figures,
 * the page showing the same (Chromium), a chart with one bar per week, and the CSV export.
 */
class DashboardTest {

    private static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(Map.of("bridge.poll.trigger",
            "trigger.repeatInterval=600000"), b -> {
                bridge = b;
                seed();
            });

    /** Week w (0 = this week) gets w + 2 referrals; every other one qualified and told, with an invoice of 100.50. */
    private static void seed() {
        bridge.post("/admin/poll/pause", new byte[0], bridge.admin());
        int n = 0;
        for (int w = 0; w < 6; w++) {
            for (int i = 0; i < w + 2; i++, n++) {
                String referrer = List.of("ana@example.com", "ben@example.com", "cy@example.com").get(n % 3);
                boolean told = n % 2 == 0;
                bridge.execute(("INSERT INTO referral (code, campaign_id, first_name, email, payload, state, booking_id,"
                        + " job_id, joined_at, qualified_at, notified_at) VALUES ('DASH-%d', '17', 'A', 'p%d@example.com',"
                        + " '{\"data\": {\"referred_by\": {\"email\": \"%s\"}}}'::jsonb, '%s', %d, %d,"
                        + " now() - interval '%d days' - interval '%d hours', %s, %s)").formatted(n, n, referrer,
                        told ? "platform_notified" : "booked", 900000 + n, told ? 800000 + n : null, 7 * w, i + 1,
                        told ? "now() - interval '" + 7 * w + " days'" : "NULL",
                        told ? "now() - interval '" + 7 * w + " days'" : "NULL"));
                if (told) {
                    bridge.execute("INSERT INTO job_invoice (connection, invoice_id, job_id, total, balance, active) "
                            + "VALUES ('default', " + (700000 + n) + ", " + (800000 + n) + ", 100.50, 0, true)");
                }
            }
        }
        // Customers enrolled as referrers: 5 enrolled and 2 skipped in campaign 17, 3 enrolled in 18 by a backfill.
        bridge.execute("INSERT INTO enrolment_backfill (id, connection, campaign_id, completed_from, completed_to, "
                + "jobs_total, jobs_read, state, next_page) VALUES (900, 'default', '18', '2026-01-01', '2026-07-01', 3, 3, "
                + "'enrolling', 2)");
        for (int i = 0; i < 10; i++) {
            bridge.execute(("INSERT INTO enrolment (connection, campaign_id, customer_id, job_id, state, done_at, "
                    + "backfill_id) VALUES ('default', '%s', %d, %d, '%s', now() - interval '%d days', %s)").formatted(
                    i < 7 ? "17" : "18", 600000 + i, 610000 + i, i < 5 || i >= 7 ? "enrolled" : "skipped", i,
                    i >= 7 ? "900" : "NULL"));
        }
        // A name a spreadsheet would run as a formula, exported as text.
        bridge.execute("INSERT INTO referral (code, campaign_id, first_name, email, payload, state) VALUES "
                + "('DASH-FORMULA', '17', 'B', 'f@example.com', '{\"data\": {\"referred_by\": {\"email\": "
                + "\"=HYPERLINK(\\\"http://x\\\")\"}}}'::jsonb, 'received')");
    }

    private static JsonNode dashboard() {
        return bridge.json(bridge.get("/api/reports/dashboard", bridge.admin()));
    }

    @Test
    void theApiSumsTheSeededProgram() {
        JsonNode d = dashboard();
        assertEquals(28, d.path("funnel").get(0).path("count").asInt(), d.toString()); // 2+3+...+7, plus one
        assertEquals("joined", d.path("funnel").get(0).path("step").asText());
        assertEquals(27, d.path("funnel").get(1).path("count").asInt(), "booked");
        assertEquals(14, d.path("funnel").get(4).path("count").asInt(), "told");
        assertEquals(14, d.path("rewards_triggered").asInt());
        assertEquals(0, new java.math.BigDecimal("1407.00").compareTo(new java.math.BigDecimal(d.path("revenue").asText())),
                d.path("revenue").toString());
        assertTrue(d.path("weeks").size() >= 6 && d.path("weeks").size() <= 7, d.path("weeks").toString());
        assertEquals(3, d.path("top_referrers").size() - 1, "three referrers, and the formula one");
        assertEquals("[{\"campaign\":\"17\",\"enrolled\":5,\"skipped\":2},"
                + "{\"campaign\":\"18\",\"enrolled\":3,\"skipped\":0}]", d.path("enrolments").toString());
        assertEquals(400, bridge.get("/api/reports/dashboard?from=yesterday", bridge.admin()).statusCode());
        assertEquals(401, bridge.get("/api/reports/dashboard", Map.of()).statusCode());
    }

    @Test
    void theCsvExportHasEveryReferralAndNoFormula() {
        var res = bridge.get("/api/exports/referrals.csv", bridge.admin());
        assertEquals(200, res.statusCode());
        assertTrue(res.headers().firstValue("Content-Type").orElse("").startsWith("text/csv"));
        List<String> lines = res.body().lines().toList();
        assertEquals("code,campaign_id,state,joined_at,qualified_at,notified_at,milestone,booking_id,job_id,revenue,"
                + "referrer_email,not_qualified_reason", lines.get(0));
        assertEquals(29, lines.size(), "header and 28 referrals");
        String formula = lines.stream().filter(l -> l.startsWith("DASH-FORMULA,")).findFirst().orElseThrow();
        assertTrue(formula.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), formula);
        assertEquals(401, bridge.get("/api/exports/referrals.csv", Map.of()).statusCode());
    }

    @Test
    void exportsAreBuiltTwoAtATimeAndTheRestAreToldToRetry() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(12);
        List<java.util.concurrent.Future<java.net.http.HttpResponse<String>>> answers = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
            answers.add(pool.submit(() -> bridge.get("/api/exports/referrals.csv", bridge.admin())));
        }
        for (var a : answers) {
            var res = a.get();
            assertTrue(res.statusCode() == 200 || res.statusCode() == 429 && res.headers().firstValue("Retry-After")
                    .isPresent() && res.body().contains("\"busy\""), res.statusCode() + " " + res.body());
        }
        pool.shutdown();
        for (int i = 0; i < 5; i++) { // each export's slot is freed when it is answered
            assertEquals(200, bridge.get("/api/exports/referrals.csv", bridge.admin()).statusCode());
        }
    }

    @Test
    void thePageShowsTheApisFiguresAndOneBarPerWeek() throws Exception {
        assumeTrue(Files.isExecutable(ReportPageTest.CHROMIUM) && Files.isExecutable(ReportPageTest.CHROMEDRIVER),
                "Chromium and chromedriver are not installed (.ci/run installs them)");
        JsonNode d = dashboard();
        WebDriver browser = ReportPageTest.chromium();
        try {
            browser.get("http://127.0.0.1:" + bridge.port + "/report#token=" + BridgeUnderTest.ADMIN_TOKEN);
            new WebDriverWait(browser, Duration.ofSeconds(20)).until(
                    ExpectedConditions.textToBePresentInElementLocated(By.tagName("body"), "updated "));
            assertEquals(new java.math.BigDecimal(d.path("revenue").asText()).setScale(2).toPlainString(),
                    browser.findElement(By.id("revenue")).getText());
            assertEquals(d.path("rewards_triggered").asText(), browser.findElement(By.id("rewards")).getText());
            List<WebElement> funnel = browser.findElements(By.cssSelector("#funnel-chart rect.bar"));
            assertEquals(5, funnel.size());
            for (int i = 0; i < 5; i++) {
                assertEquals(d.path("funnel").get(i).path("count").asText(), funnel.get(i).getAttribute("data-count"));
            }
            List<WebElement> weeks = browser.findElements(By.cssSelector("#weekly-chart g.week"));
            assertEquals(d.path("weeks").size(), weeks.size(), "one bar per week");
            for (int i = 0; i < weeks.size(); i++) {
                assertEquals(d.path("weeks").get(i).path("week").asText(), weeks.get(i).getAttribute("data-week"));
                assertEquals(d.path("weeks").get(i).path("joined").asText(), weeks.get(i)
                        .findElement(By.cssSelector("rect.bar")).getAttribute("data-joined"));
            }
            List<WebElement> top = browser.findElements(By.cssSelector("#top-referrers tbody tr"));
            assertEquals(d.path("top_referrers").size(), top.size());
            assertTrue(top.get(0).getText().startsWith(d.path("top_referrers").get(0).path("referrer").asText()));
            assertEquals("8", browser.findElement(By.id("enrolled")).getText());
            List<WebElement> enrolments = browser.findElements(By.cssSelector("#enrolments tbody tr"));
            assertEquals(d.path("enrolments").size(), enrolments.size());
            assertEquals("17 5 2", enrolments.get(0).getText());
            WebElement backfill = browser.findElement(By.cssSelector("#backfills tbody tr"));
            assertTrue(backfill.getText().startsWith("900 18 2026-01-01 to 2026-07-01 done"), backfill.getText());
            assertTrue(backfill.getText().contains("3 / 3"), backfill.getText());
            File shot = ((ChromeDriver) browser).getScreenshotAs(OutputType.FILE);
            Files.copy(shot.toPath(), Path.of("target/dashboard.png"), StandardCopyOption.REPLACE_EXISTING);
        } finally {
            browser.quit();
        }
    }
}

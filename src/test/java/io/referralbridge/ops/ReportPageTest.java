package io.referralbridge.ops;

import static io.referralbridge.support.BridgeUnderTest.referralEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;

import io.referralbridge.sandbox.Fault;
import io.referralbridge.support.BridgeUnderTest;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The reporting page in a real headless Chromium driven by Selenium through Debian's chromedriver (both installed by
 * .ci/run): it shows the funnel and the dead letters, and its Replay button books the dead-lettered referral.
 */
class ReportPageTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    @Test
    void thePageShowsTheFunnelAndItsReplayButtonBooksTheDeadLetter() throws Exception {
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
            // A caller the office booked directly, whose phone two open referrals share: up for review.
            assertEquals(202, bridge.sendWebhook("evt-pg-3", referralEvent("PG-0003", "c@example.com")).statusCode());
            bridge.awaitState("PG-0003", "booked");
            long caller = bridge.sandbox.addCustomer("Caller", null, "+1 555 0100").path("id").asLong();
            long phoneIn = bridge.sandbox.phoneInJob(caller, null).path("id").asLong();
            BridgeUnderTest.await("the phone-in up for review", Duration.ofSeconds(20), () -> bridge.json(
                    bridge.get("/api/match-reviews", bridge.admin())).path("matchReviews").size() == 1);

            assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                    "Chromium and chromedriver are not installed (.ci/run installs them)");
            WebDriver browser = chromium();
            try {
                browser.get("http://127.0.0.1:" + bridge.port + "/report#token=" + BridgeUnderTest.ADMIN_TOKEN);
                WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("body"), "updated "));
                String text = browser.findElement(By.tagName("body")).getText();
                assertTrue(browser.getPageSource().contains("<td>17</td><td>3</td><td>2</td><td>0</td><td>1</td>"),
                        "campaign 17: 3 joined, 2 booked, 0 jobs, 1 qualified\n" + text);
                assertTrue(text.contains("33.3 %"), "qualification rate 1 of 3\n" + text);
                // revenue of referred jobs, existing customers, waiting for review, clawed back: as the API says
                var c17 = bridge.json(bridge.get("/api/reports/summary?campaign=17", bridge.admin())).path("campaigns")
                        .get(0);
                assertTrue(browser.getPageSource().contains("<td>" + c17.path("revenue").decimalValue().setScale(2)
                        .toPlainString() + "</td><td>" + c17.path("existing_customers").asInt() + "</td><td>"
                        + c17.path("pending_review").asInt() + "</td><td>" + c17.path("clawed_back").asInt()
                        + "</td><td>" + c17.path("qualified_not_yet_told").asInt() + "</td><td>"
                        + c17.path("matched_by_booking").asInt() + "</td><td>" + c17.path("matched_by_email").asInt()
                        + "</td><td>" + c17.path("matched_by_phone").asInt() + "</td><td>"
                        + c17.path("matched_by_code_field").asInt() + "</td>"), text);
                WebElement review = browser.findElement(By.xpath("//table[@id='match-reviews']//tr[td[text()='"
                        + phoneIn + "']]"));
                assertTrue(review.getText().contains("PG-0002 (phone)") && review.getText().contains("PG-0003 (phone)"),
                        review.getText());
                WebElement row = browser.findElement(By.xpath("//tr[td[text()='PG-0002']]"));
                assertTrue(row.getText().contains("create-booking"), row.getText());
                File shot = ((ChromeDriver) browser).getScreenshotAs(OutputType.FILE);
                Files.copy(shot.toPath(), Path.of("target/report-page.png"), StandardCopyOption.REPLACE_EXISTING);

                row.findElement(By.xpath(".//button[text()='Replay']")).click();
                wait.until(ExpectedConditions.invisibilityOfElementLocated(By.xpath("//tr[td[text()='PG-0002']]")));
                bridge.awaitState("PG-0002", "booked"); // the replay went through the admin API and booked it
                assertEquals(1, bridge.sandbox.bookingsWithExternalId("PG-0002").size());
            } finally {
                browser.quit();
            }
        }
    }

    static WebDriver chromium() throws Exception {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,1000", "--user-data-dir=" + Files.createTempDirectory("chromium-profile"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }
}

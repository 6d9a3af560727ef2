package io.referralbridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.referralbridge.config.ConfigurationException;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.TestDatabase;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;

/** Misconfiguration stops startup with a message that names what to fix. */
class StartupTest {

    private static ConfigurationException startupError(String profile, Map<String, String> overrides) {
        Main main = Application.create(profile, Path.of("."));
        overrides.forEach(main::addOverrideProperty);
        Exception e = assertThrows(Exception.class, () -> {
            try {
                main.start();
            } finally {
                main.stop();
            }
        });
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConfigurationException c) {
                return c;
            }
        }
        throw new AssertionError("Startup failed without a ConfigurationException", e);
    }

    private static Map<String, String> devWithout(String key) {
        Map<String, String> p = BridgeUnderTest.testProperties("http://127.0.0.1:1", "jdbc:postgresql://127.0.0.1:1/x",
                0);
        p.put(key, "");
        return p;
    }

    @Test
    void campaignWithoutBookingProvider() {
        ConfigurationException e = startupError("dev", devWithout("bridge.campaign.17.booking-provider"));
        assertEquals("Campaign 17 has no booking provider mapping: set bridge.campaign.17.booking-provider",
                e.getMessage());
    }

    @Test
    void campaignWithoutFirstTimeClientDefault() {
        ConfigurationException e = startupError("dev", devWithout("bridge.campaign.17.is-first-time-client"));
        assertTrue(e.getMessage().contains("Campaign 17") && e.getMessage().contains("is-first-time-client"),
                e.getMessage());
    }

    @Test
    void campaignWithoutSourceOrSummary() {
        Map<String, String> p = devWithout("bridge.campaign.17.source");
        p.put("bridge.campaign.17.source-field", "");
        assertTrue(startupError("dev", p).getMessage().startsWith("Campaign 17 has no source mapping"));
        Map<String, String> q = devWithout("bridge.campaign.17.summary");
        q.put("bridge.campaign.17.summary-field", "");
        assertTrue(startupError("dev", q).getMessage().startsWith("Campaign 17 has no summary mapping"));
    }

    @Test
    void campaignRulesForCustomersHoldsAndClawBacksAreChecked() {
        assertTrue(startupErrorWith("bridge.campaign.17.existing-customer", "maybe")
                .contains("bridge.campaign.17.existing-customer"));
        assertTrue(startupErrorWith("bridge.campaigns.hold-days", "a week").contains("bridge.campaigns.hold-days"));
        assertTrue(startupErrorWith("bridge.campaign.17.clawback-days", "-1")
                .contains("bridge.campaign.17.clawback-days"));
        Map<String, String> webhook = devWithout("platform.api-key");
        webhook.put("platform.mode", "inbound-webhook");
        webhook.put("platform.inbound-webhook-url", "http://127.0.0.1:1/hook");
        webhook.put("bridge.campaigns.clawback-days", "0");
        webhook.put("bridge.campaign.17.clawback-days", "14");
        String message = startupError("dev", webhook).getMessage();
        assertTrue(message.contains("bridge.campaign.17.clawback-days") && message.contains("inbound-webhook"),
                message);
    }

    @Test
    void aProfileValueWinsOverTheSharedOne() throws Exception {
        // application.properties: clawback-days 0; application-dev.properties: 30.
        try (var camel = new org.apache.camel.impl.DefaultCamelContext()) {
            camel.getPropertiesComponent().setLocation(Application.propertyLocations(
                    Path.of("application.properties"), Path.of("application-dev.properties")));
            assertEquals("30", camel.getPropertiesComponent().resolveProperty("bridge.campaigns.clawback-days")
                    .orElse(null));
        }
    }

    @Test
    void campaignWithAnInvalidPriority() {
        assertTrue(startupErrorWith("bridge.campaign.17.priority", "Soonish").contains("bridge.campaign.17.priority"));
    }

    private static Map<String, String> twoConnections() {
        Map<String, String> p = devWithout("servicetitan.tenant-id");
        p.put("servicetitan.connections", "north, south");
        for (String c : List.of("north", "south")) {
            p.put("servicetitan.connection." + c + ".tenant-id", "1");
            p.put("servicetitan.connection." + c + ".app-key", "k");
            p.put("servicetitan.connection." + c + ".client-id", "i");
            p.put("servicetitan.connection." + c + ".client-secret", "s");
        }
        p.put("servicetitan.connection.north.campaigns", "17, 18, 19, 20");
        p.put("servicetitan.connection.south.campaigns", "21");
        return p;
    }

    @Test
    void connectionsNameWhatIsMissingOrInconsistent() {
        Map<String, String> secret = twoConnections();
        secret.put("servicetitan.connection.south.client-secret", "");
        assertEquals("Missing required setting 'servicetitan.connection.south.client-secret' (environment variable "
                + "SERVICETITAN_CONNECTION_SOUTH_CLIENT_SECRET)", startupError("dev", secret).getMessage());

        Map<String, String> orphan = twoConnections();
        orphan.put("servicetitan.connection.south.campaigns", "19");
        orphan.put("servicetitan.connection.north.campaigns", "17, 18, 20");
        ConfigurationException e = startupError("dev", orphan);
        assertEquals("Campaign 21 is in no ServiceTitan connection: add it to one of "
                + "servicetitan.connection.<name>.campaigns", e.getMessage());

        Map<String, String> twice = twoConnections();
        twice.put("servicetitan.connection.south.campaigns", "21, 17");
        assertTrue(startupError("dev", twice).getMessage().startsWith("Campaign 17 is in two ServiceTitan "
                + "connections (north, south)"));

        Map<String, String> unknown = twoConnections();
        unknown.put("servicetitan.connection.south.campaigns", "21, 99");
        assertTrue(startupError("dev", unknown).getMessage().contains("servicetitan.connection.south.campaigns"));

        Map<String, String> badName = twoConnections();
        badName.put("servicetitan.connections", "north, South Side");
        assertTrue(startupError("dev", badName).getMessage().startsWith("Invalid setting 'servicetitan.connections'"));
    }

    /** The message of a startup with {@code key} set to {@code value} on the test settings. */
    private static String startupErrorWith(String key, String value) {
        Map<String, String> p = devWithout(key);
        p.put(key, value);
        return startupError("dev", p).getMessage();
    }

    @Test
    void aPlatformProfileIsCheckedAtStartup() {
        assertEquals("Invalid setting 'platform.profile' = 'referral-fctory': expected one of standard, "
                + "referral-factory, growsurf, referralhero, custom", startupErrorWith("platform.profile",
                "referral-fctory"));
        String body = startupErrorWith("platform.qualify.body", "{\"code\": \"{cod}\", \"qualified\": true}");
        assertTrue(body.startsWith("Invalid setting 'platform.qualify.body': unknown variable {cod}; this call knows "
                + "baseUrl, campaignId, code, email, milestone, participantId, qualified, revenue, rewardDelayDays"),
                body);
        String url = startupErrorWith("platform.read.url", "{baseUrl}/users/{firstName}");
        assertTrue(url.startsWith("Invalid setting 'platform.read.url': unknown variable {firstName}"), url);
        assertTrue(startupErrorWith("platform.qualify.body", "{not json").startsWith(
                "Invalid setting 'platform.qualify.body': not JSON"));
        // The custom profile has no defaults: each setting is named in turn.
        Map<String, String> custom = devWithout("platform.qualify.url");
        custom.put("platform.profile", "custom");
        assertEquals("Missing required setting 'bridge.webhook.scheme' (environment variable BRIDGE_WEBHOOK_SCHEME)",
                startupError("dev", custom).getMessage());
        custom.put("bridge.webhook.scheme", "standard-webhooks");
        custom.put("bridge.fields.code", "/code");
        custom.put("bridge.fields.campaign-id", "/campaign");
        assertEquals("Missing required setting 'platform.qualify.url' (environment variable PLATFORM_QUALIFY_URL)",
                startupError("dev", custom).getMessage());
    }

    @Test
    void clusterCheckInTooShort() {
        assertEquals("Invalid setting 'bridge.cluster.checkin-interval-ms' = '200': expected at least 1000",
                startupErrorWith("bridge.cluster.checkin-interval-ms", "200"));
    }

    @Test
    void databaseThatAnswersCommitsBeforeTheyAreOnDisk() throws Exception {
        String url = TestDatabase.newDatabase();
        try (Connection c = DriverManager.getConnection(url, "postgres", "postgres");
             Statement s = c.createStatement()) {
            s.execute("DO $$ BEGIN CREATE ROLE async_commits LOGIN PASSWORD 'async'; "
                    + "EXCEPTION WHEN duplicate_object THEN NULL; END $$");
            s.execute("ALTER ROLE async_commits SET synchronous_commit = off");
        }
        // The URL names no user, so the connection is made as the role with the setting.
        Map<String, String> p = BridgeUnderTest.testProperties("http://127.0.0.1:1", url.replaceFirst("\\?.*", ""), 0);
        p.put("bridge.db.username", "async_commits");
        p.put("bridge.db.password", "async");
        assertEquals("PostgreSQL setting synchronous_commit is 'off' for user 'async_commits': a commit could be lost "
                + "after the bridge answered the webhook. Set it to 'on' (ALTER ROLE async_commits SET "
                + "synchronous_commit = on)", startupError("dev", p).getMessage());
        assertEquals(0, TestDatabase.count(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
                "nothing migrated");
    }

    @Test
    void databaseWithoutFsync() throws Exception {
        // The library's own default: fsync off (the bridge's embedded server turns it on).
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setServerConfig("synchronous_commit", "on").start()) {
            Map<String, String> p = BridgeUnderTest.testProperties("http://127.0.0.1:1",
                    pg.getJdbcUrl("postgres", "postgres"), 0);
            assertEquals("PostgreSQL setting fsync is 'off': a commit could be lost after the bridge answered the "
                    + "webhook. Set it to 'on' in postgresql.conf", startupError("dev", p).getMessage());
        }
    }

    @Test
    void aCustomerFieldServiceTitanDoesNotHaveStopsStartupWithItsName() {
        try (var sandbox = BridgeUnderTest.startServiceTitanSandbox()) {
            Map<String, String> p = BridgeUnderTest.testProperties(sandbox.baseUrl(), TestDatabase.newDatabase(),
                    org.apache.camel.test.AvailablePortFinder.getNextAvailable());
            p.put("bridge.campaign.17.customer-fields", "referrer-name=Referred By, referral-link=Referal Link");
            String message = startupError("dev", p).getMessage();
            assertTrue(message.contains("no customer custom field named 'Referal Link'")
                    && message.contains("bridge.campaign.17.customer-fields") && message.contains("Referral Link"),
                    message);
        }
        assertTrue(startupErrorWith("bridge.campaign.17.customer-fields", "referrer-phone=Phone")
                .contains("bridge.campaign.17.customer-fields"));
        assertTrue(startupErrorWith("servicetitan.application-guid", "my-app").contains("servicetitan.application-guid"));
    }

    @Test
    void intakeWithoutWriters() {
        assertEquals("Invalid setting 'bridge.intake.writers' = '0': expected at least 1",
                startupErrorWith("bridge.intake.writers", "0"));
    }

    @Test
    void listedCampaignWithNoSettingsAtAll() {
        assertTrue(startupErrorWith("bridge.campaigns", "17,99").startsWith("Campaign 99 has no"));
    }

    @Test
    void prodNamesEachMissingEnvironmentVariable() {
        // Supplying the variables one by one, startup always names the next one missing.
        Map<String, String> given = new LinkedHashMap<>();
        List<String> expected = List.of("BRIDGE_WEBHOOK_SECRETS", "BRIDGE_ADMIN_TOKEN", "BRIDGE_MANAGEMENT_PASSWORD",
                "SERVICETITAN_TENANT_ID",
                "SERVICETITAN_APP_KEY", "SERVICETITAN_CLIENT_ID", "SERVICETITAN_CLIENT_SECRET", "PLATFORM_BASE_URL",
                "PLATFORM_API_KEY", "BRIDGE_DB_URL");
        for (String variable : expected) {
            ConfigurationException e = startupError("prod", given);
            assertTrue(e.getMessage().contains("environment variable " + variable), e.getMessage());
            String key = variable.toLowerCase().replace('_', '.');
            key = switch (variable) {
                case "BRIDGE_WEBHOOK_SECRETS" -> "bridge.webhook.secrets";
                case "BRIDGE_ADMIN_TOKEN" -> "bridge.admin.token";
                case "BRIDGE_MANAGEMENT_PASSWORD" -> "bridge.management.password";
                case "SERVICETITAN_TENANT_ID" -> "servicetitan.tenant-id";
                case "SERVICETITAN_APP_KEY" -> "servicetitan.app-key";
                case "SERVICETITAN_CLIENT_ID" -> "servicetitan.client-id";
                case "SERVICETITAN_CLIENT_SECRET" -> "servicetitan.client-secret";
                case "PLATFORM_BASE_URL" -> "platform.base-url";
                case "PLATFORM_API_KEY" -> "platform.api-key";
                default -> key;
            };
            given.put(key, switch (variable) {
                case "BRIDGE_WEBHOOK_SECRETS" -> BridgeUnderTest.WEBHOOK_SECRET;
                case "BRIDGE_MANAGEMENT_PASSWORD" -> BridgeUnderTest.MANAGEMENT_PASSWORD;
                default -> "x";
            });
        }
    }

    @Test
    void theProcessExitsWithTheMessageWhenAVariableIsMissing() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Application.class.getName());
        pb.environment().keySet().removeIf(k -> k.startsWith("BRIDGE_") || k.startsWith("SERVICETITAN_"));
        pb.environment().put("BRIDGE_PROFILE", "prod");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the bridge must exit, not hang");
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, p.exitValue(), output);
        assertTrue(output.contains("referral-bridge did not start: Missing required setting 'bridge.webhook.secrets' "
                + "(environment variable BRIDGE_WEBHOOK_SECRETS)"), output);
    }

    @Test
    void jolokiaIsNeverExposedBeyondLoopback() {
        assertTrue(startupErrorWith("camel.management.host", "0.0.0.0").startsWith("Invalid setting "
                + "'camel.management.host' = '0.0.0.0'"));
    }

    @Test
    void unknownProfile() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> Application.create("staging", Path.of(".")));
        assertNotNull(e.getMessage());
        assertTrue(e.getMessage().contains("Unknown profile 'staging'"), e.getMessage());
    }
}

package io.referralbridge.ops;

import static io.referralbridge.support.BridgeUnderTest.referralEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.referralbridge.sandbox.Fault;
import io.referralbridge.support.BridgeUnderTest;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.Layout;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.junit.jupiter.api.Test;

/** A busy run (webhooks, tokens, a refresh, a dead letter, refused admin calls) leaves no secret and no PII in the log. */
class SecretsInLogsTest {

    @Test
    void noSecretsNoEmailsNoPhonesInTheLog() throws Exception {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        Configuration config = ctx.getConfiguration();
        Layout<?> layout = config.getAppender("console").getLayout();
        StringWriter captured = new StringWriter();
        Appender appender = WriterAppender.newBuilder().setName("capture").setTarget(captured)
                .setLayout(layout).build();
        appender.start();
        config.getRootLogger().addAppender(appender, null, null);
        config.getLoggerConfig("io.referralbridge").addAppender(appender, null, null);
        config.getLoggerConfig("org.apache.camel").addAppender(appender, null, null);
        ctx.updateLoggers();
        List<String> tokens = new ArrayList<>();
        try (BridgeUnderTest bridge = BridgeUnderTest.start()) {
            assertEquals(202, bridge.sendWebhook("evt-log-1", referralEvent("LOG-0001", "secret.person@example.com"))
                    .statusCode());
            bridge.awaitState("LOG-0001", "booked");
            bridge.sandbox.revokeTokens();
            bridge.sandbox.injectFault(Fault.status("POST", "/booking-provider/", 400, 1));
            assertEquals(202, bridge.sendWebhook("evt-log-2", referralEvent("LOG-0002", "other.person@example.com"))
                    .statusCode());
            bridge.awaitState("LOG-0002", "failed");
            assertEquals(403, bridge.get("/admin/dead-letters", Map.of("Authorization", "Bearer guess")).statusCode());
            tokens.addAll(bridge.sandbox.issuedTokens());
        } finally {
            config.getRootLogger().removeAppender("capture");
            config.getLoggerConfig("io.referralbridge").removeAppender("capture");
            config.getLoggerConfig("org.apache.camel").removeAppender("capture");
            ctx.updateLoggers();
            appender.stop();
        }
        String log = captured.toString();
        assertTrue(log.contains("Dead letter"), "the run was logged at all");
        assertEquals(2, tokens.size(), "a token, then a fresh one after the revocation");
        List<String> secrets = new ArrayList<>(List.of(BridgeUnderTest.WEBHOOK_SECRET,
                BridgeUnderTest.WEBHOOK_SECRET.substring(6), BridgeUnderTest.CLIENT_SECRET,
                BridgeUnderTest.ADMIN_TOKEN, BridgeUnderTest.PLATFORM_KEY, BridgeUnderTest.APP_KEY));
        secrets.addAll(tokens);
        for (String secret : secrets) {
            assertFalse(log.contains(secret), "secret in the log: " + secret);
        }
        for (String pii : List.of("secret.person", "other.person", "555 0100", "sam.ortiz")) {
            assertFalse(log.contains(pii), "PII in the log: " + pii);
        }
    }
}

package io.referralbridge.ops;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Layout;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.message.SimpleMessage;
import org.junit.jupiter.api.Test;

/** The shipped log layout masks emails and phone numbers whoever logs them, and leaves dates and ids alone. */
class LogMaskingTest {

    private static String format(String message) {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        Layout<?> layout = ctx.getConfiguration().getAppender("console").getLayout();
        return new String(layout.toByteArray(Log4jLogEvent.newBuilder().setLoggerName("test").setLevel(Level.WARN)
                .setMessage(new SimpleMessage(message)).build()), StandardCharsets.UTF_8);
    }

    @Test
    void emailsAreMasked() {
        String line = format("ServiceTitan said: invalid contact dana.whitfield+x@example.com for referral 42");
        assertFalse(line.contains("dana.whitfield"), line);
        assertTrue(line.contains("***@example.com"), line);
        assertTrue(line.contains("referral 42"), line);
    }

    @Test
    void everyEmailInALineIsMaskedWhateverSurroundsIt() {
        String line = format("{\"email\":\"o'neil@example.com\"} <a_b%c@mail.example.co.uk>,(x-y@example.org); "
                + "payload={email=dana@example.com}");
        for (String local : new String[] {"o'neil", "neil", "a_b%c", "x-y", "dana"}) {
            assertFalse(line.contains(local), line);
        }
        for (String masked : new String[] {"\"***@example.com\"", "<***@mail.example.co.uk>", "(***@example.org)",
                "=***@example.com}"}) {
            assertTrue(line.contains(masked), masked + " in " + line);
        }
    }

    @Test
    void contactsInAUrlQueryAreMaskedEncodedOrNot() {
        String line = format("HTTP 503 from http://st/crm/v2/tenant/1/contacts/contact-methods?type=Email&value="
                + "leak3.test%40example.com&pageSize=50 and ...contact-methods?value=9185550177&type=Phone for job 1234567");
        assertFalse(line.contains("leak3") || line.contains("9185550177"), line);
        assertTrue(line.contains("value=***&pageSize=50") && line.contains("job 1234567"), line);
    }

    @Test
    void phoneNumbersAreMasked() {
        for (String phone : new String[] {"+1 555 0100", "(918) 555-0100", "918-555-0100", "+44 20 7946 0958"}) {
            String line = format("contact " + phone + " refused");
            assertFalse(line.contains(phone), line);
            assertTrue(line.contains("***phone***"), line);
        }
    }

    @Test
    void internationalEmailsAreMasked() {
        String line = format("refused jose@münchen.de, josé@example.com and dana&sam@例え.jp for 42");
        for (String local : new String[] {"jose@", "josé", "dana&sam"}) {
            assertFalse(line.contains(local), line);
        }
        assertTrue(line.contains("***@münchen.de") && line.contains("***@例え.jp"), line);
    }

    @Test
    void phoneNumbersOfAnyFormAreMasked() {
        for (String phone : new String[] {"+1 555 0100 ext. 12", "555-0100 x12", "0421/123 456", "０３（１２３４）５６７８",
                "+49 30 1234567", "555.123.4567", "(555) 010-0199", "+81 3-1234-5678", "tel:+19185550101",
                "+1.918.555.0101"}) {
            String line = format("contact " + phone + " refused");
            assertTrue(line.contains("***phone***"), line);
            String message = line.substring(line.indexOf(" - ")).replaceAll("ext\\. 12|x12", "");
            assertFalse(message.matches("(?s).*(\\p{Nd}.?){7}.*"), line);
        }
    }

    @Test
    void aStackTraceIsMaskedToo() {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        Layout<?> layout = ctx.getConfiguration().getAppender("console").getLayout();
        String line = new String(layout.toByteArray(Log4jLogEvent.newBuilder().setLoggerName("test")
                .setLevel(Level.ERROR).setMessage(new SimpleMessage("failed"))
                .setThrown(new IllegalStateException("bad phone +1 555 0100 of dana@example.com")).build()),
                StandardCharsets.UTF_8);
        assertFalse(line.contains("555 0100") || line.contains("dana@"), line);
    }

    @Test
    void ipAddressesAndPortsAreKept() {
        String line = format("ServiceTitan sandbox listening on http://127.0.0.1:9180, poll 2026-11-23 10:15");
        assertTrue(line.contains("http://127.0.0.1:9180, poll 2026-11-23 10:15"), line);
    }

    @Test
    void datesTimestampsAndIdsAreKept() {
        String line = format("Referral 1234567 booked 2026-11-23T10:15:00Z as booking 1000, webhook 1795422556");
        assertTrue(line.contains("Referral 1234567 booked 2026-11-23T10:15:00Z as booking 1000, webhook 1795422556"),
                line);
    }
}

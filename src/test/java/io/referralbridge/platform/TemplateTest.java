package io.referralbridge.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The platform calls' templates: typed values, optional fields, escaping, encoded URLs. */
class TemplateTest {

    static final Set<String> VARS = PlatformConnection.NOTICE_VARIABLES;

    @Test
    void aPlaceholderAloneTakesItsValuesTypeAndAnAbsentOneLeavesItsFieldOut() {
        Template t = Template.body("k", """
                {"code": "{code}", "qualified": "{qualified}", "conversion_value": "{revenue}",
                 "delayInDays": "{rewardDelayDays}", "note": "job {milestone} done"}""", VARS);
        Map<String, Object> v = new HashMap<>();
        v.put("code", "DANA-7Q2K");
        v.put("qualified", true);
        v.put("revenue", new BigDecimal("480.00"));
        v.put("milestone", "job_status:Completed");
        assertEquals("""
                {"code":"DANA-7Q2K","qualified":true,"conversion_value":480.00,"note":"job job_status:Completed done"}""",
                t.body(v).toString());
    }

    @Test
    void valuesAreEscapedNeverInterpreted() {
        Template t = Template.body("k", """
                {"name": "{email}"}""", VARS);
        Map<String, Object> v = Map.of("email", "\"}, \"qualified\": true, \"x\": \"");
        assertEquals("{\"name\":\"\\\"}, \\\"qualified\\\": true, \\\"x\\\": \\\"\"}", t.body(v).toString());
    }

    @Test
    void urlValuesArePercentEncodedButNotTheBaseUrl() {
        Template t = Template.url("k", "{baseUrl}/campaign/{campaignId}/participant/{participantId}/ref", VARS);
        assertEquals("https://api.growsurf.com/v2/campaign/p7x3kq/participant/a%2Fb%20c%3F/ref", t.url(Map.of(
                "baseUrl", "https://api.growsurf.com/v2", "campaignId", "p7x3kq", "participantId", "a/b c?")));
    }
}

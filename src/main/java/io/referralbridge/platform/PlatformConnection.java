package io.referralbridge.platform;

import io.referralbridge.config.ConfigurationException;
import io.referralbridge.config.Settings;

/**
 * How the bridge tells the referral platform a referral qualified: {@code api} (Referral Factory's
 * {@code PUT /api/v2/users/qualification} with a bearer key and an Idempotency-Key) or {@code inbound-webhook}
 * (a form POST of the code to a URL whose token is the credential).
 */
public record PlatformConnection(String mode, String baseUrl, String path, String method, String apiKey,
                                 String inboundWebhookUrl, int connectTimeoutMs, int responseTimeoutMs,
                                 boolean includeMilestone, Enrol enrol) {

    /** The enrolment call: POST {base-url}{path}; where its answer has the referrer's code and link. */
    public record Enrol(String path, com.fasterxml.jackson.core.JsonPointer code,
                        com.fasterxml.jackson.core.JsonPointer link) {
    }


    public static PlatformConnection from(Settings s) {
        String mode = s.required("platform.mode");
        if (mode.equals("api")) {
            return new PlatformConnection(mode, trim(s.required("platform.base-url")),
                    s.required("platform.qualification-path"),
                    s.required("platform.qualification-method"), s.required("platform.api-key"), null,
                    s.getInt("platform.connect-timeout-ms"), s.getInt("platform.response-timeout-ms"),
                    s.getBoolean("platform.include-milestone"), new Enrol(s.required("platform.enrol-path"),
                            io.referralbridge.campaign.PlatformFields.parse("platform.enrol-code-field",
                                    s.required("platform.enrol-code-field")),
                            io.referralbridge.campaign.PlatformFields.parse("platform.enrol-link-field",
                                    s.required("platform.enrol-link-field"))));
        }
        if (mode.equals("inbound-webhook")) {
            return new PlatformConnection(mode, null, null, "POST", null, s.required("platform.inbound-webhook-url"),
                    s.getInt("platform.connect-timeout-ms"), s.getInt("platform.response-timeout-ms"),
                    false, null);
        }
        throw new ConfigurationException("Invalid setting 'platform.mode' = '" + mode
                + "': expected api or inbound-webhook");
    }

    private static String trim(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    @Override
    public String toString() {
        return "PlatformConnection[mode=" + mode + ", base=" + baseUrl + "]";
    }
}

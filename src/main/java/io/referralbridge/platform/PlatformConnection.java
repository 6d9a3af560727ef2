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
                                 boolean includeMilestone) {

    public static PlatformConnection from(Settings s) {
        String mode = s.required("platform.mode");
        if (mode.equals("api")) {
            return new PlatformConnection(mode, trim(s.required("platform.base-url")),
                    s.required("platform.qualification-path"),
                    s.required("platform.qualification-method"), s.required("platform.api-key"), null,
                    s.getInt("platform.connect-timeout-ms"), s.getInt("platform.response-timeout-ms"),
                    s.getBoolean("platform.include-milestone"));
        }
        if (mode.equals("inbound-webhook")) {
            return new PlatformConnection(mode, null, null, "POST", null, s.required("platform.inbound-webhook-url"),
                    s.getInt("platform.connect-timeout-ms"), s.getInt("platform.response-timeout-ms"),
                    false);
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

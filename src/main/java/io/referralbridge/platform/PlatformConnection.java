package io.referralbridge.platform;

import java.util.Set;

import com.fasterxml.jackson.core.JsonPointer;
import io.referralbridge.campaign.PlatformFields;
import io.referralbridge.config.ConfigurationException;
import io.referralbridge.config.Settings;

/**
 * How the bridge speaks to the referral platform, from its profile ({@code platform.profile}: standard,
 * referral-factory, growsurf, referralhero, or custom; the shipped ones are {@code platform-profiles/<name>.properties},
 * each of whose settings the configuration may override). {@code api} mode: the calls qualify, unqualify (a
 * claw-back), read (the read-back before a retry) and enrol, each a {@link PlatformCall}, with one kind of auth (Bearer,
 * Basic, or a named header). {@code inbound-webhook} mode: a form POST of the code to a URL whose token is the
 * credential.
 */
public record PlatformConnection(String mode, String profile, String baseUrl, String apiKey, String auth,
                                 String authHeader, String apiUser, String idempotencyHeader,
                                 PlatformCall qualify, PlatformCall unqualify, PlatformCall read,
                                 JsonPointer readDoneField, String readDoneValue,
                                 PlatformCall enrol, JsonPointer enrolCode, JsonPointer enrolLink,
                                 Integer rewardDelayDays, String inboundWebhookUrl, int connectTimeoutMs,
                                 int responseTimeoutMs) {

    /** What a notice's templates (qualify, unqualify, read) can use: values of the stored referral. */
    public static final Set<String> NOTICE_VARIABLES = Set.of("baseUrl", "code", "participantId", "email",
            "campaignId", "qualified", "milestone", "revenue", "rewardDelayDays");
    /** What the enrolment's templates can use: the ServiceTitan customer's. */
    public static final Set<String> ENROL_VARIABLES = Set.of("baseUrl", "campaignId", "firstName", "lastName", "email",
            "phone");

    public static PlatformConnection from(Settings s) {
        String mode = s.required("platform.mode");
        String profile = s.required("platform.profile");
        int connect = s.getInt("platform.connect-timeout-ms");
        int response = s.getInt("platform.response-timeout-ms");
        if (mode.equals("inbound-webhook")) {
            return new PlatformConnection(mode, profile, null, null, null, null, null, null, null, null, null, null,
                    null, null, null, null, null, s.required("platform.inbound-webhook-url"), connect, response);
        }
        if (!mode.equals("api")) {
            throw new ConfigurationException("Invalid setting '" + s.name("platform.mode") + "' = '" + mode
                    + "': expected api or inbound-webhook");
        }
        String auth = s.get("platform.auth", "bearer");
        if (!Set.of("bearer", "basic", "header").contains(auth)) {
            throw Settings.invalid(s.name("platform.auth"), auth, "bearer, basic or header");
        }
        PlatformCall qualify = PlatformCall.from(s, "platform.qualify", NOTICE_VARIABLES);
        if (qualify == null) {
            throw Settings.missing(s.name("platform.qualify.url"));
        }
        PlatformCall read = PlatformCall.from(s, "platform.read", NOTICE_VARIABLES);
        Integer delay = s.optional("platform.reward-delay-days").map(v -> Settings.parseInt(
                s.name("platform.reward-delay-days"), v)).orElse(null);
        if (delay != null && (delay < 1 || delay > 365)) {
            throw Settings.invalid(s.name("platform.reward-delay-days"), String.valueOf(delay), "1 to 365 days "
                    + "(GrowSurf: 1 to 90)");
        }
        return new PlatformConnection(mode, profile, trim(s.required("platform.base-url")), s.required("platform.api-key"),
                auth, auth.equals("header") ? s.required("platform.auth-header") : null,
                auth.equals("basic") ? s.required("platform.api-user") : null,
                s.optional("platform.idempotency-header").orElse(null),
                qualify, PlatformCall.from(s, "platform.unqualify", NOTICE_VARIABLES), read,
                read == null ? null : PlatformFields.parse(s.name("platform.read.done-field"),
                        s.required("platform.read.done-field")),
                s.optional("platform.read.done-value").orElse(null),
                PlatformCall.from(s, "platform.enrol", ENROL_VARIABLES),
                PlatformFields.parse(s.name("platform.enrol.code-field"), s.get("platform.enrol.code-field", "/code")),
                PlatformFields.parse(s.name("platform.enrol.link-field"), s.get("platform.enrol.link-field", "/url")),
                delay, null, connect, response);
    }

    private static String trim(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    @Override
    public String toString() {
        return "PlatformConnection[mode=" + mode + ", profile=" + profile + ", base=" + baseUrl + "]";
    }
}

package io.referralbridge.intake;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.referralbridge.config.ConfigurationException;
import io.referralbridge.web.HttpProblem;
import io.referralbridge.web.HttpRequests;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * First gate of the intake: body size, content type, authenticity. Two schemes, chosen per platform by configuration:
 * <ul>
 * <li>{@code standard-webhooks}: HMAC-SHA256 over {@code id.timestamp.body} (Standard Webhooks, as Svix signs), several
 * secrets accepted at once for rotation, timestamps outside the tolerance refused against replay;</li>
 * <li>{@code shared-secret-header}: for platforms that cannot sign (Referral Factory), a secret in a configured header;</li>
 * <li>{@code growsurf-signature}: {@code GrowSurf-Signature: ts=<ms>,v=<HMAC-SHA256 of ts.body>}, the timestamp within
 * the tolerance;</li>
 * <li>{@code referralhero-signature}: {@code X-ReferralHero-Signature}, the HMAC-SHA256 of the body (no timestamp);</li>
 * <li>{@code friendbuy-signature}: {@code X-Friendbuy-Hmac-SHA256}, the HMAC-SHA256 of the body.</li>
 * </ul>
 * The platforms document the HMAC but not always its encoding: hex and Base64 are both accepted (a forgery is no
 * easier: either way it must match the HMAC).
 * On success the raw body is left as bytes and, for signed webhooks, the event id is set as {@link #EVENT_ID_HEADER}.
 */
public final class WebhookVerifier {

    public static final String EVENT_ID_HEADER = "ReferralEventId";
    public static final String SCHEME_STANDARD = "standard-webhooks";
    public static final String SCHEME_SHARED_SECRET = "shared-secret-header";
    public static final String SCHEME_GROWSURF = "growsurf-signature";
    public static final String SCHEME_REFERRALHERO = "referralhero-signature";
    public static final String SCHEME_FRIENDBUY = "friendbuy-signature";
    static final List<String> SCHEMES = List.of(SCHEME_STANDARD, SCHEME_SHARED_SECRET, SCHEME_GROWSURF,
            SCHEME_REFERRALHERO, SCHEME_FRIENDBUY);

    private final String scheme;
    private final List<byte[]> secrets;
    private final String secretHeader;
    private final long toleranceSeconds;
    private final int maxBodyBytes;
    private final Clock clock;

    /** From the settings (a named platform's own: platform.&lt;name&gt;.webhook.*). */
    public static WebhookVerifier from(io.referralbridge.config.Settings s, Clock clock) {
        String scheme = s.required("bridge.webhook.scheme");
        long tolerance = s.getLong("bridge.webhook.tolerance-seconds");
        if (tolerance < 1 || tolerance > 86_400) {
            throw io.referralbridge.config.Settings.invalid(s.name("bridge.webhook.tolerance-seconds"),
                    String.valueOf(tolerance), "1 to 86400 seconds");
        }
        return new WebhookVerifier(scheme, s.getList("bridge.webhook.secrets"),
                SCHEME_SHARED_SECRET.equals(scheme) ? s.required("bridge.webhook.secret-header") : null,
                s.getLong("bridge.webhook.tolerance-seconds"),
                s.getInt("bridge.webhook.max-body-bytes"), clock, s.name("bridge.webhook.scheme"),
                s.name("bridge.webhook.secrets"));
    }

    public WebhookVerifier(String scheme, List<String> secrets, String secretHeader, long toleranceSeconds,
                           int maxBodyBytes, Clock clock) {
        this(scheme, secrets, secretHeader, toleranceSeconds, maxBodyBytes, clock, "bridge.webhook.scheme",
                "bridge.webhook.secrets");
    }

    private WebhookVerifier(String scheme, List<String> secrets, String secretHeader, long toleranceSeconds,
                            int maxBodyBytes, Clock clock, String schemeKey, String secretsKey) {
        this.scheme = scheme;
        this.secretHeader = secretHeader;
        this.toleranceSeconds = toleranceSeconds;
        this.maxBodyBytes = maxBodyBytes;
        this.clock = clock;
        if (!SCHEMES.contains(scheme)) {
            throw new ConfigurationException("Invalid setting '" + schemeKey + "' = '" + scheme + "': expected "
                    + "one of " + String.join(", ", SCHEMES));
        }
        if (secrets.isEmpty()) {
            throw new ConfigurationException("Missing required setting '" + secretsKey + "' (environment variable "
                    + io.referralbridge.config.Settings.envName(secretsKey) + "): webhooks cannot be verified without "
                    + "a secret");
        }
        this.secrets = new ArrayList<>();
        for (String s : secrets) {
            if (!SCHEME_STANDARD.equals(scheme) && s.length() < 16) {
                throw new ConfigurationException("Invalid setting '" + secretsKey + "': a secret must be at least 16 "
                        + "characters");
            }
            this.secrets.add(SCHEME_STANDARD.equals(scheme) ? decodeSecret(secretsKey, s)
                    : s.getBytes(StandardCharsets.UTF_8));
        }
    }

    public static byte[] decodeSecret(String secret) {
        return decodeSecret("bridge.webhook.secrets", secret);
    }

    static byte[] decodeSecret(String setting, String secret) {
        String b64 = secret.startsWith("whsec_") ? secret.substring("whsec_".length()) : secret;
        try {
            byte[] key = Base64.getDecoder().decode(b64);
            if (key.length < 16) {
                throw new ConfigurationException("Invalid setting '" + setting + "': a secret must decode to "
                        + "at least 16 bytes");
            }
            return key;
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("Invalid setting '" + setting + "': expected whsec_<base64 key>");
        }
    }

    public void verify(Exchange exchange) {
        Message in = exchange.getMessage();
        byte[] body = in.getBody(byte[].class);
        if (body == null) {
            body = new byte[0];
        }
        if (body.length > maxBodyBytes) {
            throw new HttpProblem(413, "payload_too_large",
                    "Body is " + body.length + " bytes; the limit is " + maxBodyBytes);
        }
        // Checked before the signature: it reads no content, and a form body would be mangled by the server.
        checkContentType(HttpRequests.header(exchange, "Content-Type"));
        if (SCHEME_STANDARD.equals(scheme)) {
            String id = HttpRequests.header(exchange, "webhook-id");
            verifyStandard(id, HttpRequests.header(exchange, "webhook-timestamp"),
                    HttpRequests.header(exchange, "webhook-signature"), body);
            in.setHeader(EVENT_ID_HEADER, id);
        } else if (SCHEME_GROWSURF.equals(scheme)) {
            verifyGrowSurf(HttpRequests.header(exchange, "GrowSurf-Signature"), body);
        } else if (SCHEME_REFERRALHERO.equals(scheme)) {
            verifyBodyHmac("X-ReferralHero-Signature", HttpRequests.header(exchange, "X-ReferralHero-Signature"), body);
        } else if (SCHEME_FRIENDBUY.equals(scheme)) {
            verifyBodyHmac("X-Friendbuy-Hmac-SHA256", HttpRequests.header(exchange, "X-Friendbuy-Hmac-SHA256"), body);
        } else {
            verifySharedSecret(HttpRequests.header(exchange, secretHeader));
        }
        in.setBody(body);
    }

    /** Exactly application/json, with at most a charset parameter that says UTF-8 (JSON's only encoding, RFC 8259). */
    public static void checkContentType(String contentType) {
        if (contentType == null) {
            throw new HttpProblem(415, "unsupported_media_type", "Content-Type must be application/json, got none");
        }
        String[] parts = contentType.split(";", -1);
        boolean ok = parts[0].trim().equalsIgnoreCase("application/json") && parts.length <= 2;
        if (ok && parts.length == 2) {
            String param = parts[1].trim().toLowerCase(Locale.ROOT).replace("\"", "");
            ok = param.equals("charset=utf-8");
        }
        if (!ok) {
            throw new HttpProblem(415, "unsupported_media_type", "Content-Type must be application/json "
                    + "(optionally with charset=utf-8), got '" + contentType.replaceAll("\\p{Cntrl}", "?") + "'");
        }
    }

    void verifyStandard(String id, String timestamp, String signatureHeader, byte[] body) {
        if (isBlank(id) || isBlank(timestamp) || isBlank(signatureHeader)) {
            throw HttpProblem.unauthorized("missing_signature",
                    "Headers webhook-id, webhook-timestamp and webhook-signature are required");
        }
        if (id.length() > 200) {
            throw HttpProblem.unauthorized("invalid_signature", "webhook-id is longer than 200 characters");
        }
        long ts;
        try {
            ts = Long.parseLong(timestamp.trim());
        } catch (NumberFormatException e) {
            throw HttpProblem.unauthorized("invalid_signature", "webhook-timestamp must be Unix seconds");
        }
        long now = clock.instant().getEpochSecond();
        // Compared without subtracting: now - ts overflows for timestamps near Long.MIN_VALUE.
        if (ts < now - toleranceSeconds || ts > now + toleranceSeconds) {
            throw HttpProblem.unauthorized("stale_timestamp", "webhook-timestamp is more than " + toleranceSeconds
                    + " seconds from the bridge's clock");
        }
        byte[] signedPrefix = (id + "." + timestamp.trim() + ".").getBytes(StandardCharsets.UTF_8);
        List<byte[]> offered = new ArrayList<>();
        for (String part : signatureHeader.trim().split(" ")) {
            if (part.startsWith("v1,")) {
                try {
                    offered.add(Base64.getDecoder().decode(part.substring(3)));
                } catch (IllegalArgumentException ignored) {
                    // a malformed entry simply matches nothing
                }
            }
        }
        for (byte[] key : secrets) {
            byte[] expected = hmac(key, signedPrefix, body);
            for (byte[] candidate : offered) {
                if (MessageDigest.isEqual(expected, candidate)) {
                    return;
                }
            }
        }
        throw HttpProblem.unauthorized("invalid_signature", "No webhook-signature matches the body");
    }

    /** GrowSurf: {@code ts=<Unix ms>,v=<HMAC-SHA256 of "<ts>.<body>">}, the timestamp within the tolerance. */
    void verifyGrowSurf(String header, byte[] body) {
        if (isBlank(header)) {
            throw HttpProblem.unauthorized("missing_signature", "Header GrowSurf-Signature is required");
        }
        String ts = null;
        List<String> offered = new ArrayList<>();
        for (String part : header.split(",")) {
            String p = part.trim();
            if (p.startsWith("ts=")) {
                ts = p.substring(3);
            } else if (p.startsWith("v=")) {
                offered.add(p.substring(2));
            }
        }
        long ms;
        try {
            ms = Long.parseLong(ts == null ? "" : ts);
        } catch (NumberFormatException e) {
            throw HttpProblem.unauthorized("invalid_signature", "GrowSurf-Signature must carry ts=<Unix milliseconds>");
        }
        long now = clock.millis();
        if (ms < now - toleranceSeconds * 1000 || ms > now + toleranceSeconds * 1000) {
            throw HttpProblem.unauthorized("stale_timestamp", "GrowSurf-Signature ts is more than " + toleranceSeconds
                    + " seconds from the bridge's clock");
        }
        matchAny("GrowSurf-Signature", offered, (ts + ".").getBytes(StandardCharsets.UTF_8), body);
    }

    /** A header holding the HMAC-SHA256 of the body alone (ReferralHero, Friendbuy). */
    void verifyBodyHmac(String name, String header, byte[] body) {
        if (isBlank(header)) {
            throw HttpProblem.unauthorized("missing_signature", "Header " + name + " is required");
        }
        matchAny(name, List.of(header.trim()), new byte[0], body);
    }

    private void matchAny(String name, List<String> offered, byte[] prefix, byte[] body) {
        for (byte[] key : secrets) {
            byte[] expected = hmac(key, prefix, body);
            for (String candidate : offered) {
                byte[] given = decodeMac(candidate.trim());
                if (given != null && MessageDigest.isEqual(expected, given)) {
                    return;
                }
            }
        }
        throw HttpProblem.unauthorized("invalid_signature", "No " + name + " matches the body");
    }

    /** A MAC as hex (64 characters) or Base64; null when it is neither. */
    static byte[] decodeMac(String text) {
        if (text.matches("[0-9a-fA-F]{64}")) {
            return java.util.HexFormat.of().parseHex(text.toLowerCase(Locale.ROOT));
        }
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The HMAC-SHA256 of {@code prefix + body} as lower-case hex, as the platforms' senders compute it. */
    public static String hexHmac(byte[] key, String prefix, byte[] body) {
        return java.util.HexFormat.of().formatHex(hmac(key, prefix.getBytes(StandardCharsets.UTF_8), body));
    }

    void verifySharedSecret(String offered) {
        if (isBlank(offered)) {
            throw HttpProblem.unauthorized("missing_signature", "Header " + secretHeader + " is required");
        }
        byte[] given = offered.trim().getBytes(StandardCharsets.UTF_8);
        for (byte[] secret : secrets) {
            if (MessageDigest.isEqual(secret, given)) {
                return;
            }
        }
        throw HttpProblem.unauthorized("invalid_signature", "Header " + secretHeader + " does not match");
    }

    /** The signature a sender puts in webhook-signature (without the "v1," prefix). */
    public static String sign(byte[] key, String id, long timestamp, byte[] body) {
        byte[] prefix = (id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8);
        return Base64.getEncoder().encodeToString(hmac(key, prefix, body));
    }

    private static byte[] hmac(byte[] key, byte[] prefix, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(prefix);
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}

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
 * <li>{@code shared-secret-header}: for platforms that cannot sign (Referral Factory), a secret in a configured header.</li>
 * </ul>
 * On success the raw body is left as bytes and, for signed webhooks, the event id is set as {@link #EVENT_ID_HEADER}.
 */
public final class WebhookVerifier {

    public static final String EVENT_ID_HEADER = "ReferralEventId";
    public static final String SCHEME_STANDARD = "standard-webhooks";
    public static final String SCHEME_SHARED_SECRET = "shared-secret-header";

    private final String scheme;
    private final List<byte[]> secrets;
    private final String secretHeader;
    private final long toleranceSeconds;
    private final int maxBodyBytes;
    private final Clock clock;

    public WebhookVerifier(String scheme, List<String> secrets, String secretHeader, long toleranceSeconds,
                           int maxBodyBytes, Clock clock) {
        this.scheme = scheme;
        this.secretHeader = secretHeader;
        this.toleranceSeconds = toleranceSeconds;
        this.maxBodyBytes = maxBodyBytes;
        this.clock = clock;
        if (!SCHEME_STANDARD.equals(scheme) && !SCHEME_SHARED_SECRET.equals(scheme)) {
            throw new ConfigurationException("Invalid setting 'bridge.webhook.scheme' = '" + scheme + "': expected "
                    + SCHEME_STANDARD + " or " + SCHEME_SHARED_SECRET);
        }
        if (secrets.isEmpty()) {
            throw new ConfigurationException("Missing required setting 'bridge.webhook.secrets' (environment variable "
                    + "BRIDGE_WEBHOOK_SECRETS): webhooks cannot be verified without a secret");
        }
        this.secrets = new ArrayList<>();
        for (String s : secrets) {
            this.secrets.add(SCHEME_STANDARD.equals(scheme) ? decodeSecret(s) : s.getBytes(StandardCharsets.UTF_8));
        }
    }

    public static byte[] decodeSecret(String secret) {
        String b64 = secret.startsWith("whsec_") ? secret.substring("whsec_".length()) : secret;
        try {
            byte[] key = Base64.getDecoder().decode(b64);
            if (key.length < 16) {
                throw new ConfigurationException("Invalid setting 'bridge.webhook.secrets': a secret must decode to "
                        + "at least 16 bytes");
            }
            return key;
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("Invalid setting 'bridge.webhook.secrets': expected whsec_<base64 key>");
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
        } else {
            verifySharedSecret(HttpRequests.header(exchange, secretHeader));
        }
        in.setBody(body);
    }

    /** Exactly application/json, with at most a charset parameter that says UTF-8 (JSON's only encoding, RFC 8259). */
    static void checkContentType(String contentType) {
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

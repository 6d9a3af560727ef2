package io.referralbridge.sandbox.servicetitan;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.sandbox.SandboxHttp;
import io.referralbridge.sandbox.SandboxHttp.Reply;

/** OAuth 2.0 client credentials ({@code POST /connect/token}): tokens that expire and can be revoked. */
final class Tokens {

    private final ServiceTitanSandbox.Options options;
    private final Clock clock;
    private final ObjectMapper json;
    private final Map<String, Instant> live = new ConcurrentHashMap<>();
    private final Set<String> everIssued = ConcurrentHashMap.newKeySet();
    private volatile boolean clientRefused;

    Tokens(ServiceTitanSandbox.Options options, Clock clock, ObjectMapper json) {
        this.options = options;
        this.clock = clock;
        this.json = json;
    }

    Reply issue(String form) {
        Map<String, String> f = SandboxHttp.query(form);
        if (!"client_credentials".equals(f.get("grant_type"))) {
            return oauthError("unsupported_grant_type");
        }
        if (clientRefused || !options.clientId().equals(f.get("client_id"))
                || !options.clientSecret().equals(f.get("client_secret"))) {
            return oauthError("invalid_client");
        }
        String token = UUID.randomUUID().toString().replace("-", "");
        live.put(token, clock.instant().plusSeconds(options.tokenLifetimeSeconds()));
        everIssued.add(token);
        ObjectNode body = json.createObjectNode();
        body.put("access_token", token);
        body.put("expires_in", options.tokenLifetimeSeconds());
        body.put("token_type", "Bearer");
        body.put("scope", "api");
        return new Reply(200, body);
    }

    boolean valid(String token) {
        Instant expires = live.get(token);
        return expires != null && clock.instant().isBefore(expires);
    }

    void revokeAll() {
        live.clear();
    }

    /** As when a tenant admin regenerates the app's client secret: every token revoked, the client refused. */
    void refuseClient(boolean refused) {
        clientRefused = refused;
        if (refused) {
            live.clear();
        }
    }

    Set<String> everIssued() {
        return Set.copyOf(everIssued);
    }

    private Reply oauthError(String error) {
        return new Reply(400, json.createObjectNode().put("error", error));
    }
}

package io.referralbridge.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

import io.referralbridge.web.HttpProblem;
import io.referralbridge.web.HttpRequests;
import org.apache.camel.Exchange;

/** Guards the operator endpoints: {@code Authorization: Bearer <bridge.admin.token>}. 401 without it, 403 if wrong. */
public final class AdminAuth {

    private final byte[] token;

    public AdminAuth(String token) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    public void check(Exchange exchange) {
        check(HttpRequests.header(exchange, "Authorization"));
    }

    /** Only a real Authorization request header counts (never a query parameter of that name). */
    void check(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            throw new HttpProblem(401, "unauthorized", "Authorization: Bearer <admin token> is required");
        }
        String given = authorization.trim();
        if (!given.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new HttpProblem(401, "unauthorized", "Authorization must use the Bearer scheme");
        }
        byte[] offered = given.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(token, offered)) {
            throw new HttpProblem(403, "forbidden", "The admin token is not valid");
        }
    }
}

package io.referralbridge.web;

import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;

/**
 * Headers on every HTTP answer of the bridge, whatever route, error handler or the server itself (404, 405, 413) wrote
 * it: browsers must not guess content types, nothing is cached (answers carry referrals and tokens are sent), and an
 * HTML page runs no inline script and cannot be framed. As the business server's first handler it also turns away
 * malformed requests ({@link RequestGate}).
 */
public final class ResponseHeaders implements Handler<RoutingContext> {

    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /** The business server's first handler: these headers on the answer, and {@link RequestGate}'s checks. */
    @Override
    public void handle(RoutingContext ctx) {
        ctx.addHeadersEndHandler(v -> apply(ctx.response().headers()));
        String refused = RequestGate.check(ctx);
        if (refused != null) {
            HttpProblem.badRequest("bad_request", refused).answer(ctx.response());
            return;
        }
        ctx.next();
    }

    public static void apply(MultiMap headers) {
        headers.set("X-Content-Type-Options", "nosniff");
        headers.set("Cache-Control", "no-store");
        String type = headers.get("Content-Type");
        if (type != null && type.regionMatches(true, 0, "text/html", 0, 9)) {
            headers.set("Content-Security-Policy", CSP);
            headers.set("X-Frame-Options", "DENY");
        }
    }
}

package io.referralbridge.web;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * What every request of either server must be before any route, Jolokia or body handler sees it, so that a malformed
 * one is a 4xx with a body that says why, never a 500 with a stack trace in the log:
 * <ul>
 * <li>its path and query are valid percent-encoding;</li>
 * <li>a GET or HEAD has no body (platform-http would try to decode a form body and fail).</li>
 * </ul>
 */
public final class RequestGate {

    private RequestGate() {
    }

    /** Why the request is refused (a 400), or null. */
    public static String check(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        try {
            ctx.normalizedPath();
            String query = request.query();
            if (query != null) {
                new QueryStringDecoder(query, false).parameters();
            }
        } catch (IllegalArgumentException e) {
            return "The URL is not valid percent-encoding";
        }
        if ((request.method() == HttpMethod.GET || request.method() == HttpMethod.HEAD) && hasBody(request)) {
            return "A " + request.method() + " request has no body";
        }
        return null;
    }

    private static boolean hasBody(HttpServerRequest request) {
        String length = request.getHeader("Content-Length");
        return request.getHeader("Transfer-Encoding") != null || (length != null && !length.trim().equals("0"));
    }
}

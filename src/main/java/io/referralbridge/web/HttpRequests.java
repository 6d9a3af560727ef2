package io.referralbridge.web;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.vertx.core.http.HttpServerRequest;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * The one place that decides where a request's parts come from. platform-http turns request headers, query parameters
 * and path parameters alike into message headers, so a query parameter could pose as a credential and a request header
 * as an admin parameter. Every HTTP route starts here (route configuration http-errors):
 * <ul>
 * <li>message headers then hold only the route's parameters: path parameters ({@code {code}}) and query parameters
 * (a path parameter wins over a query parameter of the same name), each checked: given once, no NUL, bounded;</li>
 * <li>request headers (credentials, signatures, content type) are read from the request itself with
 * {@link #header(Exchange, String)}, never from the message.</li>
 * </ul>
 */
public final class HttpRequests {

    static final int MAX_PARAMETER = 1000;

    /** First step of every HTTP route. */
    public void separate(Exchange exchange) {
        HttpServerRequest request = request(exchange);
        if (request == null) {
            return;
        }
        Message m = exchange.getMessage();
        m.getHeaders().keySet().removeIf(name -> !name.regionMatches(true, 0, "Camel", 0, 5));
        Map<String, String> params = new LinkedHashMap<>();
        // From the query string alone: Vert.x's request.params() also holds a form body's fields.
        Map<String, List<String>> query;
        try {
            query = request.query() == null ? Map.of()
                    : new io.netty.handler.codec.http.QueryStringDecoder(request.query(), false).parameters();
        } catch (RuntimeException e) {
            throw HttpProblem.badRequest("invalid_parameter", "The query string is not valid URL encoding");
        }
        for (String name : query.keySet()) {
            List<String> values = query.get(name);
            if (values.size() > 1) {
                throw HttpProblem.badRequest("invalid_parameter", "Query parameter '" + bounded(name) + "' is given "
                        + values.size() + " times");
            }
            check(name, values.get(0));
            params.put(name, values.get(0));
        }
        if (exchange.getFromEndpoint() instanceof PlatformHttpEndpoint endpoint) {
            pathParameters(endpoint.getPath(), request.path()).forEach((name, value) -> {
                check(name, value);
                params.put(name, value);
            });
        }
        params.forEach(m::setHeader);
    }

    /** A request header as the client sent it (null when absent); a header sent twice is refused. */
    public static String header(Exchange exchange, String name) {
        HttpServerRequest request = request(exchange);
        if (request == null) {
            return exchange.getMessage().getHeader(name, String.class);
        }
        List<String> values = request.headers().getAll(name);
        if (values.size() > 1) {
            throw HttpProblem.badRequest("invalid_header", "Header " + name + " is given " + values.size() + " times");
        }
        return values.isEmpty() ? null : values.get(0);
    }

    private static HttpServerRequest request(Exchange exchange) {
        Message in = exchange.getIn();
        return in instanceof HttpMessage http ? http.getRequest() : null;
    }

    /** The values of the {name} segments of a route's path template in a request path. */
    static Map<String, String> pathParameters(String template, String path) {
        Map<String, String> out = new LinkedHashMap<>();
        String[] t = template.split("/", -1);
        String[] p = path.split("/", -1);
        if (t.length != p.length) {
            return out;
        }
        for (int i = 0; i < t.length; i++) {
            if (t[i].startsWith("{") && t[i].endsWith("}")) {
                String value;
                try {
                    value = URLDecoder.decode(p[i].replace("+", "%2B"), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    throw HttpProblem.badRequest("invalid_parameter", "The path is not valid URL encoding");
                }
                out.put(t[i].substring(1, t[i].length() - 1), value);
            }
        }
        return out;
    }

    private static void check(String name, String value) {
        if (name.length() > 100 || name.indexOf('\0') >= 0) {
            throw HttpProblem.badRequest("invalid_parameter", "A parameter name is invalid");
        }
        if (value.length() > MAX_PARAMETER) {
            throw HttpProblem.badRequest("invalid_parameter", "Parameter '" + name + "' is longer than "
                    + MAX_PARAMETER + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c) || Character.isSurrogate(c) && !validSurrogate(value, i)) {
                throw HttpProblem.badRequest("invalid_parameter", "Parameter '" + name
                        + "' contains a control character");
            }
        }
    }

    private static boolean validSurrogate(String s, int i) {
        char c = s.charAt(i);
        return Character.isHighSurrogate(c) ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
                : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    private static String bounded(String s) {
        String clean = s.replaceAll("\\p{Cntrl}", "?");
        return clean.length() > 40 ? clean.substring(0, 40) + "..." : clean;
    }
}

package io.referralbridge.ops;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Locale;
import java.util.Set;

import io.referralbridge.config.ConfigurationException;
import io.referralbridge.config.Settings;
import io.referralbridge.web.ResponseHeaders;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * The door of the management server (health, metrics, Jolokia), in front of every request:
 * <ul>
 * <li>a credential (HTTP Basic: {@code bridge.management.user} / {@code bridge.management.password}) for everything
 * but health, which load balancers and supervisors probe without one;</li>
 * <li>no request from a web page: an {@code Origin} (or a {@code Referer} when there is none) other than the configured
 * Hawtio origin is refused, {@code Origin: null} included, so a page open in a browser on the host can do nothing;</li>
 * <li>CORS only for {@code bridge.management.allowed-origin};</li>
 * <li>Jolokia over GET only reads ({@code read}, {@code list}, {@code search}, {@code version}): an operation runs
 * only by POST. Which MBeans and operations Jolokia allows at all is its policy, {@code jolokia-access.xml}.</li>
 * </ul>
 * A refusal is a 401 or 403 with a Jolokia-style JSON error; no refused request reaches Jolokia.
 */
public final class ManagementGuard implements Handler<RoutingContext> {

    private static final Set<String> GET_COMMANDS = Set.of("", "read", "list", "search", "version");

    private final byte[] credential;
    private final String allowedOrigin;
    private final String jolokiaPath;
    private final String healthPath;
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private final org.jolokia.server.core.service.api.Restrictor policy;

    public ManagementGuard(String user, String password, String allowedOrigin, String jolokiaPath, String healthPath) {
        this.credential = (user + ":" + password).getBytes(StandardCharsets.UTF_8);
        this.allowedOrigin = allowedOrigin == null || allowedOrigin.isBlank() ? null : stripSlash(allowedOrigin.trim());
        this.jolokiaPath = jolokiaPath;
        this.healthPath = healthPath;
        try {
            this.policy = org.jolokia.server.core.restrictor.RestrictorFactory.lookupPolicyRestrictor(
                    "classpath:/jolokia-access.xml");
        } catch (java.io.IOException e) {
            throw new IllegalStateException("jolokia-access.xml cannot be read", e);
        }
    }

    /** From the settings; the password is required whenever the management server is on. */
    public static ManagementGuard from(Settings s) {
        String user = s.required("bridge.management.user");
        String password = s.optional("bridge.management.password").orElseThrow(() -> new ConfigurationException(
                "Missing required setting 'bridge.management.password' (environment variable "
                        + "BRIDGE_MANAGEMENT_PASSWORD): the management server (Jolokia, metrics) needs a credential"));
        if (password.length() < 12) {
            throw new ConfigurationException("Invalid setting 'bridge.management.password': at least 12 characters");
        }
        if (user.isBlank() || user.contains(":")) {
            throw new ConfigurationException("Invalid setting 'bridge.management.user': not blank, no ':'");
        }
        String origin = s.get("bridge.management.allowed-origin", "");
        if (!origin.isBlank()) {
            URI uri;
            try {
                uri = URI.create(origin.trim());
            } catch (IllegalArgumentException e) {
                uri = null;
            }
            if (uri == null || uri.getScheme() == null || uri.getHost() == null
                    || !(uri.getPath() == null || uri.getPath().isEmpty() || uri.getPath().equals("/"))) {
                throw new ConfigurationException("Invalid setting 'bridge.management.allowed-origin' = '" + origin
                        + "': an origin such as http://127.0.0.1:8090");
            }
        }
        return new ManagementGuard(user, password, origin, s.get("camel.management.jolokiaPath", "/observe/jolokia"),
                s.get("camel.management.healthPath", "/observe/health"));
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        ctx.addHeadersEndHandler(v -> {
            ResponseHeaders.apply(ctx.response().headers());
            // camel's Jolokia plugin answers 500 when a request escapes Jolokia's own error handling (an operation
            // name that matches several signatures, such as a route's "stop": send "stop()"): the request's fault.
            if (ctx.response().getStatusCode() == 500 && ctx.normalizedPath().startsWith(jolokiaPath)) {
                ctx.response().setStatusCode(400);
            }
        });
        String malformed = io.referralbridge.web.RequestGate.check(ctx);
        if (malformed != null) {
            refuse(ctx, 400, malformed);
            return;
        }
        String origin = origin(request);
        if (origin != null && !origin.equals(allowedOrigin)) {
            refuse(ctx, 403, "Requests from a web page (Origin " + origin + ") are refused; only "
                    + (allowedOrigin == null ? "no origin" : allowedOrigin) + " is allowed");
            return;
        }
        if (origin != null) {
            ctx.response().putHeader("Access-Control-Allow-Origin", origin).putHeader("Vary", "Origin")
                    .putHeader("Access-Control-Allow-Credentials", "true");
            if (request.method() == HttpMethod.OPTIONS) {
                ctx.response().putHeader("Access-Control-Allow-Methods", "GET, POST")
                        .putHeader("Access-Control-Allow-Headers", "Authorization, Content-Type")
                        .putHeader("Access-Control-Max-Age", "600").setStatusCode(204).end();
                return;
            }
        }
        String path = ctx.normalizedPath();
        if (!path.startsWith(healthPath + "/") && !path.equals(healthPath) && !authenticated(request)) {
            ctx.response().putHeader("WWW-Authenticate", "Basic realm=\"referral-bridge management\"");
            refuse(ctx, 401, "A credential is required (HTTP Basic: bridge.management.user / "
                    + "BRIDGE_MANAGEMENT_PASSWORD)");
            return;
        }
        if (path.startsWith(jolokiaPath) && request.method() == HttpMethod.POST) {
            // Read the body here (Jolokia's body handler then finds it read), check it, then pass it on.
            request.body().onComplete(read -> {
                if (read.failed()) {
                    refuse(ctx, 400, "The request body could not be read");
                    return;
                }
                String refused = refusedByPolicy(read.result().toString(StandardCharsets.UTF_8));
                if (refused != null) {
                    refuse(ctx, 403, refused);
                    return;
                }
                ctx.setBody(read.result());
                ((io.vertx.ext.web.impl.RoutingContextInternal) ctx).visitHandler(
                        io.vertx.ext.web.impl.RoutingContextInternal.BODY_HANDLER);
                ctx.next();
            });
            return;
        } else if (path.startsWith(jolokiaPath)) {
            String command = getCommand(path.substring(jolokiaPath.length()), request.getParam("p"));
            if (request.method() != HttpMethod.GET || !GET_COMMANDS.contains(command)) {
                refuse(ctx, 403, "Only read, list, search and version are allowed by " + request.method()
                        + "; operations need POST");
                return;
            }
        }
        ctx.next();
    }

    /**
     * Why Jolokia's policy refuses a POSTed request (or any request of a bulk), or null. Checked here so that a refusal
     * is an HTTP 403 (Jolokia itself answers 200 with the error inside); the decision is the policy's own.
     */
    String refusedByPolicy(String body) {
        if (body == null || body.isBlank()) {
            return null; // Jolokia answers the empty request itself
        }
        com.fasterxml.jackson.databind.JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (Exception e) {
            return null; // Jolokia answers malformed JSON with its own 400-style error
        }
        for (com.fasterxml.jackson.databind.JsonNode r : root.isArray() ? root : java.util.List.of(root)) {
            String type = r.path("type").asText("").toLowerCase(Locale.ROOT);
            String mbean = r.path("mbean").asText("");
            switch (type) {
                case "read", "list", "search", "version" -> {
                    // allowed on every MBean
                }
                case "exec" -> {
                    String operation = r.path("operation").asText(""); // as Jolokia's policy sees it
                    if (!allows(mbean, name -> policy.isOperationAllowed(name, operation))) {
                        return "Operation " + operation + " of " + mbean + " is not allowed (jolokia-access.xml)";
                    }
                }
                case "write" -> {
                    return "Writing attributes is not allowed (jolokia-access.xml)";
                }
                default -> {
                    return "Request type '" + type + "' is not allowed (jolokia-access.xml)";
                }
            }
        }
        return null;
    }

    private static boolean allows(String mbean, java.util.function.Predicate<javax.management.ObjectName> check) {
        try {
            return check.test(new javax.management.ObjectName(mbean));
        } catch (javax.management.MalformedObjectNameException e) {
            return false;
        }
    }

    private boolean authenticated(HttpServerRequest request) {
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return false;
        }
        byte[] given;
        try {
            given = Base64.getDecoder().decode(header.substring(6).trim());
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(credential, given);
    }

    /** The request's origin: Origin, or the scheme://host:port of Referer; null when neither is sent. */
    static String origin(HttpServerRequest request) {
        String origin = request.getHeader(HttpHeaders.ORIGIN);
        if (origin != null) {
            return stripSlash(origin.trim());
        }
        String referer = request.getHeader(HttpHeaders.REFERER);
        if (referer == null) {
            return null;
        }
        try {
            URI uri = URI.create(referer.trim());
            return uri.getScheme() + "://" + uri.getRawAuthority();
        } catch (IllegalArgumentException e) {
            return "invalid";
        }
    }

    /** The Jolokia command of a GET: the first path segment (or of the p parameter), lower case. */
    static String getCommand(String path, String pParam) {
        String p = pParam != null ? pParam : path;
        String trimmed = p.replaceAll("^/+", "");
        int slash = trimmed.indexOf('/');
        String first = slash < 0 ? trimmed : trimmed.substring(0, slash);
        String command = first.toLowerCase(Locale.ROOT);
        // a p parameter and a path both naming a command: both must be reads
        if (pParam != null && !path.replaceAll("^/+", "").isEmpty()) {
            String other = getCommand(path, null);
            return GET_COMMANDS.contains(other) ? command : other;
        }
        return command;
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    private static void refuse(RoutingContext ctx, int status, String message) {
        com.fasterxml.jackson.databind.node.ObjectNode error = JSON.createObjectNode()
                .put("status", status).put("error_type", "java.lang.SecurityException").put("error", message);
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(error.toString());
    }
}

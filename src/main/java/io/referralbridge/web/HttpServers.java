package io.referralbridge.web;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.AuthenticationHandler;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Service;
import org.apache.camel.component.platform.http.main.DefaultMainHttpServerFactory;
import org.apache.camel.component.platform.http.main.MainHttpServer;
import org.apache.camel.component.platform.http.main.ManagementHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.apache.camel.component.platform.http.vertx.auth.AuthenticationConfig;
import org.apache.camel.main.HttpManagementServerConfigurationProperties;
import org.apache.camel.main.HttpServerConfigurationProperties;
import org.apache.camel.main.MainHttpServerFactory;
import io.referralbridge.config.Settings;
import io.referralbridge.ops.ManagementGuard;

/**
 * Creates camel-main's two HTTP servers (business and management) as the stock factory does, and puts a handler in
 * front of every request of each, before any route or Jolokia sees it: {@link ResponseHeaders} on the business server,
 * {@link io.referralbridge.ops.ManagementGuard} on the management server. Bound in the registry, where camel-main looks
 * for a factory before its own (Application binds it: camel-main makes its servers before configuration classes run).
 * The hook used is platform-http's authentication configuration: its handlers are
 * mounted before the routes when the server starts, so no request is ever served unguarded.
 */
public final class HttpServers implements MainHttpServerFactory, CamelContextAware {

    private final DefaultMainHttpServerFactory stock = new DefaultMainHttpServerFactory();
    private CamelContext context;

    @Override
    public Service newHttpServer(CamelContext camelContext, HttpServerConfigurationProperties properties) {
        useVertx(camelContext);
        MainHttpServer server = (MainHttpServer) stock.newHttpServer(camelContext, properties);
        guard(server.getConfiguration(), new ResponseHeaders());
        announce(camelContext, "Webhook and admin HTTP server", properties.getHost(), properties.getPort(), "");
        whenStarted(camelContext, () -> {
            clientGoneIsInfo(server.getRouter());
            jsonWhenNoRouteAnswers(server.getRouter(), camelContext);
        });
        return server;
    }

    /**
     * Vert.x's own 404 and 405 answers are HTML or empty: a last route answers in JSON instead, for what no route
     * took. A path whose route an operator stopped (from Hawtio) is 503 with Retry-After, not 404: a platform may take a
     * 404 as final and drop the referral. A path a started route has, asked with another method, is 405.
     */
    private static void jsonWhenNoRouteAnswers(io.vertx.ext.web.Router router, CamelContext camelContext) {
        router.route().order(Integer.MAX_VALUE).handler(ctx -> {
            String path = ctx.normalizedPath();
            java.util.Optional<org.apache.camel.ServiceStatus> route = camelContext.getRoutes().stream()
                    .filter(r -> r.getEndpoint() instanceof org.apache.camel.component.platform.http.PlatformHttpEndpoint e
                            && matches(e.getPath(), path))
                    .map(r -> camelContext.getRouteController().getRouteStatus(r.getRouteId())).findFirst();
            if (route.isEmpty()) {
                new HttpProblem(404, "not_found", "No such endpoint").answer(ctx.response());
            } else if (!route.get().isStarted()) {
                ctx.response().putHeader("Retry-After", "60");
                new HttpProblem(503, "unavailable", "This endpoint is stopped for now; send again later")
                        .answer(ctx.response());
            } else {
                new HttpProblem(405, "method_not_allowed", "This endpoint does not take " + ctx.request().method())
                        .answer(ctx.response());
            }
        });
    }

    /** Whether a request path is one of a route's path template ({@code /api/referrals/{code}}). */
    static boolean matches(String template, String path) {
        String[] t = template.replaceAll("(?<=.)/+$", "").split("/", -1);
        String[] p = path.replaceAll("(?<=.)/+$", "").split("/", -1); // Vert.x ignores a trailing slash too
        if (t.length != p.length) {
            return false;
        }
        for (int i = 0; i < t.length; i++) {
            boolean variable = t[i].startsWith("{") && t[i].endsWith("}") && !p[i].isEmpty();
            if (!variable && !t[i].equals(p[i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Service newHttpManagementServer(CamelContext camelContext,
                                           HttpManagementServerConfigurationProperties properties) {
        ManagementGuard guard;
        try {
            guard = ManagementGuard.from(new Settings(camelContext));
        } catch (io.referralbridge.config.ConfigurationException e) {
            // Named by BridgeConfiguration in its turn (settings are checked in one order); startup fails there, and
            // until then this server answers nothing but 401.
            guard = new ManagementGuard("-", java.util.UUID.randomUUID() + "-unusable", "", "/observe/jolokia",
                    "/observe/health-none");
        }
        useVertx(camelContext);
        ManagementHttpServer server = (ManagementHttpServer) stock.newHttpManagementServer(camelContext, properties);
        guard(server.getConfiguration(), guard);
        announce(camelContext, "Management server", properties.getHost(), properties.getPort(),
                " (health open; metrics and Jolokia need the management credential)");
        whenStarted(camelContext, () -> clientGoneIsInfo(server.getRouter()));
        return server;
    }

    /**
     * A client that closes its connection before its answer (say, mid-body) is one INFO line: Vert.x would log an ERROR
     * "Unhandled exception in router" for what is the client's choice, not a fault of the bridge.
     */
    private static void clientGoneIsInfo(io.vertx.ext.web.Router router) {
        router.route().order(Integer.MIN_VALUE).failureHandler(ctx -> {
            if (ctx.failure() instanceof io.vertx.core.http.HttpClosedException) {
                org.slf4j.LoggerFactory.getLogger(HttpServers.class).info(
                        "Client closed the connection before its answer: {} {}", ctx.request().method(),
                        ctx.normalizedPath());
            } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500 && !ctx.response().ended()) {
                // Refused by the server itself (413: over camel.server.maxBodySize): the client's fault, said in JSON.
                int status = ctx.statusCode();
                (status == 413 ? new HttpProblem(413, "payload_too_large", "The body is larger than the server accepts")
                        : new HttpProblem(status, "bad_request", io.netty.handler.codec.http.HttpResponseStatus
                        .valueOf(status).reasonPhrase())).answer(ctx.response());
            } else {
                ctx.next();
            }
        });
    }

    private static void whenStarted(CamelContext camelContext, Runnable action) {
        try {
            camelContext.addStartupListener((ctx, alreadyStarted) -> action.run());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The real bind address, once started (camel-main's endpoint summary prints 0.0.0.0 for both; it is muted). */
    private static void announce(CamelContext camelContext, String what, String host, int port, String note) {
        try {
            camelContext.addStartupListener((ctx, alreadyStarted) -> org.slf4j.LoggerFactory
                    .getLogger(HttpServers.class).info("{} listening on http://{}:{}{}", what, host, port, note));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Both servers on one Vert.x instance with the idle timeout; closed with the context. */
    private static synchronized void useVertx(CamelContext camelContext) {
        if (camelContext.getRegistry().lookupByName("vertx") != null) {
            return;
        }
        Settings s = new Settings(camelContext);
        Vertx vertx = vertxWithIdleTimeout(s.getIntAtLeast("bridge.http.idle-timeout-seconds", 1));
        camelContext.getRegistry().bind("vertx", vertx);
        try {
            camelContext.addService(new org.apache.camel.support.service.ServiceSupport() {
            @Override
            protected void doStop() throws Exception {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
            }
            }, true, false);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void guard(VertxPlatformHttpServerConfiguration configuration, Handler<RoutingContext> guard) {
        AuthenticationConfig auth = configuration.getAuthenticationConfig();
        AuthenticationConfig.AuthenticationConfigEntry entry = new AuthenticationConfig.AuthenticationConfigEntry();
        entry.setPath("/*");
        entry.setAuthenticationProviderFactory(vertx -> null);
        entry.setAuthenticationHandlerFactory(new AuthenticationConfig.AuthenticationHandlerFactory() {
            @Override
            public <T extends io.vertx.ext.auth.authentication.AuthenticationProvider> AuthenticationHandler
                    createAuthenticationHandler(T provider) {
                return guard::handle;
            }
        });
        auth.getEntries().add(0, entry);
        auth.setEnabled(true);
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.context = camelContext;
        stock.setCamelContext(camelContext);
    }

    @Override
    public CamelContext getCamelContext() {
        return context;
    }

    /**
     * The Vert.x instance both servers run on, with an idle timeout on every connection: one that sends its headers or
     * body too slowly (or sits open doing nothing) is closed after {@code idleSeconds}. platform-http creates its
     * servers with default options (no timeout) and takes the Vert.x instance from the registry, so the instance is
     * given here as a proxy that adds the timeout to the options of each server it creates.
     */
    public static Vertx vertxWithIdleTimeout(int idleSeconds) {
        Vertx vertx = Vertx.vertx();
        Set<Class<?>> interfaces = new LinkedHashSet<>();
        for (Class<?> c = vertx.getClass(); c != null; c = c.getSuperclass()) {
            interfaces.addAll(List.of(c.getInterfaces()));
        }
        InvocationHandler handler = (proxy, method, args) -> {
            Object[] a = args;
            if (method.getName().equals("createHttpServer") && a != null && a.length == 1
                    && a[0] instanceof HttpServerOptions options) {
                a = new Object[] {new HttpServerOptions(options).setIdleTimeout(idleSeconds)};
            }
            try {
                return method.invoke(vertx, a);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (Vertx) Proxy.newProxyInstance(HttpServers.class.getClassLoader(),
                new ArrayList<>(interfaces).toArray(Class<?>[]::new), handler);
    }
}

package io.referralbridge;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.ArrayList;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.referralbridge.admin.AdminAuth;
import io.referralbridge.campaign.BookingMapper;
import io.referralbridge.booking.BookingSteps;
import io.referralbridge.campaign.Campaigns;
import io.referralbridge.config.Settings;
import io.referralbridge.db.Database;
import io.referralbridge.failure.DeadLetters;
import io.referralbridge.failure.RetryPolicy;
import io.referralbridge.campaign.PlatformFields;
import io.referralbridge.intake.ReferralParser;
import io.referralbridge.intake.ReferralStore;
import io.referralbridge.intake.WebhookVerifier;
import io.referralbridge.outbox.Outbox;
import io.referralbridge.platform.PlatformConnection;
import io.referralbridge.platform.PlatformNotices;
import io.referralbridge.platform.ReferralPlatformClient;
import io.referralbridge.qualification.Qualification;
import io.referralbridge.qualification.Reports;
import io.referralbridge.qualification.ServiceTitanPoller;
import io.referralbridge.servicetitan.ServiceTitanClient;
import io.referralbridge.servicetitan.ServiceTitanConnection;
import io.referralbridge.servicetitan.ServiceTitanClients;
import io.referralbridge.schedule.ConnectionRoutes;
import io.referralbridge.schedule.QuartzCluster;
import io.referralbridge.web.JsonResponses;
import org.apache.camel.CamelConfiguration;
import io.referralbridge.ops.BridgeMetrics;
import io.referralbridge.ops.DatabaseHealthCheck;
import io.referralbridge.ops.IntakeHealthCheck;
import io.referralbridge.ops.ServiceTitanHealthCheck;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the bridge before its routes start: validates configuration (failing with the property's name), opens and
 * migrates the database and binds the beans the YAML routes refer to by name.
 */
public final class BridgeConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(BridgeConfiguration.class);

    @Override
    public void configure(CamelContext context) throws Exception {
        // The platform profile's defaults under the configuration: a setting it does not make comes from the profile.
        Settings plain = new Settings(context);
        Settings s = plain.withProfile(io.referralbridge.platform.PlatformProfiles.load(plain));
        Clock clock = Clock.systemUTC();
        Resources resources = new Resources();
        context.addService(resources, true, true);
        try {
            wire(context, s, plain, clock, resources);
        } catch (Exception | Error e) {
            resources.doStop();
            throw e;
        }
    }

    /** {@code s}: the settings over the default platform's profile; {@code plain}: without (for named platforms). */
    private void wire(CamelContext context, Settings s, Settings plain, Clock clock, Resources resources)
            throws Exception {

        // Everything that can be checked without I/O is checked first, so a bad setting fails fast (the default
        // platform's webhook secrets first: without them nothing can be taken in).
        WebhookVerifier.from(s, clock);
        AdminAuth adminAuth = new AdminAuth(s.required("bridge.admin.token"));
        checkManagementIsLocal(s);
        io.referralbridge.ops.ManagementGuard.from(s); // checked here too, so a bad setting fails before any I/O
        List<ServiceTitanConnection> connections = ServiceTitanConnection.listFrom(s);
        Campaigns campaigns = Campaigns.from(s, connections);
        java.util.Properties quartz = QuartzCluster.properties(s, connections.size());
        java.time.Instant exportStart = exportStart(s);
        io.referralbridge.platform.Platforms platforms = io.referralbridge.platform.Platforms.from(s, plain, campaigns,
                clock);
        for (io.referralbridge.platform.Platforms.Platform p : platforms.all()) {
            checkPlatformCanDo(p, campaigns);
        }
        ReferralStore.GroupCommit groupCommit = new ReferralStore.GroupCommit(
                s.getIntAtLeast("bridge.intake.writers", 1), s.getIntAtLeast("bridge.intake.max-batch", 1),
                s.getIntAtLeast("bridge.intake.commit-timeout-ms", 100));

        Database db = Database.open(s);
        resources.push(db);
        LOG.info("Database ready ({} profile)", s.get("bridge.profile", "dev"));

        ObjectMapper json = jsonMapper();
        BridgeMetrics metrics = new BridgeMetrics(context);
        context.addStartupListener((ctx, alreadyStarted) -> metrics.init());
        ReferralStore referrals = new ReferralStore(db.dataSource(), json, metrics, groupCommit);
        io.referralbridge.lifecycle.ReferralLifecycle lifecycle = new io.referralbridge.lifecycle.ReferralLifecycle(
                db.dataSource(), metrics);
        resources.push(referrals); // closed before the database: queued webhooks are written first
        referrals.openInOtherConnections(connections.stream().map(ServiceTitanConnection::name).toList()).forEach(
                (name, open) -> LOG.warn("{} referral(s) in progress belong to ServiceTitan connection '{}', which is "
                        + "not configured (servicetitan.connections): they are neither booked nor polled until it is "
                        + "configured again or their referral.connection is updated", open, name));
        referrals.noticesOfOtherPlatforms(platforms.names()).forEach((name, pending) -> LOG.warn("{} notice(s) are "
                + "owed to referral platform '{}', which is not configured (bridge.platforms): nothing tells them until "
                + "it is configured again", pending, name));
        Outbox outbox = new Outbox(db.dataSource(), s.getInt("bridge.outbox.batch-size"),
                leaseSeconds(s), nodeId(s));
        outbox.releaseOwnClaims();
        resources.push(outbox); // released before the database closes
        long sweepMs = s.getLong("bridge.outbox.poll-interval-ms");
        if (sweepMs < 1) {
            throw io.referralbridge.config.Settings.invalid("bridge.outbox.poll-interval-ms", String.valueOf(sweepMs),
                    "at least 1");
        }
        io.referralbridge.outbox.WakeUp wakeUp = new io.referralbridge.outbox.WakeUp(db::unpooledConnection, sweepMs);
        outbox.onFullBatch(wakeUp::poke);
        wakeUp.start();
        resources.push(wakeUp); // closed after the routes, before the outbox releases what it has not started
        // From the moment the bridge starts stopping, nothing new is claimed: no call starts that the stop would cut off.
        context.getManagementStrategy().addEventNotifier(new org.apache.camel.support.SimpleEventNotifierSupport() {
            @Override
            public void notify(org.apache.camel.spi.CamelEvent event) {
                if (event instanceof org.apache.camel.spi.CamelEvent.CamelContextStoppingEvent) {
                    outbox.stopClaiming();
                }
            }
        });
        Map<String, BookingMapper> mappers = new java.util.LinkedHashMap<>();
        Map<String, io.referralbridge.campaign.ReferrerData> referrerData = new java.util.LinkedHashMap<>();
        Map<String, ReferralPlatformClient> platformClients = new java.util.LinkedHashMap<>();
        for (io.referralbridge.platform.Platforms.Platform p : platforms.all()) {
            mappers.put(p.name(), new BookingMapper(json, p.fields(), p.settings()));
            referrerData.put(p.name(), new io.referralbridge.campaign.ReferrerData(p.settings()));
            platformClients.put(p.name(), new ReferralPlatformClient(p.connection(), json,
                    context.createProducerTemplate(), p.fields().participantId()));
        }
        io.referralbridge.platform.ReferralPlatforms referralPlatforms =
                new io.referralbridge.platform.ReferralPlatforms(platformClients);

        Registry r = context.getRegistry();
        r.bind("httpRequests", new io.referralbridge.web.HttpRequests());
        r.bind("dataSource", db.dataSource());
        r.bind("responses", new JsonResponses(json, s.getInt("bridge.http.retry-after-seconds"), metrics));
        for (io.referralbridge.outbox.TaskKind k : io.referralbridge.outbox.TaskKind.values()) {
            String kind = k.id();
            metrics.gauge("bridge.outbox.pending", "kind", kind, () -> outbox.depth().getOrDefault(kind, 0L));
        }
        r.bind("platformIntakes", new io.referralbridge.intake.PlatformIntakes(platforms, strictJsonMapper(),
                campaigns));
        r.bind("referralStore", referrals);
        r.bind("outbox", outbox);
        r.bind("wakeUp", wakeUp);
        List<ServiceTitanClient> clients = new ArrayList<>();
        for (ServiceTitanConnection connection : connections) {
            clients.add(new ServiceTitanClient(connection, context.createProducerTemplate(), json, clock, metrics,
                    new io.referralbridge.servicetitan.RequestBudget(db.dataSource(), connection.name(),
                            connection.maxRequestsPerSecond(),
                            s.getIntAtLeast("servicetitan.request-budget.slots-per-claim", 1),
                            s.getLong("servicetitan.request-budget.max-wait-ms"))));
        }
        ServiceTitanClients serviceTitan = new ServiceTitanClients(clients);
        r.bind("serviceTitan", serviceTitan);
        io.referralbridge.referrer.ReferrerInServiceTitan referrer = new io.referralbridge.referrer.ReferrerInServiceTitan(
                db.dataSource(), referrals, lifecycle, outbox, campaigns,
                referrerData::get, serviceTitan, json);
        r.bind("referrerInServiceTitan", referrer);
        r.bind("bookings", new BookingSteps(db.dataSource(), referrals, lifecycle, outbox, campaigns, mappers::get,
                referralPlatforms.anyUnqualifies(), referrer));
        r.bind("referralPlatform", referralPlatforms);
        io.referralbridge.enrolment.Enrolments enrolments = new io.referralbridge.enrolment.Enrolments(
                db.dataSource(), outbox, campaigns, serviceTitan, referralPlatforms,
                campaignId -> platforms.of(campaignId).name(), json, metrics);
        r.bind("enrolments", enrolments);
        r.bind("enrolmentBackfills", new io.referralbridge.enrolment.EnrolmentBackfills(db.dataSource(), campaigns,
                serviceTitan, enrolments, json, strictJsonMapper(),
                s.getIntAtLeast("bridge.enrolment.backfill-page-size", 1)));
        ServiceTitanPoller poller = new ServiceTitanPoller(db.dataSource(), serviceTitan, lifecycle, metrics,
                s.getIntAtLeast("bridge.poll.invoice-retention-days", 1), exportStart,
                new io.referralbridge.qualification.PhoneIns(db.dataSource(), campaigns, lifecycle,
                        s.required("bridge.match.code-field"), referrer), referrer, enrolments);
        r.bind("poller", poller);
        HealthCheckRegistry health = HealthCheckRegistry.get(context);
        if (health != null) {
            health.register(new DatabaseHealthCheck(db.dataSource()));
            health.register(new ServiceTitanHealthCheck(clients));
            health.register(new IntakeHealthCheck(referrals::intakeWritersAlive, groupCommit.writers()));
        }
        QuartzCluster.configure(context, quartz, db.dataSource());
        // Bound, not added: camel-main then adds it with the YAML routes, after their route configurations.
        // The tasks of one claimed batch are worked at once, up to this many (connection-queue template): each call still
        // waits for its slot in the connection's budget, so more only fills the budget, never exceeds it.
        int concurrency = s.getIntAtLeast("bridge.outbox.concurrency", 1);
        context.getExecutorServiceManager().registerThreadPoolProfile(
                new org.apache.camel.builder.ThreadPoolProfileBuilder("taskCalls").poolSize(concurrency)
                        .maxPoolSize(concurrency).maxQueueSize(-1).build());
        Map<String, String> intakePaths = new java.util.LinkedHashMap<>();
        platforms.all().forEach(p -> intakePaths.put(p.name(), p.path()));
        r.bind("platformRoutes", new io.referralbridge.schedule.PlatformRoutes(intakePaths));
        r.bind("connectionRoutes", new ConnectionRoutes(connections, referrer.anyWrites(), enrolments.any()));
        r.bind("serviceTitanEvents", new io.referralbridge.qualification.ServiceTitanEvents(db.dataSource(), json,
                connections, s.required("servicetitan.webhook.signature-header"),
                s.getIntAtLeast("servicetitan.webhook.max-body-bytes", 1024),
                s.getIntAtLeast("servicetitan.webhook.retention-days", 1),
                new io.referralbridge.schedule.PollWake(context,
                        s.getIntAtLeast("servicetitan.webhook.min-poll-gap-ms", 0)), metrics));
        for (ServiceTitanConnection c : connections) {
            if (!c.webhookHmacKeys().isEmpty()) {
                LOG.info("ServiceTitan webhooks of connection {}: POST /webhooks/servicetitan/{}, HMAC-verified",
                        c.name(), c.name());
            } else if (c.webhookAcceptUnsigned()) {
                LOG.warn("ServiceTitan webhooks of connection {} are accepted unsigned "
                        + "(servicetitan.webhook.accept-unsigned): anyone who can reach the bridge can wake its poll",
                        c.name());
            } else {
                LOG.info("ServiceTitan webhooks of connection {} are refused: no HMAC key "
                        + "(servicetitan.webhook.hmac-keys); the poll alone follows ServiceTitan", c.name());
            }
        }
        List<String> triggers = connections.stream().map(c -> ConnectionRoutes.pollTrigger(c.name())).toList();
        context.addStartupListener(new org.apache.camel.StartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext ctx, boolean alreadyStarted) {
                // the Quartz scheduler exists once the routes have started: see below
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext ctx, boolean alreadyStarted) throws Exception {
                QuartzCluster.removeStaleTriggers(ctx, triggers);
                checkCustomFields(referrer);
            }
        });
        r.bind("qualification", new Qualification(db.dataSource(), lifecycle, outbox, campaigns,
                s.getInt("bridge.poll.evaluation-batch-size"), metrics));
        Map<String, com.fasterxml.jackson.core.JsonPointer> referrerEmails = new java.util.LinkedHashMap<>();
        platforms.all().forEach(p -> referrerEmails.put(p.name(), io.referralbridge.campaign.PlatformFields.parse(
                p.settings().name("bridge.fields.referrer-email"),
                p.settings().get("bridge.fields.referrer-email", "/data/referred_by/email"))));
        r.bind("reports", new Reports(referrerEmails, json));
        r.bind("platformNotices", new PlatformNotices(db.dataSource(), lifecycle, outbox,
                referralPlatforms.anyUnqualifies(), campaigns, referralPlatforms));
        DeadLetters deadLetters = new DeadLetters(db.dataSource(), json, outbox, referrals, lifecycle, metrics);
        r.bind("deadLetters", deadLetters);
        r.bind("taskFailures", new io.referralbridge.failure.TaskFailures(outbox, deadLetters, new RetryPolicy(
                s.getIntAtLeast("bridge.retry.max-redeliveries", 0), s.getLong("bridge.retry.initial-delay-ms"),
                s.getLong("bridge.retry.max-delay-ms"), clock), serviceProbe(serviceTitan, referralPlatforms),
                s.getIntAtLeast("bridge.retry.write-outage-hours", 0)));
        if (s.getBoolean("camel.main.jmxEnabled")) {
            resources.push(io.referralbridge.ops.Operator.register(new io.referralbridge.ops.Operator(
                    context.createProducerTemplate(), poller, deadLetters, json,
                    context.getRegistry().lookupByNameAndType("enrolmentBackfills",
                            io.referralbridge.enrolment.EnrolmentBackfills.class),
                    s.get("bridge.cluster.name", s.required("camel.main.name")))));
        }
        r.bind("adminAuth", adminAuth);
    }

    /**
     * What the campaigns ask of the platform, its profile must be able to do: an enrolment needs an enrol call, a
     * claw-back an unqualify call (an inbound webhook carries only a code: neither).
     */
    static void checkPlatformCanDo(io.referralbridge.platform.Platforms.Platform of, Campaigns campaigns) {
        PlatformConnection platform = of.connection();
        boolean api = platform.mode().equals("api");
        for (io.referralbridge.campaign.Campaign c : campaigns.all()) {
            if (!of.campaigns().contains(c.id())) {
                continue;
            }
            if (c.enrolment().enabled() && (!api || platform.enrol() == null)) {
                throw new io.referralbridge.config.ConfigurationException("Campaign " + c.id() + " enrols customers "
                        + "(bridge.campaign." + c.id() + ".enrol or bridge.campaigns.enrol = true), which platform "
                        + "profile " + platform.profile() + " (platform.mode=" + platform.mode() + ") cannot do: it "
                        + "needs " + of.settings().name("platform.mode") + "=api and "
                        + of.settings().name("platform.enrol.url"));
            }
            if (c.qualification().clawbackSeconds() > 0 && (!api || platform.unqualify() == null)) {
                throw new io.referralbridge.config.ConfigurationException("Campaign " + c.id() + " claws back "
                        + "(clawback-days > 0), which platform profile " + platform.profile() + " (platform.mode="
                        + platform.mode() + ") cannot tell the platform: set bridge.campaign." + c.id()
                        + ".clawback-days (or bridge.campaigns.clawback-days) to 0, or give "
                        + of.settings().name("platform.unqualify.url") + " in " + of.settings().name("platform.mode")
                        + "=api");
            }
        }
    }

    /**
     * After a failure as if the service were down: a booking's service is probed with a plain read of its booking
     * provider's bookings, the platform with a read of the referral's user.
     */
    private static io.referralbridge.failure.ServiceProbe serviceProbe(ServiceTitanClients serviceTitan,
                                                                       io.referralbridge.platform.ReferralPlatforms platform) {
        return (task, exchange) -> switch (task.kind()) {
            case CREATE_BOOKING -> {
                Long provider = exchange.getProperty(BookingSteps.BOOKING_PROVIDER, Long.class);
                yield provider != null && serviceTitan.get(task.queue()).answersBookings(provider);
            }
            case NOTIFY_PLATFORM -> platform.answers(exchange);
            case WRITE_REFERRER, ENROL_CUSTOMER -> serviceTitan.get(task.queue()).answersCustomers();
        };
    }

    /**
     * The custom fields the campaigns write must exist in ServiceTitan: a missing one stops startup with its name. If
     * ServiceTitan cannot be asked now (an outage), startup goes on: each write checks the names again, and a missing
     * one is then a dead letter naming it.
     */
    private static void checkCustomFields(io.referralbridge.referrer.ReferrerInServiceTitan referrer) {
        try {
            referrer.checkCustomFields();
        } catch (io.referralbridge.config.ConfigurationException e) {
            throw e;
        } catch (Exception e) {
            LOG.warn("Could not read ServiceTitan's customer custom fields to check the campaigns' customer-fields "
                    + "({}); each write checks them instead", e.toString());
        }
    }

    /**
     * A claim covers one attempt of a task (the back-off waits in the table), and an attempt is at most two calls
     * (look-up, then create), each bounded by the connect and response timeouts: the lease must outlast that.
     */
    static int leaseSeconds(Settings s) {
        int lease = s.getIntAtLeast("bridge.outbox.lease-seconds", 1);
        long attemptMs = 2L * (s.getLong("servicetitan.connect-timeout-ms")
                + s.getLong("servicetitan.response-timeout-ms"));
        if (lease * 1000L <= attemptMs) {
            throw new io.referralbridge.config.ConfigurationException("Invalid setting 'bridge.outbox.lease-seconds' = "
                    + lease + ": a claim must outlast one attempt, two calls of up to servicetitan.connect-timeout-ms "
                    + "+ servicetitan.response-timeout-ms (" + attemptMs / 1000 + " s)");
        }
        return lease;
    }

    /** This node's id on its claims: unique per node (host and HTTP port by default), the same across restarts. */
    static String nodeId(Settings s) {
        return s.optional("bridge.node-id").orElseGet(() -> {
            String host;
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "localhost";
            }
            return host + ":" + s.required("camel.server.port");
        });
    }

    /**
     * The management server carries Jolokia (full JMX: route control included) without credentials of its own, so it
     * may only listen on loopback; remote access goes through an authenticating proxy.
     */
    static void checkManagementIsLocal(Settings s) {
        if (!s.getBoolean("camel.management.enabled")) {
            return;
        }
        String host = s.required("camel.management.host");
        if (!(host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1"))) {
            throw new io.referralbridge.config.ConfigurationException("Invalid setting 'camel.management.host' = '"
                    + host + "': the management server (Jolokia, metrics) has no credentials and must listen on "
                    + "127.0.0.1; put an authenticating reverse proxy in front for remote access");
        }
    }

    /** bridge.poll.export-start: first-referral (null here), or a date (2026-01-01) or instant to start feeds from. */
    static java.time.Instant exportStart(Settings s) {
        String v = s.required("bridge.poll.export-start").trim();
        if (v.equals("first-referral")) {
            return null;
        }
        try {
            return v.length() == 10 ? java.time.LocalDate.parse(v).atStartOfDay(java.time.ZoneOffset.UTC).toInstant()
                    : java.time.Instant.parse(v);
        } catch (java.time.format.DateTimeParseException e) {
            throw Settings.invalid("bridge.poll.export-start", v, "first-referral, a date (2026-01-01) or an instant");
        }
    }

    static ObjectMapper jsonMapper() {
        // Timestamps read by the routes' camel-sql steps are written as ISO-8601 instants, as the Java reads write them.
        return new ObjectMapper().registerModule(new com.fasterxml.jackson.databind.module.SimpleModule()
                .addSerializer(java.sql.Timestamp.class, new com.fasterxml.jackson.databind.ser.std.StdSerializer<>(
                        java.sql.Timestamp.class) {
                    @Override
                    public void serialize(java.sql.Timestamp value, com.fasterxml.jackson.core.JsonGenerator gen,
                                          com.fasterxml.jackson.databind.SerializerProvider provider)
                            throws java.io.IOException {
                        gen.writeString(value.toInstant().toString());
                    }
                }));
    }

    /** For untrusted input: duplicate keys, trailing data, deep nesting and huge values are refused. */
    static ObjectMapper strictJsonMapper() {
        JsonFactory factory = JsonFactory.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(32)
                        .maxStringLength(20_000)
                        .maxNumberLength(50)
                        .build())
                .build();
        // Decimals as BigDecimal, so that a number PostgreSQL cannot store (1e131072) is seen as it is, not as Infinity.
        return new ObjectMapper(factory).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    }

    /** Closes what configure() opened, last opened first, when the CamelContext stops. */
    static final class Resources extends ServiceSupport {
        private final Deque<AutoCloseable> stack = new ArrayDeque<>();

        void push(AutoCloseable c) {
            stack.push(c);
        }

        @Override
        protected void doStop() {
            while (!stack.isEmpty()) {
                try {
                    stack.pop().close();
                } catch (Exception e) {
                    LOG.warn("Error while closing: {}", e.toString());
                }
            }
        }
    }
}

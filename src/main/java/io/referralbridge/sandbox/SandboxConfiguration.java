package io.referralbridge.sandbox;

import javax.sql.DataSource;

import io.referralbridge.config.Settings;
import io.referralbridge.sandbox.platform.ReferralPlatformSandbox;
import io.referralbridge.sandbox.servicetitan.ServiceTitanSandbox;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the dev sandboxes. Only the dev profile names this class ({@code camel.main.configuration-classes}), so the
 * production code path never loads a sandbox. Their state lives in schema {@code sandbox} of the bridge's database,
 * so a restart keeps their ids and feeds consistent with the bridge's data.
 */
public final class SandboxConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(SandboxConfiguration.class);

    @Override
    public void configure(CamelContext context) throws Exception {
        Settings s = new Settings(context);
        boolean serviceTitan = s.getBoolean("bridge.sandbox.servicetitan.enabled");
        boolean platform = s.getBoolean("bridge.sandbox.platform.enabled");
        if (!serviceTitan && !platform) {
            return;
        }
        DataSource db = context.getRegistry().lookupByNameAndType("dataSource", DataSource.class);
        if (db == null) {
            throw new IllegalStateException("The sandboxes start after the bridge's configuration, which binds "
                    + "'dataSource'");
        }
        SandboxStore store = new JdbcSandboxStore(db);
        Sandboxes running = new Sandboxes();
        context.addService(running, true, true);
        if (serviceTitan) {
            running.serviceTitan = ServiceTitanSandbox.start(ServiceTitanSandbox.Options.from(s),
                    java.time.Clock.systemUTC(), store);
            LOG.info("ServiceTitan sandbox listening on {}", running.serviceTitan.baseUrl());
            if (s.getBoolean("bridge.sandbox.servicetitan.webhooks", false)) {
                // As a tenant's app subscription does: every job, booking and invoice change, signed.
                String url = "http://127.0.0.1:" + s.required("camel.server.port") + "/webhooks/servicetitan/"
                        + io.referralbridge.servicetitan.ServiceTitanConnection.DEFAULT;
                java.util.List<String> keys = s.getList("servicetitan.webhook.hmac-keys");
                running.serviceTitan.subscribeWebhooks(url, keys.isEmpty() ? null : keys.get(0));
                LOG.info("ServiceTitan sandbox sends its webhooks to {}", url);
            }
        }
        if (platform) {
            running.platform = ReferralPlatformSandbox.start(s.getInt("bridge.sandbox.platform.port"),
                    s.required("platform.api-key"), store).mode(s.get("platform.profile", "standard"));
            LOG.info("Referral platform sandbox listening on {}", running.platform.baseUrl());
        }
    }

    /** Stops the sandboxes with the bridge. */
    private static final class Sandboxes extends ServiceSupport {
        ServiceTitanSandbox serviceTitan;
        ReferralPlatformSandbox platform;

        @Override
        protected void doStop() {
            if (serviceTitan != null) {
                serviceTitan.close();
            }
            if (platform != null) {
                platform.close();
            }
        }
    }
}

package io.referralbridge.referrer;

import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.campaign.Campaign;
import io.referralbridge.campaign.Campaigns;
import io.referralbridge.campaign.MappingException;
import io.referralbridge.campaign.ReferrerData;
import io.referralbridge.db.Queries;
import io.referralbridge.db.Tx;
import io.referralbridge.failure.DeadLetters;
import io.referralbridge.intake.ReferralStore;
import io.referralbridge.intake.ReferralStore.StoredReferral;
import io.referralbridge.lifecycle.ReferralLifecycle;
import io.referralbridge.outbox.Outbox;
import io.referralbridge.outbox.OutboxTask;
import io.referralbridge.servicetitan.ServiceTitanClient;
import io.referralbridge.servicetitan.ServiceTitanClients;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;

/**
 * Who referred a customer, kept in ServiceTitan where the call centre and ServiceTitan's reports see it: once a referral
 * has a job, its campaign's {@code customer-fields} are written to the job's customer (custom fields, by name), and the
 * referral code to the customer's and the job's externalData under the connection's application GUID
 * ({@code patchMode: Merge}, so other applications' data stays). The steps of the write-referrer route; one task per
 * referral, ever. A PATCH carries the same values however often it is sent, so a retry after a lost answer is harmless.
 */
public final class ReferrerInServiceTitan {

    public static final String CUSTOMER_PATCH = "customerPatch";
    public static final String JOB_PATCH = "jobPatch";
    public static final String JOB_ID = "referrerJobId";
    public static final String CUSTOMER_ID = "referrerCustomerId";
    /** The externalData key of the referral code on jobs and customers. */
    public static final String CODE_KEY = "referralCode";
    static final int MAX_VALUE = 255;

    private final DataSource ds;
    private final ReferralStore referrals;
    private final ReferralLifecycle lifecycle;
    private final Outbox outbox;
    private final Campaigns campaigns;
    private final java.util.function.Function<String, ReferrerData> referrer;
    private final ServiceTitanClients serviceTitan;
    private final ObjectMapper json;
    private final Queries sql = Queries.load("sql/referrals.sql");
    private final Map<String, Object[]> writingCampaigns = new LinkedHashMap<>();

    public ReferrerInServiceTitan(DataSource ds, ReferralStore referrals, ReferralLifecycle lifecycle, Outbox outbox,
                                  Campaigns campaigns, java.util.function.Function<String, ReferrerData> referrer,
                                  ServiceTitanClients serviceTitan,
                                  ObjectMapper json) {
        this.ds = ds;
        this.referrals = referrals;
        this.lifecycle = lifecycle;
        this.outbox = outbox;
        this.campaigns = campaigns;
        this.referrer = referrer;
        this.serviceTitan = serviceTitan;
        this.json = json;
        for (ServiceTitanClient c : serviceTitan.all()) {
            writingCampaigns.put(c.connection().name(), campaigns.all().stream()
                    .filter(k -> k.connection().equals(c.connection().name()))
                    .filter(k -> !k.customerFields().isEmpty() || c.connection().applicationGuid() != null)
                    .map(Campaign::id).toArray());
        }
    }

    /** Whether any campaign writes referrer data (else no task is ever owed and no queue worker is needed). */
    public boolean anyWrites() {
        return writingCampaigns.values().stream().anyMatch(ids -> ids.length > 0);
    }

    /**
     * In the transaction that links a referral to its job: the write owed, if its campaign writes referrer data. Once
     * per referral.
     */
    public void owe(Tx tx, String connection, long referralId) throws SQLException {
        Object[] ids = writingCampaigns.get(connection);
        if (ids != null && ids.length > 0) {
            tx.update(sql.get("owe-referrer-write"), referralId, tx.array("text", ids));
        }
    }

    /**
     * At startup: the custom fields every campaign names exist in its tenant, or a ConfigurationException naming the
     * missing one and the setting. Asked once per connection that has campaigns writing custom fields.
     */
    public void checkCustomFields() throws Exception {
        for (ServiceTitanClient c : serviceTitan.all()) {
            Map<String, Long> types = null;
            for (Campaign k : campaigns.all()) {
                if (!k.connection().equals(c.connection().name())) {
                    continue;
                }
                for (Map.Entry<String, Map<String, String>> named : Map.of("customer-fields", k.customerFields(),
                        "enrol-return-fields", k.enrolment().returnFields()).entrySet()) {
                    for (String field : named.getValue().values()) {
                        if (types == null) {
                            types = c.customerCustomFields(true);
                        }
                        if (!types.containsKey(field)) {
                            throw new io.referralbridge.config.ConfigurationException(
                                    missingField(k, named.getKey(), field, c, types.keySet()));
                        }
                    }
                }
            }
        }
    }

    /** The message naming a custom field ServiceTitan does not have, and the setting that names it. */
    public static String missingField(Campaign k, String setting, String field, ServiceTitanClient c,
                                      Set<String> known) {
        return ("ServiceTitan tenant " + c.connection().tenantId() + " (connection '"
                + c.connection().name() + "') has no customer custom field named '" + field + "', named by "
                + "bridge.campaign." + k.id() + "." + setting + " (or bridge.campaigns." + setting + "); it has: "
                + (known.isEmpty() ? "none" : String.join(", ", known)));
    }

    // ---- the steps of the write-referrer route ----

    /** The claimed task's referral: the claim renewed, the request that reads its job (for the job's customer). */
    public void prepare(OutboxTask task, Exchange exchange) {
        exchange.setProperty(DeadLetters.OUTBOX_TASK, task);
        outbox.renew(task);
        StoredReferral r = referrals.load(task.referralId());
        Long jobId = Tx.run(ds, tx -> (Long) tx.one(sql.get("job-of"), r.id()).get("job_id"));
        if (jobId == null) {
            throw new MappingException("Referral " + r.id() + " has no ServiceTitan job to write its referrer to");
        }
        exchange.setProperty(ServiceTitanClients.CONNECTION, r.connection());
        exchange.setProperty(JOB_ID, jobId);
        serviceTitan.get(r.connection()).jobRequest(exchange, jobId);
    }

    /**
     * After the job was read: the PATCH of its customer, with the campaign's custom fields (by type id; the definitions
     * read again once if a name is unknown) and the code as externalData; the job's own PATCH kept for the next step.
     */
    public void customerPatch(@ExchangeProperty(DeadLetters.OUTBOX_TASK) OutboxTask task, Exchange exchange,
                              @Body JsonNode job) throws Exception {
        long customerId = job.path("customerId").asLong(0);
        if (customerId <= 0) {
            throw new MappingException("ServiceTitan job " + job.path("id").asText() + " has no customer");
        }
        StoredReferral r = referrals.load(task.referralId());
        Campaign campaign = campaigns.find(r.campaignId()).orElseThrow(() -> new MappingException(
                "Campaign " + r.campaignId() + " of referral " + r.id() + " is no longer configured"));
        ServiceTitanClient client = serviceTitan.get(r.connection());
        ObjectNode patch = json.createObjectNode();
        if (!campaign.customerFields().isEmpty()) {
            Map<String, Long> types = client.customFieldTypesFor(campaign.customerFields().values());
            ArrayNode fields = patch.putArray("customFields");
            for (Map.Entry<String, String> f : campaign.customerFields().entrySet()) {
                Long typeId = types.get(f.getValue());
                if (typeId == null) {
                    throw new MappingException(missingField(campaign, "customer-fields", f.getValue(), client,
                            types.keySet()));
                }
                String value = referrer.apply(r.platform()).value(f.getKey(), r.code(), r.payload());
                if (value != null) {
                    fields.addObject().put("typeId", typeId).put("value", cut(value));
                }
            }
        }
        String guid = client.connection().applicationGuid();
        if (guid != null) {
            patch.set("externalData", externalData(guid, r.code()));
            ObjectNode jobPatch = json.createObjectNode();
            jobPatch.set("externalData", externalData(guid, r.code()));
            exchange.setProperty(JOB_PATCH, jobPatch);
        }
        exchange.setProperty(CUSTOMER_ID, customerId);
        client.patchCustomerRequest(exchange, customerId, patch);
    }

    /** Then the job's externalData (only with an application GUID). */
    public void jobPatch(Exchange exchange, @ExchangeProperty(JOB_ID) long jobId,
                         @ExchangeProperty(JOB_PATCH) ObjectNode patch) {
        serviceTitan.get(exchange.getProperty(ServiceTitanClients.CONNECTION, String.class))
                .patchJobRequest(exchange, jobId, patch);
    }

    /** Written: the task done and the history says where. */
    public void record(@ExchangeProperty(DeadLetters.OUTBOX_TASK) OutboxTask task,
                       @ExchangeProperty(CUSTOMER_ID) long customerId, @ExchangeProperty(JOB_ID) long jobId) {
        Tx.run(ds, tx -> {
            lifecycle.note(tx, task.referralId(), "referrer written to ServiceTitan customer " + customerId
                    + " and job " + jobId);
            outbox.complete(tx, task);
            return null;
        });
    }

    private ObjectNode externalData(String guid, String code) {
        ObjectNode e = json.createObjectNode();
        e.put("applicationGuid", guid);
        e.put("patchMode", "Merge");
        e.putArray("externalData").addObject().put("key", CODE_KEY).put("value", code);
        return e;
    }

    public static String cut(String value) {
        if (value.length() <= MAX_VALUE) {
            return value;
        }
        int end = Character.isHighSurrogate(value.charAt(MAX_VALUE - 1)) ? MAX_VALUE - 1 : MAX_VALUE;
        return value.substring(0, end);
    }
}

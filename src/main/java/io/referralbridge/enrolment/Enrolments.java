package io.referralbridge.enrolment;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.campaign.Campaign;
import io.referralbridge.campaign.Campaigns;
import io.referralbridge.campaign.EnrolmentRule;
import io.referralbridge.campaign.MappingException;
import io.referralbridge.db.Queries;
import io.referralbridge.db.Tx;
import io.referralbridge.failure.DeadLetters;
import io.referralbridge.ops.BridgeMetrics;
import io.referralbridge.outbox.Outbox;
import io.referralbridge.outbox.OutboxTask;
import io.referralbridge.platform.ReferralPlatformClient;
import io.referralbridge.referrer.ReferrerInServiceTitan;
import io.referralbridge.servicetitan.ServiceTitanClient;
import io.referralbridge.servicetitan.ServiceTitanClients;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Customers whose work was completed, enrolled as referrers of a campaign: the enrolment owed once per customer and
 * campaign (the poll's jobs, or a backfill's pages, in the transaction that reads them), and the steps of the
 * enrol-customer route (routes/enrolment.camel.yaml) that carry it out. The task reads the customer and its contacts
 * when it runs, so the bridge keeps no customer's name, email or phone, and a flag set meanwhile (do not mail) is seen.
 * Every call is safe to repeat: the reads, the platform's enrolment (a repeat for the same email answers the referrer it
 * has), and the PATCH of the return fields (the same values).
 */
public final class Enrolments {

    private static final Logger LOG = LoggerFactory.getLogger(Enrolments.class);
    static final String ENROLMENT = "enrolment";
    static final String CAMPAIGN = "enrolmentCampaign";
    static final String CUSTOMER = "enrolmentCustomer";
    static final String CONTACTS = "enrolmentContacts";
    /** Why the customer is not enrolled (the route's choice), or absent. */
    public static final String SKIP = "enrolmentSkip";
    /** Whether the campaign's rule reads the job's invoices (the route's filter). */
    public static final String CHECK_INVOICES = "enrolmentChecksInvoices";
    /** Seconds until the invoices are read again (they fall short for now), or absent. */
    public static final String WAIT = "enrolmentWait";
    private static final String WAIT_REASON = "enrolmentWaitReason";
    /** Whether return fields are written (the route's filter). */
    public static final String RETURN_PATCH = "enrolmentReturnPatch";
    static final String CODE = "enrolmentCode";
    static final String LINK = "enrolmentLink";

    private final DataSource ds;
    private final Outbox outbox;
    private final Campaigns campaigns;
    private final ServiceTitanClients serviceTitan;
    private final io.referralbridge.platform.ReferralPlatforms platforms;
    private final java.util.function.Function<String, String> platformOf;
    private final ObjectMapper json;
    private final BridgeMetrics metrics;
    private final Queries sql = Queries.load("sql/enrolment.sql");
    private final Map<String, List<Campaign>> enrolling = new LinkedHashMap<>();

    /** {@code platformOf}: the referral platform of a campaign, whose enrol call adds its referrers. */
    public Enrolments(DataSource ds, Outbox outbox, Campaigns campaigns, ServiceTitanClients serviceTitan,
                      io.referralbridge.platform.ReferralPlatforms platforms,
                      java.util.function.Function<String, String> platformOf, ObjectMapper json, BridgeMetrics metrics) {
        this.platforms = platforms;
        this.platformOf = platformOf;
        this.ds = ds;
        this.outbox = outbox;
        this.campaigns = campaigns;
        this.serviceTitan = serviceTitan;
        this.json = json;
        this.metrics = metrics;
        for (Campaign c : campaigns.all()) {
            if (c.enrolment().enabled()) {
                enrolling.computeIfAbsent(c.connection(), k -> new ArrayList<>()).add(c);
            }
        }
    }

    /** Whether any campaign enrols (else no task is ever owed and no queue worker is needed). */
    public boolean any() {
        return !enrolling.isEmpty();
    }

    /**
     * In the transaction that reads these jobs (a poll page, or a backfill page): for each job that meets an enrolling
     * campaign's rule, its customer's enrolment owed, due {@code enrol-delay-days} after completion; once per customer
     * and campaign, whatever repeats. {@code only}: one campaign (a backfill), else every enrolling campaign of the
     * connection. Returns the enrolments newly owed.
     */
    public int owe(Tx tx, String connection, JsonNode jobs, Campaign only, Long backfillId) throws SQLException {
        int owed = 0;
        for (Campaign c : only != null ? List.of(only) : enrolling.getOrDefault(connection, List.of())) {
            EnrolmentRule rule = c.enrolment();
            Map<Long, JsonNode> byCustomer = new LinkedHashMap<>();
            for (JsonNode job : jobs) {
                if (rule.matches(job)) {
                    byCustomer.putIfAbsent(job.path("customerId").asLong(), job);
                }
            }
            if (byCustomer.isEmpty()) {
                continue;
            }
            List<Object> customers = new ArrayList<>();
            List<Object> jobIds = new ArrayList<>();
            List<Object> completed = new ArrayList<>();
            byCustomer.forEach((customer, job) -> {
                customers.add(customer);
                jobIds.add(job.path("id").asLong());
                completed.add(job.hasNonNull("completedOn") ? job.path("completedOn").asText() : null);
            });
            owed += tx.update(sql.get("owe"), connection, c.id(), backfillId, tx.array("bigint", customers.toArray()),
                    tx.array("bigint", jobIds.toArray()), tx.array("text", completed.toArray()),
                    rule.enrolReferred(), connection, rule.delaySeconds());
        }
        return owed;
    }

    // ---- the steps of the enrol-customer route ----

    /** The claimed task's enrolment: the claim renewed, the request that reads its customer. */
    public void prepare(OutboxTask task, Exchange exchange) {
        exchange.setProperty(DeadLetters.OUTBOX_TASK, task);
        outbox.renew(task);
        Map<String, Object> e = Tx.run(ds, tx -> tx.one(sql.get("load"), task.enrolmentId()));
        Campaign campaign = campaigns.find((String) e.get("campaign_id")).orElseThrow(() -> new MappingException(
                "Campaign " + e.get("campaign_id") + " of enrolment " + task.enrolmentId()
                        + " is no longer configured"));
        exchange.setProperty(ENROLMENT, e);
        exchange.setProperty(CAMPAIGN, campaign);
        exchange.setProperty(ServiceTitanClients.CONNECTION, e.get("connection"));
        exchange.setProperty(CHECK_INVOICES, campaign.enrolment().checksInvoices());
        exchange.setProperty(RETURN_PATCH, !campaign.enrolment().returnFields().isEmpty());
        client(exchange).customerRequest(exchange, ((Number) e.get("customer_id")).longValue());
    }

    /** The customer as read (its flags and name); then the request of its contacts. */
    public void customerRead(Exchange exchange, @Body JsonNode customer) {
        exchange.setProperty(CUSTOMER, customer);
        client(exchange).customerContactsRequest(exchange, customerId(exchange));
    }

    /** Its contacts as read; then, if the rule asks, the request of the job's invoices. */
    public void contactsRead(Exchange exchange, @Body JsonNode page) {
        exchange.setProperty(CONTACTS, page.path("data"));
        if (Boolean.TRUE.equals(exchange.getProperty(CHECK_INVOICES, Boolean.class))) {
            client(exchange).jobInvoicesRequest(exchange, ((Number) enrolment(exchange).get("job_id")).longValue());
        }
    }

    /** The job's invoices as read: a shortfall (not invoiced, below the minimum, not paid) is a reason to skip. */
    public void invoicesRead(Exchange exchange, @Body JsonNode page) {
        BigDecimal total = BigDecimal.ZERO;
        BigDecimal balance = BigDecimal.ZERO;
        int n = 0;
        for (JsonNode invoice : page.path("data")) {
            if (invoice.path("active").asBoolean(true)) {
                total = total.add(money(invoice.path("total")));
                balance = balance.add(money(invoice.path("balance")));
                n++;
            }
        }
        String shortfall = campaign(exchange).enrolment().invoiceShortfall(total, balance, n);
        if (shortfall != null) {
            long recheck = campaign(exchange).enrolment().invoiceRecheckSeconds(((Number) enrolment(exchange)
                    .get("seconds_since_completed")).longValue());
            if (recheck > 0) {
                exchange.setProperty(WAIT, recheck); // the customer may pay in the days after the work
                exchange.setProperty(WAIT_REASON, shortfall);
            } else {
                exchange.setProperty(SKIP, shortfall);
            }
        }
    }

    /** The invoices fall short for now: the task is due again later, its attempt not counted; the reason is shown. */
    public void waitForInvoices(@ExchangeProperty(DeadLetters.OUTBOX_TASK) OutboxTask task, Exchange exchange) {
        String reason = "waiting for invoices: " + exchange.getProperty(WAIT_REASON, String.class);
        Tx.run(ds, tx -> tx.update(sql.get("waiting"), reason, task.enrolmentId()));
        outbox.defer(task, exchange.getProperty(WAIT, Long.class));
    }

    /**
     * Whether the customer is asked: not when a do-not-ask field is set (doNotMail, doNotService, inactive), nor
     * without an email (the platform knows its referrers by email). Property enrolmentSkip: the reason, or absent.
     */
    public void decide(Exchange exchange) {
        if (exchange.getProperty(SKIP) != null || exchange.getProperty(WAIT) != null) {
            return;
        }
        String reason = campaign(exchange).enrolment().skipReason(exchange.getProperty(CUSTOMER, JsonNode.class));
        if (reason == null && contact(exchange, "Email") == null) {
            reason = "customer has no email";
        }
        if (reason != null) {
            exchange.setProperty(SKIP, reason);
        }
    }

    /** The platform's enrolment request: the campaign, the customer's name, email and phone. */
    public void enrolRequest(Exchange exchange) throws Exception {
        Map<String, Object> e = enrolment(exchange);
        String[] name = splitName(exchange.getProperty(CUSTOMER, JsonNode.class).path("name").asText(""));
        String phone = contact(exchange, "MobilePhone");
        platform(exchange).enrolRequest(exchange, (String) e.get("campaign_id"), name[0], name[1], contact(exchange, "Email"),
                phone != null ? phone : contact(exchange, "Phone"),
                "enrol-" + e.get("connection") + "-" + e.get("campaign_id") + "-" + e.get("customer_id"));
    }

    /** The platform's answer: the referrer's code and link; then the PATCH of the return fields, if any. */
    public void enrolled(Exchange exchange) throws Exception {
        String[] answer = platform(exchange).enrolled(exchange);
        exchange.setProperty(CODE, answer[0]);
        exchange.setProperty(LINK, answer[1]);
        Campaign campaign = campaign(exchange);
        Map<String, String> fields = campaign.enrolment().returnFields();
        if (fields.isEmpty()) {
            return;
        }
        ServiceTitanClient client = client(exchange);
        Map<String, Long> types = client.customFieldTypesFor(fields.values());
        ObjectNode patch = json.createObjectNode();
        ArrayNode values = patch.putArray("customFields");
        for (Map.Entry<String, String> f : fields.entrySet()) {
            Long typeId = types.get(f.getValue());
            if (typeId == null) {
                throw new MappingException(ReferrerInServiceTitan.missingField(campaign, "enrol-return-fields",
                        f.getValue(), client, types.keySet()));
            }
            String value = f.getKey().equals("referral-link") ? answer[1] : answer[0];
            if (value != null) {
                values.addObject().put("typeId", typeId).put("value", ReferrerInServiceTitan.cut(value));
            }
        }
        client.patchCustomerRequest(exchange, customerId(exchange), patch);
    }

    /** Enrolled: the code and link kept, the task done. */
    public void record(@ExchangeProperty(DeadLetters.OUTBOX_TASK) OutboxTask task, Exchange exchange) {
        Campaign campaign = campaign(exchange);
        Tx.run(ds, tx -> {
            tx.update(sql.get("enrolled"), exchange.getProperty(CODE, String.class),
                    exchange.getProperty(LINK, String.class), task.enrolmentId());
            outbox.complete(tx, task);
            return null;
        });
        metrics.count("bridge.enrolments", "campaign", campaign.id(), "outcome", "enrolled");
        LOG.info("Enrolment {}: customer {} enrolled in campaign {}", task.enrolmentId(), customerId(exchange),
                campaign.id());
    }

    /** Not asked, and why: the task done. */
    public void skip(@ExchangeProperty(DeadLetters.OUTBOX_TASK) OutboxTask task, Exchange exchange,
                     @ExchangeProperty(SKIP) String reason) {
        Tx.run(ds, tx -> {
            tx.update(sql.get("skipped"), reason, task.enrolmentId());
            outbox.completeWithoutWrite(tx, task);
            return null;
        });
        metrics.count("bridge.enrolments", "campaign", campaign(exchange).id(), "outcome", "skipped");
        LOG.info("Enrolment {}: customer {} not enrolled: {}", task.enrolmentId(), customerId(exchange), reason);
    }

    // ---- reading ----

    /** The first contact of this type (Email, Phone, MobilePhone), trimmed, or null. */
    private static String contact(Exchange exchange, String type) {
        JsonNode contacts = exchange.getProperty(CONTACTS, JsonNode.class);
        if (contacts != null) {
            for (JsonNode c : contacts) {
                if (type.equalsIgnoreCase(c.path("type").asText()) && !c.path("value").asText("").isBlank()) {
                    return c.path("value").asText().strip();
                }
            }
        }
        return null;
    }

    /**
     * ServiceTitan keeps one name per customer: the first word is the first name, the rest the last name (none for a
     * single word, a company's or a name written without spaces).
     */
    static String[] splitName(String name) {
        String n = name.strip().replaceAll("\\s+", " ");
        int space = n.indexOf(' ');
        if (n.isEmpty()) {
            return new String[] {"Customer", null};
        }
        return space < 0 ? new String[] {n, null} : new String[] {n.substring(0, space), n.substring(space + 1)};
    }

    private static BigDecimal money(JsonNode v) {
        return v.isMissingNode() || v.isNull() || v.asText().isBlank() ? BigDecimal.ZERO : new BigDecimal(v.asText()
                .trim());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> enrolment(Exchange exchange) {
        return exchange.getProperty(ENROLMENT, Map.class);
    }

    private static Campaign campaign(Exchange exchange) {
        return exchange.getProperty(CAMPAIGN, Campaign.class);
    }

    private static long customerId(Exchange exchange) {
        return ((Number) enrolment(exchange).get("customer_id")).longValue();
    }

    private ReferralPlatformClient platform(Exchange exchange) {
        return platforms.client(platformOf.apply(campaign(exchange).id()));
    }

    private ServiceTitanClient client(Exchange exchange) {
        return serviceTitan.get(exchange.getProperty(ServiceTitanClients.CONNECTION, String.class));
    }
}

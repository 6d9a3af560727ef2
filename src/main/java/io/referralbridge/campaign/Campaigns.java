package io.referralbridge.campaign;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.referralbridge.config.ConfigurationException;
import io.referralbridge.config.Settings;
import io.referralbridge.campaign.PlatformFields;
import io.referralbridge.servicetitan.ServiceTitanConnection;

/**
 * The configured campaigns, read once at startup from {@code bridge.campaigns} and {@code bridge.campaign.<id>.*}. A
 * campaign with a missing or invalid required mapping stops startup with a message naming the campaign and the field.
 */
public final class Campaigns {

    private static final Set<String> PRIORITIES = Set.of("Low", "Normal", "High", "Urgent");
    private static final Set<String> CUSTOMER_TYPES = Set.of("Residential", "Commercial");

    private final Map<String, Campaign> byId;

    public Campaigns(Collection<Campaign> campaigns) {
        Map<String, Campaign> map = new LinkedHashMap<>();
        for (Campaign c : campaigns) {
            map.put(c.id(), c);
        }
        this.byId = Map.copyOf(map);
    }

    public Optional<Campaign> find(String id) {
        return Optional.ofNullable(id == null ? null : byId.get(id));
    }

    public Collection<Campaign> all() {
        return byId.values();
    }

    /**
     * The campaigns, each assigned to the ServiceTitan connection that lists it (the default connection lists all).
     * A campaign in no connection or in two, or a connection listing an unknown campaign, stops startup.
     */
    public static Campaigns from(Settings s, List<ServiceTitanConnection> connections) {
        List<String> ids = s.getList("bridge.campaigns");
        if (ids.isEmpty()) {
            throw new ConfigurationException("Missing required setting 'bridge.campaigns': list the referral platform's "
                    + "campaign ids the bridge accepts, e.g. bridge.campaigns=17,18");
        }
        Map<String, ServiceTitanConnection> owner = new LinkedHashMap<>();
        for (ServiceTitanConnection c : connections) {
            for (String id : c.campaigns()) {
                String key = "servicetitan.connection." + c.name() + ".campaigns";
                if (!ids.contains(id)) {
                    throw new ConfigurationException("Invalid setting '" + key + "': campaign " + id
                            + " is not in bridge.campaigns");
                }
                ServiceTitanConnection before = owner.put(id, c);
                if (before != null) {
                    throw new ConfigurationException("Campaign " + id + " is in two ServiceTitan connections ("
                            + before.name() + ", " + c.name() + "): keep it in one " + key);
                }
            }
        }
        List<Campaign> out = new ArrayList<>();
        for (String id : ids) {
            ServiceTitanConnection c = owner.get(id);
            if (c == null) {
                throw new ConfigurationException("Campaign " + id + " is in no ServiceTitan connection: add it to "
                        + "one of servicetitan.connection.<name>.campaigns");
            }
            out.add(read(s, id, c));
        }
        return new Campaigns(out);
    }

    static Campaign read(Settings s, String id, ServiceTitanConnection connection) {
        String p = "bridge.campaign." + id + ".";
        String source = s.optional(p + "source").orElse(null);
        String sourceField = s.optional(p + "source-field").orElse(null);
        String summary = s.optional(p + "summary").orElse(null);
        String summaryField = s.optional(p + "summary-field").orElse(null);
        if (source == null && sourceField == null) {
            throw missing(id, "source", p + "source or " + p + "source-field");
        }
        if (summary == null && summaryField == null) {
            throw missing(id, "summary", p + "summary or " + p + "summary-field");
        }
        String provider = s.optional(p + "booking-provider")
                .or(() -> java.util.Optional.ofNullable(connection.bookingProvider()))
                .orElseThrow(() -> missing(id, "booking provider", p + "booking-provider"));
        String firstTime = s.optional(p + "is-first-time-client").orElseThrow(() -> missing(id,
                "is-first-time-client", p + "is-first-time-client"));
        String priority = s.optional(p + "priority").orElse(null);
        if (priority != null && !PRIORITIES.contains(priority)) {
            throw invalid(id, p + "priority", priority, "one of " + PRIORITIES);
        }
        String customerType = s.optional(p + "customer-type").orElse(null);
        if (customerType != null && !CUSTOMER_TYPES.contains(customerType)) {
            throw invalid(id, p + "customer-type", customerType, "one of " + CUSTOMER_TYPES);
        }
        String existing = s.optional(p + "existing-customer").orElseGet(
                () -> s.required("bridge.campaigns.existing-customer"));
        ExistingCustomer existingCustomer = ExistingCustomer.of(existing.trim());
        if (existingCustomer == null) {
            throw invalid(id, s.optional(p + "existing-customer").isPresent() ? p + "existing-customer"
                    : "bridge.campaigns.existing-customer", existing, "one of " + ExistingCustomer.ids());
        }
        String matchKey = s.optional(p + "match-by").isPresent() ? p + "match-by" : "bridge.campaigns.match-by";
        java.util.Set<String> matchBy = new java.util.LinkedHashSet<>(s.getList(matchKey));
        if (matchBy.isEmpty() || !Campaign.MATCH_BY.containsAll(matchBy)) {
            throw invalid(id, matchKey, String.join(",", matchBy), "one or more of booking, email, phone, code-field");
        }
        List<SummaryExtra> extras = new ArrayList<>();
        for (String key : s.getList(p + "summary-extras")) {
            SummaryExtra extra = SummaryExtra.of(key);
            if (extra == null) {
                throw invalid(id, p + "summary-extras", key,
                        "referrer-name, referrer-email, campaign-name or referral-link");
            }
            extras.add(extra);
        }
        return new Campaign(id,
                s.get(p + "name", id),
                positiveId(id, p + "booking-provider", provider),
                optionalId(s, id, p + "job-type-id"),
                optionalId(s, id, p + "marketing-campaign-id"),
                optionalId(s, id, p + "business-unit-id"),
                priority,
                customerType,
                source,
                PlatformFields.parseOptional(p + "source-field", sourceField),
                summary,
                PlatformFields.parseOptional(p + "summary-field", summaryField),
                Settings.parseBoolean(p + "is-first-time-client", firstTime),
                existingCustomer,
                java.util.Set.copyOf(matchBy),
                days(s, id, p, "match-window-days"),
                List.copyOf(extras),
                qualification(s, id, p),
                connection.name(),
                customerFields(s, id, p),
                enrolment(s, id, p));
    }

    /**
     * {@code customer-fields = referrer-name=Referred By, referral-link=Referral Link}: which ServiceTitan customer
     * custom field (by its name) receives which referrer value; the campaign's own, or every campaign's default.
     */
    static Map<String, String> customerFields(Settings s, String id, String p) {
        String key = s.optional(p + "customer-fields").isPresent() ? p + "customer-fields"
                : "bridge.campaigns.customer-fields";
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : s.getList(key)) {
            int eq = pair.indexOf('=');
            String value = eq < 0 ? pair.trim() : pair.substring(0, eq).trim();
            String field = eq < 0 ? "" : pair.substring(eq + 1).trim();
            if (!ReferrerData.KEYS.contains(value) || field.isEmpty()) {
                throw invalid(id, key, pair, "value=Custom Field Name pairs, the value one of " + ReferrerData.KEYS);
            }
            out.put(value, field);
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    /**
     * The enrolment rule: {@code enrol=true} and the {@code enrol-*} settings, each the campaign's own or every
     * campaign's default ({@code bridge.campaigns.enrol-*}).
     */
    static EnrolmentRule enrolment(Settings s, String id, String p) {
        if (!Settings.parseBoolean(key(s, p, "enrol"), s.required(key(s, p, "enrol")))) {
            return EnrolmentRule.off();
        }
        List<String> statuses = s.getList(key(s, p, "enrol-statuses"));
        if (statuses.isEmpty()) {
            throw invalid(id, key(s, p, "enrol-statuses"), "", "one or more job statuses, such as Completed");
        }
        java.math.BigDecimal minTotal = null;
        String total = s.optional(key(s, p, "enrol-min-invoice-total")).filter(v -> !v.isBlank()).orElse(null);
        if (total != null) {
            try {
                minTotal = new java.math.BigDecimal(total.trim());
            } catch (NumberFormatException e) {
                throw invalid(id, key(s, p, "enrol-min-invoice-total"), total, "an amount such as 250.00");
            }
        }
        List<Map.Entry<String, String>> skipWhen = new ArrayList<>();
        for (String rule : s.getList(key(s, p, "enrol-skip-when"))) {
            int eq = rule.indexOf('=');
            String field = (eq < 0 ? rule : rule.substring(0, eq)).trim();
            String value = eq < 0 ? "true" : rule.substring(eq + 1).trim();
            if (!field.matches("[A-Za-z][A-Za-z0-9]*") || value.isEmpty()) {
                throw invalid(id, key(s, p, "enrol-skip-when"), rule,
                        "ServiceTitan customer fields, each alone (true means skip) or as field=value");
            }
            skipWhen.add(Map.entry(field, value));
        }
        String returnKey = key(s, p, "enrol-return-fields");
        Map<String, String> returnFields = new LinkedHashMap<>();
        for (String pair : s.getList(returnKey)) {
            int eq = pair.indexOf('=');
            String value = eq < 0 ? pair.trim() : pair.substring(0, eq).trim();
            String field = eq < 0 ? "" : pair.substring(eq + 1).trim();
            if (!EnrolmentRule.RETURN_VALUES.contains(value) || field.isEmpty()) {
                throw invalid(id, returnKey, pair, "value=Custom Field Name pairs, the value one of "
                        + EnrolmentRule.RETURN_VALUES);
            }
            returnFields.put(value, field);
        }
        return new EnrolmentRule(true, List.copyOf(statuses), ids(s, id, key(s, p, "enrol-job-types")),
                ids(s, id, key(s, p, "enrol-business-units")), minTotal,
                Settings.parseBoolean(key(s, p, "enrol-paid-in-full"), s.required(key(s, p, "enrol-paid-in-full"))),
                days(s, id, p, "enrol-delay-days"), List.copyOf(skipWhen),
                java.util.Collections.unmodifiableMap(returnFields),
                Settings.parseBoolean(key(s, p, "enrol-referred-customers"),
                        s.required(key(s, p, "enrol-referred-customers"))),
                days(s, id, p, "enrol-invoice-wait-days"));
    }

    /** The campaign's own setting if it has one, else every campaign's default. */
    private static String key(Settings s, String p, String name) {
        return s.optional(p + name).isPresent() ? p + name : "bridge.campaigns." + name;
    }

    private static Set<Long> ids(Settings s, String campaign, String key) {
        Set<Long> out = new java.util.LinkedHashSet<>();
        for (String v : s.getList(key)) {
            out.add(positiveId(campaign, key, v));
        }
        return Set.copyOf(out);
    }

    static Campaign.Qualification qualification(Settings s, String id, String p) {
        String option = s.get(p + "qualification", "none");
        if (!Campaign.Qualification.OPTIONS.contains(option)) {
            throw invalid(id, p + "qualification", option, "one of " + Campaign.Qualification.OPTIONS);
        }
        List<String> statuses = s.getList(p + "qualify-statuses");
        if (option.equals("job_status") && statuses.isEmpty()) {
            statuses = List.of("Completed");
        }
        java.math.BigDecimal minTotal = null;
        String total = s.optional(p + "revenue-min-total").orElse(null);
        if (total != null) {
            try {
                minTotal = new java.math.BigDecimal(total);
            } catch (NumberFormatException e) {
                throw invalid(id, p + "revenue-min-total", total, "an amount such as 250.00");
            }
        }
        boolean paidInFull = s.getBoolean(p + "revenue-paid-in-full", false);
        if (option.equals("revenue") && minTotal == null && !paidInFull) {
            throw missing(id, "revenue milestone", p + "revenue-min-total or " + p + "revenue-paid-in-full=true");
        }
        return new Campaign.Qualification(option, List.copyOf(statuses), minTotal, paidInFull,
                s.getBoolean(p + "review", false), days(s, id, p, "hold-days"), days(s, id, p, "clawback-days"));
    }

    /** A number of days (decimals allowed) as seconds: the campaign's own, or every campaign's default. */
    private static long days(Settings s, String id, String p, String name) {
        String key = s.optional(p + name).isPresent() ? p + name : "bridge.campaigns." + name;
        String value = s.required(key).trim();
        try {
            java.math.BigDecimal d = new java.math.BigDecimal(value);
            if (d.signum() >= 0 && d.compareTo(java.math.BigDecimal.valueOf(3650)) <= 0) {
                return d.multiply(java.math.BigDecimal.valueOf(86_400)).setScale(0, java.math.RoundingMode.HALF_UP)
                        .longValueExact();
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // reported below
        }
        throw invalid(id, key, value, "a number of days from 0 to 3650, such as 14 or 0.5");
    }

    private static Long optionalId(Settings s, String campaign, String key) {
        return s.optional(key).map(v -> positiveId(campaign, key, v)).orElse(null);
    }

    private static long positiveId(String campaign, String key, String value) {
        try {
            long v = Long.parseLong(value.trim());
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw invalid(campaign, key, value, "a positive ServiceTitan id");
    }

    private static ConfigurationException missing(String campaign, String field, String keys) {
        return new ConfigurationException("Campaign " + campaign + " has no " + field + " mapping: set " + keys);
    }

    private static ConfigurationException invalid(String campaign, String key, String value, String expected) {
        return new ConfigurationException("Campaign " + campaign + ": invalid setting '" + key + "' = '" + value
                + "': expected " + expected);
    }
}

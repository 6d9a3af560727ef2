package io.referralbridge.platform;

import java.util.LinkedHashSet;
import java.util.Set;

import io.referralbridge.config.Settings;

/**
 * One outbound call of a platform profile: method, URL template, body template (or none), and what its answers mean
 * beyond 2xx (done): {@code already} (the platform has it: counted as done, e.g. 409), {@code refused} (a dead letter,
 * never retried, e.g. 404 unknown participant). Any other failure follows the task queue's rule: 408, 429 and 5xx
 * retried with back-off, other 4xx dead-lettered. A platform that answers 200 either way (GrowSurf's
 * {@code {"success": false, "message": "Referral credit has already been awarded"}}) is read by {@code ok-field} (a 2xx
 * whose field is not true is not done) and {@code already-when} (text of such an answer that means already done); any
 * other such answer is a refusal.
 */
public record PlatformCall(String key, String method, Template url, Template body, Set<Integer> already,
                           Set<Integer> refused, com.fasterxml.jackson.core.JsonPointer okField, String alreadyWhen) {

    /** {@code platform.<call>.method|url|body|already|refused}; null when the profile has no such call (no url). */
    public static PlatformCall from(Settings s, String key, Set<String> variables) {
        String url = s.optional(key + ".url").orElse(null);
        if (url == null) {
            return null;
        }
        String method = s.get(key + ".method", "POST").toUpperCase(java.util.Locale.ROOT);
        if (!Set.of("GET", "POST", "PUT", "PATCH", "DELETE").contains(method)) {
            throw Settings.invalid(s.name(key + ".method"), method, "GET, POST, PUT, PATCH or DELETE");
        }
        // A URL takes only values every referral (or customer) has: a missing one would fail each call, not startup.
        Set<String> inUrl = new java.util.HashSet<>(variables);
        inUrl.retainAll(Set.of("baseUrl", "code", "participantId", "campaignId", "email"));
        return new PlatformCall(key, method, Template.url(s.name(key + ".url"), url, inUrl),
                Template.body(s.name(key + ".body"), s.optional(key + ".body").orElse(null), variables),
                statuses(s, key + ".already"), statuses(s, key + ".refused"),
                s.optional(key + ".ok-field").map(v -> io.referralbridge.campaign.PlatformFields.parse(s.name(key + ".ok-field"),
                        v)).orElse(null), s.optional(key + ".already-when").orElse(null));
    }

    private static Set<Integer> statuses(Settings s, String key) {
        Set<Integer> out = new LinkedHashSet<>();
        for (String v : s.getList(key)) {
            int status = Settings.parseInt(s.name(key), v);
            if (status < 300 || status > 599) {
                throw Settings.invalid(s.name(key), v, "HTTP statuses from 300 to 599");
            }
            out.add(status);
        }
        return Set.copyOf(out);
    }
}

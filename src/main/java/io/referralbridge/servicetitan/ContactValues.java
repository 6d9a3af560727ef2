package io.referralbridge.servicetitan;

import java.util.Locale;

/**
 * A person's email and phone as the bridge looks them up in ServiceTitan. ServiceTitan keeps North American phone
 * numbers as their ten digits, so a number is looked up as digits only, without a leading country code 1 and without
 * an extension; an email without surrounding space, in lower case (the domain of an IDN address as sent).
 */
public final class ContactValues {

    private ContactValues() {
    }

    /** The email to look up, or null if there is none. */
    public static String email(String email) {
        if (email == null || email.isBlank()) {
            return null;
        }
        return email.trim().toLowerCase(Locale.ROOT);
    }

    /** The phone's digits to look up (extension dropped; "+1 555-010-0100 ext 12" is "5550100100"), or null. */
    public static String phone(String phone) {
        if (phone == null) {
            return null;
        }
        StringBuilder digits = new StringBuilder();
        for (int i = 0; i < phone.length(); i++) {
            char c = phone.charAt(i);
            if (c >= '0' && c <= '9') {
                digits.append(c);
            } else if (c == '+' || c == ' ' || c == '-' || c == '(' || c == ')' || c == '.' || c == '/'
                    || Character.isSpaceChar(c)) {
                continue;
            } else {
                break; // "ext", "x", ";ext=", ",": the extension is not part of the number
            }
        }
        if (digits.length() == 11 && digits.charAt(0) == '1') {
            digits.deleteCharAt(0);
        }
        return digits.length() < 7 ? null : digits.toString();
    }
}

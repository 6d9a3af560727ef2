package io.referralbridge.servicetitan;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ContactValuesTest {

    @Test
    void phonesAreLookedUpAsTheirDigitsWithoutCountryCodeOrExtension() {
        assertEquals("9185550142", ContactValues.phone("+1 (918) 555-0142"));
        assertEquals("9185550142", ContactValues.phone("918.555.0142 ext. 7"));
        assertEquals("9185550142", ContactValues.phone("+1 918 555 0142;ext=12"));
        assertEquals("9185550142", ContactValues.phone("918-555-0142 x7"));
        assertEquals("442079460000", ContactValues.phone("+44 20 7946 0000"), "not North American: as dialled");
        assertNull(ContactValues.phone("ext. 12"));
        assertNull(ContactValues.phone(null));
    }

    @Test
    void emailsAreTrimmedAndLowerCasedAndKeepTheirScript() {
        assertEquals("dana@example.com", ContactValues.email("  Dana@Example.COM "));
        assertEquals("josé@exämple.de", ContactValues.email("José@Exämple.de"));
        assertNull(ContactValues.email(" "));
    }
}

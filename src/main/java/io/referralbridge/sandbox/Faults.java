package io.referralbridge.sandbox;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** The faults a sandbox has been told to inject, each used up after its count of matching requests. */
public final class Faults {

    private static final class Armed {
        final Fault fault;
        int remaining;

        Armed(Fault fault) {
            this.fault = fault;
            this.remaining = fault.count();
        }
    }

    private final List<Armed> armed = new ArrayList<>();

    public synchronized void add(Fault fault) {
        armed.add(new Armed(fault));
    }

    public synchronized void clear() {
        armed.clear();
    }

    /** The first fault that matches this request, counted as used; null when none does. */
    public synchronized Fault take(String method, String pathAndQuery) {
        Iterator<Armed> it = armed.iterator();
        while (it.hasNext()) {
            Armed a = it.next();
            if ((a.fault.method() == null || a.fault.method().equalsIgnoreCase(method))
                    && pathAndQuery.contains(a.fault.pathContains())) {
                if (--a.remaining <= 0) {
                    it.remove();
                }
                return a.fault;
            }
        }
        return null;
    }

    public static void delay(Fault fault) {
        if (fault != null && fault.delayMs() > 0) {
            try {
                Thread.sleep(fault.delayMs());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

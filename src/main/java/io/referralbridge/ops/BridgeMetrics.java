package io.referralbridge.ops;

import java.util.function.Supplier;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import org.apache.camel.CamelContext;

/**
 * The bridge's business metrics, in the Micrometer registry Camel exports at /observe/metrics (Prometheus). The registry
 * is looked up on first use because camel-main creates it after the beans are wired; without one (metrics off),
 * counting goes to an unexported registry.
 */
public final class BridgeMetrics {

    private final CamelContext context;
    private volatile MeterRegistry registry;

    public BridgeMetrics(CamelContext context) {
        this.context = context;
    }

    private MeterRegistry registry() {
        MeterRegistry r = registry;
        if (r == null) {
            MeterRegistry found = context == null ? null
                    : context.getRegistry().findSingleByType(MeterRegistry.class);
            if (found == null) {
                return new CompositeMeterRegistry(); // not ready yet: count nowhere, look again next time
            }
            registry = found;
            registerGauges(found);
            r = found;
        }
        return r;
    }

    private final java.util.List<Runnable> gauges = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** A gauge read on every scrape (registered once the registry exists). */
    public void gauge(String name, String tagKey, String tagValue, Supplier<Number> value) {
        gauges.add(() -> Gauge.builder(name, value, v -> v.get().doubleValue()).tag(tagKey, tagValue)
                .register(registry));
        MeterRegistry r = registry;
        if (r != null) {
            gauges.get(gauges.size() - 1).run();
        }
    }

    private void registerGauges(MeterRegistry r) {
        gauges.forEach(Runnable::run);
    }

    /** Looks the registry up now (called once the CamelContext has started) so gauges appear on the first scrape. */
    public void init() {
        registry();
    }

    public void count(String name, String... tags) {
        registry().counter(name, tags).increment();
    }
}

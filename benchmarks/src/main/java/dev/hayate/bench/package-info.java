/**
 * End-to-end benchmark tools, not benchmarks themselves: the Undertow fixed-body ceiling server
 * ({@link dev.hayate.bench.FixedBodyServer}) and a fixed-rate / fill load client ({@link dev.hayate.bench.LoadClient}),
 * driven by {@code benchmarks/load.sh}, {@code latency.sh} and {@code memory.sh}.
 *
 * <p>May import the JDK and Undertow/XNIO only: it must not depend on the tracker's classes, so that the baseline
 * stays the bare HTTP stack.
 */
package dev.hayate.bench;

/**
 * {@code bin/bench}: {@code RevocationBenchmark} runs the real worker against one embedded
 * PostgreSQL and one Temporal Java test server on a loopback port and prints each measurement of
 * ours beside its floor ({@code EngineFloor} for a burst of timers, hand-written SQL for the
 * database work). What each row means and how to read it: docs/benchmarks.md.
 *
 * <p>It measures and prints; it never asserts a time and is not run by {@code mvn verify}'s tests.
 * Nothing in the product depends on this package.
 */
package dev.apikeys.bench;

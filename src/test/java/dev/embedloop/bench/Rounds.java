package dev.embedloop.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Interleaved timing. The work of each job is cut into slices (e.g. 50 documents each); a round
 * runs slice 1 of every job, then slice 2 of every job, and so on, the job order rotating at each
 * step. A leg (one job on one slice) lasts a second or two, so a build starting elsewhere on the
 * machine hits all contenders alike instead of one of them. Rates are medians over rounds;
 * ratios are medians of the per-leg ratios (same slice, same round).
 */
final class Rounds {

    /** A timed piece of work on one slice. */
    interface Job {
        String name();

        void run(int slice) throws Exception;
    }

    @FunctionalInterface
    interface SliceRunner {
        void run(int slice) throws Exception;
    }

    static Job job(String name, SliceRunner r) {
        return new Job() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void run(int slice) throws Exception {
                r.run(slice);
            }
        };
    }

    /** Seconds per round and slice for each job. */
    static final class Times {
        final int rounds;
        final int slices;
        final Map<String, double[][]> seconds = new LinkedHashMap<>();
        /** CPU seconds this JVM used during each leg (all its threads), NaN where unknown. */
        final Map<String, double[][]> cpuSeconds = new LinkedHashMap<>();
        double foreignShare = Double.NaN;

        Times(int rounds, int slices) {
            this.rounds = rounds;
            this.slices = slices;
        }

        private double[][] of(String name) {
            double[][] s = seconds.get(name);
            if (s == null) {
                throw new IllegalArgumentException("no job " + name);
            }
            return s;
        }

        /** Units per second of each round (all slices), in round order. */
        double[] roundRates(String name, double[] units) {
            double[][] s = of(name);
            double[] out = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                double u = 0;
                double t = 0;
                for (int k = 0; k < slices; k++) {
                    u += units[k];
                    t += s[r][k];
                }
                out[r] = u / t;
            }
            return out;
        }

        /** Median over rounds of units per second. */
        double rate(String name, double[] units) {
            return median(roundRates(name, units));
        }

        /** Median over legs of {@code (unitsA / s_a) / (unitsB / s_b)}, legs paired by round and slice. */
        double ratio(String a, double[] unitsA, String b, double[] unitsB) {
            double[][] sa = of(a);
            double[][] sb = of(b);
            double[] r = new double[rounds * slices];
            for (int i = 0; i < rounds; i++) {
                for (int k = 0; k < slices; k++) {
                    r[i * slices + k] = (unitsA[k] / sa[i][k]) / (unitsB[k] / sb[i][k]);
                }
            }
            return median(r);
        }

        /**
         * Like {@link #ratio} but per CPU-second this JVM used instead of per wall-clock second:
         * a cross-check that other processes on the machine cannot move much (they slow the wall
         * clock, not the work done per CPU-second), blind to idle cores by construction.
         */
        double cpuRatio(String a, double[] unitsA, String b, double[] unitsB) {
            double[][] ca = cpuSeconds.get(a);
            double[][] cb = cpuSeconds.get(b);
            double[] r = new double[rounds * slices];
            for (int i = 0; i < rounds; i++) {
                for (int k = 0; k < slices; k++) {
                    r[i * slices + k] = (unitsA[k] / ca[i][k]) / (unitsB[k] / cb[i][k]);
                }
            }
            return median(r);
        }

        /** Interquartile range of the per-leg ratios, for the details. */
        String ratioSpread(String a, double[] unitsA, String b, double[] unitsB) {
            double[][] sa = of(a);
            double[][] sb = of(b);
            List<Double> r = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                for (int k = 0; k < slices; k++) {
                    r.add((unitsA[k] / sa[i][k]) / (unitsB[k] / sb[i][k]));
                }
            }
            return Report.f2(percentile(r, 25)) + "–" + Report.f2(percentile(r, 75)) + " over " + r.size() + " legs";
        }

        String perRound(String name, double[] units, String unit) {
            List<String> out = new ArrayList<>();
            for (double v : roundRates(name, units)) {
                out.add(Report.f1(v));
            }
            return String.join(" / ", out) + " " + unit;
        }
    }

    /** Units of each slice when every slice counts {@code perSlice[k]}; convenience for one slice. */
    static double[] units(double... perSlice) {
        return perSlice;
    }

    static Times run(int rounds, int slices, List<Job> jobs) throws Exception {
        Times t = new Times(rounds, slices);
        for (Job j : jobs) {
            t.seconds.put(j.name(), new double[rounds][slices]);
            t.cpuSeconds.put(j.name(), new double[rounds][slices]);
        }
        Machine.CpuMeter meter = new Machine.CpuMeter(Runtime.getRuntime().availableProcessors());
        int step = 0;
        for (int r = 0; r < rounds; r++) {
            double[] roundSeconds = new double[jobs.size()];
            for (int k = 0; k < slices; k++, step++) {
                for (int i = 0; i < jobs.size(); i++) {
                    int index = (i + step) % jobs.size();
                    Job j = jobs.get(index);
                    long cpu0 = processCpuNanos();
                    long t0 = System.nanoTime();
                    j.run(k);
                    double s = (System.nanoTime() - t0) / 1e9;
                    long cpu1 = processCpuNanos();
                    t.cpuSeconds.get(j.name())[r][k] = cpu0 < 0 || cpu1 < 0 ? Double.NaN : (cpu1 - cpu0) / 1e9;
                    t.seconds.get(j.name())[r][k] = s;
                    roundSeconds[index] += s;
                }
            }
            for (int i = 0; i < jobs.size(); i++) {
                System.out.printf("  round %d  %-90s %7.2f s%n", r + 1, jobs.get(i).name(), roundSeconds[i]);
            }
        }
        t.foreignShare = meter.foreignShare();
        return t;
    }

    /** CPU time of this JVM (all threads), or -1. */
    static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    /** {@code list} cut into {@code slices} consecutive pieces of nearly equal size (fewer if the list is short). */
    static <T> List<List<T>> slices(List<T> list, int slices) {
        int n = Math.max(1, Math.min(slices, list.size()));
        List<List<T>> out = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            out.add(list.subList(k * list.size() / n, (k + 1) * list.size() / n));
        }
        return out;
    }

    static double median(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double[] a = v.clone();
        Arrays.sort(a);
        int n = a.length;
        return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
    }

    /** Nearest-rank percentile, {@code p} in (0, 100]. */
    static double percentile(List<Double> v, double p) {
        if (v.isEmpty()) {
            return Double.NaN;
        }
        double[] a = new double[v.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = v.get(i);
        }
        Arrays.sort(a);
        int rank = (int) Math.ceil(p / 100.0 * a.length);
        return a[Math.max(0, Math.min(a.length - 1, rank - 1))];
    }
}

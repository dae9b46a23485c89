package dev.embedloop.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Interleaved timing: every round runs each job once, the order rotating from round to round, so
 * slow drifts of the machine (other people's builds) hit every job alike. Figures are medians
 * over rounds; ratios are medians of the per-round ratios.
 */
final class Rounds {

    /** A timed piece of work; {@link #run()} returns the work units done (documents). */
    interface Job {
        String name();

        void run() throws Exception;
    }

    static Job job(String name, ThrowingRunnable r) {
        return new Job() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void run() throws Exception {
                r.run();
            }
        };
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Seconds per round for each job name. */
    static final class Times {
        final Map<String, List<Double>> seconds = new LinkedHashMap<>();
        double foreignShare = Double.NaN;

        List<Double> of(String name) {
            List<Double> s = seconds.get(name);
            if (s == null) {
                throw new IllegalArgumentException("no job " + name);
            }
            return s;
        }

        double medianSeconds(String name) {
            return median(of(name));
        }

        /** Median over rounds of {@code (units_a / s_a) / (units_b / s_b)}. */
        double ratio(String a, double unitsA, String b, double unitsB) {
            List<Double> sa = of(a);
            List<Double> sb = of(b);
            double[] r = new double[Math.min(sa.size(), sb.size())];
            for (int i = 0; i < r.length; i++) {
                r[i] = (unitsA / sa.get(i)) / (unitsB / sb.get(i));
            }
            return median(r);
        }

        String perRound(String name, double units, String unit) {
            List<String> out = new ArrayList<>();
            for (double s : of(name)) {
                out.add(Report.f1(units / s));
            }
            return String.join(" / ", out) + " " + unit;
        }
    }

    static Times run(int rounds, List<Job> jobs) throws Exception {
        Times t = new Times();
        for (Job j : jobs) {
            t.seconds.put(j.name(), new ArrayList<>());
        }
        Machine.CpuMeter meter = new Machine.CpuMeter(Runtime.getRuntime().availableProcessors());
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < jobs.size(); k++) {
                Job j = jobs.get((k + r) % jobs.size());
                long t0 = System.nanoTime();
                j.run();
                double s = (System.nanoTime() - t0) / 1e9;
                t.seconds.get(j.name()).add(s);
                System.out.printf("  round %d  %-70s %7.2f s%n", r + 1, j.name(), s);
            }
        }
        t.foreignShare = meter.foreignShare();
        return t;
    }

    static double median(List<Double> v) {
        double[] a = new double[v.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = v.get(i);
        }
        return median(a);
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

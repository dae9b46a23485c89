package dev.embedloop.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What the benchmark ran on, its nominal fp32 peak, and how busy the rest of the machine was
 * while it measured.
 */
final class Machine {

    /** fp32 FLOP per cycle per core with AVX2 + FMA: two 256-bit FMA pipes × 8 lanes × 2. */
    static final int FP32_FLOP_PER_CYCLE_AVX2 = 32;
    /** fp32 FLOP per cycle per core with AVX-512: two 512-bit FMA pipes × 16 lanes × 2. */
    static final int FP32_FLOP_PER_CYCLE_AVX512 = 64;
    /** fp32 FLOP per cycle per core with SSE only (no AVX2/FMA): two 128-bit pipes × 4 lanes × 2. */
    static final int FP32_FLOP_PER_CYCLE_SSE = 16;
    /** Model work per token assumed for MiniLM-L6 (6 layers, d = 384, FFN 1536) at 256 tokens. */
    static final double MFLOP_PER_TOKEN = 23.0;

    final int cores;
    final String cpuModel;
    final double mhz;
    final boolean avx2;
    final boolean fma;
    final boolean avx512;
    final String java;
    final String os;

    private Machine(int cores, String cpuModel, double mhz, boolean avx2, boolean fma, boolean avx512, String java,
            String os) {
        this.cores = cores;
        this.cpuModel = cpuModel;
        this.mhz = mhz;
        this.avx2 = avx2;
        this.fma = fma;
        this.avx512 = avx512;
        this.java = java;
        this.os = os;
    }

    static Machine detect() {
        int cores = Runtime.getRuntime().availableProcessors();
        String model = "unknown";
        double mhz = 0;
        String flags = "";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String key = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                if (key.equals("model name") && model.equals("unknown")) {
                    model = value;
                } else if (key.equals("cpu MHz") && mhz == 0) {
                    mhz = Double.parseDouble(value);
                } else if (key.equals("flags") && flags.isEmpty()) {
                    flags = " " + value + " ";
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: leave the defaults
        }
        String java = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
        String os = System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch") + prettyName();
        return new Machine(cores, model, mhz, flags.contains(" avx2 "), flags.contains(" fma "),
                flags.contains(" avx512f "), java, os);
    }

    private static String prettyName() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
                if (line.startsWith("PRETTY_NAME=")) {
                    return " (" + line.substring("PRETTY_NAME=".length()).replace("\"", "") + ")";
                }
            }
        } catch (IOException e) {
            // no os-release
        }
        return "";
    }

    /**
     * fp32 FLOP per cycle per core this CPU's widest vector unit allows: 64 with AVX-512 (two FMA
     * units assumed, as on server parts; one-unit parts reach half), 32 with AVX2 + FMA, 16 otherwise.
     */
    int flopPerCycle() {
        return flopPerCycle(avx512, avx2, fma);
    }

    static int flopPerCycle(boolean avx512, boolean avx2, boolean fma) {
        if (avx512) {
            return FP32_FLOP_PER_CYCLE_AVX512;
        }
        return avx2 && fma ? FP32_FLOP_PER_CYCLE_AVX2 : FP32_FLOP_PER_CYCLE_SSE;
    }

    /** The vector unit {@link #flopPerCycle()} assumes, for the report. */
    String vectorUnit() {
        return avx512 ? "AVX-512" : avx2 && fma ? "AVX2 + FMA" : "SSE";
    }

    /** Nominal fp32 peak in GFLOP/s: cores × GHz × {@link #flopPerCycle()}. */
    double peakGflops() {
        return cores * (mhz / 1000.0) * flopPerCycle();
    }

    /** The fraction of {@link #peakGflops()} that {@code tokensPerSecond} of MiniLM-L6 implies. */
    double fractionOfPeak(double tokensPerSecond) {
        double peak = peakGflops();
        return peak <= 0 ? Double.NaN : tokensPerSecond * MFLOP_PER_TOKEN / 1000.0 / peak;
    }

    String describe() {
        return String.format(Locale.ROOT, "%d cores, %s (%s MHz nominal per /proc/cpuinfo; %s), %s, %s",
                cores, cpuModel, mhz > 0 ? String.format(Locale.ROOT, "%.0f", mhz) : "?",
                String.join("+", List.of(avx512 ? "AVX-512" : "no AVX-512", avx2 ? "AVX2" : "no AVX2", fma ? "FMA" : "no FMA")),
                java, os);
    }

    /** The 1, 5 and 15 minute load averages. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    /**
     * Measures how much CPU other processes took while a piece of the benchmark ran: busy CPU time
     * of the whole machine (/proc/stat) minus this process's and the given children's.
     */
    static final class CpuMeter {
        private final long busy0;
        private final long self0;
        private final long wall0;
        private final int cores;

        CpuMeter(int cores) {
            this.cores = cores;
            this.busy0 = machineBusyTicks();
            this.self0 = processTicks(ProcessHandle.current().pid());
            this.wall0 = System.nanoTime();
        }

        /**
         * The share of all cores used by other processes since this meter started, in [0, 1]; NaN
         * where /proc is not available.
         *
         * @param childTicks CPU ticks used meanwhile by child processes the benchmark started
         */
        double foreignShare(long childTicks) {
            long busy = machineBusyTicks() - busy0;
            long self = processTicks(ProcessHandle.current().pid()) - self0;
            double seconds = (System.nanoTime() - wall0) / 1e9;
            if (busy0 < 0 || seconds <= 0) {
                return Double.NaN;
            }
            double foreign = (busy - self - childTicks) / 100.0; // USER_HZ
            return Math.max(0, Math.min(1, foreign / (seconds * cores)));
        }

        double foreignShare() {
            return foreignShare(0);
        }
    }

    /** user+nice+system+irq+softirq+steal ticks of all CPUs, or -1. */
    static long machineBusyTicks() {
        try {
            String first = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = first.trim().split("\\s+");
            long sum = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
                sum += Long.parseLong(f[i]);
            }
            return sum;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** utime+stime of a process in ticks, or 0. */
    static long processTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split("\\s+");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of the whole line
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}

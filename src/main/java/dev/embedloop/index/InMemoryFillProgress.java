package dev.embedloop.index;

/** Fill progress of one process: nothing is shared (a single indexer instance, tests). */
public final class InMemoryFillProgress implements FillProgress {

    private final int partitions;
    private volatile FillProgressView view = FillProgressView.EMPTY;

    public InMemoryFillProgress(int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1");
        }
        this.partitions = partitions;
    }

    @Override
    public int partitions() {
        return partitions;
    }

    @Override
    public FillProgressView view() {
        return view;
    }

    @Override
    public synchronized void publish(FillProgressRecord record) {
        view = view.with(record);
    }

    @Override
    public String instance() {
        return "local";
    }
}

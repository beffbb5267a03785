package org.vmlab.experiment.action;

import java.util.List;

/**
 * What this bundle's run context adds to {@link org.vmlab.api.experiment.ActionContext} for its own
 * actions: a time series or sample written as {@code <name>.csv} in the run's folder, which the
 * spec's {@code cdf}, {@code histogram} and {@code timeseries} plots can show. Internal: the
 * checker knows each series by the action that records it ({@code Metrics.seriesColumns}).
 */
public interface SeriesOutput {

    /**
     * @param name    the series, {@code <step>.<what>}
     * @param columns the CSV header
     * @param rows    one list of values per row, in the order of {@code columns}
     */
    void series(String name, List<String> columns, List<List<?>> rows);
}

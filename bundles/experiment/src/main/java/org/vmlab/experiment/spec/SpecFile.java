package org.vmlab.experiment.spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The top level of a spec file as Jackson binds it. VM and step entries stay templates here:
 * they may hold {@code ${variable}} references that each configuration of the sweep fills in.
 *
 * @param name        1 to 40 letters, digits, {@code -} and {@code _}; the run id starts with it
 * @param title       one line saying what the experiment shows
 * @param figure      the paper figure it stands for
 * @param paper       what the paper reports, compared with ours after the runs
 * @param repetitions runs of each configuration (default 1)
 * @param warmup      how long the VMs run before the steps start (default 0)
 * @param timeout     the longest one run may take (default 10 min)
 * @param sweep       variables and their values; every combination is a configuration
 * @param configs     configurations listed one by one, instead of (or after) the sweep
 * @param baseline    the values configurations are compared with: each configuration's baseline has
 *                    these values and the configuration's own values of the other variables
 * @param vms         the VMs each run creates
 * @param steps       what happens, in order
 * @param metrics     what the table and the claims show
 * @param plots       the figures drawn from the runs
 */
public record SpecFile(String name, String title, String figure, PaperDecl paper, Integer repetitions,
                       String warmup, String timeout, LinkedHashMap<String, List<String>> sweep,
                       List<LinkedHashMap<String, String>> configs, Map<String, String> baseline,
                       List<JsonNode> vms, List<JsonNode> steps, List<String> metrics, List<PlotDecl> plots) {

    /**
     * What the paper reports.
     *
     * @param reference the paper
     * @param claims    its findings, each compared with a metric of ours
     */
    public record PaperDecl(String reference, List<ClaimDecl> claims) {
    }

    /**
     * One finding of the paper.
     *
     * @param metric the metric it is about
     * @param config the configuration that should differ from the baseline
     * @param expect {@code lower}, {@code higher}, {@code not-higher} or {@code not-lower} than the
     *               baseline's median
     * @param paper  the paper's number or statement, quoted
     * @param against the configuration compared with; default: {@code config}'s baseline
     */
    public record ClaimDecl(String metric, String config, String expect, String paper, String against) {
    }

    /**
     * One figure.
     *
     * @param name   file name of the figure (default: kind and what it shows)
     * @param kind   {@code timeseries}, {@code bars}, {@code cdf}, {@code histogram} or {@code sweep}
     * @param metric bars and sweep: the metric
     * @param series timeseries, cdf and histogram: {@code throughput} or {@code <step>.timeline}
     * @param column the series' column
     * @param x      sweep: the variable on the x axis
     * @param title  the figure's title
     * @param where  only the configurations with these values
     * @param scale  cdf: the x axis, {@code linear} or {@code log}; default log when the values are
     *               positive and span two decades or more (latencies), else linear
     */
    public record PlotDecl(String name, String kind, String metric, String series, String column, String x,
                           String title, Map<String, String> where, String scale) {
    }
}

package org.vmlab.experiment.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Rectangle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.StatisticalBarRenderer;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.renderer.xy.XYStepRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.statistics.DefaultStatisticalCategoryDataset;
import org.jfree.data.statistics.HistogramDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.SVGUtils;

/**
 * Draws figures with JFreeChart and writes each as PNG (JFreeChart's encoder) and SVG (JFreeSVG),
 * headless. The data each figure shows is written beside it as CSV by {@link FigureData}.
 */
public final class Charts {
    static final int WIDTH = 900;
    static final int HEIGHT = 540;

    /** A vertical line on a time axis, e.g. a switchover. */
    public record Marker(double x, String label) {
    }

    /** One bar: a configuration's mean and the half-width of its error bar (NaN for none). */
    public record Bar(String category, double mean, double error) {
    }

    /** One point of a sweep curve with its interval. */
    public record Point(double x, double y, double low, double high) {
    }

    private Charts() {
    }

    /** Lines over time, one per series; markers drawn as labelled vertical lines. */
    public static JFreeChart timeseries(String title, String xLabel, String yLabel, Map<String, List<double[]>> lines,
                                        List<Marker> markers) {
        XYSeriesCollection data = new XYSeriesCollection();
        lines.forEach((name, points) -> {
            XYSeries s = new XYSeries(name, true, true);
            points.forEach(p -> s.addOrUpdate(p[0], p[1]));
            data.addSeries(s);
        });
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        for (int i = 0; i < markers.size(); i++) {
            Marker m = markers.get(i);
            ValueMarker v = new ValueMarker(m.x(), new Color(0x99, 0x33, 0x33), new BasicStroke(1.2f,
                    BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
            v.setLabel(m.label());
            v.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            v.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
            v.setLabelTextAnchor(TextAnchor.TOP_LEFT);
            // Markers close together would print their labels over each other: step them down.
            v.setLabelOffset(new RectangleInsets(4 + 14 * (i % 6), 4, 4, 4));
            plot.addDomainMarker(v);
        }
        return style(chart);
    }

    /** Bars of means with symmetric error bars. */
    public static JFreeChart bars(String title, String yLabel, List<Bar> bars) {
        DefaultStatisticalCategoryDataset data = new DefaultStatisticalCategoryDataset();
        for (Bar b : bars) {
            data.add(Double.valueOf(b.mean()), Double.isNaN(b.error()) ? null : Double.valueOf(b.error()), "mean", b.category());
        }
        JFreeChart chart = ChartFactory.createLineChart(title, "configuration", yLabel, data, PlotOrientation.VERTICAL, false, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        StatisticalBarRenderer r = new StatisticalBarRenderer();
        r.setErrorIndicatorPaint(Color.DARK_GRAY);
        r.setDrawBarOutline(false);
        r.setShadowVisible(false);
        plot.setRenderer(r);
        return style(chart);
    }

    /** Whether every value is positive and the largest is at least 10^decades times the smallest. */
    public static boolean spansDecades(Map<String, double[]> values, int decades) {
        double min = Double.POSITIVE_INFINITY;
        double max = 0;
        for (double[] series : values.values()) {
            for (double v : series) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        return min > 0 && max >= min * Math.pow(10, decades);
    }

    /**
     * Empirical CDFs, one step line per series; on a logarithmic x axis if {@code logX} (tails of
     * latency distributions sit decades to the right of the median).
     *
     * @throws IllegalArgumentException if {@code logX} and a value is not positive
     */
    public static JFreeChart cdf(String title, String xLabel, Map<String, double[]> values, boolean logX) {
        if (logX) {
            values.forEach((name, v) -> {
                for (double x : v) {
                    if (!(x > 0)) {
                        throw new IllegalArgumentException("a log axis needs positive values; series '" + name + "' has " + x);
                    }
                }
            });
        }
        XYSeriesCollection data = new XYSeriesCollection();
        values.forEach((name, v) -> {
            double[] sorted = v.clone();
            java.util.Arrays.sort(sorted);
            XYSeries s = new XYSeries(name, false, true);
            for (int i = 0; i < sorted.length; i++) {
                s.add(sorted[i], (i + 1) / (double) sorted.length);
            }
            data.addSeries(s);
        });
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, "fraction ≤ x", data, PlotOrientation.VERTICAL, true, false, false);
        chart.getXYPlot().setRenderer(new XYStepRenderer());
        if (logX) {
            LogAxis axis = new LogAxis(xLabel + " (log)");
            axis.setSmallestValue(Double.MIN_NORMAL);
            chart.getXYPlot().setDomainAxis(axis);
        }
        return style(chart);
    }

    /** Histograms with a shared set of bins, one per series. */
    public static JFreeChart histogram(String title, String xLabel, Map<String, double[]> values, int bins) {
        HistogramDataset data = new HistogramDataset();
        values.forEach((name, v) -> {
            if (v.length > 0) {
                data.addSeries(name, v, bins);
            }
        });
        JFreeChart chart = ChartFactory.createHistogram(title, xLabel, "count", data, PlotOrientation.VERTICAL, true, false, false);
        chart.getXYPlot().setForegroundAlpha(0.6f);
        return style(chart);
    }

    /** Curves of a metric over a swept variable, with interval bars. */
    public static JFreeChart sweep(String title, String xLabel, String yLabel, Map<String, List<Point>> curves) {
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        curves.forEach((name, points) -> {
            YIntervalSeries s = new YIntervalSeries(name);
            points.forEach(p -> s.add(p.x(), p.y(), Double.isNaN(p.low()) ? p.y() : p.low(), Double.isNaN(p.high()) ? p.y() : p.high()));
            data.addSeries(s);
        });
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data, PlotOrientation.VERTICAL, true, false, false);
        XYErrorRenderer r = new XYErrorRenderer();
        r.setDefaultLinesVisible(true);
        r.setDefaultShapesVisible(true);
        chart.getXYPlot().setRenderer(r);
        return style(chart);
    }

    /** Writes {@code <name>.png} and {@code <name>.svg} into {@code dir}. */
    public static List<Path> write(JFreeChart chart, Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        Path png = dir.resolve(name + ".png");
        ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
        SVGGraphics2D g = new SVGGraphics2D(WIDTH, HEIGHT);
        chart.draw(g, new Rectangle(0, 0, WIDTH, HEIGHT));
        Path svg = dir.resolve(name + ".svg");
        SVGUtils.writeToSVG(svg.toFile(), g.getSVGElement());
        return List.of(png, svg);
    }

    private static JFreeChart style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.getPlot().setBackgroundPaint(new Color(0xF7, 0xF7, 0xF7));
        if (chart.getPlot() instanceof XYPlot xy) {
            xy.setDomainGridlinePaint(Color.LIGHT_GRAY);
            xy.setRangeGridlinePaint(Color.LIGHT_GRAY);
            for (int i = 0; i < xy.getSeriesCount(); i++) {
                xy.getRenderer().setSeriesStroke(i, new BasicStroke(2f));
            }
        }
        return chart;
    }
}

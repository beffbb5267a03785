package org.vmlab.shell.experiment;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.vmlab.api.experiment.AggregateRow;
import org.vmlab.api.experiment.ExperimentResult;
import org.vmlab.api.experiment.ExperimentService;
import org.vmlab.shell.support.Json;

@Service
@Command(scope = "experiment", name = "compare", description = "Compares medians: of two run ids configuration by configuration (e.g. a run and its re-run), "
        + "or with one run id each configuration against its baseline. A difference counts as beyond noise only where both 95% CIs exist and do not overlap.")
public class ExperimentCompareCommand implements Action {

    @Reference(optional = true)
    ExperimentService experiments;

    @Argument(index = 0, name = "run-id", required = true, description = "The run id (experiment:list shows them)")
    @Completion(RunIdCompleter.class)
    String first;

    @Argument(index = 1, name = "other-run-id", description = "A second run id; without it, each configuration is compared with the baseline")
    @Completion(RunIdCompleter.class)
    String second;

    @Option(name = "--json", description = "Print one JSON array of rows")
    boolean json;

    @Override
    public Object execute() {
        Experiments.require(experiments);
        ExperimentResult a = Experiments.result(experiments, first);
        List<Map<String, Object>> rows = second == null ? againstBaseline(a) : between(a, Experiments.result(experiments, second));
        if (json) {
            System.out.println(Json.write(rows));
            return null;
        }
        if (rows.isEmpty()) {
            System.out.println("Nothing to compare: no configuration and metric in common.");
            return null;
        }
        ShellTable t = new ShellTable();
        t.column("Configuration");
        t.column("Metric");
        t.column(second == null ? "Baseline" : first).alignRight();
        t.column(second == null ? "Median" : second).alignRight();
        t.column("Change").alignRight();
        t.column("Beyond noise");
        for (Map<String, Object> r : rows) {
            t.addRow().addContent(r.get("config"), r.get("metric"), Experiments.number((Double) r.get("a")),
                    Experiments.number((Double) r.get("b")), Experiments.ratio((Double) r.get("ratio")), r.get("beyondNoise"));
        }
        t.print(System.out);
        return null;
    }

    private static List<Map<String, Object>> between(ExperimentResult a, ExperimentResult b) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (AggregateRow x : a.table()) {
            Optional<AggregateRow> y = b.table().stream().filter(r -> r.config().equals(x.config()) && r.metric().equals(x.metric())).findFirst();
            y.ifPresent(row -> out.add(row(x.config(), x.metric(), x, row)));
        }
        return out;
    }

    private static List<Map<String, Object>> againstBaseline(ExperimentResult a) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (AggregateRow x : a.table()) {
            if (x.config().equals(a.baseline())) {
                continue;
            }
            a.table().stream().filter(r -> r.config().equals(a.baseline()) && r.metric().equals(x.metric())).findFirst()
                    .ifPresent(base -> out.add(row(x.config(), x.metric(), base, x)));
        }
        return out;
    }

    private static Map<String, Object> row(String config, String metric, AggregateRow a, AggregateRow b) {
        double ratio = a.median() == 0 ? Double.NaN : b.median() / a.median();
        String beyond = Double.isNaN(a.ciLow()) || Double.isNaN(b.ciLow()) ? "unknown (under 3 runs)"
                : a.ciHigh() < b.ciLow() || b.ciHigh() < a.ciLow() ? "yes" : "no";
        return Json.object("config", config, "metric", metric, "a", a.median(), "b", b.median(), "ratio", ratio, "beyondNoise", beyond);
    }
}

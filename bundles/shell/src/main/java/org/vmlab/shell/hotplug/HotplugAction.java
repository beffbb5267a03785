package org.vmlab.shell.hotplug;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.console.Session;
import org.vmlab.api.VmlabException;
import org.vmlab.api.hotplug.JobCoordinator;
import org.vmlab.api.hotplug.JobPhase;
import org.vmlab.api.hotplug.JobReport;
import org.vmlab.api.vm.VmDirectory;
import org.vmlab.shell.support.ClientPaths;
import org.vmlab.shell.support.Json;

/** What the device: and job: commands share: the coordinator, --json, --timeout, paths, printing. */
abstract class HotplugAction implements Action {

    // Optional, so the other commands of the bundle register in a distribution without hotplug.
    @Reference(optional = true)
    JobCoordinator coordinator;

    @Reference
    VmDirectory directory;

    @Reference
    Session session;

    @Option(name = "--json", description = "Print one JSON object")
    boolean json;

    @Option(name = "--timeout", description = "Most ms each cooperation step (quiesce, detach, attach, resume) may take (default 30000)")
    long timeoutMs = 30_000;

    JobCoordinator coordinator() {
        if (coordinator == null) {
            throw new VmlabException("no job coordinator is installed: feature:install vmlab-hotplug");
        }
        if (timeoutMs <= 0) {
            throw new IllegalArgumentException("--timeout must be > 0 ms: " + timeoutMs);
        }
        return coordinator;
    }

    Duration timeout() {
        return Duration.ofMillis(timeoutMs);
    }

    Path path(String name) {
        return ClientPaths.resolve(session, name);
    }

    /** Prints each phase as it ends, unless --json (one object at the end only). */
    Consumer<JobPhase> progress() {
        PrintStream out = System.out; // bound to this session on this thread only: hand it over
        return json ? p -> { } : p -> out.println(JobReports.line(p));
    }

    /** The report as one JSON object, or the timeline as text. */
    void print(JobReport report) {
        if (json) {
            System.out.println(Json.write(report));
        } else {
            JobReports.print(report, System.out);
        }
    }

    void print(Object jsonValue, String text) {
        System.out.println(json ? Json.write(jsonValue) : text);
    }
}

package org.vmlab.dashboard;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.vmlab.api.experiment.ExperimentService;
import org.vmlab.api.migration.Migration;
import org.vmlab.api.migration.MigrationService;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmDirectory;

/**
 * The dashboard under {@code /vmlab/} on the HTTP whiteboard: the page and its scripts, one JSON
 * snapshot of VMs, migrations and experiments that the page polls every second, an experiment's
 * aggregate, and the files of a results folder (plots, tables). Read-only: it starts nothing.
 */
@Component(service = Servlet.class, configurationPid = "org.vmlab.dashboard", property = {
        "osgi.http.whiteboard.servlet.pattern=/vmlab/*",
        "osgi.http.whiteboard.servlet.name=vmlab-dashboard"})
@Designate(ocd = DashboardConfig.class)
public final class DashboardServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final String WEB = "org/vmlab/dashboard/web/";
    private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8", "png", "image/png", "svg", "image/svg+xml", "csv", "text/csv; charset=utf-8",
            "json", "application/json", "yaml", "text/plain; charset=utf-8");

    private final transient VmDirectory directory;
    private final transient AccessGuard guard;
    private final transient ObjectMapper json = JsonMapper.builder().build();
    private final transient Map<String, URL> uplot = new HashMap<>();
    private final transient Map<String, URL> pages = new HashMap<>();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile MigrationService migrations;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile ExperimentService experiments;

    private transient volatile MigrationHistory history;

    @Activate
    public DashboardServlet(@Reference VmDirectory directory, BundleContext context, DashboardConfig config) {
        this.directory = directory;
        this.guard = AccessGuard.of(config);
        Enumeration<URL> e = context.getBundle().findEntries("META-INF/resources/webjars/uplot", "uPlot.*", true);
        while (e != null && e.hasMoreElements()) {
            URL u = e.nextElement();
            uplot.put(u.getPath().endsWith(".css") ? "uplot.css" : "uplot.js", u);
        }
        for (String page : List.of("index.html", "app.js", "style.css")) {
            pages.put(page, context.getBundle().getEntry(WEB + page));
        }
    }

    @Deactivate
    void deactivate() {
        MigrationHistory h = history;
        if (h != null) {
            h.close();
        }
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Optional<AccessGuard.Refusal> refused = guard.check(req.getRemoteAddr(), req.isSecure(), req.getHeader("Authorization"));
        if (refused.isEmpty() && AccessGuard.isLoopback(req.getRemoteAddr()) && !loopbackHost(req.getHeader("Host"))) {
            // A page of another site that resolved its name to 127.0.0.1 (DNS rebinding) gets nothing.
            refused = Optional.of(new AccessGuard.Refusal(403, "open the dashboard as http://127.0.0.1 or http://localhost"));
        }
        if (refused.isPresent()) {
            if (refused.get().status() == 401) {
                resp.setHeader("WWW-Authenticate", "Basic realm=\"vmlab\"");
            }
            resp.sendError(refused.get().status(), refused.get().reason());
            return;
        }
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setHeader("X-Frame-Options", "DENY");
        resp.setHeader("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:");
        if (req.getPathInfo() == null) {
            resp.sendRedirect(req.getRequestURI() + "/"); // the page's links are relative to /vmlab/
            return;
        }
        String path = req.getPathInfo();
        if (path.equals("/") || path.equals("/index.html")) {
            send(resp, pages.get("index.html"), "html");
        } else if (path.startsWith("/static/")) {
            String name = path.substring("/static/".length());
            URL u = pages.containsKey(name) ? pages.get(name) : uplot.get(name);
            if (u == null) {
                resp.sendError(404);
            } else {
                send(resp, u, name.substring(name.lastIndexOf('.') + 1));
            }
        } else if (path.equals("/api/state")) {
            writeJson(resp, state());
        } else if (path.startsWith("/api/experiments/")) {
            ExperimentService x = experiments;
            var r = x == null ? Optional.<org.vmlab.api.experiment.ExperimentResult>empty()
                    : x.result(path.substring("/api/experiments/".length()));
            if (r.isEmpty()) {
                resp.sendError(404, "no such experiment result");
            } else {
                writeJson(resp, Views.result(r.get()));
            }
        } else if (path.startsWith("/results/")) {
            resultFile(path.substring("/results/".length()), resp);
        } else {
            resp.sendError(404);
        }
    }

    private Map<String, Object> state() {
        Map<String, Object> s = new LinkedHashMap<>();
        List<Map<String, Object>> vms = new ArrayList<>();
        for (Vm vm : directory.vms()) {
            try {
                vms.add(Views.vm(vm));
            } catch (RuntimeException e) {
                // destroyed while being read
            }
        }
        s.put("vms", vms);
        List<Map<String, Object>> migs = new ArrayList<>();
        MigrationService m = migrations;
        if (m != null) {
            MigrationHistory h = history(m);
            List<Migration> all = m.migrations();
            for (Migration mig : all.subList(Math.max(0, all.size() - 20), all.size())) {
                migs.add(Views.migration(mig, h.of(mig.id())));
            }
        }
        s.put("migrations", migs);
        ExperimentService x = experiments;
        s.put("experiments", x == null ? List.of() : x.results().stream().limit(50).map(Views::summary).toList());
        return s;
    }

    private synchronized MigrationHistory history(MigrationService m) {
        if (history == null) {
            history = new MigrationHistory(m);
        }
        return history;
    }

    /** Serves a file of a results folder: plots, tables, the spec; nothing outside it. */
    private void resultFile(String rel, HttpServletResponse resp) throws IOException {
        ExperimentService x = experiments;
        String ext = rel.substring(rel.lastIndexOf('.') + 1);
        if (x == null || !TYPES.containsKey(ext) || ext.equals("html") || ext.equals("js")) {
            resp.sendError(404);
            return;
        }
        Path root = x.resultsRoot().toAbsolutePath().normalize();
        Path file = root.resolve(rel).normalize();
        if (!file.startsWith(root) || !Files.isRegularFile(file)) {
            resp.sendError(404);
            return;
        }
        resp.setContentType(TYPES.get(ext));
        resp.setContentLengthLong(Files.size(file));
        try (OutputStream out = resp.getOutputStream()) {
            Files.copy(file, out);
        }
    }

    private void send(HttpServletResponse resp, URL url, String ext) throws IOException {
        if (url == null) {
            resp.sendError(404);
            return;
        }
        resp.setContentType(TYPES.get(ext));
        try (InputStream in = url.openStream(); OutputStream out = resp.getOutputStream()) {
            in.transferTo(out);
        }
    }

    private void writeJson(HttpServletResponse resp, Object value) throws IOException {
        resp.setContentType("application/json");
        resp.setHeader("Cache-Control", "no-store");
        json.writeValue(resp.getOutputStream(), value);
    }

    static boolean loopbackHost(String host) {
        if (host == null) {
            return false;
        }
        String h = host.startsWith("[") ? host.substring(0, host.indexOf(']') + 1) : host.replaceFirst(":\\d+$", "");
        return h.equals("localhost") || AccessGuard.isLoopback(h);
    }
}

package org.vmlab.shell.vm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.vmlab.api.ByteSize;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderCatalog;
import org.vmlab.api.provider.ProviderInfo;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.shell.support.BackendCompleter;
import org.vmlab.shell.support.Providers;
import org.vmlab.shell.support.SettingHelp;
import org.vmlab.shell.support.VmViews;
import org.vmlab.shell.support.WorkloadCompleter;
import org.vmlab.shell.support.WorkloadParamCompleter;

@Service
@Command(scope = "vm", name = "create", description = "Creates a VM and starts it with its workload.")
public class VmCreateCommand extends VmAction {

    @Reference
    ProviderCatalog catalog;

    // Not required, so that --param help works without one; execute() asks for it otherwise.
    @Argument(index = 0, name = "name", description = "VM name: letters, digits, '.', '_', '-' (required unless --param help)")
    String name;

    @Option(name = "--backend", aliases = "-b", description = "VM backend (default: the default backend, emu)")
    @Completion(BackendCompleter.class)
    String backend;

    @Option(name = "--memory", aliases = "-m", description = "Guest memory, e.g. 512M, 8G (default 1G)")
    String memory = "1G";

    @Option(name = "--vcpus", aliases = "-c", description = "Number of vCPUs (default 2)")
    int vcpus = 2;

    @Option(name = "--disk", aliases = "-d", description = "Raw disk image; created sparse if absent")
    @Completion(FileCompleter.class)
    String disk;

    @Option(name = "--disk-size", description = "Size of a disk image to create, e.g. 8G (default: the existing image's size)")
    String diskSize;

    @Option(name = "--workload", aliases = "-w", description = "Workload to run (default idle)")
    @Completion(WorkloadCompleter.class)
    String workload;

    @Option(name = "--param", aliases = "-p", multiValued = true, description = "Workload parameter name=value; repeat for several. "
            + "--param help lists the parameters of the --workload given, or of every workload")
    @Completion(WorkloadParamCompleter.class)
    List<String> params;

    @Override
    public Object execute() {
        if (params != null && params.contains(SettingHelp.HELP)) {
            List<ProviderInfo> workloads = workload == null ? catalog.providers(Family.WORKLOAD)
                    : List.of(Providers.named(catalog, Family.WORKLOAD, workload));
            if (workloads.isEmpty()) {
                throw new IllegalStateException("no workload is installed (feature:install vmlab-workloads)");
            }
            new SettingHelp(json, System.out).show("vm:create --param", workloads);
            return null;
        }
        if (name == null) {
            throw new IllegalArgumentException("vm:create needs a name for the VM: vm:create [options] name");
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        if (params != null) {
            for (String p : params) {
                int eq = p.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--param takes name=value, not '" + p + "'");
                }
                parameters.put(p.substring(0, eq), p.substring(eq + 1));
            }
        }
        if (diskSize != null && disk == null) {
            throw new IllegalArgumentException("--disk-size needs --disk, the image to create");
        }
        String chosenBackend = backend != null ? backend : directory.backends().stream().findFirst()
                .orElseThrow(() -> new IllegalStateException("no VM backend is installed (feature:install vmlab-emu)"));
        VmSpec spec = new VmSpec(name, chosenBackend, ByteSize.parse(memory).bytes(), vcpus,
                disk == null ? null : file(disk), diskSize == null ? 0 : ByteSize.parse(diskSize).bytes(),
                workload, workload == null ? Map.of() : parameters, List.of());
        if (workload == null && !parameters.isEmpty()) {
            throw new IllegalArgumentException("--param needs --workload");
        }
        Vm vm = directory.create(spec);
        print(VmViews.detail(vm), "Created VM " + vm.id() + " on " + vm.backend() + " (" + new ByteSize(spec.memoryBytes())
                + ", " + vcpus + " vCPUs" + vm.workload().map(w -> ", workload " + w.workload()).orElse("") + ")");
        return null;
    }
}

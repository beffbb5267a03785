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
import org.vmlab.api.tiering.TierLayout;
import org.vmlab.api.vm.DeviceSpec;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.vm.VmSpec;
import org.vmlab.shell.support.BackendCompleter;
import org.vmlab.shell.support.Providers;
import org.vmlab.shell.support.SettingHelp;
import org.vmlab.shell.support.TieringPolicyCompleter;
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

    @Option(name = "--memory", aliases = "-m", description = "Guest memory, e.g. 512M, 8G (default 1G, or the sum of the --tier sizes)")
    String memory;

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

    @Option(name = "--tier", multiValued = true, description = "A memory tier NAME=SIZE[:MODEL], fastest first; repeat, "
            + "e.g. --tier dram=1G --tier nvm=3G:optane-dcpmm (a tier named nvm is optane-dcpmm by default); emu only")
    List<String> tiers;

    @Option(name = "--tier-policy", description = "Tiering policy placing and moving the frames (default first-touch)")
    @Completion(TieringPolicyCompleter.class)
    String tierPolicy;

    @Option(name = "--tier-option", multiValued = true, description = "Tiering policy option name=value; repeat for several")
    List<String> tierOptions;

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
        List<DeviceSpec> devices = List.of();
        long memoryBytes = ByteSize.parse(memory == null ? "1G" : memory).bytes();
        if (tiers != null && !"emu".equals(chosenBackend)) {
            throw new IllegalArgumentException("--tier puts guest frames on emulated tiers: emu guests only, not "
                    + chosenBackend);
        }
        if (tiers != null) {
            TierLayout layout = new TierLayout(tiers.stream().map(TierLayout.Slot::parse).toList(),
                    tierPolicy == null ? "first-touch" : tierPolicy, pairs("--tier-option", tierOptions));
            devices = List.of(layout.toDevice());
            if (memory == null) {
                memoryBytes = layout.totalBytes();
            }
        } else if (tierPolicy != null || tierOptions != null) {
            throw new IllegalArgumentException("--tier-policy and --tier-option need --tier, the tiers to place frames on");
        }
        VmSpec spec = new VmSpec(name, chosenBackend, memoryBytes, vcpus,
                disk == null ? null : file(disk), diskSize == null ? 0 : ByteSize.parse(diskSize).bytes(),
                workload, workload == null ? Map.of() : parameters, devices);
        if (workload == null && !parameters.isEmpty()) {
            throw new IllegalArgumentException("--param needs --workload");
        }
        Vm vm = directory.create(spec);
        print(VmViews.detail(vm), "Created VM " + vm.id() + " on " + vm.backend() + " (" + new ByteSize(spec.memoryBytes())
                + (tiers == null ? "" : " on tiers " + String.join(" + ", tiers))
                + ", " + vcpus + " vCPUs" + vm.workload().map(w -> ", workload " + w.workload()).orElse("") + ")");
        return null;
    }

    /** name=value pairs of a repeated option. */
    private static Map<String, String> pairs(String flag, List<String> given) {
        Map<String, String> out = new LinkedHashMap<>();
        if (given != null) {
            for (String p : given) {
                int eq = p.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException(flag + " takes name=value, not '" + p + "'");
                }
                out.put(p.substring(0, eq), p.substring(eq + 1));
            }
        }
        return out;
    }
}

package org.vmlab.shell.support;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderInfo;

/**
 * Completes {@code --param} of vm:create: the parameters of the workload on the line
 * ({@code --workload}), or of every workload while none is given.
 */
@Service
public class WorkloadParamCompleter extends SettingCompleter {
    @Override
    List<ProviderInfo> providers(CommandLine line) {
        return TypedArguments.optionValue(line, "--workload", "-w")
                .map(w -> Providers.find(catalog, Family.WORKLOAD, w).stream().toList())
                .orElseGet(() -> catalog.providers(Family.WORKLOAD));
    }
}

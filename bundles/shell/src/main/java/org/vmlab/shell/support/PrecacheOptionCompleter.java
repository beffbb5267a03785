package org.vmlab.shell.support;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderInfo;

/** Completes {@code --option} of storage:precache with the options of the strategy --strategy names (or the default). */
@Service
public class PrecacheOptionCompleter extends SettingCompleter {
    @Override
    List<ProviderInfo> providers(CommandLine line) {
        String name = TypedArguments.optionValue(line, "--strategy", "-s").orElse(null);
        return name == null ? catalog.defaultProvider(Family.STORAGE).map(List::of).orElse(List.of())
                : catalog.find(Family.STORAGE, name).map(List::of).orElse(List.of());
    }
}

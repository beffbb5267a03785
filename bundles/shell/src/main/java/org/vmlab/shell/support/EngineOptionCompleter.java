package org.vmlab.shell.support;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderInfo;

/**
 * Completes {@code --option} of migration:start: the options of the engine and the ordering on
 * the line ({@code --engine}, {@code --ordering}), or of the defaults where none is given.
 */
@Service
public class EngineOptionCompleter extends SettingCompleter {
    @Override
    List<ProviderInfo> providers(CommandLine line) {
        String engine = TypedArguments.optionValue(line, "--engine", "-e").orElse(null);
        String ordering = TypedArguments.optionValue(line, "--ordering", "-o").orElse(null);
        return Stream.of(Providers.find(catalog, Family.ENGINE, engine), Providers.find(catalog, Family.ORDERING, ordering))
                .flatMap(Optional::stream)
                .toList();
    }
}

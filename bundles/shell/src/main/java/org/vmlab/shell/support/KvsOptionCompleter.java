package org.vmlab.shell.support;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.vmlab.api.provider.Family;
import org.vmlab.api.provider.ProviderInfo;

/** Completes {@code --option} of kvs:start with the options the key-value service describes. */
@Service
public class KvsOptionCompleter extends SettingCompleter {
    @Override
    List<ProviderInfo> providers(CommandLine line) {
        return catalog.providers(Family.KVS);
    }
}

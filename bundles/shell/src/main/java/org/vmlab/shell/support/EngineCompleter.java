package org.vmlab.shell.support;

import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.provider.Family;

/** Completes the names of the installed transfer engines. */
@Service
public class EngineCompleter extends ProviderCompleter {
    public EngineCompleter() {
        super(Family.ENGINE);
    }
}

package org.vmlab.shell.support;

import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.provider.Family;

/** Completes the names of the installed pre-caching strategies. */
@Service
public class PrecacherCompleter extends ProviderCompleter {
    public PrecacherCompleter() {
        super(Family.STORAGE);
    }
}

package org.vmlab.shell.support;

import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.provider.Family;

/** Completes the names of the installed placement policies. */
@Service
public class PlacementCompleter extends ProviderCompleter {
    public PlacementCompleter() {
        super(Family.PLACEMENT);
    }
}

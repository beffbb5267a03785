package org.vmlab.shell.support;

import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.provider.Family;

/** Completes the names of the installed ordering policies. */
@Service
public class OrderingCompleter extends ProviderCompleter {
    public OrderingCompleter() {
        super(Family.ORDERING);
    }
}

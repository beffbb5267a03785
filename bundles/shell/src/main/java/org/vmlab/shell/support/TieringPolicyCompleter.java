package org.vmlab.shell.support;

import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.provider.Family;

/** Completes the names of the installed tiering policies. */
@Service
public class TieringPolicyCompleter extends ProviderCompleter {
    public TieringPolicyCompleter() {
        super(Family.TIERING);
    }
}

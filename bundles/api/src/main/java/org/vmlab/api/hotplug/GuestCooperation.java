package org.vmlab.api.hotplug;

import java.time.Duration;

import org.osgi.annotation.versioning.ProviderType;
import org.vmlab.api.vm.Vm;

/**
 * Talks to the agent in a guest, which prepares the guest for events it must cooperate with
 * (e.g. quiescing a device before detach, recovering after resume). Registered with
 * {@code vmlab.family=hotplug} and a unique {@code vmlab.name}.
 */
@ProviderType
public interface GuestCooperation {

    boolean isAgentConnected(Vm vm);

    /**
     * Sends a request and waits for the agent's reply. A reply saying the agent could not do it
     * is returned, not thrown.
     *
     * @throws org.vmlab.api.VmlabException if no agent is connected or it does not answer in time
     */
    AgentReply request(Vm vm, AgentRequest request, Duration timeout);
}

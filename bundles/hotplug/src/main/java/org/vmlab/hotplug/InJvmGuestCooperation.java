package org.vmlab.hotplug;

import java.time.Duration;
import java.util.Optional;

import org.osgi.service.component.annotations.Component;
import org.vmlab.api.VmlabException;
import org.vmlab.api.hotplug.AgentReply;
import org.vmlab.api.hotplug.AgentRequest;
import org.vmlab.api.hotplug.GuestAgent;
import org.vmlab.api.hotplug.GuestCooperation;
import org.vmlab.api.vm.Vm;
import org.vmlab.api.workload.WorkloadRun;

/**
 * The cooperation channel to guests whose agent runs inside vmlab's JVM: the workload run of an
 * emu guest, when it implements {@link GuestAgent} (the {@code mpi} workload does). The agent
 * answers from the guest's own vCPUs, so a paused guest does not answer.
 */
@Component(property = {
        "vmlab.family=hotplug",
        "vmlab.name=in-jvm-agent",
        "vmlab.description=Cooperation with agents running in emu guests (the mpi workload's rank agent)"})
public final class InJvmGuestCooperation implements GuestCooperation {

    @Override
    public boolean isAgentConnected(Vm vm) {
        return agent(vm).isPresent();
    }

    @Override
    public AgentReply request(Vm vm, AgentRequest request, Duration timeout) {
        GuestAgent a = agent(vm).orElseThrow(() -> new VmlabException("VM '" + vm.id()
                + "' has no guest agent: its workload does not take part in the cooperation protocol"
                + vm.workload().map(w -> " (it runs '" + w.workload() + "')").orElse(" (it runs no workload)")));
        return a.handle(request, timeout);
    }

    private static Optional<GuestAgent> agent(Vm vm) {
        return vm.workload().filter(WorkloadRun::isRunning).filter(GuestAgent.class::isInstance).map(GuestAgent.class::cast);
    }
}

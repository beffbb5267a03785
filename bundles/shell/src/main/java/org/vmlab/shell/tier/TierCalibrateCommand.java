package org.vmlab.shell.tier;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.vmlab.api.tiering.Calibration;

@Service
@Command(scope = "tier", name = "calibrate", description = "Measures this machine for the NVM emulator (cost of the CPU "
        + "clock, busy-wait overshoot, cost of a debt payment, DRAM latency by pointer chasing for reads and "
        + "write-backs) and stores it; emulated tiers made afterwards use it. Takes a few seconds.")
public class TierCalibrateCommand extends TierAction {

    @Override
    public Object execute() {
        Calibration c = tiering().calibrate(this::progress);
        print(c, String.format("Calibrated: CPU clock read %.0f ns, busy-wait overshoot %.0f ns, payment %.0f ns,"
                + " DRAM read %.1f ns, DRAM write-back %.1f ns (pointer chasing in %d MiB)%non %s",
                c.clockNanos(), c.spinOvershootNanos(), c.paymentNanos(), c.hostReadNanos(), c.hostWriteBackNanos(),
                c.bufferBytes() >> 20, c.host()));
        return null;
    }
}

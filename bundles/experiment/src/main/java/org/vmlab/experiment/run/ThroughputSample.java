package org.vmlab.experiment.run;

/**
 * One second of one VM's guest throughput on the run's clock.
 *
 * @param seconds        since warm-up ended
 * @param vm             the spec's name of the VM
 * @param opsPerSecond   workload operations per second
 * @param bytesPerSecond workload bytes per second
 */
record ThroughputSample(double seconds, String vm, double opsPerSecond, double bytesPerSecond) {
}

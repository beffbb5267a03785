/**
 * Experiments: a declarative spec (VMs, steps, sweep, repetitions, baseline) planned into runs,
 * run through the other families' services, and recorded under {@code results/<run-id>/} with
 * an aggregate table, plots and provenance. Capabilities add what a spec can do by registering
 * an {@link ExperimentAction}.
 */
@Export
@Version("1.0.0")
package org.vmlab.api.experiment;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;

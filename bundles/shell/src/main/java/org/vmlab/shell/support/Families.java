package org.vmlab.shell.support;

import java.util.Arrays;
import java.util.stream.Collectors;

import org.vmlab.api.provider.Family;

/** Parses family names given on the command line, with an error that lists the valid ones. */
public final class Families {
    private Families() {
    }

    public static Family parse(String id) {
        return Family.byId(id).orElseThrow(() -> new IllegalArgumentException(
                "unknown family '" + id + "'; families are: " + Arrays.stream(Family.values()).map(Family::id).collect(Collectors.joining(", "))));
    }
}

package org.vmlab.shell.support;

import java.util.List;
import java.util.StringJoiner;

/** CSV of records: a header of component names, then one line per record (RFC 4180 quoting). */
public final class Csv {
    private Csv() {
    }

    public static String write(Class<? extends Record> type, List<? extends Record> rows) {
        var components = type.getRecordComponents();
        StringBuilder out = new StringBuilder();
        StringJoiner header = new StringJoiner(",");
        for (var c : components) {
            header.add(c.getName());
        }
        out.append(header).append('\n');
        for (Record r : rows) {
            StringJoiner line = new StringJoiner(",");
            for (var c : components) {
                try {
                    line.add(cell(c.getAccessor().invoke(r)));
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("cannot read " + c.getName(), e);
                }
            }
            out.append(line).append('\n');
        }
        return out.toString();
    }

    private static String cell(Object v) {
        String s = v == null ? "" : v.toString();
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}

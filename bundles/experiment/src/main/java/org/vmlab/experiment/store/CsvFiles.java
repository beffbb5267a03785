package org.vmlab.experiment.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;

/** CSV with a header line, written and read through Jackson's CSV module. */
public final class CsvFiles {
    private static final CsvMapper CSV = new CsvMapper();

    private CsvFiles() {
    }

    /** Writes a header and rows; numbers as Java prints them, NaN as an empty cell. */
    public static void write(Path file, List<String> header, List<? extends List<?>> rows) throws IOException {
        CsvSchema.Builder schema = CsvSchema.builder().setUseHeader(true);
        header.forEach(schema::addColumn);
        List<Object[]> cells = new ArrayList<>(rows.size());
        for (List<?> row : rows) {
            Object[] out = new Object[row.size()];
            for (int i = 0; i < out.length; i++) {
                Object v = row.get(i);
                out[i] = v instanceof Double d && !Double.isFinite(d) ? "" : v == null ? "" : v.toString();
            }
            cells.add(out);
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        CSV.writer(schema.build()).writeValue(tmp.toFile(), cells);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The rows of a CSV file with a header, each by column name; empty if there is no file. */
    public static List<Map<String, String>> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        List<Map<String, String>> out = new ArrayList<>();
        try (MappingIterator<Map<String, String>> it = CSV.readerForMapOf(String.class)
                .with(CsvSchema.emptySchema().withHeader()).readValues(file.toFile())) {
            while (it.hasNext()) {
                out.add(new LinkedHashMap<>(it.next()));
            }
        }
        return out;
    }

    /** A cell as a number; NaN if empty or not a number. */
    public static double number(Map<String, String> row, String column) {
        String v = row.get(column);
        if (v == null || v.isEmpty()) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}

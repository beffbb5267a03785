package org.vmlab.shell.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

class CsvTest {
    record Row(int round, String note, double ms) {
    }

    @Test
    void headerThenQuotedRows() {
        assertEquals("round,note,ms\n1,plain,2.5\n2,\"a, \"\"b\"\"\",0.0\n",
                Csv.write(Row.class, List.of(new Row(1, "plain", 2.5), new Row(2, "a, \"b\"", 0))));
    }
}

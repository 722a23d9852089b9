package org.cfpipe.analysis;

import com.univocity.parsers.csv.CsvWriter;
import com.univocity.parsers.csv.CsvWriterSettings;
import java.io.StringWriter;
import java.util.List;
import java.util.Locale;

/** The report's CSV files, written by univocity (quoting as needed). */
final class Csv {
  private Csv() {}

  static String of(List<String> header, List<List<Object>> rows) {
    StringWriter out = new StringWriter();
    CsvWriter writer = new CsvWriter(out, new CsvWriterSettings());
    writer.writeHeaders(header);
    for (List<Object> row : rows) {
      writer.writeRow(row.stream().map(Csv::format).toArray());
    }
    writer.close();
    return out.toString();
  }

  /** Numbers with four decimals where they have a fraction; text as it is; null as empty. */
  static String format(Object cell) {
    if (cell == null) {
      return "";
    }
    if (cell instanceof Double || cell instanceof Float) {
      return String.format(Locale.ROOT, "%.4f", ((Number) cell).doubleValue());
    }
    return cell.toString();
  }
}

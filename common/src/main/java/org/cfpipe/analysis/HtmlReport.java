package org.cfpipe.analysis;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A self-contained HTML page: headings, paragraphs, tables and PNG images embedded as data URIs,
 * and the files it shows (PNG, CSV), collected for writing beside it.
 */
final class HtmlReport {
  private final StringBuilder body = new StringBuilder();
  private final Map<String, byte[]> files = new LinkedHashMap<>();
  private final String title;

  HtmlReport(String title) {
    this.title = title;
  }

  HtmlReport heading(String text) {
    body.append("<h2>").append(escape(text)).append("</h2>\n");
    return this;
  }

  HtmlReport paragraph(String text) {
    body.append("<p>").append(escape(text)).append("</p>\n");
    return this;
  }

  /** An image shown inline and kept as {@code name}.png. */
  HtmlReport image(String name, String alt, byte[] png) {
    files.put(name + ".png", png);
    body.append("<figure><img alt=\"").append(escape(alt)).append("\" src=\"data:image/png;base64,")
        .append(Base64.getEncoder().encodeToString(png)).append("\"><figcaption>")
        .append(escape(alt)).append(" (").append(escape(name)).append(".png)</figcaption>")
        .append("</figure>\n");
    return this;
  }

  /** A table shown inline and kept as {@code name}.csv. */
  HtmlReport table(String name, String caption, List<String> header, List<List<Object>> rows) {
    files.put(name + ".csv", Csv.of(header, rows).getBytes(StandardCharsets.UTF_8));
    body.append("<table><caption>").append(escape(caption)).append(" (").append(escape(name))
        .append(".csv)</caption>\n<tr>");
    for (String h : header) {
      body.append("<th>").append(escape(h)).append("</th>");
    }
    body.append("</tr>\n");
    for (List<Object> row : rows) {
      body.append("<tr>");
      for (Object cell : row) {
        boolean number = cell instanceof Number;
        body.append(number ? "<td class=\"n\">" : "<td>").append(escape(Csv.format(cell)))
            .append("</td>");
      }
      body.append("</tr>\n");
    }
    body.append("</table>\n");
    return this;
  }

  Map<String, byte[]> files() {
    return files;
  }

  String html() {
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
        + escape(title) + "</title><style>"
        + "body{font-family:sans-serif;max-width:1250px;margin:2em auto;color:#222}"
        + "table{border-collapse:collapse;margin:1em 0}caption{text-align:left;font-weight:bold;"
        + "padding:.3em 0}td,th{border:1px solid #ccc;padding:.2em .5em}td.n{text-align:right}"
        + "figure{margin:1em 0}img{max-width:100%}figcaption{color:#555}"
        + "</style></head><body>\n<h1>" + escape(title) + "</h1>\n" + body + "</body></html>\n";
  }

  static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}

package org.cfpipe.analysis;

import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The report's charts, drawn by XChart and encoded as PNG. One size for all: 900 x 500. */
final class Charts {
  static final int WIDTH = 900;
  static final int HEIGHT = 500;

  private Charts() {}

  /** Bars of {@code values} by {@code labels}. */
  static byte[] bars(String title, String xTitle, String yTitle, List<String> labels,
      List<? extends Number> values) {
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title)
        .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setXAxisLabelRotation(labels.size() > 12 ? 45 : 0);
    chart.addSeries(yTitle, labels, values);
    return png(chart);
  }

  /** Lines over a shared x axis, each series named. */
  static byte[] lines(String title, String xTitle, String yTitle, List<? extends Number> x,
      List<String> names, List<List<? extends Number>> series) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
        .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    for (int s = 0; s < names.size(); s++) {
      chart.addSeries(names.get(s), x, series.get(s)).setMarker(SeriesMarkers.CIRCLE);
    }
    return png(chart);
  }

  /** Counts over a grid: {@code cells} holds {x index, y index, count}. */
  static byte[] heatMap(String title, String xTitle, String yTitle, List<String> x,
      List<String> y, List<Number[]> cells) {
    HeatMapChart chart = new HeatMapChartBuilder().width(WIDTH).height(HEIGHT).title(title)
        .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    chart.getStyler().setShowValue(false);
    chart.getStyler().setMin(0);
    chart.getStyler().setRangeColors(new Color[] {new Color(247, 251, 255),
        new Color(107, 174, 214), new Color(8, 48, 107)});
    chart.addSeries("ratings", x, y, cells);
    return png(chart);
  }

  /**
   * Points with a text label each, placed greedily: a label that would overlap one already drawn
   * is left out (its point stays).
   */
  static byte[] labelledScatter(String title, String xTitle, String yTitle, double[] x,
      double[] y, List<String> labels) {
    XYChart chart = new XYChartBuilder().width(WIDTH + 300).height(HEIGHT + 300).title(title)
        .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    chart.getStyler().setMarkerSize(6);
    chart.getStyler().setAnnotationTextFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    chart.getStyler().setAnnotationTextFontColor(Color.DARK_GRAY);
    chart.addSeries("items", x, y);
    double minX = min(x);
    double maxX = max(x);
    double minY = min(y);
    double maxY = max(y);
    // Label boxes in data units, from the plot's approximate size in pixels.
    double unitX = (maxX - minX) / (WIDTH + 150);
    double unitY = (maxY - minY) / (HEIGHT + 150);
    List<Rectangle2D> placed = new ArrayList<>();
    for (int j = 0; j < x.length; j++) {
      String label = labels.get(j).length() > 32 ? labels.get(j).substring(0, 31) + "…"
          : labels.get(j);
      double w = label.length() * 6.2 * unitX;
      double h = 14 * unitY;
      Rectangle2D box = new Rectangle2D.Double(x[j] - w / 2, y[j] + 4 * unitY, w, h);
      if (placed.stream().noneMatch(box::intersects)) {
        placed.add(box);
        chart.addAnnotation(new AnnotationText(label, x[j], y[j] + 11 * unitY, false));
      }
    }
    return png(chart);
  }

  private static double min(double[] v) {
    return java.util.Arrays.stream(v).min().orElse(0);
  }

  private static double max(double[] v) {
    return java.util.Arrays.stream(v).max().orElse(1);
  }

  static byte[] png(Chart<?, ?> chart) {
    try {
      return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot draw " + chart.getTitle(), e);
    }
  }
}

package org.cfpipe.io;

import java.time.LocalDate;
import org.cfpipe.spark.HadoopFiles;
import org.cfpipe.spark.RunLayout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a run's staged folder whole. The stages write every published table under
 * {@code _work/}; this moves the finished folder to {@code OUTPUT/run_date=DATE/model=NAME} in one
 * rename, then writes its {@code _SUCCESS}, then points {@code _latest} at it. A run that dies
 * before the rename leaves the published tree as it was; a rerun of a date replaces its folder,
 * never merges into it.
 */
public final class RunCommit {
  private static final Logger LOG = LoggerFactory.getLogger(RunCommit.class);

  private RunCommit() {}

  public static void commit(HadoopFiles files, RunLayout layout) {
    String target = layout.runDir();
    // A previous version moves aside first, so the staged folder lands on an empty path, and is
    // removed only once the new one is in place.
    files.delete(layout.replaced());
    boolean rerun = files.exists(target);
    if (rerun) {
      files.rename(target, layout.replaced());
    }
    files.rename(layout.staged().dir(), target);
    files.writeString(layout.published().success(), "");
    files.delete(layout.replaced());
    advanceLatest(files, layout);
    LOG.info("committed {}{}", target, rerun ? ", replacing the previous run of this date" : "");
  }

  /** The newest committed run date of this model: a backfill of an older date leaves it. */
  static void advanceLatest(HadoopFiles files, RunLayout layout) {
    String pointer = layout.latest();
    if (files.exists(pointer)) {
      LocalDate current = LocalDate.parse(files.readString(pointer).trim());
      if (current.isAfter(layout.runDate())) {
        return;
      }
    }
    files.writeAtomically(pointer, out -> out.write((layout.runDate() + "\n")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }
}

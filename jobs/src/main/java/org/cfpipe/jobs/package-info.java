/**
 * Entry points: {@link org.cfpipe.jobs.CfPipe} parses the command line, builds the settings,
 * opens the SparkSession and runs stages from {@code cfpipe-common}. No pipeline logic lives here.
 */
package org.cfpipe.jobs;

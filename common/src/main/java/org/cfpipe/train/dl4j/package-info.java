/**
 * The dl4j engine: every model as a Deeplearning4j ComputationGraph, trained in one JVM or by
 * DL4J-Spark parameter averaging, and turned back into a plain-Java model for scoring. Only this
 * package touches Deeplearning4j and ND4J; nothing outside {@code train} may depend on it.
 */
package org.cfpipe.train.dl4j;

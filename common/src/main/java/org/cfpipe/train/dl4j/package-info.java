/**
 * The dl4j engine: every model as a Deeplearning4j ComputationGraph, trained in one JVM or by
 * DL4J-Spark parameter averaging, and turned back into a plain-Java model for scoring. Only this
 * package touches Deeplearning4j and ND4J; nothing outside {@code train} may depend on it.
 *
 * <p>The neural model's embedding tables can live outside the network (issue 18;
 * {@code cfpipe.train.dl4j.embeddings}, sparse where a dense update would be slow): the network
 * is then only the head, and a step ({@link org.cfpipe.train.dl4j.SparseEmbeddingStep}) gathers
 * the batch's rows, takes DL4J's gradient with respect to them, and updates only those rows with
 * lazy per-row Adam, so that its cost follows the batch and not the vocabulary. Several such
 * steps train side by side in one JVM by parameter averaging
 * ({@link org.cfpipe.train.dl4j.SparseWorkers}: users split between workers, heads and named item
 * rows averaged), and on Spark executors ({@link org.cfpipe.train.dl4j.SparseShards}: the same
 * rule each round over the sparse engine's user shards, the user rows never leaving their
 * executor during an epoch, only the item rows a shard named and the head coming back).
 */
package org.cfpipe.train.dl4j;

/**
 * The sparse engine: plain Java over primitive arrays. Each side's parameters and optimizer state
 * share one row-interleaved table ({@code train.ParameterTable}), and a mini-batch step touches only the
 * rows its batch names (compact gradients, lazy Adam or SGD state), so its cost is proportional
 * to the batch and never to the number of users or items. Ratings are grouped into the P x P
 * blocks of DSGD (Gemulla et al. 2011); the P blocks of a stratum share no rows, so threads train
 * them at once without locks, and a block's rows stay in cache ({@code SparseTrainer}).
 * {@code DistributedTrainer} spreads it over executors, each keeping its shard of the users
 * ({@code train.Shard}, whose user rows {@code ShardCheckpoints} writes after each epoch; the item
 * rows merged by {@code train.ItemSums}).
 */
package org.cfpipe.train.sparse;

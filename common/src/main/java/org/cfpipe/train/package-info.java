/**
 * Trainers: turn training ratings into a model. Each engine has its own package, with its
 * distributed form and its checkpoints: {@code train.sparse} (mini-batch SGD or Adam over
 * primitive arrays, {@code DistributedTrainer} on the executors), {@code train.gibbs} (Bayesian
 * inference of the same models by MCMC, {@code DistributedChains} running its chains as executor
 * tasks) and {@code train.dl4j} (every model as a Deeplearning4j network). This package holds
 * what they share: the train stage and the engine choice ({@code TrainStage},
 * {@code EngineChoice}), the ratings as primitive arrays ({@code TrainingSet}), the result, its
 * history and report, the checkpoint interfaces and their Hadoop-filesystem form, the
 * learning-rate schedules and early stopping, the seeds, the worker threads, the start from
 * last night's model ({@code WarmStart}), and the tables of rows a mini-batch step touches with
 * their lazy optimizers ({@code ParameterTable}, {@code TouchedRows}, {@code RowOptimizer}: the
 * sparse engine's, and the dl4j engine's embeddings), with the user shards and the item-row
 * merge of their distributed forms ({@code Shard}, {@code ItemRows}, {@code ItemSums}). Only the
 * train stage, the warm start and the distributed trainers read Spark tables.
 */
package org.cfpipe.train;

/**
 * The gibbs engine: Bayesian {@code dot} and {@code dot-bias} by Gibbs sampling, libFM's MCMC
 * ({@code GibbsSampler}, each side's state a {@code GibbsSide}, SVD++'s implicit feedback an
 * {@code ImplicitPrior}). There is no regularisation to tune. Several chains are combined by
 * {@code ChainPool}; {@code DistributedChains} runs them as executor tasks and reads their
 * results back from {@code ChainFiles}.
 */
package org.cfpipe.train.gibbs;

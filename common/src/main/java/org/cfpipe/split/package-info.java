/**
 * Train/validation splits of the encoded ratings: a seeded random split that depends only on the
 * (user, item) pair and the seed, or an explicit validation file. Validation rows whose user or
 * item has no training rating are dropped and counted.
 */
package org.cfpipe.split;

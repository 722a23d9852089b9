/**
 * Trainers: turn training ratings into a model. The sparse engine here is plain Java over
 * primitive arrays; each mini-batch step costs time proportional to the batch, never to the
 * number of users or items, because gradients, optimizer state updates and weight decay touch
 * only the rows the batch names (lazy Adam).
 */
package org.cfpipe.train;

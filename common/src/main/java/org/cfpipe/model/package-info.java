/**
 * Models and their parameters: what a trained model is, how it scores a (user, item) pair, and
 * how it is stored. Trainers in {@code org.cfpipe.train} produce these; evaluation and the table
 * writers read them. Nothing here knows how a model was trained.
 */
package org.cfpipe.model;

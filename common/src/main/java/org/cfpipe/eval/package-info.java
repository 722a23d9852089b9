/**
 * Evaluation: scores validation ratings with a stored model inside Spark (the parameter tables
 * joined to the ratings, the prediction as a SQL expression) and reports RMSE and MAE.
 */
package org.cfpipe.eval;

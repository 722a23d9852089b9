/**
 * The implicit engine: the top-N model (issue 19), implicit-feedback ALS with graded
 * preferences ({@code ImplicitAls}), whose factors rank items for a user rather than predict his
 * rating, and its choice on a holdout of the training ratings ({@code ImplicitTuning}). Plain
 * Java over primitive arrays, with BLAS and LAPACK for each row's exact solve; it reads no Spark
 * tables.
 */
package org.cfpipe.train.implicit;

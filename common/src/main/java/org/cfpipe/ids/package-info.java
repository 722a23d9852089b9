/**
 * Id encoding, StringIndexer-style: each distinct user and item id gets a contiguous index, most
 * frequent first and ties broken by id, so the order is deterministic. Maps are Spark tables
 * written as Parquet and applied with joins; they are never collected to the driver.
 */
package org.cfpipe.ids;
